"""Interactive questions. The only module that imports questionary.

Each question shows the answer key's help, validates with the same rule as the model, and is asked only when
it applies (the AWS role only when cloud is aws, and so on). Answers already given by --answers or --set are
not asked again. EOF or Ctrl-C stops with exit 2 and a hint to use --defaults.
"""

from __future__ import annotations

import typing
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import questionary
from prompt_toolkit.input import Input
from prompt_toolkit.output import Output

from scaffold.errors import UsageError
from scaffold.kit.answers import (
    Answers,
    applies,
    check_one,
    field_defaults,
    fitting_choices,
    refusal,
    required_when_asked,
    suggested_default,
)

_STOP_HINT = "pass --defaults, --answers FILE or --set KEY=VALUE"


def _choices(key: str, model: type[Answers] = Answers) -> list[str] | None:
    annotation = model.model_fields[key].annotation
    if typing.get_origin(annotation) is list:
        annotation = typing.get_args(annotation)[0]
    if typing.get_origin(annotation) is typing.Literal:
        return [str(choice) for choice in typing.get_args(annotation)]
    return None


def _default_text(key: str, so_far: Mapping[str, Any]) -> str:
    value = so_far.get(key)
    suggested = suggested_default(key, so_far)
    if suggested is not None and (value is None or (key == "cloud" and value == "none")):
        value = suggested
    if value is None:
        return ""
    if isinstance(value, list):
        return ",".join(str(item) for item in value)
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _convert(key: str, text: str, model: type[Answers] = Answers) -> Any:
    """Turn typed text into the field's value: lists split on commas, ints parsed, empty optional -> None.

    Empty text becomes None only for keys that may be None (``image``, ``aws_region``...); for the others
    (``name``, ``health_path``...) it stays "" so the validator refuses it instead of the final validation.
    """
    annotation = model.model_fields[key].annotation
    if typing.get_origin(annotation) is list:
        return [part.strip() for part in text.split(",") if part.strip()]
    if annotation is int:
        return int(text) if text.strip().isdecimal() and text.isascii() and len(text.strip()) <= 18 else text
    if text == "" and type(None) in typing.get_args(annotation):
        return None
    return text


def _validator(key: str, model: type[Answers]) -> Any:
    def validate(text: str) -> bool | str:
        value = _convert(key, text, model)
        if value is None:
            return "is required" if required_when_asked(key) else True
        problem = check_one(key, value, model)
        return True if problem is None else problem

    return validate


def _question(
    key: str, so_far: Mapping[str, Any], io: dict[str, Any], model: type[Answers], problem: str = ""
) -> questionary.Question:
    field = model.model_fields[key]
    message = str((field.json_schema_extra or {}).get("prompt", key))  # type: ignore[union-attr]
    instruction = field.description or ""
    if problem:  # asked again: the rule that refused the last reply comes first
        message = f"{message} [refused: {problem}]"
    choices = _choices(key, model)
    if choices is not None:
        choices = fitting_choices(key, choices, so_far)
    annotation = field.annotation
    if annotation is bool:
        # A custom instruction replaces questionary's own (Y/n) hint, so keep it: it shows what Enter picks.
        default = bool(so_far.get(key, field.default))
        hint = "(Y/n)" if default else "(y/N)"
        return questionary.confirm(message, default=default, instruction=f"({instruction}) {hint} ", **io)
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
        preset = _default_text(key, so_far)
        return questionary.select(
            message,
            choices=choices,
            default=preset if preset in choices else None,
            instruction=instruction,
            **io,
        )
    return questionary.text(
        message, default=_default_text(key, so_far), instruction=instruction, validate=_validator(key, model), **io
    )


def _io(input: Input | None, output: Output | None) -> dict[str, Any]:
    io: dict[str, Any] = {}
    if input is not None:
        io["input"] = input
    if output is not None:
        io["output"] = output
    return io


def _reply(question: questionary.Question) -> Any:
    """The answer to one question; end of input or Ctrl-C stops with exit 2 and the hint to pass answers."""
    try:
        reply = question.unsafe_ask(patch_stdout=False)
    except EOFError:
        reply = None
    except KeyboardInterrupt:
        raise UsageError(f"prompt: interrupted; nothing was written; {_STOP_HINT}") from None
    if reply is None:
        raise UsageError(f"prompt: no answer (end of input); {_STOP_HINT}")
    return reply


