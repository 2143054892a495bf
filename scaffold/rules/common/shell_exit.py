"""Whether a command's failure can fail the shell script that runs it: the one judgement of GitHub ``run:`` steps,
GitLab job scripts and Jenkins ``sh`` steps.

``judge(script, start, end, shell)`` reads the whole script (a step's ``run:``, a job's ``before_script`` and
``script`` lines joined by newlines, an ``sh`` step's string) and the span of a command in it (where a scan is
named), and says why that command's failure cannot fail the script (a ``Reason``), or None when it can. ``Shell``
is how the platform starts the script: with errexit (``-e``: GitHub's default ``bash -e {0}``, GitLab, Jenkins
``sh``) and with or without pipefail (only GitHub's explicit ``shell: bash`` has it). A command cannot fail when:

* it is not run at all: in a comment or a here-document (``MENTION``), or only printed (``echo``, ``printf``,
  ``:`` or ``true`` in front of it: ``PRINTED``);
* it is told to pass (``--exit-code 0``, ``--exit-zero``);
* it runs in the background (``&``), or is negated (``! cmd``);
* a pipe follows it (``cmd | tee log``) and no ``set -o pipefail`` (or ``-eo pipefail``) is in force: the
  pipeline's status is the last command's;
* ``||`` follows it with anything that succeeds (``|| true``, ``|| echo``, ``|| ls``, ``|| (true)``); a fallback
  that fails keeps it (``|| exit 1``, ``|| false``, ``|| return 1``, ``|| { echo x; exit 1; }``, a bare ``exit``);
* ``; true``, ``; :`` or ``; exit 0`` follows it on its line. Under errexit the failure would still stop the
  script first, but such a tail has no use other than hiding a failure, so it is reported as one;
* it is the condition of an ``if``/``elif`` (its failure only picks a branch, unless the branch taken then fails:
  ``if ! cmd; then exit 1; fi`` keeps it) or of a ``while`` loop;
* its failure does not stop the script and it is not the script's last command: after ``set +e`` (until a later
  ``set -e``), or inside an ``&&`` list whose later commands it skips (``cmd && echo ok``: errexit ignores any
  command of an ``&&``/``||`` list but the last). A next command that reads ``$?`` or ``PIPESTATUS`` keeps it.

The script is read by a tolerant tokenizer and parser of POSIX shell (quotes, escapes, ``$( )``, ``${ }``,
back-quotes, comments, here-documents, redirections, ``{ }``, ``( )``, ``if``, ``while``, ``until``, ``for``,
``case``, functions, ``[[ ]]``, ``(( ))``) in linear time: no regular expression runs over a whole line, nesting
deeper than ``MAX_DEPTH`` is not judged, and nothing here raises on any text.
"""

from __future__ import annotations

import bisect
import functools
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

MAX_DEPTH = 40  # nested compound commands read; what is deeper is not judged (None)

# kinds of Reason
MENTION = "mention"  # not run: in a comment, a here-document, or not in a command
PRINTED = "printed"  # an argument of echo, printf, : or true
NAMED = "named"  # in a message that echo, printf, : or true print, after other words (``echo "ran gitleaks"``)
EXIT_ZERO = "exit-zero"
BACKGROUND = "background"
NEGATED = "negated"
PIPED = "piped"
SWALLOWED = "swallowed"
IGNORED = "ignored"
CONDITION = "condition"
ERREXIT_OFF = "errexit-off"
AND_LIST = "and-list"


@dataclass(frozen=True)
class Shell:
    """How a platform starts a script: ``errexit`` (``-e``) and ``pipefail``."""

    errexit: bool = True
    pipefail: bool = False


GITHUB_DEFAULT = Shell(errexit=True, pipefail=False)  # a run: step without shell: on Linux is bash -e {0}
GITHUB_BASH = Shell(errexit=True, pipefail=True)  # shell: bash is bash --noprofile --norc -eo pipefail {0}
GITLAB = Shell(errexit=True, pipefail=False)
JENKINS_SH = Shell(errexit=True, pipefail=False)  # the sh step runs sh -xe


def github_shell(shell: str | None) -> Shell:
    """The ``Shell`` of a GitHub step from its ``shell:`` (or ``defaults: run: shell:``); None or blank for none."""
    words = (shell or "").split()
    if not words:
        return GITHUB_DEFAULT
    if len(words) == 1:
        name = words[0].rsplit("/", 1)[-1]
        return {"bash": GITHUB_BASH, "sh": Shell(True, False)}.get(name, GITHUB_DEFAULT)
    errexit = pipefail = False
    options = iter(words[1:])
    for word in options:
        if word.startswith("-") and not word.startswith("--"):
            errexit = errexit or "e" in word
            if "o" in word:
                pipefail = pipefail or next(options, "") == "pipefail"
    return Shell(errexit, pipefail)


