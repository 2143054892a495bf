"""Shared reading of Dockerfiles for the rules: instructions with the line each starts on, grouped into stages.

The parser follows BuildKit's rules closely enough for auditing: lines break at ``\\n`` only (BuildKit's line
model, ``scaffold.audit.lines``, so a form feed or U+2028 does not start an instruction), parser directives at the
top of the file (only ``# escape=`` changes parsing), lines continued with the escape character (comment and blank
lines inside a continued instruction are skipped), and heredoc bodies (``RUN <<EOF`` ... ``EOF``) after ``RUN``,
``COPY`` and ``ADD``. It never raises: a file without ``FROM`` simply has no stage.
"""

from __future__ import annotations

import bisect
import functools
import json
import re
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import NamedTuple

from scaffold.audit.document import Document
from scaffold.audit.lines import Model, split_lines

_LAST = sys.maxsize  # sorts after any line or column, for bisecting pieces by offset
DIGEST = re.compile(r"@sha256:[0-9a-f]{64}$")
_DIRECTIVE = re.compile(r"#[ \t]*([A-Za-z][A-Za-z0-9]*)[ \t]*=(.*)")
_COMMENT = re.compile(r"\s*#")
_HEREDOC = re.compile(r"(?:^|\s)<<(-?)([\"']?)([A-Za-z_][A-Za-z0-9_.-]*)\2")
_HEREDOC_KEYWORDS = ("RUN", "COPY", "ADD")
_VARIABLE = re.compile(r"\$(?:\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-+])([^}]*))?\}|([A-Za-z_][A-Za-z0-9_]*))")


class Word(NamedTuple):
    text: str  # as written, quotes included
    offset: int  # where it starts in the instruction's ``args`` (or ``flags`` line)


class Position(NamedTuple):
    line: int
    column: int


@dataclass(frozen=True)
class Heredoc:
    name: str
    body: tuple[tuple[int, str], ...]  # (1-based line, text) of each body line, terminator excluded


@dataclass(frozen=True)
class Instruction:
    keyword: str  # upper case
    flags: tuple[str, ...]  # the leading ``--name=value`` options, as written
    args: str  # what follows the keyword and its flags, continued lines joined
    stage: int  # index of the FROM that opened the stage; -1 before the first FROM
    line: int
    column: int
    heredocs: tuple[Heredoc, ...] = ()
    # (offset in args, line, column) where each physical piece of args starts, in order
    pieces: tuple[tuple[int, int, int], ...] = field(default=(), repr=False)

    def position(self, offset: int) -> Position:
        """The 1-based line and column of ``args[offset]``."""
        index = bisect.bisect_right(self.pieces, (offset, _LAST, _LAST)) - 1
        if index < 0:
            return Position(self.line, self.column + offset)
        start, line, column = self.pieces[index]
        return Position(line, column + offset - start)

    def flag(self, name: str) -> str | None:
        """The value of ``--name=value`` (``""`` for a bare ``--name``), or None when the flag is absent."""
        for item in self.flags:
            key, sep, value = item[2:].partition("=")
            if key.lower() == name:
                return value if sep else ""
        return None

    def words(self) -> list[Word]:
        return split_words(self.args)

    def exec_form(self) -> list[str] | None:
        """The arguments of the JSON (exec) form, or None for the shell form."""
        if not self.args.startswith("["):
            return None
        try:
            value = json.loads(self.args)
        except (ValueError, RecursionError):  # deep nesting is no exec form either
            return None
        if isinstance(value, list) and all(isinstance(item, str) for item in value):
            return value
        return None

    def scripts(self) -> Iterator[tuple[str, Callable[[int], Position]]]:
        """The instruction's text and each heredoc body line, with a way to place an offset in it."""
        yield self.args, self.position
        for heredoc in self.heredocs:
            for number, text in heredoc.body:
                yield text, functools.partial(_body_position, number)


@dataclass(frozen=True)
class Stage:
    index: int
    start: Instruction  # the FROM
    image: Word | None  # the base reference, as written
    name: str | None  # the ``AS`` name, lower case
    body: tuple[Instruction, ...]  # the instructions after FROM
    parent: int | None = None  # the index of the latest earlier stage its FROM names, if any


def _body_position(line: int, offset: int) -> Position:
    return Position(line, offset + 1)


