"""Shared reading of ``run:`` scripts and multi-line values for the rules: each line with its place in the file."""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator
from typing import NamedTuple

from scaffold.rules.document import Document
from scaffold.rules.github.memo import per_document
from scaffold.rules.github.workflow import jobs, steps
from scaffold.rules.yaml_view import YNode


class ScriptLine(NamedTuple):
    """One line of a scalar's text without its surrounding blanks, and where that text starts in the file."""

    line: int
    column: int
    text: str


def run_scripts(document: Document) -> Iterator[tuple[str, YNode]]:
    """(job name, ``run:`` node) for every step with a text script."""
    return iter(per_document(document, "run_scripts", lambda: _run_scripts(document)))


def _run_scripts(document: Document) -> tuple[tuple[str, YNode], ...]:
    found: list[tuple[str, YNode]] = []
    for name, job in jobs(document):
        for step in steps(job):
            script = step.get("run")
            if script is not None and script.text is not None:
                found.append((name, script))
    return tuple(found)


def located_lines(document: Document, node: YNode) -> tuple[ScriptLine, ...]:
    """The non-blank lines of a scalar, each placed on the file line that holds it.

    A line that cannot be found verbatim (an escaped or folded quoted string) is placed at the scalar itself.
    """
    return per_document(document, ("located_lines", node.node), lambda: _located_lines(document, node))


def _located_lines(document: Document, node: YNode) -> tuple[ScriptLine, ...]:
    found: list[ScriptLine] = []
    lines = document.lines
    cursor = node.line
    last = min(int(node.node.end_mark.line) + 1, len(lines))
    for piece in (node.text or "").split("\n"):
        text = piece.strip()
        if not text:
            continue
        for number in range(cursor, last + 1):
            column = lines[number - 1].find(text)
            if column >= 0:
                found.append(ScriptLine(number, column + 1, text))
                cursor = number + 1
                break
        else:
            found.append(ScriptLine(node.line, node.column, text))
    return tuple(found)


def logical_lines(document: Document, node: YNode) -> tuple[ScriptLine, ...]:
    """Like ``located_lines``, with shell continuations (a trailing backslash) joined onto the line they start."""
    return per_document(document, ("logical_lines", node.node), lambda: _logical_lines(document, node))


def _logical_lines(document: Document, node: YNode) -> tuple[ScriptLine, ...]:
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
    return tuple(joined)


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


# A word as ``shlex.split`` reads it (POSIX mode, no comments): runs of plain characters, '...' (no escapes inside),
# "..." (a backslash escapes the next character) and a backslash with the character after it, up to a blank (only
# space, tab, CR and LF are blanks).
_WORD = re.compile(r"""(?:[^ \t\r\n'"\\]+|'[^']*'|"(?:[^"\\]|\\.)*"|\\.)+""", re.DOTALL)
_QUOTED = re.compile(r"""'([^']*)'|"((?:[^"\\]|\\.)*)"|\\(.)""", re.DOTALL)
_ESCAPED_IN_DOUBLE = re.compile(r'\\([\\"])')  # inside "...", a backslash escapes only itself and the quote
_BLANK = " \t\r\n"


def shell_words(command: str) -> tuple[str, ...]:
    """The words of a command line exactly as ``shlex.split`` gives them, in one pass (and cached: several rules
    split the same lines). Raises ``ValueError`` where ``shlex.split`` does: an unclosed quote, a trailing
    backslash."""
    words = _cached_split(command) if len(command) <= _CACHED_LENGTH else _split(command)
    if words is None:
        raise ValueError(f"cannot split a shell command: a quote or a backslash is left open in {command[:40]!r}")
    return words


def _split(command: str) -> tuple[str, ...] | None:
    """The words, or None where ``shlex.split`` raises. ``_WORD`` stops at a blank, at the end, or at a quote it
    cannot close or a backslash with nothing after it: only blanks may lie between two words."""
    words: list[str] = []
    position = 0
    for found in _WORD.finditer(command):
        if command[position : found.start()].strip(_BLANK):
            return None
        word = found.group(0)
        words.append(_QUOTED.sub(_unquoted, word) if "'" in word or '"' in word or "\\" in word else word)
        position = found.end()
    return None if command[position:].strip(_BLANK) else tuple(words)


_CACHED_LENGTH = 1000  # longer commands are split again when asked again: the cache stays small
_cached_split = functools.lru_cache(maxsize=4096)(_split)


def _unquoted(part: re.Match[str]) -> str:
    single, double, escaped = part.groups()
    if single is not None:
        return str(single)
    if double is not None:
        return _ESCAPED_IN_DOUBLE.sub(r"\1", double) if "\\" in double else str(double)
    return str(escaped)
