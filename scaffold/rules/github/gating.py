"""Whether a job, a step or a shell command of a workflow can run and fail: the reading the disabled-scan rule and
the kit's judges share.

A job or step is switched off by a constant-false ``if:`` (``false``, ``${{ false }}``, ``0``, ``false && ...``,
``${{ 1 == 2 }}``, ``${{ !!false }}``: ``constant`` evaluates literals, ``!``, comparisons, ``&&``, ``||`` and
parentheses with GitHub's loose typing, and leaves contexts and functions unknown); a job also never runs when it
``needs:`` one that never runs, unless its own ``if:`` has a status check (``skipped_jobs``). It cannot fail with a
constant-true ``continue-on-error`` (``true``, ``${{ 1 == 1 }}``). Whether a command of a ``run:`` script can fail
its step is ``scaffold.rules.common.shell_exit``'s judgement, in the shell the step runs (``shell_of``: GitHub's
default ``bash -e {0}`` has no pipefail, ``shell: bash`` has it). Everything here reads any shape of YAML and scans
text in linear time.
"""

from __future__ import annotations

import functools
import re
from typing import TYPE_CHECKING, NamedTuple

from scaffold.rules.github.expressions import expressions
from scaffold.rules.yaml_view import YNode

if TYPE_CHECKING:
    from scaffold.rules.common.shell_exit import Shell

_MAX_DEPTH = 8  # nested parentheses and negations read in a condition; deeper ones are not judged constant
_STATUS_CHECKS = ("always(", "failure(", "cancelled(")  # an if: with one runs after a job it needs was skipped


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


class _Unknown(NamedTuple):
    """A value that depends on the run; ``truthy`` is known for ``x && false`` (always falsy) and the like."""

    truthy: bool | None = None


Value = bool | float | str | None | _Unknown
_NOT_CONSTANT = _Unknown()


class _NotReadError(Exception):
    """The text is not an expression this reader judges (a syntax it does not know, or nesting too deep)."""


