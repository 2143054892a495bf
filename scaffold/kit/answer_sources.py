"""Where answers come from: an answers file, ``--set key=value`` flags, and how the layers stack.

Layers, lowest first: field defaults < answers file < ``--set`` < prompts. A later layer wins per key.

An answers file is untrusted: it is read only when it is a regular file of at most ``MAX_ANSWERS_FILE_BYTES`` (a
FIFO, a device or a folder is refused without blocking), parsed with the bounded YAML loader (no alias bomb, no
deep nesting, no huge integer), and a duplicate key (a repeated merge key ``<<`` too) or a non-string key is refused
instead of silently resolved. Every problem is one ``UsageError`` line naming the file or the key and the rule.
"""

from __future__ import annotations

import typing
from collections import ChainMap
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode

from scaffold.errors import UsageError
from scaffold.kit.answers import Answers
from scaffold.untrusted.read import UnreadableInput, read_text
from scaffold.untrusted.text import shown
from scaffold.untrusted.yaml_load import BoundedLoader, YAMLLimitError, load

MAX_ANSWERS_FILE_BYTES = 1_000_000
_MAX_INT_DIGITS = 18
_STRING_TAG = "tag:yaml.org,2002:str"
_MERGE_TAG = "tag:yaml.org,2002:merge"


class _AnswersLoader(BoundedLoader):
    """The bounded loader, refusing a mapping that repeats a key (a merge key ``<<`` included) or has a key that is
    not a string. Every mapping is checked as written, before merge keys are resolved: also one only merged in."""

    def __init__(self, stream: Any) -> None:
        super().__init__(stream)
        self._checked: set[int] = set()

    def flatten_mapping(self, node: MappingNode) -> None:
        if id(node) not in self._checked:  # a mapping merged twice is flattened in place the first time
            self._checked.add(id(node))
            _check_keys(node)
        super().flatten_mapping(node)


def _check_keys(node: MappingNode) -> None:
    seen: set[str] = set()
    merges = 0
    for key_node, _ in node.value:
        if isinstance(key_node, ScalarNode) and key_node.tag == _MERGE_TAG:
            merges += 1
            if merges > 1:
                raise YAMLLimitError("key '<<' (a merge key) is repeated", key_node.start_mark)
            continue
        if not isinstance(key_node, ScalarNode) or key_node.tag != _STRING_TAG:
            raise YAMLLimitError(f"key {_node_text(key_node)} must be a string", key_node.start_mark)
        if key_node.value in seen:
            raise YAMLLimitError(f"key '{shown(key_node.value)}' is repeated", key_node.start_mark)
        seen.add(key_node.value)


def _node_text(node: Node) -> str:
    if isinstance(node, ScalarNode):
        return f"'{shown(str(node.value))}'"
    return "(a list)" if isinstance(node, yaml.SequenceNode) else "(a mapping)"


def _field_kind(key: str, model: type[Answers]) -> str:
    """The shape of a field's value: 'list', 'bool', 'int' or 'str'."""
    annotation = model.model_fields[key].annotation
    origin = typing.get_origin(annotation)
    if origin is list:
        return "list"
    if annotation is bool:
        return "bool"
    if annotation is int:
        return "int"
    return "str"


def parse_set(items: Iterable[str], model: type[Answers] = Answers) -> dict[str, Any]:
    """Parse repeated ``--set key=value`` flags into typed values.

    Lists are comma-separated, booleans are ``true``/``false`` and integers are decimal.
    """
    result: dict[str, Any] = {}
    for item in items:
        key, sep, raw = item.partition("=")
        key = key.strip()
        if not sep:
            raise UsageError(f"--set {shown(item)}: must have the form key=value")
        if key not in model.model_fields:
            raise UsageError(f"--set {shown(key)}: is not an answer key (see 'scaffold new --help' for the keys)")
        kind = _field_kind(key, model)
        value: Any
        if kind == "list":
            value = [part.strip() for part in raw.split(",") if part.strip()]
        elif kind == "bool":
            if raw.lower() not in ("true", "false"):
                raise UsageError(f"{key}: must be true or false (--set)")
            value = raw.lower() == "true"
        elif kind == "int":
            digits = raw.strip()
            if not digits.isascii() or not digits.isdecimal() or len(digits) > _MAX_INT_DIGITS:
                raise UsageError(f"{key}: must be a whole number of at most {_MAX_INT_DIGITS} digits (--set)")
            value = int(digits)
        else:
            value = raw
        result[key] = value
    return result


def load_answers_file(path: Path) -> dict[str, Any]:
    """Read an answers file: a YAML mapping of answer keys, or a ``.scaffold.yml`` (its ``answers:`` are used)."""
    where = f"--answers {shown(str(path), 200)}"
    try:
        text = read_text(path, limit=MAX_ANSWERS_FILE_BYTES)
    except UnreadableInput as error:
        raise UsageError(f"{where}: {error}") from None
    try:
        data = load(text, _AnswersLoader)
    except yaml.YAMLError as error:
        raise UsageError(f"{where}: {_yaml_problem(error)}") from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise UsageError(f"{where}: must be a YAML mapping of answer keys, not a {_kind(data)}")
    if "answers" in data and "scaffold_version" in data:
        data = data["answers"]
        if data is None:
            return {}
        if not isinstance(data, dict):
            raise UsageError(f"{where}: its 'answers' entry must be a mapping, not a {_kind(data)}")
    return dict(data)


def _yaml_problem(error: yaml.YAMLError) -> str:
    line = getattr(getattr(error, "problem_mark", None), "line", None)  # PyYAML's or libyaml's mark
    where = f" at line {line + 1}" if isinstance(line, int) else ""
    problem = getattr(error, "problem", None)
    if isinstance(error, YAMLLimitError):
        return f"is refused{where}: {shown(str(problem), 120)}"
    detail = f" ({shown(str(problem), 80)})" if problem else ""
    return f"is not valid YAML{where}{detail}"


def _kind(value: Any) -> str:
    return {list: "list", str: "string", int: "number", float: "number", bool: "boolean"}.get(
        type(value), type(value).__name__
    )


def stack(*layers: Mapping[str, Any]) -> dict[str, Any]:
    """Merge answer layers given lowest first; later layers win per key."""
    return dict(ChainMap(*reversed([dict(layer) for layer in layers])))
