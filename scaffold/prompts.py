"""Interactive questions. The only module that imports questionary.

Each question shows the answer key's help, validates with the same rule as the model, and is asked only when it
applies (the AWS role only when cloud is aws, and so on). Answers already given by --answers or --set are not
asked again. EOF or Ctrl-C stops with exit 2 and a hint to use --defaults.
"""

from __future__ import annotations

import typing
from collections.abc import Mapping
from typing import Any

import questionary
from prompt_toolkit.input import Input
from prompt_toolkit.output import Output

from scaffold.answers import ANSWER_KEYS, Answers, applies, check_one, default_image
from scaffold.errors import UsageError


def _choices(key: str) -> list[str] | None:
    annotation = Answers.model_fields[key].annotation
    if typing.get_origin(annotation) is list:
        annotation = typing.get_args(annotation)[0]
    if typing.get_origin(annotation) is typing.Literal:
        return [str(choice) for choice in typing.get_args(annotation)]
    return None


def _default_text(key: str, so_far: Mapping[str, Any]) -> str:
    if key == "image" and so_far.get("image") is None:
        return default_image(str(so_far.get("registry", "ghcr")), str(so_far.get("name", "service")))
    value = so_far.get(key)
    if value is None:
        return ""
    if isinstance(value, list):
        return ",".join(str(item) for item in value)
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _convert(key: str, text: str) -> Any:
    """Turn typed text into the field's value: lists split on commas, ints parsed, empty optional -> None."""
    annotation = Answers.model_fields[key].annotation
    if typing.get_origin(annotation) is list:
        return [part.strip() for part in text.split(",") if part.strip()]
    if annotation is int:
        return int(text) if text.strip().isdecimal() and text.isascii() else text
    if text == "" and not Answers.model_fields[key].is_required():
        return None
    return text


def _validator(key: str) -> Any:
    def validate(text: str) -> bool | str:
        value = _convert(key, text)
        if value is None:
            return True
        problem = check_one(key, value)
        return True if problem is None else problem

    return validate


def _question(key: str, so_far: Mapping[str, Any], io: dict[str, Any]) -> questionary.Question:
    field = Answers.model_fields[key]
    message = str((field.json_schema_extra or {}).get("prompt", key))  # type: ignore[union-attr]
    instruction = field.description or ""
    choices = _choices(key)
    annotation = field.annotation
    if annotation is bool:
        return questionary.confirm(message, default=bool(so_far.get(key, field.default)), instruction=f"({instruction}) ", **io)
    if choices is not None and typing.get_origin(annotation) is list:
        chosen = set(so_far.get(key) or [])
        return questionary.checkbox(
            message,
            choices=[questionary.Choice(choice, checked=choice in chosen) for choice in choices],
            instruction=instruction,
            validate=lambda picked: True if picked else "pick at least one",
            **io,
        )
    if choices is not None:
        return questionary.select(message, choices=choices, default=_default_text(key, so_far) or None,
                                  instruction=instruction, **io)
    return questionary.text(message, default=_default_text(key, so_far), instruction=instruction,
                            validate=_validator(key), **io)


def ask(
    defaults: Mapping[str, Any],
    given: Mapping[str, Any],
    *,
    input: Input | None = None,  # noqa: A002 - prompt_toolkit's own name
    output: Output | None = None,
) -> dict[str, Any]:
    """Ask every applicable question not answered in ``given``; ``defaults`` pre-fill the prompts."""
    io: dict[str, Any] = {}
    if input is not None:
        io["input"] = input
    if output is not None:
        io["output"] = output
    so_far: dict[str, Any] = dict(defaults)
    asked: dict[str, Any] = {}
    for key in ANSWER_KEYS:
        if key in given or not applies(key, so_far):
            continue
        try:
            reply = _question(key, so_far, io).unsafe_ask(patch_stdout=False)
        except EOFError:
            reply = None
        if reply is None:
            raise UsageError("prompt: no answer (end of input); pass --defaults, --answers FILE or --set KEY=VALUE")
        value = _convert(key, reply) if isinstance(reply, str) and _choices(key) is None else reply
        so_far[key] = value
        asked[key] = value
    return asked
