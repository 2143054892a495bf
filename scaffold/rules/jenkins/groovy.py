"""The one reading of Jenkinsfiles (declarative or scripted Groovy): tolerant, linear, without recursion.

Rules must read scripted pipelines as well as declarative ones and never fail on any text, so this module does
only what they need, on any text:

* ``code``: the text with ``//``, ``/* */`` and ``#!`` comments blanked and the inside of every string literal
  replaced by spaces (newlines kept), so that offsets, lines and columns stay those of the file and a regular
  expression over it never matches inside a string or a comment;
* ``literals``: the string literals (``'``, ``"``, ``'''``, ``\"\"\"``) with their raw text; ``${...}`` inside a
  double-quoted string may hold braces and strings of its own;
* ``blocks``: every ``{ ... }`` with the statement before it (``stage('Build') {``, ``withCredentials([...]) {``,
  a closure passed to a call), nested as in the file;
* ``statements(block)``: the statements of a block (or of the top level), in order. A statement ends at a newline
  outside brackets, at ``;``, at ``{`` (it is then the head of that block: ``Statement.block``) or at ``}``; a
  ``{`` alone on its line opens the statement before it. ``walk``, ``find``, ``statement_at`` and ``spelled``
  (the statement's text with its strings) read that tree: ``stage('Build')``, ``steps``, ``sh '...'``, ``when``,
  ``options``, ``post { always }``, ``environment``, ``agent { docker { image '...' } }``, ``input``,
  ``withCredentials``. ``scaffold.rules.jenkins.pipeline`` builds the declarative views on it;
* ``problems``: what Groovy would refuse (an unterminated string or comment, a ``{`` never closed, a ``}`` or
  ``)`` without its opener, ...), each with its offset, for the checks that want a well-formed file; the other
  views are read as well as they can be.

Lines break where Groovy breaks them (``\\r\\n``, ``\\r`` or ``\\n``; ``scaffold.rules.lines``): a lone ``\\r`` ends a
``//`` comment or a one-line string as a newline does, and the scan reads it as one (``text`` holds it as ``\\n``,
so offsets are unchanged). A form feed or U+2028 is not a line break.

An unterminated string ends at its line's end (or, for triple quotes, at the end of the text); an unterminated
comment or block runs to the end of the text; a ``}`` without a ``{`` is ignored. Slashy strings (``/.../``) are
read as strings when a ``/`` follows an operator, an opening bracket or a separator and the string closes on
the same line (``$/.../$`` anywhere); otherwise a ``/`` is code. Blocks nested deeper than ``MAX_NESTING`` are
refused with ``GroovyNestingError`` (the audit reports such a file as a file error): no Jenkinsfile nests that deep.
"""

from __future__ import annotations

import bisect
import functools
import heapq
import re
from collections.abc import Iterator
from dataclasses import dataclass, field

from scaffold.rules.lines import LineMap, Model

_IDENTIFIER = re.compile(r"[A-Za-z_$][\w$]*")
_STARTERS = re.compile(r"[/'\"$]")  # what a comment or a string literal starts with
_NOT_NEWLINE = re.compile(r"[^\n]")
_STRUCTURAL = re.compile(r"[()\[\]{};\n]")
_IN_STRING = {"'": re.compile(r"['\\\n]"), '"': re.compile(r'["\\\n$]')}  # what may end or nest in a string
_IN_INTERPOLATION = re.compile(r"[\n'\"{}]")
_IN_SLASHY = re.compile(r"[\\/\n]")
_LONE_CR = re.compile("\r(?!\n)")
_SPACES = re.compile(r"\s+")
MAX_NESTING = 200  # blocks: real Jenkinsfiles stay under 20
_MAX_NESTING = 32  # strings inside ${...} inside strings: deeper than this is read as plain text
STEP_NAMES = ("sh", "bat", "powershell", "pwsh", "echo")
_STEP = "|".join(STEP_NAMES)
# The text before a literal that makes it the script of a step: `sh "..."`, `sh("...")`, `sh(script: "...")`,
# `sh returnStdout: true, script: "..."`.
_STEP_BEFORE = re.compile(
    rf"(?<![\w.$])(?P<step>{_STEP})"
    r"(?:\s*\(?\s*|\s*\(\s*(?:[^(){};]*?[\s,])?script\s*:\s*|\s+(?:[^\n(){};]*?[\s,])?script\s*:\s*)\Z"
)
_STEP_WORD = re.compile(rf"(?<![\w.$])(?:{_STEP})")  # where _STEP_BEFORE can start


