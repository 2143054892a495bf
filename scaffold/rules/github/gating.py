"""Whether a job, a step or a shell command of a workflow can run and fail: the reading the disabled-scan rule and
the kit's judges share.

A job or step is switched off by a constant-false ``if:`` (``false``, ``${{ false }}``, ``0``, ``false && ...``)
and cannot fail with ``continue-on-error: true``. A shell command is neutralised when it only prints
(``echo gitleaks git``), when its failure is swallowed (``|| true``, ``|| echo``, ``; true``, ``; exit 0``) or when
it is told to succeed (``--exit-code 0``). Everything here reads any shape of YAML and scans text in linear time.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

from scaffold.rules.github.expressions import expressions
from scaffold.rules.yaml_view import YNode

_FALSE = {"false", "0", "-0", "0.0", "''", '""', "null", "!true", "!1"}
_MAX_DEPTH = 8  # nested parentheses read in a condition; deeper ones are not judged constant


# ---- conditions -----------------------------------------------------------------------------------------------


def _expression(text: str) -> str | None:
    """The expression an ``if:`` or ``continue-on-error:`` value evaluates: the inside of one ``${{ }}`` that is
    the whole value, or the bare text; None when text sits around a ``${{ }}`` (a non-empty string)."""
    bare = text.strip()
    if "${{" not in bare:
        return bare
    found = expressions(bare)
    if len(found) == 1 and found[0].group(0) == bare:
        return found[0].group(1).strip()
    return None


def _split(text: str, operator: str) -> list[str]:
    """``text`` split at ``operator`` outside parentheses and '…' literals (GitHub's only string quotes)."""
    parts: list[str] = []
    depth, quoted, start, index = 0, False, 0, 0
    while index < len(text):
        char = text[index]
        if char == "'":
            quoted = not quoted
        elif not quoted and char == "(":
            depth += 1
        elif not quoted and char == ")":
            depth -= 1
        elif not quoted and depth == 0 and text.startswith(operator, index):
            parts.append(text[start:index])
            index += len(operator)
            start = index
            continue
        index += 1
    parts.append(text[start:])
    return parts


def _enclosed(text: str) -> bool:
    """Whether the whole of ``text`` is one parenthesised group."""
    if not (text.startswith("(") and text.endswith(")")):
        return False
    depth, quoted = 0, False
    for index, char in enumerate(text):
        if char == "'":
            quoted = not quoted
        elif not quoted and char == "(":
            depth += 1
        elif not quoted and char == ")":
            depth -= 1
            if depth == 0 and index < len(text) - 1:
                return False
    return depth == 0


def _false(text: str, depth: int) -> bool:
    text = text.strip()
    if depth > _MAX_DEPTH or not text:
        return False
    if _enclosed(text):
        return _false(text[1:-1], depth + 1)
    disjuncts = _split(text, "||")
    return all(any(_false_operand(part, depth) for part in _split(each, "&&")) for each in disjuncts)


def _false_operand(text: str, depth: int) -> bool:
    text = text.strip()
    if text.lower() in _FALSE:
        return True
    return _enclosed(text) and _false(text[1:-1], depth + 1)


def constant_false(condition: YNode | None) -> bool:
    """Whether an ``if:`` can never be true: the job or step never runs."""
    if condition is None or condition.text is None:
        return False
    expression = _expression(condition.text)
    return expression is not None and _false(expression, 0)


def constant_true(value: YNode | None) -> bool:
    """Whether a ``continue-on-error:`` is always on: the job or step never fails its run."""
    if value is None or value.text is None:
        return False
    expression = _expression(value.text)
    return expression is not None and expression.lower() == "true"


def switched_off(owner: YNode) -> str:
    """Why a job or step never runs or never fails (``if: false``, ``continue-on-error: true``), or ""."""
    if constant_false(owner.get("if")):
        return "never runs: its if: is always false"
    if constant_true(owner.get("continue-on-error")):
        return "cannot fail: continue-on-error: true"
    return ""


def never_runs(owner: YNode) -> bool:
    return constant_false(owner.get("if"))


# ---- the text a job or step shows -----------------------------------------------------------------------------


def node_text(node: YNode) -> str:
    """A job's or step's keys and values as ``key: value`` lines, comments left out, each node once."""
    lines: list[str] = []
    pending: list[tuple[str, YNode]] = [("", node)]
    seen: set[int] = set()
    while pending:
        key, item = pending.pop()
        if item.text is not None:
            lines.append(f"{key}: {item.text}" if key else item.text)
            continue
        if key:
            lines.append(f"{key}:")
        if id(item.node) in seen:
            continue
        seen.add(id(item.node))
        if item.is_mapping:
            children = [(name.text or "", value) for name, value in item.entries()]
        else:
            children = [("", value) for value in item.elements()]
        pending += reversed(children)
    return "\n".join(lines)


def label(step: YNode, number: int) -> str:
    """How a step is named in a finding: its name, its id, the action it uses or its script's first line."""
    for key in ("name", "id", "uses", "run"):
        value = step.get(key)
        text = value.text.strip().split("\n", 1)[0] if value is not None and value.text else ""
        if key == "uses":
            text = text.split("@", 1)[0]
        if text:
            return text if len(text) <= 60 else text[:57] + "..."
    return f"step {number}"


# ---- shell commands -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Command:
    """One command line of a script (quoted newlines and ``\\`` continuations kept inside it): ``code`` is the
    text with comments blanked, ``bare`` the same with quoted text blanked too, both the same length."""

    code: str
    bare: str

    @property
    def first_line(self) -> str:
        return self.code.split("\n", 1)[0].strip()


@functools.lru_cache(maxsize=256)
def commands(script: str) -> tuple[Command, ...]:
    """The command lines of a shell script, in one pass (cached: every judge asks about the same scripts)."""
    found: list[Command] = []
    code: list[str] = []
    bare: list[str] = []
    quote = ""
    index = 0
    while index < len(script):
        char = script[index]
        if quote:
            escaped = quote == '"' and char == "\\" and index + 1 < len(script)
            if escaped:
                code += [char, script[index + 1]]
                bare += ["_", "_" if script[index + 1] != "\n" else " "]
                index += 2
                continue
            quote = "" if char == quote else quote
            code.append(char)
            bare.append(char if not quote else ("_" if char != "\n" else " "))
        elif char == "\\" and index + 1 < len(script):
            code += [char, script[index + 1]]
            bare += [" ", " "]
            index += 2
            continue
        elif char in "'\"":
            quote = char
            code.append(char)
            bare.append(char)
        elif char == "#" and (not code or code[-1][-1] in " \t;&|("):
            end = script.find("\n", index)
            end = len(script) if end < 0 else end
            code.append(" " * (end - index))
            bare.append(" " * (end - index))
            index = end
            continue
        elif char == "\n":
            _close(found, code, bare)
            code, bare = [], []
        else:
            code.append(char)
            bare.append(char)
        index += 1
    _close(found, code, bare)
    return tuple(found)


def _close(found: list[Command], code: list[str], bare: list[str]) -> None:
    text = "".join(code)
    if text.strip():
        found.append(Command(text, "".join(bare)))


_SEPARATOR = re.compile(r"\|\||&&|[;|&]")
_ASSIGNMENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*=\S*")
_PRINTS = {"echo", "printf", ":", "true"}
_SWALLOWS = {"true", ":", "echo", "printf"}
_EXIT_ZERO = re.compile(r"--exit-code(?:\s+|=)['\"]?0\b")


@dataclass(frozen=True)
class Segment:
    """One simple command of a command line: the separator before it and its words (quoted text blanked)."""

    separator: str
    start: int
    words: list[str]


def segments(command: Command) -> list[Segment]:
    found: list[Segment] = []
    separator, start = "", 0
    for match in _SEPARATOR.finditer(command.bare):
        found.append(Segment(separator, start, _words(command.bare[start : match.start()])))
        separator, start = match.group(0), match.end()
    found.append(Segment(separator, start, _words(command.bare[start:])))
    return found


def _words(text: str) -> list[str]:
    """The words of a simple command without leading ``VAR=value`` assignments, ``sudo``, ``then``, ``do`` …"""
    words = text.split()
    while words and (_ASSIGNMENT.fullmatch(words[0]) or words[0] in ("sudo", "then", "do", "else", "!", "{", "(")):
        words = words[1:]
    return words


def neutralised(command: Command, position: int) -> str:
    """How the command line around ``position`` (where a scan or gate is named) is kept from failing, or ""."""
    parts = segments(command)
    at = max((number for number, part in enumerate(parts) if part.start <= position), default=0)
    words = parts[at].words
    if words and words[0] in _PRINTS:
        return f"is only printed ({words[0]} in front)"
    end = parts[at + 1].start if at + 1 < len(parts) else len(command.code)
    if _EXIT_ZERO.search(command.code, parts[at].start, end):
        return "passes whatever it finds (--exit-code 0)"
    if at + 1 < len(parts) and parts[at + 1].separator == "&":
        return "runs in the background (&), so its failure is never seen"
    for part in parts[at + 1 :]:
        head = part.words[0] if part.words else ""
        exits_zero = head == "exit" and part.words[1:2] == ["0"]
        shown = "exit 0" if exits_zero else head
        if part.separator == "||" and (head in _SWALLOWS or exits_zero):
            return f"has its failure swallowed (|| {shown})"
        if part.separator == ";" and (head in ("true", ":") or exits_zero):
            return f"has its failure ignored (; {shown})"
    return ""


def effective(script: str, pattern: re.Pattern[str]) -> tuple[list[Command], list[str]]:
    """The command lines of ``script`` that run ``pattern`` and can fail, and why each other one cannot."""
    live: list[Command] = []
    dead: list[str] = []
    for command in commands(script):
        match = pattern.search(command.code)
        if match is None:
            continue
        why = neutralised(command, match.start())
        if why:
            dead.append(why)
        else:
            live.append(command)
    return live, dead
