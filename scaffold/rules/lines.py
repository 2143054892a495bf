"""One line model per kind of file: where lines break the way the file's real consumer breaks them.

``str.splitlines()`` breaks on form feed, vertical tab, U+001C..U+001E, NEL, U+2028, U+2029 and a lone CR; the tools
that read CI files do not agree with it, nor with each other. A finding, a suppression comment and
``Document.lines`` must all count lines the same way the consumer does, or a hidden line fools a rule:

- **YAML** (PyYAML, whose marks give every finding's line): ``\\r\\n``, ``\\r``, ``\\n``, NEL, U+2028 and U+2029.
- **BuildKit** (Dockerfile, ``.dockerignore``): ``\\n`` only; one ``\\r`` before it (or at the end of the file) is
  dropped from the line.
- **Groovy** (Jenkinsfile): ``\\r\\n``, ``\\r`` and ``\\n``.
- **Shell** (the scripts inside those files, run by ``sh``/``bash``): ``\\n`` only; a CR is an ordinary character.

A line's text never includes its terminator. Lines and columns are 1-based; offsets index the text (code points).
"""

from __future__ import annotations

import bisect
import enum
import functools
import itertools
import operator
import re
from dataclasses import dataclass, field

from scaffold.rules.model import Kind


class Model(enum.Enum):
    """How a consumer breaks text into lines."""

    YAML = "yaml"
    BUILDKIT = "buildkit"
    GROOVY = "groovy"
    SHELL = "shell"


_MODEL_OF = {
    Kind.WORKFLOW: Model.YAML,
    Kind.ACTION: Model.YAML,
    Kind.DEPENDABOT: Model.YAML,
    Kind.GITLAB_CI: Model.YAML,
    Kind.PRE_COMMIT: Model.YAML,
    Kind.DOCKERFILE: Model.BUILDKIT,
    Kind.DOCKERIGNORE: Model.BUILDKIT,
    Kind.JENKINSFILE: Model.GROOVY,
}

_BREAK = {
    Model.YAML: re.compile("(\r\n|[\r\n\x85\u2028\u2029])"),
    Model.GROOVY: re.compile("(\r\n|[\r\n])"),
}
# The breaks other than a LF of each model split by ``_BREAK``: a text without any splits on LF alone.
_OTHER_BREAKS = {Model.YAML: ("\r", "\x85", "\u2028", "\u2029"), Model.GROOVY: ("\r",)}


def model_for(kind: Kind | Model) -> Model:
    """The line model of a kind of file (a ``Model`` is returned as is)."""
    return kind if isinstance(kind, Model) else _MODEL_OF[kind]


def _split(text: str, model: Model) -> tuple[list[str], list[str]]:
    """(line contents, line terminators), in linear time with C-speed splitting; no empty line after a final
    terminator."""
    if model in (Model.BUILDKIT, Model.SHELL) or not any(mark in text for mark in _OTHER_BREAKS[model]):
        lines = text.split("\n")
        ends = ["\n"] * (len(lines) - 1) + [""]
        if model is Model.BUILDKIT:  # BuildKit's scanner drops one CR before the LF, and at the end of the file
            for index, line in enumerate(lines):
                if line.endswith("\r"):
                    lines[index] = line[:-1]
                    ends[index] = "\r" + ends[index]
    else:
        parts = _BREAK[model].split(text)
        lines, ends = parts[0::2], [*parts[1::2], ""]
    if len(lines) > 1 and lines[-1] == "" and ends[-1] == "":
        lines.pop()
        ends.pop()
    elif lines == [""] and ends == [""]:
        return [], []
    return lines, ends


@dataclass(frozen=True)
class Span:
    """One line: ``text[start:end]`` is its content, ``text[end:stop]`` its terminator (empty on a last line)."""

    start: int
    end: int
    stop: int


def spans(text: str, kind: Kind | Model) -> list[Span]:
    """Every line of ``text`` as offsets; a terminator at the very end does not open an empty last line."""
    found: list[Span] = []
    start = 0
    for line, end in zip(*_split(text, model_for(kind)), strict=True):
        found.append(Span(start, start + len(line), start + len(line) + len(end)))
        start += len(line) + len(end)
    return found


def split_lines(text: str, kind: Kind | Model) -> list[str]:
    """The lines of ``text`` as the kind's consumer sees them, terminators removed."""
    return _split(text, model_for(kind))[0]


def split_lines_keepends(text: str, kind: Kind | Model) -> list[str]:
    """The lines with their terminators: joined, they give back ``text`` exactly."""
    lines, ends = _split(text, model_for(kind))
    return [line + end for line, end in zip(lines, ends, strict=True)]


@dataclass(frozen=True)
class LineMap:
    """Lines of one text in one model, and mapping between offsets and 1-based (line, column) positions."""

    text: str
    kind: Kind | Model
    lines: list[str] = field(init=False, repr=False, compare=False)
    terminators: list[str] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        lines, ends = _split(self.text, model_for(self.kind))
        object.__setattr__(self, "lines", lines)
        object.__setattr__(self, "terminators", ends)

    @functools.cached_property
    def starts(self) -> list[int]:
        """The offset where each line starts."""
        lengths = map(operator.add, map(len, self.lines), map(len, self.terminators))
        found = list(itertools.accumulate(lengths, initial=0))
        found.pop()
        return found

    def __len__(self) -> int:
        return len(self.lines)

    def line(self, number: int) -> str:
        """The text of 1-based line ``number`` (``""`` past the end)."""
        return self.lines[number - 1] if 1 <= number <= len(self.lines) else ""

    def terminator(self, number: int) -> str:
        """What ends 1-based line ``number`` (``""`` for a last line without one, or past the end)."""
        return self.terminators[number - 1] if 1 <= number <= len(self.lines) else ""

    def offset(self, line: int, column: int = 1) -> int:
        """The offset of a 1-based (line, column); a line past the end maps to the end of the text."""
        if line < 1:
            return 0
        if line > len(self.lines):
            return len(self.text)
        return min(self.starts[line - 1] + max(column, 1) - 1, len(self.text))

    def position(self, offset: int) -> tuple[int, int]:
        """The 1-based (line, column) of ``offset``; a terminator belongs to the line it ends."""
        if not self.lines:
            return 1, 1
        offset = max(0, min(offset, len(self.text)))
        index = max(bisect.bisect_right(self.starts, offset) - 1, 0)
        return index + 1, offset - self.starts[index] + 1
