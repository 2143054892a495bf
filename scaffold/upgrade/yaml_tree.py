"""A YAML file seen as nested text blocks: mappings of keys and sequences of items, each owning its lines.

The structure comes from PyYAML's composer (node positions only); the text is never re-dumped. Each mapping entry
and sequence item owns the lines from its leading comments to the start of its next sibling, so splicing blocks
keeps the user's comments, quoting, blank lines and key order byte for byte. Anything the splitter cannot place
exactly (flow style, aliases, two keys on one line, duplicate keys) stays one opaque leaf.
"""

from __future__ import annotations

import re
from collections.abc import Hashable
from dataclasses import dataclass

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from scaffold.untrusted.yaml_load import BoundedLoader, compose


@dataclass(frozen=True)
class Part:
    """One mapping entry or sequence item: its identity, its whole text and, when structured, its child block."""

    key: Hashable
    text: str
    head: str
    child: Block | None
    first_key: str | None = None


@dataclass(frozen=True)
class Block:
    kind: str  # "map" or "seq"
    header: str
    parts: tuple[Part, ...]
    column: int
    trailer: str = ""  # comments after the last part that are indented less than the parts: not theirs


_OTHER_LINE_BREAKS = re.compile("\r(?!\n)|[\x85\u2028\u2029]")


class _Lines:
    def __init__(self, text: str) -> None:
        # Split on "\n" only, as the composer counts lines (str.splitlines also breaks on form feeds and more).
        self.lines = re.findall(r"[^\n]*\n|[^\n]+$", text)

    def join(self, start: int, end: int) -> str:
        return "".join(self.lines[start:end])

    def trailer_start(self, floor: int, end: int, column: int) -> int:
        """Where the lines closing a block start: the blank lines and comments, at the end of the block, that are
        indented less than its parts (a comment the user put after a job, at the top level). ``end`` if none."""
        line, commented = end, False
        while line - 1 > floor:
            above = self.lines[line - 1]
            stripped = above.lstrip(" ")
            if stripped.strip() and not (stripped.startswith("#") and len(above) - len(stripped) < column):
                break
            commented = commented or bool(stripped.strip())
            line -= 1
        return line if commented else end

    def pull_up(self, line: int, column: int, floor: int) -> int:
        """Extend an entry upwards over the blank lines and same-indented comments directly above it, so that a
        separating blank line travels with the entry it introduces."""
        while line - 1 >= floor:
            above = self.lines[line - 1]
            stripped = above.lstrip(" ")
            comment = stripped.startswith("#") and len(above) - len(stripped) == column
            if not comment and above.strip():
                break
            line -= 1
        return line


class _NotPlaceableError(Exception):
    """The block cannot be split into parts exactly; the caller keeps it as one leaf."""


def parse(text: str) -> Block | None:
    """The top-level block of a one-document YAML file whose root is a block mapping or list, else None."""
    try:
        root = compose(text, _Loader)
    except yaml.YAMLError:
        return None
    if not isinstance(root, MappingNode | SequenceNode) or root.flow_style or _OTHER_LINE_BREAKS.search(text):
        return None
    lines = _Lines(text if text.endswith("\n") else text + "\n")
    try:
        if isinstance(root, SequenceNode):
            return _sequence(lines, root, 0, len(lines.lines))
        return _mapping(lines, root, 0, len(lines.lines))
    except _NotPlaceableError:
        return None


def check_parses(text: str) -> None:
    """Raise ``yaml.YAMLError`` unless ``text`` is one YAML document (within the bounds)."""
    compose(text, _Loader)


class _Loader(BoundedLoader):
    """Composes documents (bounded in depth and alias expansion) with any local tag (GitLab's ``!reference``)
    without resolving it."""


def _key_value(node: Node) -> str:
    if not isinstance(node, ScalarNode):
        raise _NotPlaceableError
    return str(node.value)


def _mapping(lines: _Lines, node: MappingNode, start: int, end: int) -> Block:
    keys = [_key_value(key) for key, _ in node.value]
    if len(set(keys)) != len(keys) or not node.value:
        raise _NotPlaceableError
    column = node.value[0][0].start_mark.column
    starts = []
    for key, _ in node.value:
        mark = key.start_mark
        before = lines.lines[mark.line][: mark.column]
        if mark.column != column or before.strip(" -") or (before.strip() and mark.line != node.start_mark.line):
            raise _NotPlaceableError
        starts.append(lines.pull_up(mark.line, column, start) if before.strip() == "" else mark.line)
    if starts != sorted(starts) or len(set(starts)) != len(starts) or starts[0] < start:
        raise _NotPlaceableError
    closing = lines.trailer_start(node.value[-1][0].start_mark.line, end, column)
    parts = []
    for index, (key, value) in enumerate(node.value):
        part_end = starts[index + 1] if index + 1 < len(starts) else closing
        parts.append(_entry(lines, keys[index], key, value, starts[index], part_end))
    return Block("map", lines.join(start, starts[0]), tuple(parts), column, lines.join(closing, end))


