"""Declarative views of a Jenkinsfile for the rules and the kit judges, on the one reader (``groovy.Source``).

* stages, their names and sections (``when``, ``agent``, ``post``, ...), the pipeline blocks;
* ``commands``: every command of the shell steps (``sh``, ``bat``, ``powershell``, ``pwsh``), one logical line each
  (a line ended by ``\\`` continues on the next), with the stage that holds it;
* whether a stage can run (``switched_off``: ``when { expression { false } }``) and whether a command can fail the
  build (``cannot_fail``: ``catchError(buildResult: 'SUCCESS')``, ``warnError``, ``returnStatus: true``,
  ``set +e``, ``|| true``, ``--exit-code 0``, an ``echo`` in front of it).

Nothing here raises on odd text: what does not have the expected shape reads as absent.
"""

from __future__ import annotations

import bisect
import functools
import re
import weakref
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar, cast

from scaffold.rules.common.scans import scans_in
from scaffold.rules.jenkins.groovy import Block, Literal, Source, Statement
from scaffold.rules.lines import Model, split_lines_keepends

SHELL_STEPS = ("sh", "bat", "powershell", "pwsh")
_FALSE = re.compile(r"(?:return\s+)?false\s*;?")
_LENIENT_RESULTS = frozenset({"SUCCESS", "UNSTABLE"})
_BUILD_RESULT = re.compile(r"buildResult\s*:\s*\Z")
_RETURN_STATUS = re.compile(r"returnStatus\s*:\s*true\b")
_ERREXIT_OFF = re.compile(r"set\s+(?:\+[a-z]*e|\+o\s+errexit\b)")
_ERREXIT_ON = re.compile(r"set\s+(?:-[a-z]*e|-o\s+errexit\b)")
_EXIT_ZERO = re.compile(r"--exit-code(?:=|\s+)[\"']?0(?![\w.])")
_OR_IGNORE = re.compile(r"\|\|\s*(?:true\b|:(?!\S)|exit\s+0\b|echo\b)")
_SEPARATOR = re.compile(r"&&|\|\||[;|&(`]|\$\(")
_INERT = frozenset({"echo", "printf", ":", "true"})


@dataclass(frozen=True)
class Command:
    """One logical line of a shell step's script: ``offset`` is where it starts in the file, ``script`` the string
    literal holding it, ``stage`` the innermost stage around the step (None outside stages), ``errexit_off``
    whether an earlier ``set +e`` of the same script lets it fail silently."""

    offset: int
    text: str
    step: str
    script: Literal
    stage: Block | None
    errexit_off: bool


def pipelines(source: Source) -> list[Block]:
    """The declarative ``pipeline { ... }`` blocks at the top level."""
    return [statement.block for statement in source.top if statement.block and statement.head == "pipeline"]


def stages(source: Source) -> list[Block]:
    """Every ``stage(...) { ... }``, declarative or scripted, in file order."""
    return [block for block in source.blocks if block.name == "stage"]


def stage_of(source: Source, offset: int) -> Block | None:
    """The innermost stage holding an offset."""
    return next((block for block in source.innermost(offset) if block.name == "stage"), None)


def subject(source: Source, stage: Block | None) -> str:
    """What a finding about a stage concerns: ``stage NAME`` (``pipeline`` outside every stage)."""
    return f"stage {source.stage_name(stage)}" if stage is not None else "pipeline"


def step_stages(source: Source) -> list[Block]:
    """The declarative stages that run steps (a ``steps`` section), not those grouping ``parallel`` or ``stages``."""
    return [stage for stage in stages(source) if source.sections(stage, "steps")]


def enclosing_stages(stage: Block) -> list[Block]:
    """The stage and the stages around it, innermost first."""
    found: list[Block] = []
    block: Block | None = stage
    while block is not None:
        if block.name == "stage":
            found.append(block)
        block = block.parent
    return found


_MEMO: weakref.WeakKeyDictionary[Source, dict[tuple[str, int], object]] = weakref.WeakKeyDictionary()
T = TypeVar("T")


def remembered(source: Source, what: str, key: int, compute: Callable[[], T]) -> T:
    """``compute()``, once per source, ``what`` and ``key`` (the id of a block or literal): a view asked about for
    every command or stage is not read again each time (a file of many of them stays linear)."""
    memo = _MEMO.setdefault(source, {})
    if (what, key) not in memo:
        memo[what, key] = compute()
    return cast(T, memo[what, key])


def switched_off(source: Source, stage: Block | None) -> Statement | None:
    """The ``expression { false }`` (or ``return false``) condition that keeps the stage, or a stage around it,
    from ever running: a condition of its ``when`` itself or inside ``allOf``."""
    for holder in enclosing_stages(stage) if stage is not None else []:
        found = remembered(source, "switched off", id(holder), functools.partial(_never, source, holder))
        if found is not None:
            return found
    return None


def _never(source: Source, stage: Block) -> Statement | None:
    """The always-false condition of the stage's own ``when``, if any."""
    for when in source.sections(stage, "when"):
        pending = list(source.statements(when))
        while pending:
            statement = pending.pop()
            if statement.block is None:
                continue
            if statement.head == "expression" and _FALSE.fullmatch(_body(source, statement.block)):
                return statement
            if statement.head == "allOf":
                pending.extend(statement.block.statements)
    return None