@dataclass(frozen=True)
class Reason:
    """Why a command cannot fail its script: ``kind`` (one of the constants above) and what shows it."""

    kind: str
    detail: str = ""

    @property
    def text(self) -> str:
        """The reason as a phrase about the command: ``has its failure swallowed (|| true)``."""
        return {
            MENTION: "is not run (a comment or a here-document)",
            PRINTED: f"is only printed ({self.detail} in front)",
            NAMED: f"is only printed ({self.detail} in front)",
            EXIT_ZERO: f"passes whatever it finds ({self.detail})",
            BACKGROUND: "runs in the background (&), so its failure is never seen",
            NEGATED: "is negated (!), so its failure reads as success",
            PIPED: f"is piped ({self.detail}) without pipefail, so only the last command's status counts",
            SWALLOWED: f"has its failure swallowed ({self.detail})",
            IGNORED: f"has its failure ignored ({self.detail})",
            CONDITION: f"is only the condition of {self.detail}, so its failure never fails the script",
            ERREXIT_OFF: "runs after set +e and is not the script's last command, so its failure is ignored",
            AND_LIST: f"fails inside an && list ({self.detail}), which set -e ignores, before other commands",
        }.get(self.kind, self.kind)

    @property
    def short(self) -> str:
        """The reason in a few words: ``|| true``, ``--exit-code 0``, ``set +e``."""
        return {
            MENTION: "not run",
            PRINTED: f"only an argument of {self.detail}",
            NAMED: f"only an argument of {self.detail}",
            BACKGROUND: "& runs it in the background",
            NEGATED: "negated with !",
            PIPED: f"{self.detail} without pipefail",
            CONDITION: f"only the condition of {self.detail}",
            ERREXIT_OFF: "set +e",
            AND_LIST: f"a failure in an && list ({self.detail}) does not stop the script",
        }.get(self.kind, self.detail)


def judge(script: str, start: int, end: int | None = None, shell: Shell = GITHUB_DEFAULT) -> Reason | None:
    """Why the command at ``script[start:end]`` cannot fail the script, or None when its failure fails it (or the
    script is too odd to judge). ``start`` is where the command's name is; ``end`` defaults to ``start``."""
    try:
        return _Judgement(_parse(script), shell, start, start if end is None else end).reason()
    except RecursionError:  # pragma: no cover - the parser bounds its depth; this only keeps the promise
        return None


# ---- tokens ------------------------------------------------------------------------------------------------------

WORD, OP, NEWLINE, REDIRECT = "word", "op", "newline", "redirect"
_METACHARS = frozenset("|&;()<> \t\n")
_OPERATORS = ("&&", "||", ";;&", ";;", ";&", "|&", ";", "&", "|", "(", ")")


@dataclass(frozen=True)
class Token:
    kind: str
    start: int
    end: int
    text: str

    @functools.cached_property
    def value(self) -> str:
        """The word without its quotes and escapes (roughly, as the shell would read a plain word)."""
        if not any(char in self.text for char in "'\"\\"):
            return self.text
        return self.text.replace("\\\n", "").replace("\\", "").replace("'", "").replace('"', "")

    @property
    def plain(self) -> bool:
        """A word with no quoting, which the shell may read as a reserved word."""
        return not any(char in self.text for char in "'\"\\$`")


def _tokens(text: str) -> tuple[list[Token], list[tuple[int, int]]]:
    """The tokens of a script and the spans it does not run (comments, here-document bodies), in one pass."""
    tokens: list[Token] = []
    quiet: list[tuple[int, int]] = []
    heredocs: list[tuple[str, bool]] = []
    length = len(text)
    index = 0
    while index < length:
        char = text[index]
        if char in " \t\r":
            index += 1
        elif char == "\\" and text.startswith("\\\n", index):
            index += 2
        elif char == "\n":
            tokens.append(Token(NEWLINE, index, index + 1, "\n"))
            index += 1
            if heredocs:
                index = _heredoc_bodies(text, index, heredocs, quiet)
                heredocs = []
        elif char == "#":
            end = text.find("\n", index)
            end = length if end < 0 else end
            quiet.append((index, end))
            index = end
        elif text.startswith("((", index):
            end = _closing(text, index)
            tokens.append(Token(WORD, index, end, text[index:end]))
            index = end
        elif char in "<>" and text.startswith("(", index + 1):  # a process substitution: one word
            end = _closing(text, index + 1)
            tokens.append(Token(WORD, index, end, text[index:end]))
            index = end
        elif char in "<>" or (char == "&" and text.startswith("&>", index)):
            index = _redirect(text, index, tokens, heredocs)
        elif char in "|&;()":
            operator = next(item for item in _OPERATORS if text.startswith(item, index))
            tokens.append(Token(OP, index, index + len(operator), operator))
            index += len(operator)
        else:
            end = _word_end(text, index)
            tokens.append(Token(WORD, index, end, text[index:end]))
            index = end
    return tokens, quiet


