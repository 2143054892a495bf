"""Applying text edits, and the small text facts fixes need: line offsets, indentation, the file's newline."""

from __future__ import annotations

import bisect
import functools
import re
from collections.abc import Iterable

from scaffold.rules.fixes.model import TextEdit
from scaffold.rules.lines import Model, model_for, spans
from scaffold.rules.model import Kind


class OverlappingEditsError(ValueError):
    """Two edits of one fix touch the same text."""


def apply(text: str, edits: Iterable[TextEdit]) -> str:
    """The text with every edit made; offsets refer to the original text. Raises OverlappingEditsError.

    Insertions at the same offset keep the order they were given in.
    """
    ordered = sorted(edits, key=lambda edit: (edit.start, edit.end))
    pieces: list[str] = []
    position = 0
    for edit in ordered:
        if edit.start < position:
            raise OverlappingEditsError(f"edits overlap at offset {edit.start}")
        pieces += [text[position : edit.start], edit.replacement]
        position = edit.end
    pieces.append(text[position:])
    return "".join(pieces)


def overlaps(first: Iterable[TextEdit], second: Iterable[TextEdit]) -> bool:
    """Whether an edit of one group replaces text that an edit of the other group replaces or inserts into."""
    return any(_clash(a, b) for a in first for b in second)


class EditSet:
    """Edits already accepted, kept sorted, so that checking a new fix against them costs a logarithm."""

    def __init__(self) -> None:
        self._edits: list[TextEdit] = []
        self._widest = 0

    def clashes(self, edits: Iterable[TextEdit]) -> bool:
        for edit in edits:
            low = bisect.bisect_left(self._edits, TextEdit(edit.start - self._widest, -1, ""))
            for other in self._edits[low:]:
                if other.start > edit.end:
                    break
                if _clash(edit, other):
                    return True
        return False

    def add(self, edits: Iterable[TextEdit]) -> None:
        for edit in edits:
            bisect.insort(self._edits, edit)
            self._widest = max(self._widest, edit.end - edit.start)


def _clash(a: TextEdit, b: TextEdit) -> bool:
    if a.start == a.end and b.start == b.end:
        return False  # two insertions at one point both happen, in order
    return (a.start < b.end and b.start < a.end) or (a.start == b.start and a.end == b.end)


def newline(text: str, kind: Kind | Model = Model.YAML) -> str:
    """The line ending new lines get: the one that ends the file's first line in its kind's line model (CRLF, a
    lone CR where the model breaks on one, else LF)."""
    model = model_for(kind)
    found = _BREAKS[model].search(text)
    if found is None:
        return "\n"
    if found.group(0) in ("\r\n", "\r"):
        return found.group(0)
    if model is Model.BUILDKIT and text[found.start() - 1 : found.start()] == "\r":
        return "\r\n"
    return "\n"


def line_starts(text: str, kind: Kind | Model = Model.YAML) -> list[int]:
    """The offset at which each line begins in the kind's line model (index 0 is line 1), plus one past the end."""
    return list(_line_starts(text, model_for(kind)))


@functools.lru_cache(maxsize=4)
def _line_starts(text: str, model: Model) -> tuple[int, ...]:
    starts = [span.start for span in spans(text, model)] or [0]
    if starts[-1] != len(text):
        starts.append(len(text))
    return tuple(starts)


def line_end(text: str, offset: int, kind: Kind | Model = Model.YAML) -> int:
    """The offset just after the line break that ends the line holding ``offset`` (the text's end if none)."""
    found = _BREAKS[model_for(kind)].search(text, offset)
    return len(text) if found is None else found.end()


def content_end(text: str, offset: int, kind: Kind | Model = Model.YAML) -> int:
    """The offset of the line break that ends the line holding ``offset`` (the text's end if none)."""
    found = _BREAKS[model_for(kind)].search(text, offset)
    return len(text) if found is None else found.start()


def ends_with_break(text: str, kind: Kind | Model = Model.YAML) -> bool:
    found = spans(text, kind)
    return not found or found[-1].end != found[-1].stop


_BREAKS = {
    Model.YAML: re.compile("\r\n|[\r\n\x85\u2028\u2029]"),
    Model.BUILDKIT: re.compile("\n"),
    Model.GROOVY: re.compile("\r\n|[\r\n]"),
    Model.SHELL: re.compile("\n"),
}


def indentation(line: str) -> int:
    return len(line) - len(line.lstrip(" "))