def _body(source: Source, block: Block) -> str:
    return source.code[block.open + 1 : block.close].strip()


def build_result(source: Source, block: Block) -> str | None:
    """The ``buildResult:`` a ``catchError`` block's head sets, if it is a string literal."""
    for literal in source.head_literals(block):
        if _BUILD_RESULT.search(source.code[max(block.start, literal.start - 60) : literal.start]):
            return literal.value
    return None


def lenient_wrapper(source: Source, offset: int) -> tuple[Block, str] | None:
    """The ``catchError`` (whose build result stays SUCCESS or UNSTABLE) or ``warnError`` block around an offset,
    inside its stage, that keeps a failure there from failing the build, with how it reads."""
    for block in source.innermost(offset):
        if block.name == "stage":
            return None
        if block.name == "warnError":
            return block, "warnError keeps a failure from failing the build"
        if block.name == "catchError" and (result := build_result(source, block)) in _LENIENT_RESULTS:
            return block, f"catchError(buildResult: '{result}') keeps a failure from failing the build"
    return None


@functools.lru_cache(maxsize=16)
def commands(source: Source) -> tuple[Command, ...]:
    """Every command of the file's shell steps, in file order."""
    found: list[Command] = []
    for step, literal in source.step_scripts(SHELL_STEPS):
        stage = stage_of(source, literal.start)
        offset, errexit_off, pending = literal.body, False, ""
        start = offset
        for line in split_lines_keepends(literal.value, Model.SHELL):
            if not pending:
                start = offset + len(line) - len(line.lstrip())
            offset += len(line)
            text = line.strip()
            if text.endswith("\\"):
                pending += text[:-1] + " "
                continue
            text, pending = pending + text, ""
            if not text or text.startswith("#"):
                continue
            if _ERREXIT_OFF.match(text):
                errexit_off = True
            elif _ERREXIT_ON.match(text):
                errexit_off = False
            found.append(Command(start, text, step, literal, stage, errexit_off))
        if pending:
            found.append(Command(start, pending.strip(), step, literal, stage, errexit_off))
    return tuple(found)


def commands_in(source: Source, stage: Block) -> list[Command]:
    """The commands inside a stage, found by bisection."""
    found = commands(source)
    first = bisect.bisect_right(found, stage.open, key=lambda command: command.offset)
    return list(found[first : bisect.bisect_left(found, stage.close, key=lambda command: command.offset)])


@functools.lru_cache(maxsize=4096)
def scan_controls(text: str) -> tuple[str, ...]:
    """The controls of ``scaffold.kit.controls`` whose scan a command runs (``scans.SCANS``); a command that writes
    an SBOM (``trivy image --format cyclonedx``) generates one and scans nothing. Remembered: every scan judge
    asks about every command."""
    found = scans_in(text)
    return ("sbom",) if "sbom" in found else tuple(found)


def masked(text: str, at: int) -> str | None:
    """Why the command whose tool starts at ``at`` cannot fail: ``--exit-code 0``, ``|| true`` (``|| :``,
    ``|| exit 0``, ``|| echo``), or an ``echo`` (``printf``, ``:``, ``true``) that prints it instead of running it."""
    if _EXIT_ZERO.search(text):
        return "--exit-code 0 never fails"
    ignore = _OR_IGNORE.search(text, at)
    if ignore is not None:
        return f"{' '.join(ignore.group().split())} ignores its exit code"
    segment = 0
    for separator in _SEPARATOR.finditer(text, 0, at):
        segment = separator.end()
    words = text[segment:at].split()
    if words and words[0] in _INERT:
        return f"{words[0]} prints the command instead of running it"
    return None


def _step_ignores_failure(source: Source, command: Command) -> tuple[int, str] | None:
    """Why no command of a step's script can fail the build: a lenient wrapper, or ``returnStatus: true``."""
    wrapper = lenient_wrapper(source, command.script.start)
    if wrapper is not None:
        return wrapper[0].start, wrapper[1]
    step = source.statement_at(command.script.start)
    if step is not None and _RETURN_STATUS.search(source.code, step.start, step.end):
        return step.start, f"{command.step}(returnStatus: true) ignores its exit code"
    return None


def cannot_fail(source: Source, command: Command, at: int = 0) -> tuple[int, str] | None:
    """Why a command cannot fail the build, and the offset to report it at: its stage never runs (at the stage), a
    wrapper catches its failure (at the wrapper), its step ignores the exit status (at the step), or its own text
    does (``masked``, at the command)."""
    if command.stage is not None and switched_off(source, command.stage) is not None:
        return command.stage.start, "when { expression { false } } switches the stage off"
    script = remembered(source, "step", id(command.script), functools.partial(_step_ignores_failure, source, command))
    if script is not None:
        return script
    if command.errexit_off:
        return command.offset, "set +e ignores its exit code"
    reason = masked(command.text, at)
    return (command.offset, reason) if reason is not None else None
