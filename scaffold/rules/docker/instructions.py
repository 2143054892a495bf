"""The one Dockerfile reader: instructions with the line each starts on, grouped into stages, with the words
BuildKit expands read the way BuildKit reads them.

It follows BuildKit's parser (``moby/buildkit/frontend/dockerfile/parser``) closely enough for auditing:

- lines break at ``\\n`` only (BuildKit's line model, ``scaffold.rules.lines``: a form feed or U+2028 does not start
  an instruction); a byte-order mark before the first line is dropped;
- parser directives (``syntax``, ``escape``, ``check``) are read from the top of the file until the first line that
  is not one (a blank line, another comment, an unknown directive, an instruction); only ``# escape=`` (``\\`` or
  a backtick) changes the reading;
- a line ending with the escape character (blanks after it allowed) continues on the next line; comment and blank
  lines inside a continued instruction are skipped;
- heredocs: on a ``RUN``, ``COPY`` or ``ADD`` (also after ``ONBUILD``) in shell form, every word of the form
  ``<<NAME``, ``<<-NAME`` (tabs before the terminator allowed) or ``<<"NAME"``/``<<'NAME'`` opens a body, in order,
  that ends at a line equal to NAME;
- variables (``words``): the global ARGs (before the first FROM, their defaults expanded in order) are what FROM
  sees; in a stage, an ARG is visible after its declaration (``ARG NAME`` alone takes the global default), ENV
  after its instruction (and in the stages built FROM that stage), and ENV wins over an ARG of the same name.
  ``value`` gives FROM's image, USER's user and WORKDIR's path read that way; a variable with no value in the file
  makes the value unknown (``Expansion.known`` is None), never an error.

It never raises: a file without ``FROM`` simply has no stage, and a heredoc without its terminator runs to the end.
"""

from __future__ import annotations

import bisect
import functools
import json
import re
import sys
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import NamedTuple

from scaffold.rules.docker import words as lexer
from scaffold.rules.docker.words import Expansion, Missing, Scope
from scaffold.rules.document import Document
from scaffold.rules.lines import Model, split_lines

__all__ = [
    "DIGEST",
    "Expansion",
    "Heredoc",
    "Instruction",
    "Missing",
    "Position",
    "Stage",
    "Word",
    "expand",
    "external_bases",
    "final_chain",
    "final_image",
    "final_setting",
    "final_stage_label",
    "from_subject",
    "instructions",
    "run_scripts",
    "shown",
    "split_words",
    "stages",
    "unquote",
    "value",
]

_LAST = sys.maxsize  # sorts after any line or column, for bisecting pieces by offset
DIGEST = re.compile(r"@sha256:[0-9a-f]{64}$")
# Matched against a line without its leading blanks; the value is stripped afterwards (a lazy ``(.+?)\s*`` would
# backtrack quadratically over a long run of blanks).
_DIRECTIVE = re.compile(r"#\s*([A-Za-z][A-Za-z0-9]*)\s*=(.*)")
_DIRECTIVES = frozenset({"syntax", "escape", "check"})
_COMMENT = re.compile(r"\s*#")
_HEREDOC = re.compile(r"([0-9]*)<<(-?)([^<]+)")  # one whole word, as BuildKit's reHeredoc
_HEREDOC_KEYWORDS = frozenset({"RUN", "COPY", "ADD"})
_EXPANDED = frozenset({"FROM", "USER", "WORKDIR"})  # the instructions ``value`` reads


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
    index: int = 0  # its place among the file's instructions
    escape: str = "\\"  # the file's escape character (the ``# escape=`` directive)

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
        cached: list[Word] | None = self.__dict__.get("_words")
        if cached is None:  # split once: several rules ask for the same instruction's words
            cached = split_words(self.args)
            self.__dict__["_words"] = cached
        return list(cached)

    def exec_form(self) -> list[str] | None:
        """The arguments of the JSON (exec) form, or None for the shell form."""
        return _json_array(self.args)

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


def split_words(text: str, escape: str = "") -> list[Word]:
    """Whitespace-separated words; quoted runs stay in one word, and so does a character after ``escape`` (as
    BuildKit splits ``ENV`` and ``ARG`` pairs; pass the file's escape character)."""
    return [Word(found.group(), found.start()) for found in _word_pattern(escape).finditer(text)]