@dataclass(frozen=True)
class Literal:
    """A string literal: ``start`` is the offset of its opening quote, ``end`` the offset after its last quote."""

    start: int
    end: int
    quote: str
    value: str

    @property
    def body(self) -> int:
        """The offset of the first character inside the quotes."""
        return self.start + len(self.quote)

    @property
    def interpolates(self) -> bool:
        return self.quote in ('"', '"""')


@dataclass(eq=False)
class Block:
    """A ``{ ... }`` and the statement before it: ``head`` is that statement in the code view (strings blanked).
    ``children`` are the blocks directly inside it, ``statements`` its statements (some of them heads of those)."""

    head: str
    start: int  # offset of the statement's first character
    open: int  # offset of "{"
    close: int  # offset of the matching "}", or the end of the text
    parent: Block | None
    children: list[Block] = field(default_factory=list)
    statements: list[Statement] = field(default_factory=list)

    @property
    def name(self) -> str:
        """The leading identifier of the head: ``stage`` for ``stage('Build')``, ``node`` for ``node('linux')``."""
        match = _IDENTIFIER.match(self.head)
        return match.group() if match else ""

    def contains(self, offset: int) -> bool:
        return self.open < offset < self.close


@dataclass(eq=False)
class Statement:
    """One statement: ``head`` is its text in the code view (strings blanked, comments blank, stripped), from
    ``start`` to ``end``; ``block`` is the ``{ ... }`` it opens (``stage('Build') { ... }``), if any."""

    head: str
    start: int
    end: int
    block: Block | None = None

    @property
    def name(self) -> str:
        """The leading identifier: ``sh`` for ``sh 'make'``, ``agent`` for ``agent none``, ``stage`` for a stage."""
        match = _IDENTIFIER.match(self.head)
        return match.group() if match else ""


