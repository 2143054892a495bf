"""Declarative views of a Jenkinsfile for the rules and the kit judges, on the one reader (``groovy.Source``).

* stages, their names and sections (``when``, ``agent``, ``post``, ...), the pipeline blocks;
* ``commands``: every command of the shell steps (``sh``, ``bat``, ``powershell``, ``pwsh``), one logical line each
  (a line ended by ``\\`` continues on the next), with the stage that holds it;
* whether a stage can run (``switched_off``: ``when { expression { false } }``) and whether a command can fail the
  build (``cannot_fail``: ``catchError(buildResult: 'SUCCESS')``, ``warnError``, a ``try``/``catch`` that does not
  rethrow, ``returnStatus: true``, or what ``scaffold.rules.common.shell_exit`` reads in the step's script, which
  ``sh`` runs with errexit and without pipefail: ``set +e``, ``|| true``, ``| tee``, ``--exit-code 0``, an
  ``echo`` in front of it, ...).

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

from scaffold.rules.common import shell_exit
from scaffold.rules.common.scans import scans_in
from scaffold.rules.jenkins.groovy import Block, Literal, Source, Statement
from scaffold.rules.lines import Model, split_lines_keepends

SHELL_STEPS = ("sh", "bat", "powershell", "pwsh")
_FALSE = re.compile(r"(?:return\s+)?false\s*;?")
_LENIENT_RESULTS = frozenset({"SUCCESS", "UNSTABLE"})
_BUILD_RESULT = re.compile(r"buildResult\s*:\s*\Z")
_RETURN_STATUS = re.compile(r"returnStatus\s*:\s*true\b")
_RETHROWS = frozenset({"throw", "error"})
_FAILURE_RESULT = re.compile(r"currentBuild\.result\s*=")


@dataclass(frozen=True)
class Command:
    """One logical line of a shell step's script: ``offset`` is where it starts in the file, ``script`` the string
    literal holding it, ``stage`` the innermost stage around the step (None outside stages)."""

    offset: int
    text: str
    step: str
    script: Literal
    stage: Block | None


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
    """The ``catchError`` (whose build result stays SUCCESS or UNSTABLE), ``warnError`` or ``try`` (with a
    ``catch`` that does not rethrow) block around an offset, inside its stage, that keeps a failure there from
    failing the build, with how it reads."""
    for block in source.innermost(offset):
        if block.name == "stage":
            return None
        if block.name == "warnError":
            return block, "warnError keeps a failure from failing the build"
        if block.name == "catchError" and (result := build_result(source, block)) in _LENIENT_RESULTS:
            return block, f"catchError(buildResult: '{result}') keeps a failure from failing the build"
        if block.name == "try" and _swallowing_catch(source, block):
            return block, "try/catch keeps a failure from failing the build (the catch does not rethrow)"
    return None


def _swallowing_catch(source: Source, block: Block) -> bool:
    """Whether the ``catch`` blocks after a ``try`` catch its failure for good: none of them ``throw``s, calls
    ``error``, or sets ``currentBuild.result = 'FAILURE'``."""
    siblings = (
        block.parent.children if block.parent is not None else [item for item in source.blocks if item.parent is None]
    )
    position = next((number for number, item in enumerate(siblings) if item is block), len(siblings))
    catches: list[Block] = []
    for following in siblings[position + 1 :]:
        if following.name not in ("catch", "finally"):
            break
        if following.name == "catch":
            catches.append(following)
    return bool(catches) and not any(_rethrows(source, catch) for catch in catches)


def _rethrows(source: Source, catch: Block) -> bool:
    for statement in source.walk(catch):
        if statement.name in _RETHROWS:
            return True
        if _FAILURE_RESULT.match(statement.head) and any(
            literal.value.strip().upper() == "FAILURE" for literal in source.arguments(statement)
        ):
            return True
    return False


@functools.lru_cache(maxsize=16)
def commands(source: Source) -> tuple[Command, ...]:
    """Every command of the file's shell steps, in file order."""
    found: list[Command] = []
    for step, literal in source.step_scripts(SHELL_STEPS):
        stage = stage_of(source, literal.start)
        offset, pending = literal.body, ""
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
            found.append(Command(start, text, step, literal, stage))
        if pending:
            found.append(Command(start, pending.strip(), step, literal, stage))
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


_WORDING = {
    shell_exit.PRINTED: "{detail} prints the command instead of running it",
    shell_exit.NAMED: "{detail} prints the command instead of running it",
    shell_exit.EXIT_ZERO: "{detail} never fails",
    shell_exit.SWALLOWED: "{detail} ignores its exit code",
    shell_exit.IGNORED: "{detail} ignores its exit code",
    shell_exit.ERREXIT_OFF: "set +e ignores its exit code",
    shell_exit.BACKGROUND: "& runs it in the background, where its exit code is never seen",
    shell_exit.NEGATED: "! turns its failure into success",
    shell_exit.PIPED: "{detail} without pipefail hides its exit code",
    shell_exit.CONDITION: "it is only the condition of {detail}",
    shell_exit.AND_LIST: "set -e ignores its failure in an && list ({detail})",
}


def masked(text: str, at: int, script: str | None = None, start: int = 0) -> str | None:
    """Why the command whose tool starts at ``at`` of a command line cannot fail its ``sh`` step, in Jenkins'
    words: ``--exit-code 0``, ``|| true``, an ``echo`` in front, ``| tee``, ``set +e`` before it, ... The line is
    read in ``script`` (the step's whole script, where it starts at ``start``) when given, else on its own."""
    why = shell_exit.judge(text if script is None else script, at + start, None, shell_exit.JENKINS_SH)
    if why is None or why.kind == shell_exit.MENTION:
        return None
    return _WORDING.get(why.kind, "{detail}").format(detail=why.detail)


def _scripts(source: Source) -> dict[int, tuple[str, dict[int, int]]]:
    """Each shell step's commands as one script (by the id of its literal), with where each command starts in it."""
    found: dict[int, tuple[list[str], dict[int, int]]] = {}
    sizes: dict[int, int] = {}
    for command in commands(source):
        key = id(command.script)
        texts, starts = found.setdefault(key, ([], {}))
        starts[command.offset] = sizes.get(key, 0)
        sizes[key] = starts[command.offset] + len(command.text) + 1
        texts.append(command.text)
    return {key: ("\n".join(texts), starts) for key, (texts, starts) in found.items()}


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
    does (``masked``, read in the step's whole script, at the command)."""
    if command.stage is not None and switched_off(source, command.stage) is not None:
        return command.stage.start, "when { expression { false } } switches the stage off"
    step = remembered(source, "step", id(command.script), functools.partial(_step_ignores_failure, source, command))
    if step is not None:
        return step
    shells = remembered(source, "scripts", 0, functools.partial(_scripts, source))
    script, starts = shells.get(id(command.script), (command.text, {}))
    reason = masked(command.text, at, script, starts.get(command.offset, 0))
    return (command.offset, reason) if reason is not None else None