@functools.cache
def _word_pattern(escape: str) -> re.Pattern[str]:
    """A word: a run of characters other than blanks and quotes, of quoted runs (an unclosed quote runs to the
    end of the text) and of ``escape`` with the character after it (also inside double quotes, not inside single
    ones). Each alternative takes one character or one quoted run, so nothing backtracks."""
    if not escape:
        return re.compile(r"""(?:"[^"]*"?|'[^']*'?|[^\s"'])+""")
    mark = re.escape(escape)
    return re.compile(rf"""(?:{mark}[\s\S]?|"(?:{mark}[\s\S]?|[^"{mark}])*"?|'[^']*'?|[^\s"'{mark}])+""")


def unquote(word: str) -> str:
    if len(word) >= 2 and word[0] == word[-1] and word[0] in "\"'":
        return word[1:-1]
    return word


def instructions(document: Document) -> tuple[Instruction, ...]:
    return _parse(document.text)


def stages(document: Document) -> tuple[Stage, ...]:
    return _stages(document.text)


def value(document: Document, instruction: Instruction) -> Expansion | None:
    """What BuildKit makes of FROM's image, USER's user or WORKDIR's path, variables expanded in the instruction's
    scope (see the module docstring); None for the other instructions and for a FROM without an image."""
    values = _values(document.text)
    return values[instruction.index] if 0 <= instruction.index < len(values) else None


def expand(text: str, variables: Mapping[str, str | None], escape: str = "\\") -> str | None:
    """``text`` read as a BuildKit word with ``variables`` (None: declared without a value), or None when a value
    is unknown: a variable without one, or a form that cannot be read."""
    table = {name: None if item is None else Expansion(item) for name, item in variables.items()}
    return lexer.expand(text, Scope(env=table), escape).known


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
    written, and its value with the global ARGs expanded (None when it is unknown: an ARG without a default)."""
    names: set[str] = set()
    for stage in stages(document):
        image = stage.image
        if image is not None:
            expansion = value(document, stage.start)
            resolved = expansion.known if expansion is not None else None
            if _base_name(image, resolved) != "scratch" and _base_name(image, resolved) not in names:
                yield stage, image, resolved
        if stage.name is not None:
            names.add(stage.name)


def _base_name(image: Word, resolved: str | None) -> str:
    """The name a FROM refers to, for matching ``scratch`` and stage names (which are case-insensitive)."""
    return (resolved if resolved is not None else image.text).lower()


def from_subject(stage: Stage) -> str:
    """What a finding about a stage's base concerns, whatever line the FROM is on: ``FROM image [AS name]``."""
    image = stage.image.text if stage.image is not None else ""
    return f"FROM {image} AS {stage.name}" if stage.name else f"FROM {image}"


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
    values = _values(text)
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
        base = values[instruction.index]
        parent = named.get(_base_name(image, base.known if base else None)) if image is not None else None
        found.append(Stage(instruction.stage, instruction, image, name, body, parent))
        if name is not None:
            named[name] = instruction.stage
    return tuple(found)


@functools.lru_cache(maxsize=32)
def _parse(text: str) -> tuple[Instruction, ...]:
    lines = split_lines(text, Model.BUILDKIT)
    if lines and lines[0].startswith("\ufeff"):  # a byte-order mark: a blank, so that columns stay right
        lines[0] = " " + lines[0][1:]
    escape, index = _directives(lines)
    continuation = re.compile(re.escape(escape) + r"[ \t]*$")
    found: list[Instruction] = []
    stage = -1
    while index < len(lines):
        line = lines[index]
        index += 1
        if not line.strip() or _COMMENT.match(line):
            continue
        joined, pieces, index = _logical_line(lines, index, continuation)
        keyword, flags, args, args_start = _split(joined)
        heredocs, index = _heredoc_bodies(lines, index, _heredoc_names(keyword, args, joined))
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
                heredocs=heredocs,
                pieces=_shift(pieces, args_start),
                index=len(found),
                escape=escape,
            )
        )
    return tuple(found)