def _redirect(text: str, index: int, tokens: list[Token], heredocs: list[tuple[str, bool]]) -> int:
    """A redirection operator (with the file descriptor number just before it) as one token; the word after a
    ``<<`` is remembered as a here-document's delimiter."""
    start = index
    previous = tokens[-1] if tokens else None
    if previous is not None and previous.kind == WORD and previous.end == index and previous.text.isdigit():
        tokens.pop()
        start = previous.start
    end = index + 1
    while end < len(text) and end - index < 3 and text[end] in "<>&|-":
        end += 1
    operator = text[index:end]
    tokens.append(Token(REDIRECT, start, end, text[start:end]))
    if operator.startswith("<<") and not operator.startswith("<<<"):
        cursor = end
        while cursor < len(text) and text[cursor] in " \t":
            cursor += 1
        word_end = _word_end(text, cursor) if cursor < len(text) and text[cursor] not in _METACHARS else cursor
        delimiter = Token(WORD, cursor, word_end, text[cursor:word_end]).value
        if delimiter:
            heredocs.append((delimiter, operator.startswith("<<-")))
    return end


def _heredoc_bodies(text: str, index: int, heredocs: list[tuple[str, bool]], quiet: list[tuple[int, int]]) -> int:
    """Skip the bodies of the here-documents opened on the line that just ended; each is a span not run."""
    for delimiter, tabs in heredocs:
        start = index
        while index < len(text):
            end = text.find("\n", index)
            end = len(text) if end < 0 else end
            line = text[index:end]
            index = min(end + 1, len(text))
            if (line.lstrip("\t") if tabs else line) == delimiter:
                break
        quiet.append((start, index))
    return index


def _word_end(text: str, index: int) -> int:
    """Where the word starting at ``index`` ends: quotes, escapes, ``$( )``, ``${ }`` and back-quotes inside it."""
    length = len(text)
    while index < length:
        char = text[index]
        if char in _METACHARS:
            return index
        if char == "\\":
            index += 2
        elif char == "'":
            index = _after(text, "'", index + 1)
        elif char == '"':
            index = _double_quoted(text, index + 1)
        elif char == "`":
            index = _backquoted(text, index + 1)
        elif char == "$" and index + 1 < length and text[index + 1] in "({'":
            quoted = text[index + 1] == "'"
            index = _escaped_until(text, "'", index + 2) if quoted else _closing(text, index + 1)
        else:
            index += 1
    return min(index, length)


def _after(text: str, quote: str, index: int) -> int:
    end = text.find(quote, index)
    return len(text) if end < 0 else end + 1


def _escaped_until(text: str, quote: str, index: int) -> int:
    while index < len(text):
        if text[index] == "\\":
            index += 2
        elif text[index] == quote:
            return index + 1
        else:
            index += 1
    return len(text)


def _double_quoted(text: str, index: int) -> int:
    """The end of a ``"..."`` whose body starts at ``index``; a ``$( )`` inside is skipped whole."""
    while index < len(text):
        char = text[index]
        if char == "\\":
            index += 2
        elif char == '"':
            return index + 1
        elif char == "$" and text.startswith("$(", index):
            index = _closing(text, index + 1)
        elif char == "`":
            index = _backquoted(text, index + 1)
        else:
            index += 1
    return len(text)


def _backquoted(text: str, index: int) -> int:
    return _escaped_until(text, "`", index)


def _closing(text: str, index: int) -> int:
    """The end of the bracketed text opening at ``index`` (``(`` or ``{``): nested brackets counted, quotes skipped."""
    opening = text[index]
    closing = ")" if opening == "(" else "}"
    depth = 0
    while index < len(text):
        char = text[index]
        if char == "\\":
            index += 2
            continue
        if char == "'":
            index = _after(text, "'", index + 1)
            continue
        if char == '"':
            index = _escaped_until(text, '"', index + 1)
            continue
        if char == "`":
            index = _backquoted(text, index + 1)
            continue
        if char == opening:
            depth += 1
        elif char == closing:
            depth -= 1
            if depth == 0:
                return index + 1
        index += 1
    return len(text)


# ---- the parse ---------------------------------------------------------------------------------------------------


@dataclass(eq=False)
class Node:
    """A node of the parse: ``position`` is its index in its parent's list, ``role`` ``condition`` for the
    condition of an ``if``, ``elif``, ``while`` or ``until``."""

    parent: Node | None = field(default=None, repr=False)
    position: int = 0
    role: str = ""


@dataclass(eq=False)
class Simple(Node):
    """A simple command: its words (redirections left out) and its span."""

    words: list[Token] = field(default_factory=list)
    start: int = 0
    end: int = 0


@dataclass(eq=False)
class Pipeline(Node):
    negated: bool = False
    commands: list[Node] = field(default_factory=list)


@dataclass(eq=False)
class AndOr(Node):
    operators: list[str] = field(default_factory=list)  # "" before the first pipeline, then "&&" or "||"
    pipelines: list[Pipeline] = field(default_factory=list)


@dataclass(eq=False)
class Sequence(Node):
    items: list[AndOr] = field(default_factory=list)
    separators: list[str] = field(default_factory=list)  # after each item: ";", "&", "\n" or ""


@dataclass(eq=False)
class Compound(Node):
    """``{ }``, ``( )``, ``if``, ``while``, ``until``, ``for``, ``case``, a function; ``conditions[i]`` goes with
    ``bodies[i]`` for ``if``/``elif`` (an ``else`` body has none) and for a loop."""

    kind: str = "{"
    conditions: list[Sequence] = field(default_factory=list)
    bodies: list[Sequence] = field(default_factory=list)


