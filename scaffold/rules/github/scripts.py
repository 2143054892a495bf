"""Shared reading of ``run:`` scripts and multi-line values for the rules: each line with its place in the file."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from scaffold.rules.document import Document
from scaffold.rules.github.workflow import jobs, steps
from scaffold.rules.yaml_view import YNode


@dataclass(frozen=True)
class ScriptLine:
    """One line of a scalar's text without its surrounding blanks, and where that text starts in the file."""

    line: int
    column: int
    text: str


def run_scripts(document: Document) -> Iterator[tuple[str, YNode]]:
    """(job name, ``run:`` node) for every step with a text script."""
    for name, job in jobs(document):
        for step in steps(job):
            script = step.get("run")
            if script is not None and script.text is not None:
                yield name, script


def located_lines(document: Document, node: YNode) -> list[ScriptLine]:
    """The non-blank lines of a scalar, each placed on the file line that holds it.

    A line that cannot be found verbatim (an escaped or folded quoted string) is placed at the scalar itself.
    """
    found: list[ScriptLine] = []
    cursor = node.line
    last = min(int(node.node.end_mark.line) + 1, len(document.lines))
    for piece in (node.text or "").split("\n"):
        text = piece.strip()
        if not text:
            continue
        place = ScriptLine(node.line, node.column, text)
        for number in range(cursor, last + 1):
            column = document.lines[number - 1].find(text)
            if column >= 0:
                place = ScriptLine(number, column + 1, text)
                cursor = number + 1
                break
        found.append(place)
    return found


def logical_lines(document: Document, node: YNode) -> list[ScriptLine]:
    """Like ``located_lines``, with shell continuations (a trailing backslash) joined onto the line they start."""
    joined: list[ScriptLine] = []
    pending: ScriptLine | None = None
    for item in located_lines(document, node):
        if pending is not None:
            item = ScriptLine(pending.line, pending.column, pending.text[:-1].rstrip() + " " + item.text)
        pending = item if item.text.endswith("\\") else None
        if pending is None:
            joined.append(item)
    if pending is not None:
        joined.append(pending)
    return joined


def locate(document: Document, node: YNode, fragment: str, occurrence: int = 1) -> tuple[int, int]:
    """The line and column of the n-th appearance of ``fragment`` in a scalar's source, or the scalar's own place
    when the source spells it differently (folded over two lines, escaped)."""
    count = 0
    last = min(int(node.node.end_mark.line) + 1, len(document.lines))
    for number in range(node.line, last + 1):
        text = document.lines[number - 1]
        start = node.column - 1 if number == node.line else 0
        while (column := text.find(fragment, start)) >= 0:
            count += 1
            if count == occurrence:
                return number, column + 1
            start = column + len(fragment)
    return node.line, node.column