def ask(
    defaults: Mapping[str, Any],
    given: Mapping[str, Any],
    *,
    input: Input | None = None,  # prompt_toolkit's own name
    output: Output | None = None,
    model: type[Answers] = Answers,
) -> dict[str, Any]:
    """Ask every applicable question not answered in ``given``; ``defaults`` pre-fill the prompts.

    Keys missing from ``defaults`` are pre-filled with the model's own default, so accepting every prompt
    gives the same answers as ``--defaults``. A pre-filled value that a rule across answers refuses after the
    answers so far (an inferred ghcr image once GitLab is a platform) is not offered: the prompt shows the
    suggestion for the answers so far instead. Each rule across answers is checked at the question of the last of
    its keys to be answered, and a refused reply is asked again there, naming the rule. Returns only the answers
    that were asked.
    """
    io = _io(input, output)
    so_far: dict[str, Any] = {**field_defaults(model), **defaults, **given}
    settled = set(given)
    asked: dict[str, Any] = {}
    for key in model.model_fields:
        if key in given or not applies(key, so_far, model):
            continue
        if refusal(key, so_far, {*settled, key}, model) is not None:
            so_far[key] = field_defaults(model)[key]
        so_far[key] = asked[key] = _answer(key, so_far, io, model)
        settled.add(key)
        _until_no_rule_refuses(key, so_far, settled, asked, io, model)
    return asked


def _answer(key: str, so_far: Mapping[str, Any], io: dict[str, Any], model: type[Answers], problem: str = "") -> Any:
    reply = _reply(_question(key, so_far, io, model, problem))
    return _convert(key, reply, model) if isinstance(reply, str) and _choices(key, model) is None else reply


def _until_no_rule_refuses(
    key: str, so_far: dict[str, Any], settled: set[str], asked: dict[str, Any], io: dict[str, Any], model: type[Answers]
) -> None:
    """Ask again, at the question just answered, while a rule across answers refuses it. When the same rule
    refuses twice and names another question asked in this run (the service name behind a derived registry
    name), that question is asked again instead: an answer that cannot satisfy the rule here never traps the
    user in a loop."""
    changed = [key]
    last = ""
    while True:
        found = next(
            ((name, problem) for name in changed if (problem := refusal(name, so_far, settled, model)) is not None),
            None,
        )
        if found is None:
            return
        target, problem = found
        named = problem.split(":", 1)[0]
        if problem == last and named != target and named in asked:
            target = named
        last = problem
        shown_problem = problem.split(": ", 1)[1] if named == target else problem
        so_far[target] = asked[target] = _answer(target, so_far, io, model, " ".join(shown_problem.split()))
        if target not in changed:
            changed.append(target)


def ask_again(
    key: str,
    problem: str,
    so_far: Mapping[str, Any],
    *,
    input: Input | None = None,  # prompt_toolkit's own name
    output: Output | None = None,
    model: type[Answers] = Answers,
) -> Any:
    """Ask ``key`` again after a rule across answers refused the reply; the prompt shows the rule."""
    return _answer(key, so_far, _io(input, output), model, problem)


def confirm(message: str, *, input: Input | None = None, output: Output | None = None) -> bool:
    """A yes/no question, yes by default; end of input or Ctrl-C stops with exit 2."""
    return bool(_reply(questionary.confirm(message, default=True, **_io(input, output))))


def ask_template(
    questions: Sequence[Any],
    defaults_for: Callable[[Mapping[str, Any]], Mapping[str, Any]],
    *,
    input: Input | None = None,  # prompt_toolkit's own name
    output: Output | None = None,
) -> dict[str, Any]:
    """Ask a template's own questions (each with ``key``, ``kind``, ``prompt`` and ``choices``), in order. Each is
    pre-filled with the template's default as its own rules render it from the answers so far (``defaults_for``),
    so a default derived from an earlier answer shows that answer. A dictionary variable keeps its default (an
    answers file can give one). The template's rules check the replies afterwards."""
    io = _io(input, output)
    asked: dict[str, Any] = {}
    for item in questions:
        if item.kind == "dict":
            continue
        default = defaults_for(asked).get(item.key)
        message = item.prompt or item.key
        question: questionary.Question
        if item.kind == "bool":
            question = questionary.confirm(message, default=bool(default), **io)
        elif item.kind == "choice":
            shown = str(default) if str(default) in item.choices else None
            question = questionary.select(message, choices=list(item.choices), default=shown, **io)
        else:
            question = questionary.text(message, default="" if default is None else str(default), **io)
        asked[item.key] = _reply(question)
    return asked