@dataclass(eq=False)
class Parsed:
    text: str
    root: Sequence
    simples: list[Simple]
    quiet: list[tuple[int, int]]
    opaque_from: int  # offset from which the script nests too deep to be judged
    failing: dict[int, bool] = field(default_factory=dict)  # id(node) -> whether it holds a failing command


_EMPTY: frozenset[str] = frozenset()


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.tokens, self.quiet = _tokens(text)
        self.index = 0
        self.simples: list[Simple] = []
        self.opaque_from = len(text) + 1

    def peek(self, ahead: int = 0) -> Token | None:
        position = self.index + ahead
        return self.tokens[position] if position < len(self.tokens) else None

    def at_word(self, *values: str) -> bool:
        token = self.peek()
        return token is not None and token.kind == WORD and token.plain and token.text in values

    def at_op(self, *values: str) -> bool:
        token = self.peek()
        return token is not None and token.kind == OP and token.text in values

    def expect_word(self, value: str) -> None:
        if self.at_word(value):
            self.index += 1

    def skip_newlines(self) -> None:
        while (token := self.peek()) is not None and token.kind == NEWLINE:
            self.index += 1

    def give_up(self) -> None:
        """Too deep: nothing from here on is judged, and the parse ends."""
        token = self.peek()
        self.opaque_from = min(self.opaque_from, token.start if token is not None else len(self.text))
        self.index = len(self.tokens)

    def sequence(self, stops: frozenset[str], depth: int, in_parens: bool = False) -> Sequence:
        found = Sequence()
        while (token := self.peek()) is not None:
            if token.kind == NEWLINE or (token.kind == OP and token.text == ";"):
                self.index += 1
                continue
            if token.kind == OP and token.text == ")" and in_parens:
                break
            if token.kind == OP and token.text in (";;", ";&", ";;&") and "esac" in stops:
                break
            if token.kind == WORD and token.plain and token.text in stops:
                break
            item = self.and_or(depth)
            if item is None:
                self.index += 1  # an operator that starts nothing: skip it
                continue
            item.parent, item.position = found, len(found.items)
            found.items.append(item)
            following = self.peek()
            if following is not None and (following.kind == NEWLINE or following.text in (";", "&")):
                found.separators.append(following.text if following.kind == OP else "\n")
                self.index += 1
            else:
                found.separators.append("")
        return found

    def and_or(self, depth: int) -> AndOr | None:
        first = self.pipeline(depth)
        if first is None:
            return None
        found = AndOr(operators=[""], pipelines=[first])
        while self.at_op("&&", "||"):
            operator = self.tokens[self.index].text
            self.index += 1
            self.skip_newlines()
            following = self.pipeline(depth)
            if following is None:
                break
            found.operators.append(operator)
            found.pipelines.append(following)
        for position, pipeline in enumerate(found.pipelines):
            pipeline.parent, pipeline.position = found, position
        return found

    def pipeline(self, depth: int) -> Pipeline | None:
        negated = False
        while self.at_word("!", "time"):
            negated = negated != (self.tokens[self.index].text == "!")
            self.index += 1
        first = self.command(depth)
        if first is None:
            return None
        found = Pipeline(negated=negated, commands=[first])
        while self.at_op("|", "|&"):
            self.index += 1
            self.skip_newlines()
            following = self.command(depth)
            if following is None:
                break
            found.commands.append(following)
        for position, command in enumerate(found.commands):
            command.parent, command.position = found, position
        return found

    def command(self, depth: int) -> Node | None:
        token = self.peek()
        if token is None or token.kind == NEWLINE or (token.kind == OP and token.text != "("):
            return None
        if depth > MAX_DEPTH:
            self.give_up()
            return None
        if token.kind == OP:  # a subshell
            self.index += 1
            body = self.sequence(_EMPTY, depth + 1, in_parens=True)
            if self.at_op(")"):
                self.index += 1
            return self.compound("(", [], [body])
        if token.kind == WORD and token.plain:
            reader = {
                "{": self.group,
                "if": self.if_clause,
                "while": self.loop,
                "until": self.loop,
                "for": self.for_loop,
                "select": self.for_loop,
                "case": self.case,
                "function": self.function,
            }.get(token.text)
            if reader is not None:
                return reader(depth + 1)
            if token.text == "[[":
                return self.test_command()
        return self.simple(depth)

    def compound(self, kind: str, conditions: list[Sequence], bodies: list[Sequence]) -> Compound:
        found = Compound(kind=kind, conditions=conditions, bodies=bodies)
        for position, condition in enumerate(conditions):
            condition.parent, condition.position, condition.role = found, position, "condition"
        for position, body in enumerate(bodies):
            body.parent, body.position = found, position
        return found

    def group(self, depth: int) -> Compound:
        self.index += 1
        body = self.sequence(frozenset({"}"}), depth)
        self.expect_word("}")
        return self.compound("{", [], [body])

    def if_clause(self, depth: int) -> Compound:
        self.index += 1
        conditions: list[Sequence] = []
        bodies: list[Sequence] = []
        while True:
            conditions.append(self.sequence(frozenset({"then"}), depth))
            self.expect_word("then")
            bodies.append(self.sequence(frozenset({"elif", "else", "fi"}), depth))
            if not self.at_word("elif"):
                break
            self.index += 1
        if self.at_word("else"):
            self.index += 1
            bodies.append(self.sequence(frozenset({"fi"}), depth))
        self.expect_word("fi")
        return self.compound("if", conditions, bodies)

    def loop(self, depth: int) -> Compound:
        kind = self.tokens[self.index].text
        self.index += 1
        condition = self.sequence(frozenset({"do"}), depth)
        self.expect_word("do")
        body = self.sequence(frozenset({"done"}), depth)
        self.expect_word("done")
        return self.compound(kind, [condition], [body])

    def for_loop(self, depth: int) -> Compound:
        self.index += 1
        while (token := self.peek()) is not None and not (token.kind == WORD and token.plain and token.text == "do"):
            self.index += 1
        self.expect_word("do")
        body = self.sequence(frozenset({"done"}), depth)
        self.expect_word("done")
        return self.compound("for", [], [body])

    def case(self, depth: int) -> Compound:
        self.index += 1
        while (token := self.peek()) is not None and not (token.kind == WORD and token.plain and token.text == "in"):
            self.index += 1
        self.expect_word("in")
        bodies: list[Sequence] = []
        while (token := self.peek()) is not None:
            if token.kind == NEWLINE:
                self.index += 1
                continue
            if token.kind == WORD and token.plain and token.text == "esac":
                self.index += 1
                break
            while (token := self.peek()) is not None and not (token.kind == OP and token.text == ")"):
                if token.kind == WORD and token.plain and token.text == "esac":
                    break
                self.index += 1  # the pattern
            if self.at_op(")"):
                self.index += 1
            bodies.append(self.sequence(frozenset({"esac"}), depth))
            if self.at_op(";;", ";&", ";;&"):
                self.index += 1
        return self.compound("case", [], bodies)

    def function(self, depth: int) -> Node | None:
        self.index += 1
        if (token := self.peek()) is not None and token.kind == WORD:
            self.index += 1
        if self.at_op("(") and (after := self.peek(1)) is not None and after.text == ")":
            self.index += 2
        self.skip_newlines()
        body = self.command(depth)
        return self.function_of(body)

    def function_of(self, body: Node | None) -> Node | None:
        if body is None:
            return None
        found = Compound(kind="function")
        wrapper = Sequence(parent=found)
        item = AndOr(parent=wrapper, operators=[""], pipelines=[Pipeline(commands=[body])])
        item.pipelines[0].parent = item
        body.parent = item.pipelines[0]
        wrapper.items.append(item)
        wrapper.separators.append("")
        found.bodies.append(wrapper)
        return found

    def test_command(self) -> Simple:
        """``[[ ... ]]``: one command whatever operators are inside."""
        words: list[Token] = []
        while (token := self.peek()) is not None and token.kind != NEWLINE:
            self.index += 1
            words.append(token)
            if token.kind == WORD and token.text == "]]":
                break
        return self.add(Simple(words=words, start=words[0].start, end=words[-1].end))

    def simple(self, depth: int) -> Node | None:
        words: list[Token] = []
        start = end = -1
        while (token := self.peek()) is not None and token.kind in (WORD, REDIRECT):
            self.index += 1
            start = token.start if start < 0 else start
            end = token.end
            if token.kind == REDIRECT:
                target = self.peek()
                if target is not None and target.kind == WORD:
                    self.index += 1
                    end = target.end
                continue
            words.append(token)
        if start < 0:
            return None
        if len(words) == 1 and self.at_op("(") and (after := self.peek(1)) is not None and after.text == ")":
            self.index += 2  # name() compound: a function definition
            self.skip_newlines()
            return self.function_of(self.command(depth + 1))
        return self.add(Simple(words=words, start=start, end=end))

    def add(self, simple: Simple) -> Simple:
        self.simples.append(simple)
        return simple