def _directives(lines: list[str]) -> tuple[str, int]:
    """The escape character and the index of the first line after the parser directives.

    As BuildKit: directives are read until the first line that is not a known one (``syntax``, ``escape``,
    ``check``), so a blank line, a plain comment or ``# unknown=x`` ends them; an invalid escape is ignored."""
    escape = "\\"
    seen: set[str] = set()
    index = 0
    while index < len(lines):
        match = _DIRECTIVE.fullmatch(lines[index].lstrip())
        name = match.group(1).lower() if match else ""
        if name not in _DIRECTIVES or not match or not match.group(2).strip():
            break
        if name == "escape" and name not in seen and match.group(2).strip() in ("\\", "`"):
            escape = match.group(2).strip()
        seen.add(name)
        index += 1
    return escape, index


def _logical_line(
    lines: list[str], index: int, continuation: re.Pattern[str]
) -> tuple[str, list[tuple[int, int, int]], int]:
    """The instruction starting on ``lines[index - 1]`` with its continued lines joined, where each piece starts
    (offset in the joined text, 1-based line, column), and the index of the line after it."""
    line = lines[index - 1]
    first = len(line) - len(line.lstrip())
    pieces: list[tuple[int, int, int]] = [(0, index, first + 1)]
    part = line[first:]
    ended = continuation.search(part)
    if ended:
        part = part[: ended.start()]
    parts = [part]  # joined once at the end: adding to one string would copy it for every continued line
    size = len(part)
    while ended and index < len(lines):
        line = lines[index]
        index += 1
        if not line.strip() or _COMMENT.match(line):
            continue
        ended = continuation.search(line)
        pieces.append((size, index, 1))
        part = line[: ended.start()] if ended else line
        parts.append(part)
        size += len(part)
    return "".join(parts), pieces, index


def _heredoc_names(keyword: str, args: str, joined: str) -> list[tuple[str, bool]]:
    """(terminator, tabs stripped) of each heredoc the instruction opens, in order, as BuildKit finds them: words
    of the whole line that are ``[fd]<<[-]word``, on RUN, COPY or ADD (also after ONBUILD) in shell form."""
    if keyword == "ONBUILD":
        inner, _, rest = args.partition(" ")
        keyword, args = inner.upper(), rest.lstrip()
    if keyword not in _HEREDOC_KEYWORDS or "<<" not in joined or _json_array(args) is not None:
        return []
    found: list[tuple[str, bool]] = []
    for word in lexer.raw_words(joined):
        match = _HEREDOC.fullmatch(word)
        name = lexer.literal(match.group(3)) if match else None
        if match and name:
            found.append((name, match.group(2) == "-"))
    return found


def _heredoc_bodies(lines: list[str], index: int, names: list[tuple[str, bool]]) -> tuple[tuple[Heredoc, ...], int]:
    """The bodies of the heredocs that start at ``lines[index]``, one after the other, and the index after them. A
    terminator is the whole line (tabs before it dropped for ``<<-``); without one a body runs to the end."""
    heredocs: list[Heredoc] = []
    for name, strip_tabs in names:
        body: list[tuple[int, str]] = []
        while index < len(lines):
            line = lines[index]
            index += 1
            if (line.lstrip("\t") if strip_tabs else line) == name:
                break
            body.append((index, line))
        heredocs.append(Heredoc(name, tuple(body)))
    return tuple(heredocs), index


def _json_array(args: str) -> list[str] | None:
    """The JSON (exec) form of ``args``, or None for the shell form."""
    if not args.startswith("["):
        return None
    try:
        value = json.loads(args)
    except (ValueError, RecursionError):  # deep nesting is no exec form either
        return None
    if isinstance(value, list) and all(isinstance(item, str) for item in value):
        return value
    return None


@functools.lru_cache(maxsize=32)
def _values(text: str) -> tuple[Expansion | None, ...]:
    """For each instruction, its ``value`` (FROM's image, USER's user, WORKDIR's path) or None, read in one pass
    that follows BuildKit's scoping of ARG and ENV; the pass shares one work budget (``words.WORK_LIMIT``)."""
    walk = _Walk(_parse(text))
    return tuple(walk.step(instruction) for instruction in walk.parsed)


