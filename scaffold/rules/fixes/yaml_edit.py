"""Edits to YAML text located by parsed node positions: add a key to a block mapping, replace a scalar.

Nothing is re-dumped. New lines copy the indentation of their neighbours and the file's line ending, so the rest
of the file (comments, quoting, blank lines, key order) is left exactly as it was.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from yaml.nodes import MappingNode, ScalarNode, SequenceNode

from scaffold.rules.document import Document
from scaffold.rules.fixes.edits import content_end, ends_with_break, indentation, line_end, line_starts, newline
from scaffold.rules.fixes.model import TextEdit
from scaffold.rules.yaml_view import YNode


def indent_unit(document: Document) -> int:
    """How far the file indents a nested block mapping: the column of the job names under ``jobs:`` (else 2)."""
    cached = document.__dict__.get("_scaffold_indent_unit")
    if cached is None:
        cached = document.__dict__["_scaffold_indent_unit"] = _indent_unit(document)
    return int(cached)


def _indent_unit(document: Document) -> int:
    root = document.yaml
    section = root.get("jobs") if root is not None else None
    if section is not None and is_block_mapping(section):
        return key_column(section) or 2
    return 2


def block(lines: Sequence[str], indent: int, document: Document) -> str:
    """Lines of YAML written with two-space steps, placed at ``indent`` and re-indented to the file's own step,
    each ended with the file's newline."""
    end = newline(document.text)
    unit = indent_unit(document)
    out = []
    for line in lines:
        depth = (len(line) - len(line.lstrip(" "))) // 2
        out.append(" " * (indent + depth * unit) + line.lstrip(" ") + end)
    return "".join(out)


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
    if _keeps_trailing_lines(document, node):
        return index  # a ``|+`` or ``>+`` scalar ends the node: its trailing blank lines are part of its value
    while index > node.node.start_mark.line:
        line = lines[index]
        stripped = line.strip()
        if stripped and not (stripped.startswith("#") and indentation(line) <= floor):
            break
        index -= 1
    return index


def _keeps_trailing_lines(document: Document, node: YNode) -> bool:
    """Whether the node's last value is a block scalar with keep chomping (``|+``, ``>+``)."""
    last = node.node
    while isinstance(last, MappingNode | SequenceNode) and last.value:
        last = last.value[-1][1] if isinstance(last, MappingNode) else last.value[-1]
    if not isinstance(last, ScalarNode) or last.style not in ("|", ">"):
        return False
    header = document.text[last.start_mark.index : line_end(document.text, last.start_mark.index)]
    return "+" in header.split("#", 1)[0]


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
    prefix = newline(document.text) if offset == len(document.text) and not ends_with_break(document.text) else ""
    return TextEdit(offset, offset, prefix + block(lines, column, document))


def insert_before_key(document: Document, key: YNode, lines: Sequence[str]) -> TextEdit | None:
    """Insert ``lines`` above ``key`` at its column, and above the blank lines and comments that lead up to it, so
    that they stay with the key; None when the key shares its line (``- a:``). A top-level key set off by a blank
    line is inserted with a blank line before it."""
    row, column = key.node.start_mark.line, key.node.start_mark.column
    if document.lines[row][:column].strip():
        return None
    start = _lead_in(document, row, column)
    offset = line_starts(document.text)[start]
    # A top-level section set off by a blank line gets one too, so the file keeps its rhythm.
    spaced = column == 0 and start < row and not document.lines[start].strip()
    return TextEdit(offset, offset, (newline(document.text) if spaced else "") + block(lines, column, document))


_KEEP_HEADER = re.compile(r"[|>][1-9]?\+[1-9]?\s*(?:#.*)?$")


def _lead_in(document: Document, row: int, column: int) -> int:
    """The first row of the blank lines and comments (at the key's column or left of it) just above ``row``.

    Blank lines that end a ``|+`` or ``>+`` scalar belong to its value, so the search stops there.
    """
    lines = document.lines
    start = row
    while start > 0 and (not lines[start - 1].strip() or lines[start - 1].lstrip().startswith("#")):
        if lines[start - 1].strip() and indentation(lines[start - 1]) > column:
            break
        start -= 1
    if start == row or start == 0:
        return start
    owner = start - 1
    while owner > 0 and indentation(lines[owner]) > column:
        owner -= 1
    return row if _KEEP_HEADER.search(lines[owner].strip()) else start


def replace_scalar(document: Document, node: YNode, replacement: str) -> TextEdit | None:
    """Replace a scalar's source text (quotes included); None for a collection or a multi-line scalar."""
    if not isinstance(node.node, ScalarNode) or node.node.start_mark.line != node.node.end_mark.line:
        return None
    return TextEdit(node.node.start_mark.index, node.node.end_mark.index, replacement)


def trailing_text(document: Document, node: YNode) -> str:
    """What follows a scalar on its line (a comment, a flow collection's rest, or nothing), without the newline."""
    end = node.node.end_mark.index
    return document.text[end : content_end(document.text, end)]


def _offset_after_line(document: Document, index: int) -> int:
    starts = line_starts(document.text)
    return starts[index + 1] if index + 1 < len(starts) else len(document.text)
