"""Shared reading of the shell in ``RUN`` instructions: simple commands and pipes, with their place in the file.

Not a shell parser, only a scanner good enough for auditing: quotes, backslash escapes, ``$(...)`` and backticks
stay inside one word, ``#`` starts a comment, and the ``|`` of a ``case`` pattern (``a|b)``) is not a pipe. It
never raises. Heredoc bodies are read as shell only when the ``RUN`` has no other command (or a POSIX shell) and
the body has no shebang of another interpreter.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from scaffold.rules.docker.instructions import Instruction, Position, Stage, final_chain, unquote

SHELLS = frozenset({"sh", "bash", "ash", "dash", "zsh", "ksh", "mksh", "busybox"})
# Operators that end a simple command, longest first.
_OPERATORS = ("&&", "||", ";;&", ";;", ";&", "|&", "|", "&", ";", "\n", "(", ")", "{", "}")
# Words that may come before the command itself: shell keywords and wrappers that run the rest as a command.
_PREFIX = frozenset({"if", "then", "else", "elif", "do", "while", "until", "!", "time", "exec", "sudo", "env", "xargs"})
_ASSIGNMENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*=")
_HEREDOC_WORD = re.compile(r"<<-?")
_OPERATOR_STARTS = frozenset(item[0] for item in _OPERATORS)
_WORD_SPECIAL = re.compile(r"[\\'\"`$()<>& \t\r\n;|]")  # what ends a word or needs reading in one


@dataclass(frozen=True)
class Token:
    kind: str  # "word", or the operator itself ("|", "&&", ...)
    text: str  # the word as written (quotes kept) or the operator
    offset: int  # where it starts in the script


@dataclass(frozen=True)
class Script:
    """One piece of shell text of a RUN with a way to place an offset of it in the file."""

    text: str
    place: Callable[[int], Position]
    tokens: tuple[Token, ...]

    def commands(self, strip: bool = True) -> list[list[Token]]:
        """The simple commands, each as its words; ``strip`` removes leading keywords, assignments and wrappers."""
        cached: list[list[Token]] | None = self.__dict__.get(f"_commands_{strip}")
        if cached is not None:
            return cached
        found: list[list[Token]] = []
        current: list[Token] = []
        for token in (*self.tokens, Token(";", ";", len(self.text))):
            if token.kind == "word":
                current.append(token)
                continue
            first = 0  # the first word left once prefixes are skipped (an index: popping the front is quadratic)
            while (
                strip
                and first < len(current)
                and (_ASSIGNMENT.match(current[first].text) or _is_prefix(current[first].text))
            ):
                first += 1
                while first < len(current) and current[first].text.startswith("-"):  # sudo -u x, env -i ...
                    first += 1
            if first < len(current):
                found.append(current[first:])
            current = []
        self.__dict__[f"_commands_{strip}"] = found
        return found

    def pipes(self) -> list[Token]:
        return [token for token in self.tokens if token.kind in ("|", "|&")]


def _is_prefix(word: str) -> bool:
    return word in _PREFIX or word.rsplit("/", 1)[-1] in ("sudo", "env", "xargs")


def name(word: Token) -> str:
    """A command word without quotes and directory: ``/usr/bin/apt-get`` -> ``apt-get``."""
    return unquote(word.text).rsplit("/", 1)[-1]


def tokenize(text: str) -> tuple[Token, ...]:
    """Words and operators of ``text``; ``|`` inside a ``case`` pattern is part of the pattern, not a pipe."""
    tokens: list[Token] = []
    index = 0
    length = len(text)
    # case handling: a stack of states, "head" (before `in`), "pattern" (before `)`), "body" (before `;;`)
    cases: list[str] = []
    command_start = True
    while index < length:
        char = text[index]
        if char == "\\" and index + 1 < length and text[index + 1] == "\n":
            index += 2
            continue
        if char in " \t\r":
            index += 1
            continue
        if char == "#" and (index == 0 or text[index - 1] in " \t\n;&|()"):
            end = text.find("\n", index)
            index = length if end < 0 else end
            continue
        operator = (
            next((item for item in _OPERATORS if text.startswith(item, index)), None)
            if char in _OPERATOR_STARTS
            else None
        )
        if text.startswith("&>", index):
            operator = None
        if operator is not None and operator in ("{", "}"):
            operator = None if (index + 1 < length and text[index + 1] not in " \t\n;") else operator
        if operator is not None:
            if cases and cases[-1] == "pattern" and operator in ("|", "("):
                index += len(operator)
                continue
            if cases and cases[-1] == "pattern" and operator == ")":
                cases[-1] = "body"
                tokens.append(Token(";", ";", index))  # the clause's commands start here
                command_start = True
                index += 1
                continue
            if cases and cases[-1] == "body" and operator in (";;", ";&", ";;&"):
                cases[-1] = "pattern"
                tokens.append(Token(";", ";", index))
                index += len(operator)
                continue
            if cases and cases[-1] == "pattern" and operator == "\n":
                index += 1
                continue
            tokens.append(Token(operator, operator, index))
            command_start = True
            index += len(operator)
            continue
        start = index
        index = max(_word_end(text, index), index + 1)
        word = text[start:index]
        if cases and cases[-1] == "head" and word == "in":
            cases[-1] = "pattern"
            tokens.append(Token(";", ";", start))
            continue
        if cases and (cases[-1] == "pattern" or (cases[-1] == "body" and command_start)) and word == "esac":
            cases.pop()
            command_start = False
            tokens.append(Token(";", ";", start))
            continue
        if cases and cases[-1] == "pattern":
            continue  # a pattern word
        if command_start and word == "case":
            cases.append("head")
        tokens.append(Token("word", word, start))
        command_start = word in _PREFIX
    return tuple(tokens)


def _word_end(text: str, index: int) -> int:
    """Where the word starting at ``index`` ends: at whitespace or an operator outside quotes and substitutions."""
    length = len(text)
    depth = 0
    while index < length:
        found = _WORD_SPECIAL.search(text, index)  # any other character is part of the word
        if found is None:
            return length
        index = found.start()
        char = text[index]
        if char == "\\":
            index += 2
            continue
        if char in "'\"`":
            close = _quote_end(text, index)
            index = close + 1
            continue
        if char == "$" and text.startswith("$(", index):
            depth += 1
            index += 2
            continue
        if depth:
            if char == "(":
                depth += 1
            elif char == ")":
                depth -= 1
            index += 1
            continue
        if char in "<>" or text.startswith("&>", index):
            index += 2 if text.startswith("&", index + 1) or char == "&" else 1
            continue
        if char in " \t\r\n;&|()":
            break
        index += 1
    return index


def _quote_end(text: str, index: int) -> int:
    """The offset of the quote closing the one at ``index`` (a backslash escapes the next character, except in
    single quotes); the text's last offset when it is never closed."""
    for found in _IN_QUOTES[text[index]].finditer(text, index + 1):
        if found.group() == text[index]:
            return found.start()
    return len(text) - 1