@functools.lru_cache(maxsize=64)
def _parse(text: str) -> Parsed:
    parser = _Parser(text)
    root = parser.sequence(_EMPTY, 0)
    while parser.index < len(parser.tokens):  # a stray "}" or "fi" ends a sequence early: read on after it
        parser.index += 1
        more = parser.sequence(_EMPTY, 0)
        for item in more.items:
            item.parent, item.position = root, len(root.items)
            root.items.append(item)
        root.separators += more.separators
    return Parsed(text, root, parser.simples, parser.quiet, parser.opaque_from)


@dataclass(frozen=True)
class Run:
    """A simple command the script runs: its words from the command's name on (assignments and wrappers such as
    ``sudo`` left out), its span, and the simple command a pipe hands its output to (None when there is none)."""

    words: list[Token]
    start: int
    end: int
    piped_into: list[Token] | None


def runs(script: str) -> list[Run]:
    """The simple commands of a script, in order; comments and here-document bodies are not commands."""
    found = []
    for simple in _parse(script).simples:
        words = _command_words(simple)
        if not words:
            continue
        parent = simple.parent
        following = None
        if isinstance(parent, Pipeline) and simple.position + 1 < len(parent.commands):
            after = parent.commands[simple.position + 1]
            following = _command_words(after) if isinstance(after, Simple) else None
        found.append(Run(words, simple.start, simple.end, following))
    return found


