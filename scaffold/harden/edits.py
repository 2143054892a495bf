"""Applying text edits, and the small text facts fixes need: line offsets, indentation, the file's newline."""

from __future__ import annotations

from collections.abc import Iterable

from scaffold.harden.model import TextEdit


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


def _clash(a: TextEdit, b: TextEdit) -> bool:
    if a.start == a.end and b.start == b.end:
        return False  # two insertions at one point both happen, in order
    return (a.start < b.end and b.start < a.end) or (a.start == b.start and a.end == b.end)


def newline(text: str) -> str:
    """The file's line ending: CRLF when its first line ends so, else LF."""
    first = text.find("\n")
    return "\r\n" if first > 0 and text[first - 1] == "\r" else "\n"


def line_starts(text: str) -> list[int]:
    """The offset at which each line begins (index 0 is line 1), plus one past the end."""
    starts = [0]
    starts += [index + 1 for index, char in enumerate(text) if char == "\n"]
    if starts[-1] != len(text):
        starts.append(len(text))
    return starts


def line_end(text: str, offset: int) -> int:
    """The offset just after the newline that ends the line holding ``offset`` (the text's end if none)."""
    found = text.find("\n", offset)
    return len(text) if found < 0 else found + 1


def indentation(line: str) -> int:
    return len(line) - len(line.lstrip(" "))
