"""BuildKit's shell-word lexer, for the Dockerfile reader (``instructions``): how ``FROM``, ``USER``, ``WORKDIR``,
``ENV`` and ``ARG`` read their words, quotes removed and variables replaced, and how a heredoc word names its
terminator.

It follows ``moby/buildkit/frontend/dockerfile/shell/lex.go``: single quotes are literal; inside double quotes the
escape character escapes only ``"``, ``$`` and itself; outside quotes it escapes any character. ``$NAME``,
``${NAME}``, ``${NAME:-word}``, ``${NAME-word}``, ``${NAME:+word}``, ``${NAME+word}`` and ``${NAME:?word}`` are
replaced; the word of an operator is itself a shell word (quotes, nested variables). Forms BuildKit rejects (an
unterminated quote, ``${}``, a missing ``}``) and forms scaffold does not model (``${NAME#pattern}``,
``${NAME%pattern}``, ``${NAME/pattern/replacement}``) make the whole word unreadable, as does a value longer than
``MAX_VALUE`` or a document whose expansions exceed their work budget. Nothing here raises to the caller.

A variable is looked up in a ``Scope``. One that has no value in the file (an ``ARG`` without a default, a global
``ARG`` the stage did not redeclare, a name the file never declares) reads as empty, as BuildKit reads it when the
build passes no ``--build-arg``, and is recorded in ``Expansion.missing`` so that a rule can say how sure it is.
An operator that tests whether a variable is set (``:-``, ``-``, ``:+``, ``+``) settles the value by itself and
records nothing: the file's own default is the value.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal, NamedTuple

MAX_VALUE = 65_536
"""Longest expanded word; past it the word is unreadable (``ENV A=$A$A`` doubles a value per line)."""
WORK_LIMIT = 4_000_000
"""Most characters one document's expansions may produce and copy, all words together."""
MAX_MISSING = 16
"""Most missing variables recorded for one word."""
_MAX_DEPTH = 32  # nested ${A:-${B:-...}}
_SPECIAL = frozenset("@*#?-$!0")

Why = Literal["no default", "global only", "undeclared"]


class Missing(NamedTuple):
    """A variable a word uses that the file leaves without a value, and why: an ``ARG`` with no default
    (``"no default"``), a global ``ARG`` that the stage does not redeclare (``"global only"``, BuildKit reads it
    as empty there), or a name the file never declares (``"undeclared"``; the base image's ENV may set it)."""

    name: str
    why: Why


@dataclass(frozen=True)
class Expansion:
    """A word as BuildKit reads it with the file's own values."""

    text: str | None  # None: unreadable (a form BuildKit rejects or scaffold does not model, or too large)
    missing: tuple[Missing, ...] = ()

    @property
    def known(self) -> str | None:
        """The value when the file alone fixes it: readable, and every variable it uses has a value."""
        return None if self.missing else self.text


UNREADABLE = Expansion(None)


class Budget:
    """Work left for one document's expansions; once spent, every later word is unreadable."""

    def __init__(self, limit: int = WORK_LIMIT) -> None:
        self.left = limit

    def spend(self, amount: int) -> bool:
        if amount > self.left:
            self.left = 0
            return False
        self.left -= amount
        return True


@dataclass(frozen=True)
class Scope:
    """The variables one instruction sees: its stage's ENV (inherited ones included), then the stage's ARGs, then
    the global ARGs (visible to FROM only: in a stage they are ``"global only"``). A value of None is an ARG
    declared without a default."""

    env: Mapping[str, Expansion | None] = field(default_factory=dict)
    args: Mapping[str, Expansion | None] = field(default_factory=dict)
    globals: Mapping[str, Expansion | None] = field(default_factory=dict)
    in_stage: bool = True

    def lookup(self, name: str) -> Expansion | Missing:
        for table in (self.env, self.args):
            if name in table:
                return table[name] or Missing(name, "no default")
        if name in self.globals:
            if self.in_stage:
                return Missing(name, "global only")
            return self.globals[name] or Missing(name, "no default")
        return Missing(name, "undeclared")


class _UnreadableError(Exception):
    """A word BuildKit rejects or scaffold does not model; caught at the top."""


def expand(
    text: str, scope: Scope, escape: str = "\\", budget: Budget | None = None, variables: bool = True
) -> Expansion:
    """``text`` read as one BuildKit shell word: quotes removed, escapes applied, variables replaced (``$`` is an
    ordinary character without ``variables``)."""
    budget = budget if budget is not None else Budget()
    if budget.left <= 0:
        return UNREADABLE
    if not any(char in text for char in ("$", "'", '"', escape)):
        return Expansion(text) if budget.spend(len(text)) else UNREADABLE
    lexer = _Lexer(text, scope, escape, budget, variables)
    try:
        value = lexer.read("", 0)
    except (_UnreadableError, RecursionError):
        return UNREADABLE
    return Expansion(value, tuple(lexer.missing))