class Source:
    """One Jenkinsfile, read once: see the module documentation."""

    def __init__(self, text: str) -> None:
        self.lines = LineMap(text, Model.GROOVY)
        text = _LONE_CR.sub("\n", text)  # same length: offsets, lines and columns are those of the file
        self.text = text
        self.literals: list[Literal] = []
        self.problems: list[tuple[int, str]] = []  # (offset, what Groovy would refuse there)
        self._code = list(text)
        self._multiline: list[tuple[int, int]] = []  # strings and comments that span lines: no statement ends there
        self._no_close_after: int | None = None
        self._scan()
        self.code = "".join(self._code)
        del self._code
        self._starts = [literal.start for literal in self.literals]
        structure = _Structure(self.code, _join_lines(self.code, self._multiline))
        self.blocks = structure.blocks
        self.top = structure.top  # the statements of the top level
        self.problems = sorted(self.problems + structure.problems)
        self._roots = [block for block in self.blocks if block.parent is None]
        self._opens: dict[int, list[int]] = {}  # id of a block (of None for the top level): its children's "{"
        self._steps: list[tuple[str, Literal]] | None = None
        self._step_words: list[int] | None = None  # where a step's name starts in the code view

    # Positions and lookups.

    def position(self, offset: int) -> tuple[int, int]:
        """The 1-based line and column of an offset, in Groovy's line model."""
        return self.lines.position(offset)

    def literals_in(self, start: int, end: int) -> list[Literal]:
        """The literals that start in ``[start, end)``, in order."""
        first = bisect.bisect_left(self._starts, start)
        last = bisect.bisect_left(self._starts, end)
        return self.literals[first:last]

    def innermost(self, offset: int) -> list[Block]:
        """The blocks that hold the offset, innermost first."""
        holding: list[Block] = []
        level, parent = self._roots, None
        while level:
            opens = self._opens.get(id(parent))
            if opens is None:
                opens = self._opens[id(parent)] = [block.open for block in level]
            index = bisect.bisect_left(opens, offset) - 1
            if index < 0 or not level[index].contains(offset):
                break
            parent = level[index]
            holding.append(parent)
            level = parent.children
        return holding[::-1]

    def head_literals(self, block: Block) -> list[Literal]:
        return self.literals_in(block.start, block.open)

    def stage_name(self, block: Block) -> str:
        literals = self.head_literals(block)
        return literals[0].value if literals else " ".join(block.head.split())

    def where(self, offset: int) -> str:
        """What a message starts with: ``stage <name>: `` for the innermost stage holding the offset, else
        ``pipeline: `` inside a declarative pipeline, else nothing (top level of a scripted pipeline)."""
        holders = self.innermost(offset)
        for block in holders:
            if block.name == "stage":
                return f"stage {self.stage_name(block)}: "
        return "pipeline: " if any(block.head == "pipeline" for block in holders) else ""

    # The statements.

    def statements(self, block: Block | None = None) -> list[Statement]:
        """The statements of a block, or of the top level."""
        return self.top if block is None else block.statements

    def find(self, block: Block | None, name: str) -> list[Statement]:
        """The statements of a block (or of the top level) with this name."""
        return [statement for statement in self.statements(block) if statement.name == name]

    def sections(self, block: Block | None, head: str) -> list[Block]:
        """The blocks directly inside a block whose whole head is ``head``: ``steps``, ``when``, ``post``, ..."""
        return [statement.block for statement in self.statements(block) if statement.block and statement.head == head]

    def walk(self, block: Block | None = None) -> Iterator[Statement]:
        """Every statement inside a block (or the file), depth-first in file order, without recursion."""
        pending = list(reversed(self.statements(block)))
        while pending:
            statement = pending.pop()
            yield statement
            if statement.block is not None:
                pending.extend(reversed(statement.block.statements))

    def statement_at(self, offset: int) -> Statement | None:
        """The innermost statement whose text holds the offset (a literal's start: the step it belongs to)."""
        holders = self.innermost(offset)
        statements = self.statements(holders[0] if holders else None)
        index = bisect.bisect_right(statements, offset, key=lambda statement: statement.start) - 1
        if index >= 0 and statements[index].start <= offset < statements[index].end:
            return statements[index]
        return None

    def arguments(self, statement: Statement) -> list[Literal]:
        """The string literals of a statement (of its head, for a block)."""
        return self.literals_in(statement.start, statement.end)

    def spelled(self, statement: Statement) -> str:
        """The statement as written, without comments and with runs of blanks outside strings made one space:
        ``sh 'make  it'`` for ``sh   /* x */ 'make  it'``."""
        parts, pos = [], statement.start
        for literal in self.arguments(statement):
            parts += [_SPACES.sub(" ", self.code[pos : literal.start]), self.text[literal.start : literal.end]]
            pos = literal.end
        parts.append(_SPACES.sub(" ", self.code[pos : statement.end]))
        return "".join(parts).strip()

    def step_of(self, literal: Literal) -> str | None:
        """The step (sh, bat, powershell, pwsh or echo) whose script this literal is, if any."""
        if self._step_words is None:
            self._step_words = [found.start() for found in _STEP_WORD.finditer(self.code)]
        words = self._step_words
        # what searching the 400 characters before the literal finds, tried only where a step's name starts
        for index in range(bisect.bisect_left(words, max(0, literal.start - 400)), len(words)):
            if words[index] >= literal.start:
                break
            match = _STEP_BEFORE.match(self.code, words[index], literal.start)
            if match:
                return match.group("step")
        return None

    def step_scripts(self, steps: tuple[str, ...] = STEP_NAMES) -> list[tuple[str, Literal]]:
        """Every literal that is the script of one of these steps, with the step's name."""
        if self._steps is None:
            self._steps = [(step, literal) for literal in self.literals if (step := self.step_of(literal)) is not None]
        return [(step, literal) for step, literal in self._steps if step in steps]

    def step_scripts_in(self, block: Block, steps: tuple[str, ...] = STEP_NAMES) -> list[tuple[str, Literal]]:
        """The step scripts inside a block, found by bisection (a file of many stages is not read once per stage)."""
        found = self.step_scripts(steps)
        first = bisect.bisect_right(found, block.open, key=lambda item: item[1].start)
        last = bisect.bisect_left(found, block.close, key=lambda item: item[1].start)
        return found[first:last]

    # The scan that fills ``literals`` and blanks comments and string bodies in the code view.

    def _scan(self) -> None:
        text = self.text
        pos = 0
        if text.startswith("#!"):
            pos = self._blank(0, _line_end(text, 0))
        while pos < len(text):
            if text.startswith("//", pos):
                pos = self._blank(pos, _line_end(text, pos))
            elif text.startswith("/*", pos):
                end = text.find("*/", pos + 2)
                if end < 0:
                    self.problems.append((pos, "unterminated comment"))
                pos = self._blank(pos, len(text) if end < 0 else end + 2, joined=True)
            elif text[pos] in "'\"":
                quote = _quote_at(text, pos)
                end, closed = _skip_string(text, pos, 0)
                pos = self._literal(pos, end, quote, closed)
            elif text.startswith("$/", pos) and self._expression_starts(pos) and (end := self._dollar_slashy(pos)) > 0:
                pos = self._literal(pos, end, "$/", True)
            elif text[pos] == "/" and (end := _slashy_end(text, pos)) > 0 and self._expression_starts(pos):
                pos = self._literal(pos, end, "/", True)
            else:  # only these characters start a comment or a string: skip to the next one
                found = _STARTERS.search(text, pos + 1)
                pos = found.start() if found is not None else len(text)

    def _dollar_slashy(self, pos: int) -> int:
        """The offset after the ``/$`` closing a ``$/`` at pos, else -1 (remembered, so a file full of ``$/`` with
        no ``/$`` is read in linear time)."""
        if self._no_close_after is not None and pos >= self._no_close_after:
            return -1
        end = self.text.find("/$", pos + 2)
        if end < 0:
            self._no_close_after = pos
            return -1
        return end + 2

    def _literal(self, start: int, end: int, quote: str, closed: bool) -> int:
        """Record a literal and blank its body; returns ``end``."""
        closing = len(quote) if closed else 0
        if not closed:
            self.problems.append((start, "unterminated string"))
        self.literals.append(Literal(start, end, quote, self.text[start + len(quote) : end - closing]))
        self._blank(start + len(quote), end - closing, joined=True)
        return end

    def _expression_starts(self, pos: int) -> bool:
        """Whether a ``/`` at pos starts a slashy string rather than dividing: the code before it ends in an
        operator, an opening bracket, a separator or ``return`` (or there is none)."""
        before = "".join(self._code[max(0, pos - 80) : pos]).rstrip()
        return (
            not before or before[-1] in "([{,;:=!&|?~+-*<>%^" or re.search(r"(?<![\w$.])return\Z", before) is not None
        )

    def _blank(self, start: int, end: int, joined: bool = False) -> int:
        """Blank ``[start, end)`` in the code view, line breaks kept (the spans the scan blanks never overlap, so
        the code view there is still the text)."""
        if joined and "\n" in self.text[start:end]:
            self._multiline.append((start, end))
        self._code[start:end] = _NOT_NEWLINE.sub(" ", self.text[start:end])
        return end


