"""Parse the subset of Groovy that declarative Jenkinsfiles use, so that checks can read a tree instead of grepping.

A declarative pipeline is a fixed structure of ``name(args) { block }`` statements::

    pipeline { agent none; stages { stage('Build') { steps { sh 'make' } } } }

Checks need that tree, not full Groovy, so this module reads only what it takes to find statements and blocks:

* a statement ends at a newline or ``;`` outside brackets and strings; a ``{`` outside brackets opens a block for
  the statement before it (or, when it stands alone, for the previous statement), and its statements become the
  children of that statement until the matching ``}``;
* ``//`` and ``/* */`` comments are dropped (outside strings);
* single-, double- and triple-quoted strings are kept verbatim in the statement text, with backslash escapes and
  ``${...}`` interpolation (nested braces and strings included), so nothing inside a string opens or ends anything;
* ``(...)`` and ``[...]`` may span lines; braces inside them (closures passed as arguments) stay in the text.

Lines break where Groovy breaks them: ``\\r\\n``, ``\\r`` or ``\\n`` (``scaffold.audit.lines``); a lone ``\\r`` is read
as a newline. Nesting (blocks, brackets, strings inside ``${...}``) deeper than ``MAX_NESTING`` is refused with a
``JenkinsfileSyntaxError``, so no input exhausts the stack of this parser or of the checks that walk its tree.

Anything else (slashy strings, ``} else {``, statements continued after an operator, ...) is out of scope:
declarative pipelines do not need it. There is no dependency: Python has no maintained Groovy parser.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field

_IDENTIFIER = re.compile(r"[A-Za-z_$][\w$]*")
_LONE_CR = re.compile("\r(?!\n)")
MAX_NESTING = 200
"""Deepest nesting of blocks, brackets and interpolated strings accepted; real Jenkinsfiles stay under 20."""
_OPENER = {")": "(", "]": "[", "}": "{"}


class JenkinsfileSyntaxError(ValueError):
    """The text is not something this parser can read; the message starts with ``line N:``."""

    def __init__(self, line: int, what: str) -> None:
        super().__init__(f"line {line}: {what}")
        self.line = line


@dataclass(frozen=True)
class StringLiteral:
    """A string literal: its quote, its raw text between the quotes (escapes not processed) and its first line."""

    quote: str
    value: str
    line: int

    @property
    def interpolates(self) -> bool:
        """Whether Groovy expands ``$`` in it: a double-quoted string with an unescaped ``$``."""
        if self.quote not in ('"', '"""'):
            return False
        escaped = False
        for char in self.value:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == "$":
                return True
        return False


@dataclass(frozen=True)
class Node:
    """A statement: its text before ``{`` (whitespace-normalised, comments removed) and its block's statements."""

    head: str
    line: int
    children: tuple[Node, ...] = ()
    has_block: bool = False
    literals: tuple[StringLiteral, ...] = field(default=(), repr=False, compare=False)

    @property
    def name(self) -> str:
        """The leading identifier of the head: ``stage`` for ``stage('Build')``, ``agent`` for ``agent none``."""
        match = _IDENTIFIER.match(self.head)
        return match.group() if match else ""

    def find(self, name: str) -> list[Node]:
        """The direct children with this name."""
        return [child for child in self.children if child.name == name]

    def walk(self) -> Iterator[Node]:
        """This node and all its descendants, depth-first (iteratively: no recursion however deep the tree)."""
        pending: list[Node] = [self]
        while pending:
            node = pending.pop()
            yield node
            pending += reversed(node.children)

    def strings(self) -> list[StringLiteral]:
        """The string literals in the head, in order."""
        return list(self.literals)