def split_words(text: str) -> list[Word]:
    """Whitespace-separated words; quoted runs stay in one word."""
    words: list[Word] = []
    start: int | None = None
    quote = ""
    for index, char in enumerate(text):
        if quote:
            if char == quote:
                quote = ""
            continue
        if char.isspace():
            if start is not None:
                words.append(Word(text[start:index], start))
                start = None
            continue
        if start is None:
            start = index
        if char in "\"'":
            quote = char
    if start is not None:
        words.append(Word(text[start:], start))
    return words


def unquote(word: str) -> str:
    if len(word) >= 2 and word[0] == word[-1] and word[0] in "\"'":
        return word[1:-1]
    return word


def instructions(document: Document) -> tuple[Instruction, ...]:
    return _parse(document.text)


def stages(document: Document) -> tuple[Stage, ...]:
    return _stages(document.text)


def global_args(document: Document) -> dict[str, str | None]:
    """The ARGs declared before the first FROM (the only ones a FROM line can use), with their defaults."""
    found: dict[str, str | None] = {}
    for instruction in instructions(document):
        if instruction.stage >= 0:
            break
        if instruction.keyword == "ARG":
            for word in instruction.words():
                name, sep, value = word.text.partition("=")
                found[name] = unquote(value) if sep else None
    return found


def expand(text: str, variables: dict[str, str | None]) -> str | None:
    """``text`` with ``$NAME``, ``${NAME}`` and ``${NAME:-default}`` replaced, or None if a value is unknown."""
    unknown = False

    def replace(match: re.Match[str]) -> str:
        nonlocal unknown
        name = match.group(1) or match.group(4)
        value = variables.get(name)
        operator, word = match.group(2), match.group(3) or ""
        if operator in (":-", "-") and (value is None or (operator == ":-" and value == "")):
            return word
        if operator in (":+", "+"):
            return word if value else ""
        if value is None:
            unknown = True
            return ""
        return value

    result = _VARIABLE.sub(replace, text)
    return None if unknown else result


def final_chain(all_stages: tuple[Stage, ...]) -> list[Stage]:
    """The final stage, then the earlier stage it is built FROM, and so on: what the built image inherits."""
    if not all_stages:
        return []
    chain = [all_stages[-1]]
    seen = {all_stages[-1].index}
    while (parent := chain[-1].parent) is not None and parent not in seen and parent < len(all_stages):
        chain.append(all_stages[parent])
        seen.add(parent)
    return chain


def external_bases(document: Document) -> Iterator[tuple[Stage, Word, str | None]]:
    """Each stage's base that is an image (not ``scratch``, not an earlier stage): the stage, the reference as
    written, and its value with the global ARGs expanded (None when an ARG has no default)."""
    variables = global_args(document)
    names: set[str] = set()
    for stage in stages(document):
        image = stage.image
        if image is not None:
            resolved = expand(image.text, variables)
            reference = (resolved if resolved is not None else image.text).lower()
            if reference != "scratch" and reference not in names:
                yield stage, image, resolved
        if stage.name is not None:
            names.add(stage.name)


def shown(image: Word, resolved: str | None) -> str:
    """A base reference as written, with its expanded value when that differs."""
    return image.text if resolved in (None, image.text) else f"{image.text} ({resolved})"


def final_setting(document: Document, keyword: str) -> tuple[list[Stage], Stage | None, Instruction | None]:
    """The final stage's chain, and the last ``keyword`` instruction the built image inherits with its stage."""
    chain = final_chain(stages(document))
    for stage in chain:
        found = [item for item in stage.body if item.keyword == keyword]
        if found:
            return chain, stage, found[-1]
    return chain, None, None


def final_stage_label(chain: list[Stage], stage: Stage) -> str:
    """How a message names where a setting comes from: the final stage, or the stage it is built from."""
    if stage is chain[0]:
        return "the final stage"
    return f"the final stage, built from stage {stage.name if stage.name else stage.index},"


def final_image(chain: list[Stage]) -> str:
    """The final stage's base, without a digest, for messages."""
    return chain[0].image.text.partition("@")[0] if chain[0].image is not None else ""


def run_scripts(document: Document) -> Iterator[tuple[str, Callable[[int], Position]]]:
    """The shell text of every RUN (command and heredoc bodies) that is not a comment, with its position mapper."""
    for instruction in instructions(document):
        if instruction.keyword == "RUN":
            for text, place in instruction.scripts():
                if not text.lstrip().startswith("#"):
                    yield text, place