def _join_lines(code: str, spans: list[tuple[int, int]]) -> str:
    """The code view with the line breaks inside these spans (strings, comments) made spaces, for the statements."""
    parts, pos = [], 0
    for start, end in spans:
        parts += [code[pos:start], code[start:end].replace("\n", " ")]
        pos = end
    parts.append(code[pos:])
    return "".join(parts)


def _line_end(text: str, pos: int) -> int:
    end = text.find("\n", pos)
    return len(text) if end < 0 else end


def _quote_at(text: str, pos: int) -> str:
    triple = text[pos] * 3
    return triple if text.startswith(triple, pos) else text[pos]


def _skip_string(text: str, pos: int, depth: int) -> tuple[int, bool]:
    """The offset after the string that starts at pos, and whether its closing quote was found."""
    quote = _quote_at(text, pos)
    pos += len(quote)
    special = _IN_STRING[quote[0]]
    while pos < len(text):
        found = special.search(text, pos)  # any other character is the string's own
        if found is None:
            break
        pos = found.start()
        if text.startswith(quote, pos):
            return pos + len(quote), True
        char = text[pos]
        if char == "\\":
            pos += 2
        elif char == "\n" and len(quote) == 1:
            return pos, False
        elif quote[0] == '"' and text.startswith("${", pos) and depth < _MAX_NESTING:
            pos = _skip_interpolation(text, pos + 2, len(quote) == 1, depth + 1)
        else:
            pos += 1
    return len(text), False