class _Expression:
    """A recursive-descent reader of GitHub's expression syntax that evaluates what does not depend on the run:
    literals (``true``, ``false``, ``null``, numbers, ``'strings'``), ``!``, ``==``, ``!=``, ``<``, ``<=``, ``>``,
    ``>=``, ``&&``, ``||`` and parentheses, with GitHub's loose typing (strings compared ignoring case, mixed types
    compared as numbers). Contexts and function calls are unknown values."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.index = 0
        self.depth = 0

    def value(self) -> Value:
        found = self.either()
        self.blank()
        if self.index != len(self.text):
            raise _NotReadError
        return found

    def blank(self) -> None:
        while self.index < len(self.text) and self.text[self.index] in " \t\r\n":
            self.index += 1

    def take(self, operator: str) -> bool:
        self.blank()
        if self.text.startswith(operator, self.index):
            self.index += len(operator)
            return True
        return False

    def either(self) -> Value:
        left = self.both()
        while self.take("||"):
            right = self.both()
            left = _or(left, right)
        return left

    def both(self) -> Value:
        left = self.equality()
        while self.take("&&"):
            right = self.equality()
            left = _and(left, right)
        return left

    def equality(self) -> Value:
        left = self.comparison()
        while True:
            if self.take("=="):
                left = _compare(left, self.comparison(), "==")
            elif self.take("!="):
                left = _compare(left, self.comparison(), "!=")
            else:
                return left

    def comparison(self) -> Value:
        left = self.unary()
        while True:
            operator = next((item for item in ("<=", ">=", "<", ">") if self.take(item)), None)
            if operator is None:
                return left
            left = _compare(left, self.unary(), operator)

    def unary(self) -> Value:
        if self.take("!"):
            self.enter()
            operand = self.unary()
            self.depth -= 1
            truthy = _truthy(operand)
            return _Unknown() if truthy is None else not truthy
        return self.primary()

    def enter(self) -> None:
        self.depth += 1
        if self.depth > _MAX_DEPTH:
            raise _NotReadError

    def primary(self) -> Value:
        self.blank()
        text, start = self.text, self.index
        if start >= len(text):
            raise _NotReadError
        char = text[start]
        if char == "(":
            self.index += 1
            self.enter()
            found = self.either()
            self.depth -= 1
            if not self.take(")"):
                raise _NotReadError
            return found
        if char in "'\"":
            return self.string(char)
        if char.isdigit() or (
            char in "-+." and start + 1 < len(text) and (text[start + 1].isdigit() or text[start + 1] == ".")
        ):
            return self.number()
        if char.isalpha() or char == "_":
            return self.context()
        raise _NotReadError

    def string(self, quote: str) -> str:
        parts: list[str] = []
        index = self.index + 1
        while True:
            end = self.text.find(quote, index)
            if end < 0:
                raise _NotReadError
            parts.append(self.text[index:end])
            if self.text.startswith(quote * 2, end):
                parts.append(quote)
                index = end + 2
                continue
            self.index = end + 1
            return "".join(parts)

    def number(self) -> float:
        text, end = self.text, self.index + 1
        while end < len(text) and (
            text[end].isalnum() or text[end] == "." or (text[end] in "+-" and text[end - 1] in "eE")
        ):
            end += 1
        found = _number(text[self.index : end])
        if found != found:
            raise _NotReadError
        self.index = end
        return found

    def context(self) -> Value:
        """A literal word (``true``, ``false``, ``null``) or a context, property, index or function call."""
        start = self.index
        end = start
        while end < len(self.text) and (self.text[end].isalnum() or self.text[end] in "_-"):
            end += 1
        word = self.text[start:end]
        self.index = end
        literal = {"true": True, "false": False, "null": None}
        if word.lower() in literal and not self.text.startswith(("(", ".", "["), end):
            return literal[word.lower()]
        while True:
            if self.take("("):
                self.arguments()
            elif self.take("."):
                self.blank()
                if not self.text[self.index : self.index + 1].isalpha() and not self.take("*"):
                    raise _NotReadError
                while self.index < len(self.text) and (
                    self.text[self.index].isalnum() or self.text[self.index] in "_-"
                ):
                    self.index += 1
            elif self.take("["):
                self.enter()
                if not self.take("*"):
                    self.either()
                self.depth -= 1
                if not self.take("]"):
                    raise _NotReadError
            else:
                return _NOT_CONSTANT

    def arguments(self) -> None:
        self.enter()
        if not self.take(")"):
            self.either()
            while self.take(","):
                self.either()
            if not self.take(")"):
                raise _NotReadError
        self.depth -= 1


def _number(text: str) -> float:
    """A string as GitHub reads it as a number: '' is 0, hexadecimal and exponents allowed, anything else NaN."""
    text = text.strip()
    if not text:
        return 0.0
    try:
        sign = -1.0 if text[0] == "-" else 1.0
        body = text.lstrip("+-") if text[:1] in "+-" and len(text) > 1 else text
        if body[:2].lower() == "0x":
            return sign * int(body[2:], 16)
        return float(text) if len(text) < 400 and body.lower() not in ("inf", "infinity", "nan") else float("nan")
    except ValueError:
        return float("nan")


def _as_number(value: Value) -> float:
    if value is None:
        return 0.0
    if isinstance(value, bool):
        return 1.0 if value else 0.0
    if isinstance(value, str):
        return _number(value)
    return float(value) if not isinstance(value, _Unknown) else float("nan")


def _truthy(value: Value) -> bool | None:
    if isinstance(value, _Unknown):
        return value.truthy
    if isinstance(value, float):
        return value == value and value != 0
    return bool(value)


def _and(left: Value, right: Value) -> Value:
    truthy = _truthy(left)
    if truthy is False:
        return left
    if truthy is True:
        return right
    return _Unknown(False) if _truthy(right) is False else _Unknown()


def _or(left: Value, right: Value) -> Value:
    truthy = _truthy(left)
    if truthy is True:
        return left
    if truthy is False:
        return right
    return _Unknown(True) if _truthy(right) is True else _Unknown()


def _compare(left: Value, right: Value, operator: str) -> Value:
    if isinstance(left, _Unknown) or isinstance(right, _Unknown):
        return _Unknown()
    first: Value = left
    second: Value = right
    if isinstance(left, str) and isinstance(right, str):
        first, second = left.lower(), right.lower()
    elif type(left) is not type(right) or left is None:
        first, second = _as_number(left), _as_number(right)
    if operator in ("==", "!="):
        equal = first == second
        return equal if operator == "==" else not equal
    try:
        return {"<": first < second, "<=": first <= second, ">": first > second, ">=": first >= second}[operator]  # type: ignore[operator]
    except TypeError:
        return False


def constant(text: str | None) -> Value:
    """What an ``if:`` or ``continue-on-error:`` value always evaluates to; an unknown value when it depends on the
    run (contexts, functions, anything this reader does not judge)."""
    if text is None:
        return _NOT_CONSTANT
    expression = _expression(text)
    if expression is None or not expression:
        return _NOT_CONSTANT
    try:
        return _Expression(expression).value()
    except (_NotReadError, RecursionError):
        return _NOT_CONSTANT


def constant_false(condition: YNode | None) -> bool:
    """Whether an ``if:`` can never be true: the job or step never runs."""
    if condition is None:
        return False
    return _truthy(constant(condition.text)) is False


def constant_true(value: YNode | None) -> bool:
    """Whether a ``continue-on-error:`` is always on (``true``, ``${{ 1 == 1 }}``): the job or step never fails
    its run."""
    return value is not None and constant(value.text) is True


def switched_off(owner: YNode) -> str:
    """Why a job or step never runs or never fails (``if: false``, ``continue-on-error: true``), or ""."""
    if constant_false(owner.get("if")):
        return "never runs: its if: is always false"
    if constant_true(owner.get("continue-on-error")):
        return "cannot fail: continue-on-error: true"
    return ""


def never_runs(owner: YNode) -> bool:
    return constant_false(owner.get("if"))


@functools.lru_cache(maxsize=32)
def skipped_jobs(root: YNode | None) -> dict[str, str]:
    """The jobs of a workflow that never run, with why: a constant-false ``if:``, or ``needs:`` on a job that never
    runs (at any distance) without a status check (``always()``, ``failure()``, ``!cancelled()``) in their own
    ``if:``, which GitHub needs to run a job after a skipped one."""
    section = root.get("jobs") if root is not None else None
    found: dict[str, str] = {}
    dependents: dict[str, list[str]] = {}
    pending: list[str] = []
    nodes = {name: job for name, job in section.items() if job.is_mapping} if section is not None else {}
    for name, job in nodes.items():
        if never_runs(job):
            found[name] = "its if: is always false"
            pending.append(name)
        needs = job.get("needs")
        listed = [needs] if needs is not None and needs.text is not None else needs.elements() if needs else []
        for need in listed:
            if need.text is not None:
                dependents.setdefault(need.text.strip(), []).append(name)
    while pending:
        skipped = pending.pop()
        for name in dependents.get(skipped, []):
            condition = nodes[name].get("if")
            checks = condition is not None and any(check in (condition.text or "") for check in _STATUS_CHECKS)
            if name not in found and not checks:
                found[name] = f"it needs job {skipped}, which never runs"
                pending.append(name)
    return found


# ---- the text a job or step shows -----------------------------------------------------------------------------


def node_text(node: YNode) -> str:
    """A job's or step's keys and values as ``key: value`` lines, comments left out, each node once."""
    lines: list[str] = []
    pending: list[tuple[str, YNode]] = [("", node)]
    seen: set[int] = set()
    while pending:
        key, item = pending.pop()
        text = item.text
        if text is not None:
            lines.append(f"{key}: {text}" if key else text)
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


class Command(NamedTuple):
    """One command line of a script (quoted newlines and ``\\`` continuations kept inside it): ``code`` is the
    text with comments blanked, ``bare`` the same with quoted text blanked too, both the same length, and
    ``offset`` where it starts in the script."""

    code: str
    bare: str
    offset: int = 0

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
            _close(found, code, bare, index)
            code, bare = [], []
        else:
            code.append(char)
            bare.append(char)
        index += 1
    _close(found, code, bare, index)
    return tuple(found)


def _close(found: list[Command], code: list[str], bare: list[str], end: int) -> None:
    text = "".join(code)
    if text.strip():
        found.append(Command(text, "".join(bare), end - len(text)))


def shell_of(step: YNode, job: YNode | None = None, root: YNode | None = None) -> Shell:
    """How a ``run:`` step's script is started: its ``shell:``, else the job's or the workflow's
    ``defaults: run: shell:``, else GitHub's default (``bash -e {0}``, no pipefail)."""
    from scaffold.rules.common import shell_exit  # loaded only for a script that runs a scan

    for owner in (step, job, root):
        value = owner.get("shell") if owner is step else _default_shell(owner)
        if value is not None and value.text is not None and value.text.strip():
            return shell_exit.github_shell(value.text)
    return shell_exit.GITHUB_DEFAULT


def _default_shell(owner: YNode | None) -> YNode | None:
    defaults = owner.get("defaults") if owner is not None else None
    run = defaults.get("run") if defaults is not None else None
    return run.get("shell") if run is not None else None


def effective(script: str, pattern: re.Pattern[str], shell: Shell | None = None) -> tuple[list[Command], list[str]]:
    """The command lines of ``script`` that run ``pattern`` and can fail, and why each other one cannot
    (``scaffold.rules.common.shell_exit``, in ``shell``, GitHub's default one when None); a line that only names
    it in a here-document is neither."""
    from scaffold.rules.common import shell_exit  # loaded only for a script that runs a scan

    shell = shell_exit.GITHUB_DEFAULT if shell is None else shell
    live: list[Command] = []
    dead: list[str] = []
    for command in commands(script):
        match = pattern.search(command.code)
        if match is None:
            continue
        why = shell_exit.judge(script, command.offset + match.start(), command.offset + match.end(), shell)
        if why is None:
            live.append(command)
        elif why.kind != shell_exit.MENTION:
            dead.append(why.text)
    return live, dead