class _Walk:
    """The variables in scope as the instructions are read in order."""

    def __init__(self, parsed: tuple[Instruction, ...]) -> None:
        self.parsed = parsed
        self.budget = lexer.Budget()
        self.globals: dict[str, Expansion | None] = {}
        self.env: dict[str, Expansion | None] = {}
        self.args: dict[str, Expansion | None] = {}
        self.stage_env: dict[int, dict[str, Expansion | None]] = {}  # each stage's ENV (filled as it is read)
        self.names: dict[str, int] = {}  # stage name: the latest stage so named

    def scope(self, instruction: Instruction) -> Scope:
        if instruction.stage < 0 or instruction.keyword == "FROM":
            return Scope(globals=self.globals, in_stage=False)
        return Scope(self.env, self.args, self.globals)

    def step(self, instruction: Instruction) -> Expansion | None:
        scope = self.scope(instruction)
        if instruction.keyword == "FROM":
            return self._from(instruction, scope)
        if instruction.keyword == "ARG":
            self._arg(instruction, scope)
        elif instruction.keyword == "ENV":
            self.env.update(self._pairs(instruction, scope))
        elif instruction.keyword in _EXPANDED and instruction.stage >= 0:
            return self._expand(instruction.args, scope, instruction.escape)
        return None

    def _expand(self, text: str, scope: Scope, escape: str) -> Expansion:
        return lexer.expand(text, scope, escape, self.budget)

    def _from(self, instruction: Instruction, scope: Scope) -> Expansion | None:
        words = instruction.words()
        image = self._expand(words[0].text, scope, instruction.escape) if words else None
        parent = self.names.get(_base_name(words[0], image.known if image else None)) if words else None
        inherited = self.stage_env.get(parent, {}) if parent is not None else {}
        self.env = dict(inherited) if self.budget.spend(len(inherited)) else {}
        self.args = {}
        self.stage_env[instruction.stage] = self.env
        if len(words) >= 3 and words[1].text.lower() == "as":
            self.names[words[2].text.lower()] = instruction.stage
        return image

    def _arg(self, instruction: Instruction, scope: Scope) -> None:
        table = self.globals if instruction.stage < 0 else self.args
        for word in split_words(instruction.args, instruction.escape):
            name, sep, default = word.text.partition("=")
            if sep:
                table[name] = self._expand(default, scope, instruction.escape)
            elif instruction.stage >= 0 and name in self.globals:
                table[name] = self.globals[name]  # ARG NAME in a stage takes the global default
            else:
                table[name] = None

    def _pairs(self, instruction: Instruction, scope: Scope) -> dict[str, Expansion | None]:
        """ENV's ``NAME=value`` pairs (or the old ``ENV NAME value``), all read in the scope before it."""
        words = split_words(instruction.args, instruction.escape)
        if words and "=" not in words[0].text:
            rest = instruction.args[words[0].offset + len(words[0].text) :].strip()
            return {words[0].text: self._expand(rest, scope, instruction.escape)}
        pairs: dict[str, Expansion | None] = {}
        for word in words:
            name, sep, text = word.text.partition("=")
            if sep and name:
                pairs[name] = self._expand(text, scope, instruction.escape)
        return pairs


def _split(joined: str) -> tuple[str, tuple[str, ...], str, int]:
    """Keyword (upper case), leading ``--flags``, the rest, and where the rest starts in ``joined``."""
    words = _word_pattern("").finditer(joined)  # read only as far as the first word after the flags
    first = next(words, None)
    if first is None:
        return "", (), "", len(joined)
    flags: list[str] = []
    start = len(joined)
    for word in words:
        if not word.group().startswith("--"):
            start = word.start()
            break
        flags.append(word.group())
    return first.group().upper(), tuple(flags), joined[start:].rstrip(), start


def _shift(pieces: list[tuple[int, int, int]], start: int) -> tuple[tuple[int, int, int], ...]:
    """Piece offsets made relative to ``start`` (where args begin); a piece cut by it starts later."""
    shifted: list[tuple[int, int, int]] = []
    for offset, line, column in pieces:
        if offset > start:
            shifted.append((offset - start, line, column))
        else:
            shifted = [(0, line, column + start - offset)]
    return tuple(shifted)