def _slashy_end(text: str, pos: int) -> int:
    """The offset after a slashy string ``/.../`` starting at pos and closed on the same line, else -1."""
    pos += 1
    while (found := _IN_SLASHY.search(text, pos)) is not None and found.group() != "\n":
        pos = found.start()
        if text[pos] == "\\" and text.startswith("/", pos + 1):
            pos += 2
        elif text[pos] == "/":
            return pos + 1
        else:
            pos += 1
    return -1


def _skip_interpolation(text: str, pos: int, one_line: bool, depth: int) -> int:
    """The offset after the ``}`` closing a ``${`` whose contents start at pos (at a newline in a one-line string)."""
    braces = 1
    while pos < len(text):
        found = _IN_INTERPOLATION.search(text, pos)  # any other character is code of the expression
        if found is None:
            break
        pos = found.start()
        char = text[pos]
        if char == "\n" and one_line:
            return pos
        if char in "'\"":
            pos, _ = _skip_string(text, pos, depth)
            continue
        if char == "{":
            braces += 1
        elif char == "}":
            braces -= 1
            if braces == 0:
                return pos + 1
        pos += 1
    return len(text)


class GroovyNestingError(ValueError):
    """The file nests blocks deeper than any Jenkinsfile does; reading it further would cost time per level."""


_CLOSERS = {")": "(", "]": "["}