_IN_QUOTES = {"'": re.compile("'"), '"': re.compile(r'\\[\s\S]?|"'), "`": re.compile(r"\\[\s\S]?|`")}


def scripts(instruction: Instruction) -> list[Script]:
    """The shell of a shell-form RUN: its command line and each heredoc body that the shell runs (read once per
    instruction, however many rules ask)."""
    cached: list[Script] | None = instruction.__dict__.get("_scripts")
    if cached is None:
        cached = _scripts(instruction)
        instruction.__dict__["_scripts"] = cached
    return cached


def _scripts(instruction: Instruction) -> list[Script]:
    if instruction.keyword != "RUN" or instruction.exec_form() is not None:
        return []
    found = [Script(instruction.args, instruction.position, tokenize(instruction.args))]
    command = [word for word in instruction.words() if not _HEREDOC_WORD.match(word.text)]
    if command and unquote(command[0].text).rsplit("/", 1)[-1] not in SHELLS:
        return found  # the heredoc is the stdin of another program
    for heredoc in instruction.heredocs:
        if not heredoc.body:
            continue
        first = heredoc.body[0][1].strip()
        if first.startswith("#!") and first[2:].split(" ", 1)[0].rsplit("/", 1)[-1] not in (*SHELLS, "env"):
            continue
        if first.startswith("#!/usr/bin/env") and first.split()[-1] not in SHELLS:
            continue
        text = "\n".join(line for _, line in heredoc.body)
        starts = [number for number, _ in heredoc.body]
        found.append(Script(text, _body_place(text, starts), tokenize(text)))
    return found


def _body_place(text: str, starts: list[int]) -> Callable[[int], Position]:
    breaks = [index for index, char in enumerate(text) if char == "\n"]  # the body's lines joined with "\n"

    def place(offset: int) -> Position:
        row = bisect.bisect_left(breaks, offset)
        column = offset - (breaks[row - 1] + 1 if row else 0)
        return Position(starts[min(row, len(starts) - 1)], column + 1)

    return place


def ancestry(all_stages: tuple[Stage, ...], stage: Stage) -> list[Stage]:
    """The stage, then the earlier stage it is built FROM, and so on."""
    return final_chain((*all_stages[: stage.index], stage)) if stage.parent is not None else [stage]


def cache_mounts(instruction: Instruction) -> list[str]:
    """The targets of the RUN's ``--mount=type=cache`` options."""
    targets: list[str] = []
    for item in instruction.flags:
        key, _, value = item[2:].partition("=")
        if key.lower() != "mount":
            continue
        options = dict(part.partition("=")[::2] for part in unquote(value).split(","))
        if options.get("type") == "cache":
            target = options.get("target") or options.get("dst") or options.get("destination") or ""
            targets.append(target.rstrip("/"))
    return targets


def all_commands(instruction: Instruction) -> Iterator[tuple[Script, list[Token]]]:
    for script in scripts(instruction):
        for command in script.commands():
            yield script, command