# ---- the judgement -----------------------------------------------------------------------------------------------

FAIL, STOP, OK = "fail", "stop", "ok"  # status non-zero; the script stops failing; status zero
_PRINTERS = frozenset({"echo", "printf", ":", "true"})
_PREFIXES = frozenset({"sudo", "env", "time", "command", "exec", "nohup", "builtin"})
_SUCCEEDS, _FAILS, _EXITS, _EXITS_OK = "succeeds", "fails", "exits", "exits-ok"


def _assignment(word: str) -> bool:
    name, equals, _ = word.partition("=")
    return bool(equals) and name.rstrip("+").replace("_", "a").isalnum() and not name[:1].isdigit()


def _command_words(simple: Simple) -> list[Token]:
    """The words from the command's name on: assignments and wrappers (``sudo``, ``env``, ``time``) left out."""
    words = simple.words
    first = 0
    while first < len(words) and (_assignment(words[first].text) or words[first].value in _PREFIXES):
        first += 1
    return words[first:]


def _exit_status(argument: str) -> int | None:
    return int(argument) % 256 if argument.isdigit() and len(argument) < 12 else None


@dataclass
class _Judgement:
    parsed: Parsed
    shell: Shell
    start: int
    end: int

    def reason(self) -> Reason | None:
        parsed = self.parsed
        if not 0 <= self.start < len(parsed.text):
            return Reason(MENTION)
        if any(start <= self.start < end for start, end in _around(parsed.quiet, self.start)):
            return Reason(MENTION)
        if self.start >= parsed.opaque_from:
            return None
        position = bisect.bisect_right(parsed.simples, self.start, key=lambda simple: simple.start) - 1
        if position < 0 or not parsed.simples[position].start <= self.start < parsed.simples[position].end:
            return Reason(MENTION)
        simple = parsed.simples[position]
        errexit, pipefail = _state(parsed, self.shell)[position]
        own = self.own_words(simple)
        if own is not None:
            return own
        return self.climb(simple, errexit, pipefail)

    def own_words(self, simple: Simple) -> Reason | None:
        """What the command's own words say: printed by an ``echo`` in front, or told to pass."""
        words = _command_words(simple)
        at = next((number for number, word in enumerate(words) if word.end > self.start), len(words))
        leading = words[:at]
        if leading and leading[0].value in _PRINTERS:
            options = all(word.value.startswith("-") or not word.value for word in leading[1:])
            first = at >= len(words) or not self.parsed.text[words[at].start : self.start].strip("'\"$")
            return Reason(PRINTED if options and first else NAMED, leading[0].value)
        following = words[at:]
        for number, word in enumerate(following):
            value = word.value
            if value == "--exit-zero":
                return Reason(EXIT_ZERO, "--exit-zero")
            name, equals, argument = value.partition("=")
            if name == "--exit-code" and not equals and number + 1 < len(following):
                argument = following[number + 1].value
            if name == "--exit-code" and argument and _exit_status(argument) == 0:
                return Reason(EXIT_ZERO, "--exit-code " + ("0" if argument.strip("0") == "" else argument))
        return None

    def climb(self, simple: Simple, errexit: bool, pipefail: bool) -> Reason | None:
        """Follow the failure of ``simple`` up through the constructs around it."""
        node: Node = simple
        status, reason, by_errexit = FAIL, None, False
        lost: Reason | None = Reason(ERREXIT_OFF, "set +e") if not errexit else None
        while node.parent is not None:
            parent = node.parent
            if isinstance(parent, Pipeline):
                status, reason = self.in_pipeline(parent, node, status, reason, pipefail)
            elif isinstance(parent, AndOr):
                status, reason, lost, by_errexit = self.in_and_or(parent, node, status, reason, lost, errexit)
            elif isinstance(parent, Sequence):
                outcome = self.in_sequence(parent, node, status, reason, lost, by_errexit)
                if outcome is not None:
                    return outcome[1] if outcome[0] else None
            elif isinstance(parent, Compound):
                outcome = self.in_compound(parent, node, status)
                if outcome is not None:
                    return outcome[1] if outcome[0] else None
                if parent.kind == "(" and status == STOP:
                    status = FAIL  # the subshell ends with the failure as its status
            node = parent
        return reason if status == OK else None

    def in_pipeline(
        self, pipeline: Pipeline, node: Node, status: str, reason: Reason | None, pipefail: bool
    ) -> tuple[str, Reason | None]:
        commands = pipeline.commands
        position = _index(commands, node)
        if len(commands) > 1 and status == STOP:
            status = FAIL  # each command of a pipe runs in a subshell
        if status == FAIL and position < len(commands) - 1 and not pipefail:
            status, reason = OK, Reason(PIPED, "| " + _first_word(commands[position + 1]))
        if pipeline.negated and status != STOP:
            status, reason = (OK, Reason(NEGATED, "!")) if status == FAIL else (FAIL, None)
        return status, reason

    def in_and_or(
        self, item: AndOr, node: Node, status: str, reason: Reason | None, lost: Reason | None, errexit: bool
    ) -> tuple[str, Reason | None, Reason | None, bool]:
        if status == STOP:
            return status, reason, lost, False
        position = _index(item.pipelines, node)
        ran = position
        for number in range(position + 1, len(item.pipelines)):
            operator = item.operators[number]
            if (operator == "&&") != (status == OK):
                continue
            previous_failed = status == FAIL
            outcome = self.statically(item.pipelines[number], previous_failed)
            if outcome == _EXITS:
                return STOP, None, lost, False
            shown = _shown(item.pipelines[number])
            if outcome == _EXITS_OK:
                return OK, (Reason(SWALLOWED, f"|| {shown}") if previous_failed else reason), lost, False
            ran = number
            if outcome == _FAILS:
                status, reason = FAIL, None
            elif previous_failed:
                status, reason = OK, Reason(SWALLOWED, f"|| {shown}")
        if status != FAIL:
            return status, reason, lost, False
        if ran < len(item.pipelines) - 1:
            following = _shown(item.pipelines[ran + 1])
            return FAIL, reason, lost or Reason(AND_LIST, f"{item.operators[ran + 1]} {following}"), False
        if errexit and not _errexit_ignored(item):
            return STOP, reason, lost, True
        return FAIL, reason, lost, False

    def in_sequence(
        self, sequence: Sequence, node: Node, status: str, reason: Reason | None, lost: Reason | None, by_errexit: bool
    ) -> tuple[bool, Reason | None] | None:
        """(True, reason) or (False, None) when the judgement is made here; None to go on up."""
        position = _index(sequence.items, node)
        separator = sequence.separators[position] if position < len(sequence.separators) else ""
        following = sequence.items[position + 1] if position + 1 < len(sequence.items) else None
        if separator == "&":
            return (True, Reason(BACKGROUND, "&")) if status != OK else (True, reason)
        if separator == ";" and following is not None and (status == FAIL or by_errexit):
            tail = _trivial_tail(following)
            if tail:
                return True, Reason(IGNORED, f"; {tail}")
        if following is None or status == STOP:
            return None
        reads = _reads_status(following)
        if status == FAIL:
            return (False, None) if reads or lost is None else (True, lost)
        if reason is not None and reason.kind == PIPED and reads:
            return False, None
        return None

    def in_compound(self, compound: Compound, node: Node, status: str) -> tuple[bool, Reason | None] | None:
        if node.role != "condition" or status == STOP:
            return None
        position = _index(compound.conditions, node)
        if compound.kind == "if":
            taken = compound.bodies[position : position + 1] if status == OK else compound.bodies[position + 1 :]
            if any(self.may_fail(body) for body in taken):
                return False, None
            return True, Reason(CONDITION, "an if")
        if (compound.kind == "while") == (status == FAIL):
            return True, Reason(CONDITION, f"a {compound.kind} loop")
        return False, None  # the loop repeats until the command passes: it can keep the script from passing

    def statically(self, pipeline: Pipeline, previous_failed: bool) -> str:
        """What a fallback pipeline does, read without running it: exits failing, exits passing, fails, succeeds."""
        last = pipeline.commands[-1] if pipeline.commands else None
        outcome = self.command_outcome(last, previous_failed) if last is not None else _SUCCEEDS
        if len(pipeline.commands) > 1:
            outcome = {_EXITS: _FAILS, _EXITS_OK: _SUCCEEDS}.get(outcome, outcome)
        if pipeline.negated:
            outcome = {_FAILS: _SUCCEEDS, _SUCCEEDS: _FAILS}.get(outcome, outcome)
        return outcome

    def command_outcome(self, command: Node, previous_failed: bool) -> str:
        if isinstance(command, Simple):
            words = _command_words(command)
            head = words[0].value if words else ""
            argument = words[1].value if len(words) > 1 else None
            if head in ("exit", "return"):
                code = _exit_status(argument) if argument is not None else (1 if previous_failed else 0)
                failed = code is None or code != 0
                if head == "exit":
                    return _EXITS if failed else _EXITS_OK
                return _FAILS if failed else _SUCCEEDS
            return _FAILS if head == "false" else _SUCCEEDS
        if isinstance(command, Compound) and self.may_fail(command):
            return _FAILS if command.kind == "(" or not self.exits(command) else _EXITS
        return _SUCCEEDS

    def may_fail(self, node: Node) -> bool:
        """Whether a command or list holds a command that fails on purpose: ``exit N`` (N not 0, or a variable),
        ``false``, ``return N``. Remembered per node, so a long branch is read once."""
        key = id(node)
        if key not in self.parsed.failing:
            self.parsed.failing[key] = any(self.failing_simple(simple) for simple in _simples(node))
        return self.parsed.failing[key]

    def exits(self, node: Node) -> bool:
        """Whether a command holds an ``exit`` that fails (remembered per node, like ``may_fail``)."""
        key = -id(node)
        if key not in self.parsed.failing:
            self.parsed.failing[key] = any(
                (words := _command_words(simple)) and words[0].value == "exit" and self.failing_simple(simple)
                for simple in _simples(node)
            )
        return self.parsed.failing[key]

    @staticmethod
    def failing_simple(simple: Simple) -> bool:
        words = _command_words(simple)
        head = words[0].value if words else ""
        if head == "false":
            return True
        if head in ("exit", "return"):
            return len(words) < 2 or _exit_status(words[1].value) != 0
        return False