class _Structure:
    """The blocks and statements of a code view, and its unbalanced brackets, in one pass over it."""

    def __init__(self, lines: str, code: str) -> None:
        self.lines = lines  # the code view, for line numbers
        self.code = code  # the same with the line breaks inside strings and comments made spaces
        self.blocks: list[Block] = []  # in the order of their "{"
        self.top: list[Statement] = []
        self.problems: list[tuple[int, str]] = []
        self._open: list[tuple[Block, list[tuple[str, int]]]] = []  # open blocks, each with the brackets outside it
        self._brackets: list[tuple[str, int]] = []  # open ( and [ in the current block, with their offsets
        self._statement = 0  # where the current statement starts
        self._previous: Statement | None = None  # the last statement ended by a newline or ";", for a lone "{"
        for found in _STRUCTURAL.finditer(code):  # the other characters change nothing here
            offset, char = found.start(), found.group()
            if char in "([":
                self._brackets.append((char, offset))
            elif char in ")]":
                self._close_bracket(char, offset)
            elif char == "{":
                self._open_block(offset)
            elif char == "}":
                self._close_block(offset)
            elif char == ";" or (char == "\n" and not self._brackets):
                self._end_statement(offset)
        self._add(self._cut(len(code)))
        self._unclosed()
        for block, _ in self._open:
            self.problems.append((block.open, "'{' is never closed"))

    def _statements(self) -> list[Statement]:
        return self._open[-1][0].statements if self._open else self.top

    def _cut(self, end: int) -> Statement | None:
        """The current statement, ending at ``end``, or None when it is blank."""
        text = self.code[self._statement : end]
        head = text.strip()
        if not head:
            return None
        start = self._statement + len(text) - len(text.lstrip())
        return Statement(head, start, start + len(head))

    def _add(self, statement: Statement | None) -> None:
        if statement is not None:
            self._statements().append(statement)

    def _end_statement(self, offset: int) -> None:
        statement = self._cut(offset)
        if statement is not None:
            self._add(statement)
            self._previous = statement
        self._statement = offset + 1

    def _open_block(self, offset: int) -> None:
        if len(self._open) >= MAX_NESTING:
            line = self.lines.count("\n", 0, offset) + 1
            raise GroovyNestingError(f"blocks nested deeper than {MAX_NESTING} levels at line {line}")
        statements = self._statements()
        statement = self._cut(offset)
        if statement is None and self._previous is not None and statements and statements[-1] is self._previous:
            statement = statements.pop()  # a "{" on its own line opens the statement before it
        if statement is None:
            self.problems.append((offset, "'{' has no statement before it"))
            statement = Statement("", offset, offset)
        parent = self._open[-1][0] if self._open else None
        block = Block(statement.head, statement.start, offset, len(self.code), parent)
        statement.block = block
        statements.append(statement)
        if parent is not None:
            parent.children.append(block)
        self.blocks.append(block)
        self._open.append((block, self._brackets))
        self._brackets, self._statement, self._previous = [], offset + 1, None

    def _close_block(self, offset: int) -> None:
        self._add(self._cut(offset))
        if self._open:
            self._unclosed()
            block, self._brackets = self._open.pop()
            block.close = offset
        else:
            self.problems.append((offset, "unexpected '}'"))
        self._statement, self._previous = offset + 1, None

    def _close_bracket(self, char: str, offset: int) -> None:
        if not self._brackets:
            self.problems.append((offset, f"unexpected '{char}'"))
            return
        opener, _ = self._brackets.pop()
        if opener != _CLOSERS[char]:
            self.problems.append((offset, f"'{char}' does not match '{opener}'"))

    def _unclosed(self) -> None:
        self.problems.extend((at, f"'{opener}' is never closed") for opener, at in self._brackets)
        self._brackets = []


@functools.lru_cache(maxsize=16)
def read(text: str) -> Source:
    """The Jenkinsfile's reading, shared by the rules that run on the same text."""
    return Source(text)


_EXPRESSION_NAME = re.compile(r"(?<![\w.$])(?:env\.)?([A-Za-z_]\w*)")
_DOLLAR_NAME = re.compile(r"(?:env\.)?([A-Za-z_]\w*)")


def interpolated_names(value: str) -> list[tuple[int, str]]:
    """The variables a double-quoted string's raw text expands with Groovy, each with the index of its ``$``.

    ``$NAME``, ``$env.NAME``, and every identifier inside ``${...}`` (``env.NAME`` gives ``NAME``); an escaped
    ``\\$`` expands nothing.
    """
    found: list[tuple[int, str]] = []
    pos = 0
    while pos < len(value):
        char = value[pos]
        if char == "\\":
            pos += 2
            continue
        if char == "$" and value.startswith("{", pos + 1):
            end = _closing_brace(value, pos + 2)
            found.extend((pos, name) for name in _EXPRESSION_NAME.findall(value[pos + 2 : end]))
            pos = end + 1
            continue
        if char == "$":
            name = _DOLLAR_NAME.match(value, pos + 1)
            if name:
                found.append((pos, name.group(1)))
                pos = name.end()
                continue
        pos += 1
    return found


def _closing_brace(value: str, pos: int) -> int:
    braces = 1
    while pos < len(value):
        if value[pos] == "{":
            braces += 1
        elif value[pos] == "}":
            braces -= 1
            if braces == 0:
                return pos
        pos += 1
    return len(value)