@functools.lru_cache(maxsize=32)
def _stages(text: str) -> tuple[Stage, ...]:
    parsed = _parse(text)
    bodies: dict[int, list[Instruction]] = {}
    for item in parsed:
        if item.keyword != "FROM":
            bodies.setdefault(item.stage, []).append(item)
    found: list[Stage] = []
    named: dict[str, int] = {}  # stage name: the index of the latest stage so named
    for instruction in parsed:
        if instruction.keyword != "FROM":
            continue
        words = instruction.words()
        image = words[0] if words else None
        name = words[2].text.lower() if len(words) >= 3 and words[1].text.lower() == "as" else None
        body = tuple(bodies.get(instruction.stage, ()))
        parent = named.get(image.text.lower()) if image is not None else None
        found.append(Stage(instruction.stage, instruction, image, name, body, parent))
        if name is not None:
            named[name] = instruction.stage
    return tuple(found)


@functools.lru_cache(maxsize=32)
def _parse(text: str) -> tuple[Instruction, ...]:
    lines = split_lines(text, Model.BUILDKIT)
    escape = "\\"
    index = 0
    while index < len(lines):  # parser directives: only at the very top, one per comment line
        match = _DIRECTIVE.fullmatch(lines[index])
        if match is None:
            break
        if match.group(1).lower() == "escape" and match.group(2).strip() in ("\\", "`"):
            escape = match.group(2).strip()
        index += 1
    continuation = re.compile(re.escape(escape) + r"[ \t]*$")
    found: list[Instruction] = []
    stage = -1
    while index < len(lines):
        line = lines[index]
        index += 1
        if not line.strip() or _COMMENT.match(line):
            continue
        first = len(line) - len(line.lstrip())
        pieces: list[tuple[int, int, int]] = [(0, index, first + 1)]  # (offset in joined, line, column)
        joined = line[first:]
        ended = continuation.search(joined)
        if ended:
            joined = joined[: ended.start()]
        while ended and index < len(lines):
            line = lines[index]
            index += 1
            if not line.strip() or _COMMENT.match(line):
                continue
            ended = continuation.search(line)
            pieces.append((len(joined), index, 1))
            joined += line[: ended.start()] if ended else line
        keyword, flags, args, args_start = _split(joined)
        args_pieces = _shift(pieces, args_start)
        heredocs: list[Heredoc] = []
        if keyword in _HEREDOC_KEYWORDS and not args.startswith("["):
            for match in _HEREDOC.finditer(args):
                strip_tabs, name = match.group(1) == "-", match.group(3)
                body: list[tuple[int, str]] = []
                while index < len(lines):
                    line = lines[index]
                    index += 1
                    candidate = line.rstrip()
                    if (candidate.lstrip("\t") if strip_tabs else candidate) == name:
                        break
                    body.append((index, line))
                heredocs.append(Heredoc(name, tuple(body)))
        if keyword == "FROM":
            stage += 1
        found.append(
            Instruction(
                keyword=keyword,
                flags=flags,
                args=args,
                stage=stage,
                line=pieces[0][1],
                column=pieces[0][2],
                heredocs=tuple(heredocs),
                pieces=args_pieces,
            )
        )
    return tuple(found)


def _split(joined: str) -> tuple[str, tuple[str, ...], str, int]:
    """Keyword (upper case), leading ``--flags``, the rest, and where the rest starts in ``joined``."""
    words = split_words(joined)
    if not words:
        return "", (), "", len(joined)
    keyword = words[0].text.upper()
    flags: list[str] = []
    rest = words[1:]
    while rest and rest[0].text.startswith("--"):
        flags.append(rest.pop(0).text)
    start = rest[0].offset if rest else len(joined)
    return keyword, tuple(flags), joined[start:].rstrip(), start


def _shift(pieces: list[tuple[int, int, int]], start: int) -> tuple[tuple[int, int, int], ...]:
    """Piece offsets made relative to ``start`` (where args begin); a piece cut by it starts later."""
    shifted: list[tuple[int, int, int]] = []
    for offset, line, column in pieces:
        if offset > start:
            shifted.append((offset - start, line, column))
        else:
            shifted = [(0, line, column + start - offset)]
    return tuple(shifted)