def _around(spans: list[tuple[int, int]], offset: int) -> list[tuple[int, int]]:
    position = bisect.bisect_right(spans, (offset, len(spans) + offset + 1)) - 1
    return spans[position : position + 1] if position >= 0 else []


def _index(items: list[Any], node: Node) -> int:
    """The node's index among its parent's items (kept by the parser, so no list is searched)."""
    return node.position if node.position < len(items) and items[node.position] is node else 0


def _simples(node: Node) -> Iterator[Simple]:
    """The simple commands inside a node, in the order written (without recursion)."""
    pending: list[Node] = [node]
    while pending:
        item = pending.pop()
        if isinstance(item, Simple):
            yield item
            continue
        children: list[Node] = []
        if isinstance(item, Pipeline):
            children = [*item.commands]
        elif isinstance(item, AndOr):
            children = [*item.pipelines]
        elif isinstance(item, Sequence):
            children = [*item.items]
        elif isinstance(item, Compound):  # each condition before its body; an else body last
            paired = zip(item.conditions, item.bodies, strict=False)
            children = [part for pair in paired for part in pair]
            children += item.bodies[len(item.conditions) :]
        pending.extend(reversed(children))


def _first_word(node: Node) -> str:
    simple = next(_simples(node), None)
    words = _command_words(simple) if simple is not None else []
    return words[0].value[:30] if words else "..."