def names_bound_at(
    scopes: list[tuple[Block | None, int, int, list[str], int]], queries: list[tuple[int, set[str]]]
) -> list[set[str]]:
    """For each (offset, names) query, those of the names that a scope around the offset binds (``start < offset <
    end``). One sweep over scopes and queries sorted by position keeps a count of each name bound by the scopes
    open so far, so a query costs what it asks, not the number of scopes around it: a file of thousands of scopes
    and steps is read in linear time."""
    ordered = sorted(scopes, key=lambda scope: scope[1])
    active: list[tuple[int, int]] = []  # (end, index in ordered): a heap of the scopes opened so far
    counts: dict[str, int] = {}
    found: list[set[str]] = [set() for _ in queries]
    following = 0
    for number in sorted(range(len(queries)), key=lambda number: queries[number][0]):
        offset, names = queries[number]
        while following < len(ordered) and ordered[following][1] < offset:
            heapq.heappush(active, (ordered[following][2], following))
            for name in ordered[following][3]:
                counts[name] = counts.get(name, 0) + 1
            following += 1
        while active and active[0][0] <= offset:
            for name in ordered[heapq.heappop(active)[1]][3]:
                counts[name] -= 1
        found[number] = {name for name in names if counts.get(name, 0) > 0}
    return found


def credential_scopes(source: Source) -> list[tuple[Block | None, int, int, list[str], int]]:
    """Where credentials are bound: (binding block, scope start, scope end, variable names, offset to report).

    A ``withCredentials`` block binds the ``*Variable:`` names of its head inside itself. An ``environment`` block
    binds ``X = credentials('...')`` (as ``X``, ``X_USR`` and ``X_PSW``) in the block that holds it: the whole
    pipeline, or one stage. The binding block is None for the whole file.
    """
    scopes: list[tuple[Block | None, int, int, list[str], int]] = []
    for block in source.blocks:
        if block.name == "withCredentials":
            names = [
                literal.value
                for literal in source.head_literals(block)
                if re.search(
                    r"\w*[Vv]ariable\s*:\s*$", source.code[max(block.start, literal.start - 60) : literal.start]
                )
                and re.fullmatch(r"[A-Za-z_]\w*", literal.value)
            ]
            scopes.append((block, block.open, block.close, names, block.start))
    # One pass over the code (not one per environment block, which nested blocks would make quadratic): each
    # `X = credentials(` belongs to the innermost environment block around it.
    for match in _CREDENTIALS_ASSIGNMENT.finditer(source.code):
        environment = next((item for item in source.innermost(match.start(1)) if item.name == "environment"), None)
        if environment is None or environment.head != "environment":
            continue
        name = match.group(1)
        holder = environment.parent
        start, end = (holder.open, holder.close) if holder is not None else (0, len(source.text))
        scopes.append((holder, start, end, [name, f"{name}_USR", f"{name}_PSW"], match.start(1)))
    return scopes


_CREDENTIALS_ASSIGNMENT = re.compile(r"(?:^|[{;])[ \t]*([A-Za-z_]\w*)\s*=\s*credentials\s*\(", re.MULTILINE)


RELEASE_CONDITIONS = frozenset({"branch", "buildingTag", "tag"})
_GATE_WORDS = RELEASE_CONDITIONS | {"when", "beforeAgent", "beforeInput", "beforeOptions", "true", "anyOf", "allOf"}
_GATE_WORDS |= {"pattern", "comparator"}


def release_only(source: Source, stage: Block) -> bool:
    """Whether a declarative stage runs only for branches or tags: its ``when`` has ``branch``, ``tag`` or
    ``buildingTag`` conditions and nothing else (no ``expression``, ``not``, ``changeRequest``, ...), so a pull
    request build (its branch is ``PR-<n>``) skips it."""
    for when in stage.children:
        if when.name == "when" and when.head == "when":
            words = set(re.findall(r"[A-Za-z_]\w*", source.code[when.open + 1 : when.close]))
            return bool(words & RELEASE_CONDITIONS) and words <= _GATE_WORDS
    return False


def in_release_stage(source: Source, offset: int) -> bool:
    return any(block.name == "stage" and release_only(source, block) for block in source.innermost(offset))