@dataclass
class _Block:
    head: str
    line: int
    literals: tuple[StringLiteral, ...]
    brace_line: int
    children: list[Node] = field(default_factory=list)


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = _LONE_CR.sub("\n", text)  # same length, so positions stay those of the file
        self.pos = 0
        self.line = 1
        self.blocks = [_Block("", 1, (), 1)]
        self.brackets: list[tuple[str, int]] = []  # open ( [ { inside the current statement, with their lines
        # The current statement: its text so far, its first line, its string literals, whether a space is pending.
        self.parts: list[str] = []
        self.start = 1
        self.literals: list[StringLiteral] = []
        self.space = False

    def _reset(self) -> None:
        self.parts, self.start, self.literals, self.space = [], self.line, [], False

    def parse(self) -> Node:
        text = self.text
        while self.pos < len(text):
            char = text[self.pos]
            if text.startswith("//", self.pos):
                end = text.find("\n", self.pos)
                self.pos = len(text) if end < 0 else end
            elif text.startswith("/*", self.pos):
                end = text.find("*/", self.pos + 2)
                if end < 0:
                    raise JenkinsfileSyntaxError(self.line, "unterminated comment")
                self.line += text.count("\n", self.pos, end)
                self.pos = end + 2
                self.space = True
            elif char in "'\"":
                self._string()
            else:
                self.pos += 1
                self._char(char)
        if self.brackets:
            opener, line = self.brackets[-1]
            raise JenkinsfileSyntaxError(line, f"'{opener}' is never closed")
        self._end_statement()
        if len(self.blocks) > 1:
            raise JenkinsfileSyntaxError(self.blocks[-1].brace_line, "'{' is never closed")
        return Node("", 1, tuple(self.blocks[0].children), True)

    def _char(self, char: str) -> None:
        if char == "\n":
            if self.brackets:
                self.space = True
            else:
                self._end_statement()
            self.line += 1
        elif char.isspace():
            self.space = True
        elif char == ";" and not self.brackets:
            self._end_statement()
        elif char in "([" or (char == "{" and self.brackets):
            if len(self.brackets) >= MAX_NESTING:
                raise JenkinsfileSyntaxError(self.line, f"brackets nested deeper than {MAX_NESTING} levels")
            self.brackets.append((char, self.line))
            self._append(char)
        elif char in ")]" or (char == "}" and self.brackets):
            if not self.brackets:
                raise JenkinsfileSyntaxError(self.line, f"unexpected '{char}'")
            opener, line = self.brackets.pop()
            if opener != _OPENER[char]:
                raise JenkinsfileSyntaxError(self.line, f"'{char}' does not match '{opener}' opened on line {line}")
            self._append(char)
        elif char == "{":
            self._open_block()
        elif char == "}":
            self._close_block()
        else:
            self._append(char)

    def _append(self, text: str) -> None:
        if not self.parts:
            self.start = self.line
        elif self.space:
            self.parts.append(" ")
        self.space = False
        self.parts.append(text)

    def _string(self) -> None:
        start, line = self.pos, self.line
        quote = self._quote_at(start)
        self.pos = self._skip_string(start, line, 0)
        literal = self.text[start : self.pos]
        self._append(literal)
        self.literals.append(StringLiteral(quote, literal[len(quote) : -len(quote)], line))
        self.line += literal.count("\n")

    def _quote_at(self, pos: int) -> str:
        triple = self.text[pos] * 3
        return triple if self.text.startswith(triple, pos) else self.text[pos]

    def _skip_string(self, pos: int, line: int, depth: int) -> int:
        """The position after the string starting at pos; ``line`` is where the outermost string starts."""
        if depth > MAX_NESTING:
            raise JenkinsfileSyntaxError(line, f"strings nested deeper than {MAX_NESTING} levels")
        text = self.text
        quote = self._quote_at(pos)
        pos += len(quote)
        while pos < len(text):
            if text.startswith(quote, pos):
                return pos + len(quote)
            if text[pos] == "\\":
                pos += 2
            elif text[pos] == "\n" and len(quote) == 1:
                break
            elif quote[0] == '"' and text.startswith("${", pos):
                pos = self._skip_interpolation(pos + 2, line, depth)
            else:
                pos += 1
        raise JenkinsfileSyntaxError(line, "unterminated string")

    def _skip_interpolation(self, pos: int, line: int, depth: int) -> int:
        """The position after the ``}`` that closes a ``${`` whose contents start at pos (``depth``: how many
        strings hold it)."""
        text = self.text
        braces = 1
        while pos < len(text):
            char = text[pos]
            if char in "'\"":
                pos = self._skip_string(pos, line, depth + 1)
                continue
            if char == "{":
                braces += 1
            elif char == "}":
                braces -= 1
                if braces == 0:
                    return pos + 1
            pos += 1
        raise JenkinsfileSyntaxError(line, "unterminated string")

    def _end_statement(self) -> None:
        if self.parts:
            node = Node("".join(self.parts), self.start, literals=tuple(self.literals))
            self.blocks[-1].children.append(node)
        self._reset()

    def _open_block(self) -> None:
        siblings = self.blocks[-1].children
        if self.parts:
            head, line, literals = "".join(self.parts), self.start, tuple(self.literals)
        elif siblings and not siblings[-1].has_block:
            previous = siblings.pop()
            head, line, literals = previous.head, previous.line, previous.literals
        else:
            raise JenkinsfileSyntaxError(self.line, "'{' has no statement before it")
        if len(self.blocks) > MAX_NESTING:
            raise JenkinsfileSyntaxError(self.line, f"blocks nested deeper than {MAX_NESTING} levels")
        self.blocks.append(_Block(head, line, literals, self.line))
        self._reset()

    def _close_block(self) -> None:
        self._end_statement()
        if len(self.blocks) == 1:
            raise JenkinsfileSyntaxError(self.line, "unexpected '}'")
        block = self.blocks.pop()
        node = Node(block.head, block.line, tuple(block.children), True, block.literals)
        self.blocks[-1].children.append(node)


def parse(text: str) -> Node:
    """Parse a Jenkinsfile into a root node (head ``""``) whose children are its top-level statements."""
    return _Parser(text).parse()