def _shown(pipeline: Pipeline) -> str:
    """A fallback as a finding names it: ``true``, ``exit 0``, ``(true)``, ``{ ... }``."""
    command = pipeline.commands[0] if pipeline.commands else None
    if isinstance(command, Simple):
        words = _command_words(command)
        if words and words[0].value in ("exit", "return") and len(words) > 1:
            return f"{words[0].value} {words[1].value[:10]}"
        return words[0].value[:30] if words else "..."
    if isinstance(command, Compound) and command.kind in ("(", "{"):
        inner = " ".join(word.value for simple in _simples(command) for word in _command_words(simple)[:2])
        inner = inner if len(inner) <= 20 else inner[:17] + "..."
        return f"({inner})" if command.kind == "(" else f"{{ {inner}; }}"
    return _first_word(command) if command is not None else "..."


def _trivial_tail(item: AndOr) -> str:
    """``true``, ``:`` or ``exit 0`` when that is the whole of a command list, else ""."""
    if len(item.pipelines) != 1 or len(item.pipelines[0].commands) != 1 or item.pipelines[0].negated:
        return ""
    command = item.pipelines[0].commands[0]
    if not isinstance(command, Simple):
        return ""
    words = [word.value for word in command.words]
    if words in (["true"], [":"]):
        return words[0]
    if len(words) == 2 and words[0] == "exit" and _exit_status(words[1]) == 0:
        return "exit 0"
    return ""


def _reads_status(item: AndOr) -> bool:
    """Whether a command list starts by reading the previous status (``$?``, ``PIPESTATUS``)."""
    first = min(_simples(item), key=lambda simple: simple.start, default=None)
    return first is not None and any(
        "$?" in word.text or "${?}" in word.text or "PIPESTATUS" in word.text for word in first.words
    )


def _errexit_ignored(item: AndOr) -> bool:
    """Whether errexit is ignored where a command list runs: in a condition, under ``!``, or in an ``&&``/``||``
    list before its last command, at any level around it."""
    node: Node = item
    while node.parent is not None:
        parent = node.parent
        if isinstance(parent, Pipeline) and parent.negated:
            return True
        if isinstance(parent, AndOr) and _index(parent.pipelines, node) < len(parent.pipelines) - 1:
            return True
        if isinstance(parent, Compound) and node.role == "condition":
            return True
        node = parent
    return False


@functools.lru_cache(maxsize=64)
def _state(parsed: Parsed, shell: Shell) -> tuple[tuple[bool, bool], ...]:
    """(errexit, pipefail) in force before each simple command, ``set`` commands applied in the order written."""
    errexit, pipefail = shell.errexit, shell.pipefail
    found: list[tuple[bool, bool]] = []
    for simple in parsed.simples:
        found.append((errexit, pipefail))
        words = _command_words(simple)
        if words and words[0].value == "set":
            errexit, pipefail = _set(words[1:], errexit, pipefail)
    return tuple(found)


def _set(arguments: list[Token], errexit: bool, pipefail: bool) -> tuple[bool, bool]:
    values = [word.value for word in arguments]
    for number, value in enumerate(values):
        if value[:1] not in ("-", "+") or value in ("-", "--"):
            continue
        on = value[0] == "-"
        letters = value[1:]
        if "e" in letters:
            errexit = on
        if "o" in letters and number + 1 < len(values):
            option = values[number + 1]
            errexit = on if option == "errexit" else errexit
            pipefail = on if option == "pipefail" else pipefail
    return errexit, pipefail