class _Lexer:
    def __init__(self, text: str, scope: Scope, escape: str, budget: Budget, variables: bool) -> None:
        self.text = text
        self.dollar = "$" if variables else ""
        self.index = 0
        self.scope = scope
        self.escape = escape
        self.budget = budget
        self.missing: dict[Missing, None] = {}  # ordered, without duplicates

    def _take(self, value: str, out: list[str], size: list[int]) -> None:
        size[0] += len(value)
        if size[0] > MAX_VALUE or not self.budget.spend(len(value)):
            raise _UnreadableError
        out.append(value)

    def read(self, stop: str, depth: int) -> str:
        """Characters up to ``stop`` (consumed; "" reads to the end), as ``processStopOn`` does."""
        if depth > _MAX_DEPTH:
            raise _UnreadableError
        out: list[str] = []
        size = [0]
        text = self.text
        while self.index < len(text):
            char = text[self.index]
            if stop and char == stop:
                self.index += 1
                return "".join(out)
            if char == "'":
                self._take(self._single_quoted(), out, size)
            elif char == '"':
                self._take(self._double_quoted(depth), out, size)
            elif char == self.dollar:
                self._take(self._dollar(depth), out, size)
            elif char == self.escape:
                self.index += 2  # the next character as itself; an escape at the very end is dropped
                self._take(text[self.index - 1 : self.index], out, size)
            else:
                end = self._plain_end(stop)
                self._take(text[self.index : end], out, size)
                self.index = end
        if stop:
            raise _UnreadableError  # a missing "}"
        return "".join(out)

    def _plain_end(self, stop: str) -> int:
        """Where the run of ordinary characters from the current index ends."""
        index = self.index + 1
        specials = {"'", '"', self.dollar, self.escape, stop} - {""}
        while index < len(self.text) and self.text[index] not in specials:
            index += 1
        return index

    def _single_quoted(self) -> str:
        end = self.text.find("'", self.index + 1)
        if end < 0:
            raise _UnreadableError
        value = self.text[self.index + 1 : end]
        self.index = end + 1
        return value

    def _double_quoted(self, depth: int) -> str:
        self.index += 1
        out: list[str] = []
        size = [0]
        text = self.text
        while self.index < len(text):
            char = text[self.index]
            if char == '"':
                self.index += 1
                return "".join(out)
            if char == self.dollar:
                self._take(self._dollar(depth), out, size)
                continue
            self.index += 1
            if char == self.escape and self.index < len(text) and text[self.index] in ('"', "$", self.escape):
                char = text[self.index]
                self.index += 1
            elif char == self.escape and self.index == len(text):
                continue
            self._take(char, out, size)
        raise _UnreadableError  # no closing double quote

    def _name(self) -> str:
        text = self.text
        start = self.index
        if start < len(text) and text[start].isdigit():
            while self.index < len(text) and text[self.index].isdigit():
                self.index += 1
            return text[start : self.index]
        if start < len(text) and text[start] in _SPECIAL:
            self.index += 1
            return text[start]
        while self.index < len(text) and (text[self.index].isalnum() or text[self.index] == "_"):
            self.index += 1
        return text[start : self.index]

    def _dollar(self, depth: int) -> str:
        self.index += 1
        if self.index >= len(self.text) or self.text[self.index] != "{":
            name = self._name()
            return self._value(name) if name else "$"
        self.index += 1
        if self.index >= len(self.text) or self.text[self.index] in "{}:":
            raise _UnreadableError  # ${, ${{x}, ${}, ${:x}
        name = self._name()
        operator = self.text[self.index : self.index + 1]
        self.index += 1
        if operator == "}":
            return self._value(name)
        colon = operator == ":"
        if colon:
            operator = self.text[self.index : self.index + 1]
            self.index += 1
        if operator not in ("-", "+", "?"):
            raise _UnreadableError  # #, %, / and anything else
        return self._operator(name, operator, colon, depth)

    def _operator(self, name: str, operator: str, colon: bool, depth: int) -> str:
        before = dict(self.missing)
        word = self.read("}", depth + 1)
        found = self.scope.lookup(name)
        is_set = isinstance(found, Expansion) and not (colon and found.text == "")
        if operator == "?":
            self.missing = before
            return self._value(name)
        if is_set == (operator == "-"):
            self.missing = before  # the word is not used: its variables do not count
            return self._value(name) if operator == "-" else ""
        return word

    def _value(self, name: str) -> str:
        found = self.scope.lookup(name)
        if isinstance(found, Missing):
            self._record((found,))
            return ""
        if found.text is None:
            raise _UnreadableError
        self._record(found.missing)
        return found.text

    def _record(self, missing: tuple[Missing, ...]) -> None:
        for item in missing:
            if len(self.missing) < MAX_MISSING:
                self.missing[item] = None


def raw_words(text: str) -> list[str]:
    """Whitespace-separated words with quotes and backslash escapes kept, as BuildKit splits an instruction line
    to look for heredocs (``ProcessWords`` with raw quotes and escapes)."""
    words: list[str] = []
    current: list[str] = []
    quote = ""
    index = 0
    while index < len(text):
        char = text[index]
        index += 1
        if quote:
            current.append(char)
            if char == quote:
                quote = ""
            elif char == "\\" and quote == '"' and index < len(text):
                current.append(text[index])
                index += 1
            continue
        if char.isspace():
            if current:
                words.append("".join(current))
                current = []
            continue
        current.append(char)
        if char in "\"'":
            quote = char
        elif char == "\\" and index < len(text):
            current.append(text[index])
            index += 1
    if current:
        words.append("".join(current))
    return words


def literal(word: str) -> str | None:
    """A word with quotes and backslash escapes removed and ``$`` kept as written, as BuildKit reads a heredoc's
    name; None when a quote is not closed."""
    return expand(word, Scope(), "\\", Budget(MAX_VALUE), variables=False).text