def _entry(lines: _Lines, name: str, key: Node, value: Node, start: int, end: int) -> Part:
    text = lines.join(start, end)
    child_start = key.start_mark.line + 1
    nested = (
        isinstance(value, MappingNode | SequenceNode)
        and not value.flow_style
        and value.start_mark.index > key.end_mark.index
        and value.start_mark.line >= child_start
    )
    if not nested:
        return Part(name, text, text, None)
    try:
        if isinstance(value, MappingNode):
            child = _mapping(lines, value, child_start, end)
        else:
            assert isinstance(value, SequenceNode)  # noqa: S101 - narrowed by the check above
            child = _sequence(lines, value, child_start, end)
    except _NotPlaceableError:
        return Part(name, text, text, None)
    return Part(name, text, lines.join(start, child_start), child)


def _dash_line(lines: _Lines, item: Node) -> tuple[int, int]:
    """The line and column of the ``-`` that introduces a sequence item."""
    mark = item.start_mark
    before = lines.lines[mark.line][: mark.column]
    if before.strip() == "-":
        return mark.line, before.index("-")
    if before.strip() == "" and mark.line > 0 and lines.lines[mark.line - 1].strip() == "-":
        return mark.line - 1, lines.lines[mark.line - 1].index("-")
    raise _NotPlaceableError


def _sequence(lines: _Lines, node: SequenceNode, start: int, end: int) -> Block:
    if not node.value:
        raise _NotPlaceableError
    dashes = [_dash_line(lines, item) for item in node.value]
    column = dashes[0][1]
    if any(dash_column != column for _, dash_column in dashes):
        raise _NotPlaceableError
    starts = [lines.pull_up(line, column, start) for line, _ in dashes]
    if starts != sorted(starts) or len(set(starts)) != len(starts) or starts[0] < start:
        raise _NotPlaceableError
    identities = [_identity(item) for item in node.value]
    if len(set(identities)) != len(identities):
        raise _NotPlaceableError
    closing = lines.trailer_start(dashes[-1][0], end, column)
    parts = []
    for index, item in enumerate(node.value):
        part_end = starts[index + 1] if index + 1 < len(starts) else closing
        text = lines.join(starts[index], part_end)
        child: Block | None = None
        first_key: str | None = None
        if isinstance(item, MappingNode) and not item.flow_style and item.value:
            try:
                child = _mapping(lines, item, starts[index], part_end)
                first_key = _key_value(item.value[0][0])
            except _NotPlaceableError:
                child = None
        parts.append(Part(identities[index], text, "", child, first_key))
    return Block("seq", lines.join(start, starts[0]), tuple(parts), column, lines.join(closing, end))


# Step ids and names, actions, Dependabot ecosystems, pre-commit repos, Falco rules, macros and lists, scripts.
_IDENTITY_KEYS = ("id", "name", "uses", "package-ecosystem", "repo", "rule", "macro", "list", "run", "script")


def _identity(item: Node) -> Hashable:
    """What makes a sequence item the same item in another version: a step's id, name or action, else its value."""
    if isinstance(item, ScalarNode):
        return ("scalar", item.value)
    if isinstance(item, MappingNode):
        values = {
            key.value: value.value
            for key, value in item.value
            if isinstance(key, ScalarNode) and isinstance(value, ScalarNode)
        }
        for name in _IDENTITY_KEYS:
            if name in values:
                value = str(values[name])
                if name == "uses":
                    value = value.split("@", 1)[0]
                if name == "package-ecosystem":
                    value += "|" + str(values.get("directory", ""))
                return (name, value)
    return ("node", _canonical(item))


def _canonical(node: Node) -> Hashable:
    if isinstance(node, ScalarNode):
        return str(node.value)
    if isinstance(node, SequenceNode):
        return tuple(_canonical(item) for item in node.value)
    if isinstance(node, MappingNode):
        return tuple((_canonical(key), _canonical(value)) for key, value in node.value)
    return repr(node)
