"""Where answers come from: an answers file, ``--set key=value`` flags, and how the layers stack.

Layers, lowest first: field defaults < answers file < ``--set`` < prompts. A later layer wins per key.
"""

from __future__ import annotations

import typing
from collections import ChainMap
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import yaml

from scaffold.answers import ANSWER_KEYS, Answers
from scaffold.errors import UsageError

_MAX_ANSWERS_FILE_BYTES = 1_000_000


def _field_kind(key: str) -> str:
    """The shape of a field's value: 'list', 'bool', 'int' or 'str'."""
    annotation = Answers.model_fields[key].annotation
    origin = typing.get_origin(annotation)
    if origin is list:
        return "list"
    if annotation is bool:
        return "bool"
    if annotation is int:
        return "int"
    return "str"


def parse_set(items: Iterable[str]) -> dict[str, Any]:
    """Parse repeated ``--set key=value`` flags into typed values.

    Lists are comma-separated, booleans are ``true``/``false`` and integers are decimal.
    """
    result: dict[str, Any] = {}
    for item in items:
        key, sep, raw = item.partition("=")
        key = key.strip()
        if not sep:
            raise UsageError(f"--set {item}: must have the form key=value")
        if key not in ANSWER_KEYS:
            raise UsageError(f"--set {key}: is not an answer key (see 'scaffold new --help' for the keys)")
        kind = _field_kind(key)
        value: Any
        if kind == "list":
            value = [part.strip() for part in raw.split(",") if part.strip()]
        elif kind == "bool":
            if raw.lower() not in ("true", "false"):
                raise UsageError(f"{key}: must be true or false (--set)")
            value = raw.lower() == "true"
        elif kind == "int":
            if not raw.strip().isdecimal() or not raw.strip().isascii():
                raise UsageError(f"{key}: must be a whole number (--set)")
            value = int(raw)
        else:
            value = raw
        result[key] = value
    return result


def load_answers_file(path: Path) -> dict[str, Any]:
    """Read an answers file: a YAML mapping of answer keys, or a ``.scaffold.yml`` (its ``answers:`` are used)."""
    try:
        if path.stat().st_size > _MAX_ANSWERS_FILE_BYTES:
            raise UsageError(f"--answers {path}: file is larger than {_MAX_ANSWERS_FILE_BYTES} bytes")
        text = path.read_text(encoding="utf-8")
    except UsageError:
        raise
    except (OSError, UnicodeDecodeError) as error:
        reason = getattr(error, "strerror", None) or "is not readable UTF-8 text"
        raise UsageError(f"--answers {path}: {reason}") from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark is not None else ""
        raise UsageError(f"--answers {path}: is not valid YAML{where}") from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise UsageError(f"--answers {path}: must be a YAML mapping of answer keys, not a {type(data).__name__}")
    if "answers" in data and "scaffold_version" in data:
        data = data["answers"]
        if not isinstance(data, dict):
            raise UsageError(f"--answers {path}: its 'answers' entry must be a mapping")
    for key in data:
        if not isinstance(key, str):
            raise UsageError(f"--answers {path}: key {key!r} must be a string")
    return dict(data)


def stack(*layers: Mapping[str, Any]) -> dict[str, Any]:
    """Merge answer layers given lowest first; later layers win per key."""
    return dict(ChainMap(*reversed([dict(layer) for layer in layers])))
