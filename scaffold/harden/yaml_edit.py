"""Edits to YAML text located by parsed node positions: add a key to a block mapping, replace a scalar.

Nothing is re-dumped. New lines copy the indentation of their neighbours and the file's line ending, so the rest
of the file (comments, quoting, blank lines, key order) is left exactly as it was.
"""

from __future__ import annotations

from collections.abc import Sequence

from yaml.nodes import MappingNode, ScalarNode

from scaffold.audit.document import Document
from scaffold.audit.yaml_view import YNode
from scaffold.harden.edits import indentation, line_end, line_starts, newline
from scaffold.harden.model import TextEdit


def indent_unit(document: Document) -> int:
    """How far the file indents a nested mapping, read from the keys under ``jobs:`` (2 when unknown)."""
    root = document.yaml
    section = root.get("jobs") if root is not None else None
    for key, job in section.entries() if section is not None else []:
        for inner, _ in job.entries():
            step = inner.node.start_mark.column - key.node.start_mark.column
            if step > 0:
                return int(step)
    return 2


def block(lines: Sequence[str], indent: int, document: Document) -> str:
    """Lines of YAML, each indented by ``indent`` spaces and ended with the file's newline."""
    end = newline(document.text)
    return "".join(" " * indent + line + end for line in lines)


def last_content_line(document: Document, node: YNode, floor: int) -> int:
    """The 0-based index of the node's last line of content.

    PyYAML ends a block collection where the next token starts (at the next line's first character, after any
    trailing blank lines and comments); those are skipped here. A comment indented deeper than ``floor`` (the
    owning key's column) is kept as content, since inside a block scalar it is part of the text.
    """
    mark = node.node.end_mark
    lines = document.lines
    ends_before = mark.line >= len(lines) or not lines[mark.line][: mark.column].strip()
    index = min(mark.line - 1 if ends_before else mark.line, len(lines) - 1)
    while index > node.node.start_mark.line:
        line = lines[index]
        stripped = line.strip()
        if stripped and not (stripped.startswith("#") and indentation(line) <= floor):
            break
        index -= 1
    return index


def key_column(mapping: YNode) -> int:
    """The 0-based column of a block mapping's keys."""
    first = mapping.entries()[0][0]
    return int(first.node.start_mark.column)


def is_block_mapping(node: YNode) -> bool:
    return isinstance(node.node, MappingNode) and not node.node.flow_style and bool(node.entries())


def append_entry(document: Document, mapping: YNode, lines: Sequence[str]) -> TextEdit | None:
    """Add ``lines`` (a key and its value, relative indentation) as the mapping's last entry; None if flow style."""
    if not is_block_mapping(mapping):
        return None
    column = key_column(mapping)
    after = last_content_line(document, mapping, column)
    offset = _offset_after_line(document, after)
    prefix = newline(document.text) if offset == len(document.text) and not document.text.endswith("\n") else ""
    return TextEdit(offset, offset, prefix + block(lines, column, document))


def insert_before_key(
    document: Document, key: YNode, lines: Sequence[str], *, blank_after: bool = False
) -> TextEdit | None:
    """Insert ``lines`` just above the line of ``key``, at its column; None when the key shares its line (``- a:``)."""
    row, column = key.node.start_mark.line, key.node.start_mark.column
    before = document.lines[row][:column]
    if before.strip():
        return None
    offset = line_starts(document.text)[row]
    gap = newline(document.text) if blank_after else ""
    return TextEdit(offset, offset, block(lines, column, document) + gap)


def replace_scalar(document: Document, node: YNode, replacement: str) -> TextEdit | None:
    """Replace a scalar's source text (quotes included); None for a collection or a multi-line scalar."""
    if not isinstance(node.node, ScalarNode) or node.node.start_mark.line != node.node.end_mark.line:
        return None
    return TextEdit(node.node.start_mark.index, node.node.end_mark.index, replacement)


def trailing_text(document: Document, node: YNode) -> str:
    """What follows a scalar on its line (a comment, a flow collection's rest, or nothing), without the newline."""
    end = node.node.end_mark.index
    return document.text[end : line_end(document.text, end)].rstrip("\r\n")


def _offset_after_line(document: Document, index: int) -> int:
    starts = line_starts(document.text)
    return starts[index + 1] if index + 1 < len(starts) else len(document.text)
