"""Quoting filters, one per target language, and the marker types that make quoting enforceable.

Answers reach templates as ``Tainted`` strings. The environment's ``finalize`` refuses to print a Tainted value,
so an answer can only reach the output through one of these filters, each of which returns ``Quoted`` text that
is inert in its target: a YAML scalar, a shell word, an HCL, JSON, Rego or Falco string, a Dockerfile word or
JSON element, or a Markdown code span.
"""

from __future__ import annotations

import json
import re
import shlex
from collections.abc import Callable
from typing import Any

from scaffold.errors import UnsafePackError


class Tainted(str):
    """A string that came from an answer. It must pass through a quoting filter before it is output."""

    __slots__ = ()


class Quoted(str):
    """Text produced by a quoting filter: safe to insert in the filter's target language."""

    __slots__ = ()


def _scalar(value: Any, filter_name: str) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | str):
        return str(value)
    raise UnsafePackError(
        f"template: filter '{filter_name}' takes a string, number or boolean, not {type(value).__name__}"
    )


def yaml_scalar(value: Any) -> Quoted:
    """A YAML double-quoted scalar (JSON string syntax, ASCII only); numbers and booleans stay plain."""
    if isinstance(value, bool | int):
        return Quoted(_scalar(value, "yaml"))
    return Quoted(json.dumps(_scalar(value, "yaml"), ensure_ascii=True))


_KEY = re.compile(r"[A-Za-z_][A-Za-z0-9_-]{0,99}")


def yaml_key(value: Any) -> Quoted:
    """A plain YAML mapping key (also a valid GitHub job id). Anything else is a pack error."""
    text = _scalar(value, "yaml_key")
    if not _KEY.fullmatch(text):
        raise UnsafePackError(f"template: {text!r} cannot be used as a YAML key")
    return Quoted(text)


def shell_word(value: Any) -> Quoted:
    """One POSIX shell word, single-quoted when it holds anything but safe characters."""
    return Quoted(shlex.quote(_scalar(value, "sh")))


def hcl_string(value: Any) -> Quoted:
    """An HCL string literal with interpolation (``${``, ``%{``) escaped."""
    text = json.dumps(_scalar(value, "hcl"), ensure_ascii=True)
    return Quoted(text.replace("${", "$${").replace("%{", "%%{"))


def dockerfile_json(value: Any) -> Quoted:
    """A JSON string for a Dockerfile exec-form array (CMD, ENTRYPOINT, HEALTHCHECK), which is not expanded."""
    return Quoted(json.dumps(_scalar(value, "docker_json"), ensure_ascii=True))


def dockerfile_word(value: Any) -> Quoted:
    """A double-quoted Dockerfile word for ENV, LABEL or ARG, with backslash, quote and ``$`` escaped."""
    text = _scalar(value, "docker_word")
    escaped = text.replace("\\", "\\\\").replace('"', '\\"').replace("$", "\\$").replace("\n", "\\n")
    return Quoted(f'"{escaped}"')


def groovy_string(value: Any) -> Quoted:
    """A single-quoted Groovy string: never interpolated, with backslash and quote escaped."""
    text = _scalar(value, "groovy").replace("\\", "\\\\").replace("'", "\\'").replace("\n", "\\n")
    return Quoted(f"'{text}'")


def groovy_script(value: Any) -> Quoted:
    """The body of a Groovy ``'''`` string for an ``sh`` step: not interpolated, backslashes and quotes escaped."""
    text = _scalar(value, "groovy_script").replace("\\", "\\\\").replace("'", "\\'")
    return Quoted(text)


def json_string(value: Any) -> Quoted:
    """A JSON string literal (ASCII only); numbers and booleans stay plain JSON values."""
    if isinstance(value, bool | int):
        return Quoted(_scalar(value, "json"))
    return Quoted(json.dumps(_scalar(value, "json"), ensure_ascii=True))


def rego_string(value: Any) -> Quoted:
    """A Rego double-quoted string literal. Rego strings use JSON's escapes, so JSON encoding is exact."""
    return Quoted(json.dumps(_scalar(value, "rego"), ensure_ascii=True))


_FALCO_WORD = re.compile(r"[A-Za-z0-9._/:@-]{1,255}")


def falco_string(value: Any) -> Quoted:
    """A double-quoted string inside a Falco condition or list. Falco conditions have no escape for a quote, so
    only plain words (letters, digits and ``. _ / : @ -``) are accepted; anything else is a pack error."""
    text = _scalar(value, "falco")
    if not _FALCO_WORD.fullmatch(text):
        raise UnsafePackError(f"template: {text!r} cannot be used in a Falco condition")
    return Quoted(f'"{text}"')


def markdown_code(value: Any) -> Quoted:
    """An inline Markdown code span; the fence is longer than any backtick run inside."""
    text = _scalar(value, "md").replace("\n", " ")
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    fence = "`" * (longest + 1)
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return Quoted(f"{fence}{pad}{text}{pad}{fence}")


FILTERS: dict[str, Callable[[Any], Quoted]] = {
    "yaml": yaml_scalar,
    "yaml_key": yaml_key,
    "sh": shell_word,
    "hcl": hcl_string,
    "docker_json": dockerfile_json,
    "docker_word": dockerfile_word,
    "md": markdown_code,
    "groovy": groovy_string,
    "groovy_script": groovy_script,
    "json": json_string,
    "rego": rego_string,
    "falco": falco_string,
}


def taint(value: Any) -> Any:
    """Mark every string inside an answers structure as Tainted."""
    if isinstance(value, str):
        return Tainted(value)
    if isinstance(value, list | tuple):
        return [taint(item) for item in value]
    if isinstance(value, dict):
        return {key: taint(item) for key, item in value.items()}
    return value


_SEGMENT = re.compile(r"[A-Za-z0-9_][A-Za-z0-9._-]{0,99}")


def path_segment(value: Any) -> Quoted:
    """One file or folder name for an output path: no separators, no '..'."""
    text = _scalar(value, "path")
    if not _SEGMENT.fullmatch(text) or text in (".", ".."):
        raise UnsafePackError(f"template: {text!r} cannot be used as a path segment")
    return Quoted(text)


FILTERS["path"] = path_segment


_WORD = re.compile(r"[A-Za-z0-9@._/:+=-]{1,255}")


def word_list(values: Any) -> Quoted:
    """Space-separated plain words (handles, hosts), each limited to characters inert in YAML, shell and CODEOWNERS."""
    if not isinstance(values, list | tuple):
        raise UnsafePackError("template: filter 'words' takes a list")
    words = [_scalar(value, "words") for value in values]
    for word in words:
        if not _WORD.fullmatch(word):
            raise UnsafePackError(f"template: {word!r} is not a plain word")
    return Quoted(" ".join(words))


FILTERS["words"] = word_list
