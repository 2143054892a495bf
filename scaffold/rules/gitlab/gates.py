"""Whether a GitLab job, and a command in its scripts, can run and fail the pipeline: what the disabled-scan rule
and the kit judges ask before they count a security scan.

A job is switched off by a job-level ``when: never`` (``manual`` without ``allow_failure: false``, ``on_failure``)
or by ``rules:`` whose every entry is ``when: never``. It cannot fail the pipeline with ``allow_failure: true`` or
``allow_failure: {exit_codes: ...}`` (on the job, or on every rule entry that can run it). A command cannot fail
its job when it is only echoed (``echo gitleaks git ...``), negated (``! cmd``), followed by ``|| true`` (``|| :``,
``|| exit 0``, ``|| echo ...``), run with ``--exit-code 0`` or ``--exit-zero``, or when it is in ``after_script``,
whose failure never fails the job.

Nothing here raises on odd shapes, and every scan of a line is linear in its length.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from scaffold.rules.common.scans import NON_BLOCKING, SCANS
from scaffold.rules.document import Document
from scaffold.rules.gitlab.jobs import setting
from scaffold.rules.gitlab.pipeline import Job, Pipeline, get, is_reference, key_of, resolve, scalars, text
from scaffold.rules.yaml_view import YNode

SCRIPT_KEYS = ("before_script", "script", "after_script")
MENTION = "mention"  # the line names the command without running it
PRINTED = "only an argument of"  # the command is printed (``echo cmd ...``), not run
_SBOM_ALSO = ("dependency-scan", "image-scan")  # trivy fs/image with --format cyclonedx makes an SBOM, not a scan
_OFF_WHEN = ("never", "manual", "on_failure")
_EXIT_ZERO = re.compile(r"--exit-code(?:\s+|=)[\"']?0+\b(?![.])|--exit-zero\b")
_CONDITIONS = frozenset({"if", "elif", "while", "until"})
_PREFIXES = frozenset({"sudo", "env", "time", "command", "exec", "then", "do", "else", "{"}) | _CONDITIONS
_PRINTERS = frozenset({"echo", "printf", ":", "true"})
# escapes and quoted strings (skipped whole), control operators, and a comment's ``#`` at the start of a word
_TOKEN = re.compile(r"""\\.?|"(?:[^"\\]|\\.)*"?|'[^']*'?|&&|\|\||;;|[;|&()`]|(?<![^\s;&|(])#""", re.DOTALL)
_ASSIGNMENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*=\S*")
_OPTION = re.compile(r"-[A-Za-z]+|[\"']+")


@dataclass(frozen=True)
class Off:
    """Why a job or a command cannot fail the pipeline: where that is written, and how (``when: never``)."""

    line: int
    column: int
    reason: str


@dataclass(frozen=True)
class Line:
    """One logical shell line of a job's scripts (backslash continuations joined)."""

    job: Job
    key: str  # before_script, script or after_script
    text: str
    item: YNode  # the script item that holds it
    hint: int  # how many physical lines of the item come before it


def switched_off(pipeline: Pipeline, job: Job, optional: bool = True) -> Off | None:
    """The job-level ``when:`` or the ``rules:`` that keep the job from running on its own, or None. With
    ``optional`` false, only what keeps it from running at all (``when: never``)."""
    when = pipeline.lookup_key(job, "when")
    value = (text(when[1]) or "").strip().lower() if when is not None else ""
    if when is not None and value in (_OFF_WHEN if optional else ("never",)):
        allowed = pipeline.lookup(job, "allow_failure")[0]
        if not (value == "manual" and (text(allowed) or "").strip().lower() == "false"):
            return Off(when[0].line, when[0].column, f"when: {value}")
    rules = pipeline.lookup_key(job, "rules")
    if rules is None:
        return None
    entries = rule_entries(pipeline.top, rules[1])
    if entries and all((text(get(entry, "when")) or "").strip().lower() == "never" for entry in entries):
        return Off(rules[0].line, rules[0].column, "rules that are all when: never")
    return None


def non_blocking(pipeline: Pipeline, job: Job) -> Off | None:
    """The ``allow_failure:`` that lets the job fail without failing the pipeline, or None."""
    own = pipeline.lookup_key(job, "allow_failure")
    rules = pipeline.lookup_key(job, "rules")
    entries = rule_entries(pipeline.top, rules[1]) if rules is not None else []
    runnable = [entry for entry in entries or [] if (text(get(entry, "when")) or "").strip().lower() != "never"]
    settings = [key_of(entry, "allow_failure") or own for entry in runnable] if runnable else [own]
    reasons = [_allows_failure(found[1]) if found is not None else None for found in settings]
    first = settings[0]
    if first is None or not all(reasons):
        return None
    return Off(first[0].line, first[0].column, f"allow_failure: {reasons[0]}")


def _allows_failure(value: YNode) -> str | None:
    if (value.text or "").strip().lower() == "true":
        return "true"
    if value.is_mapping and get(value, "exit_codes") is not None:
        return "exit_codes"
    return None


def rule_entries(top: YNode | None, rules: YNode | None) -> list[YNode] | None:
    """The mapping entries of a ``rules:`` list, ``!reference`` items followed; None when one is elsewhere."""
    rules = resolve(top, rules)
    if rules is None:
        return None
    found: list[YNode] = []
    for rule in rules.elements():
        target = resolve(top, rule)
        if target is None:
            return None
        if is_reference(rule) and target.is_sequence:
            found += [item for item in target.elements() if item.is_mapping]
        elif target.is_mapping:
            found.append(target)
    return found


def lines(pipeline: Pipeline, job: Job) -> Iterator[Line]:
    """The job's shell lines: ``script`` (own or through ``extends:``), and ``before_script``/``after_script``
    (also from ``default:``)."""
    for key in SCRIPT_KEYS:
        value = pipeline.lookup(job, key)[0] if key == "script" else setting(pipeline, job, key).value
        for item in scalars(pipeline.top, value):
            yield from _logical(job, key, item)


def _logical(job: Job, key: str, item: YNode) -> Iterator[Line]:
    pending: list[str] = []
    start = 0
    for number, physical in enumerate((item.text or "").split("\n")):
        if not pending:
            start = number
        if physical.endswith("\\"):
            pending.append(physical[:-1])
            continue
        pending.append(physical)
        yield Line(job, key, _joined(pending), item, start)
        pending = []
    if pending:
        yield Line(job, key, _joined(pending), item, start)


def _joined(parts: list[str]) -> str:
    return " ".join(part.strip() if index else part for index, part in enumerate(parts))


def place(document: Document, line: Line, snippet: str = "") -> tuple[int, int]:
    """The file line and column of ``snippet`` (the line's start by default) within the line's script item; the
    item's own place when the text is not there literally (escapes in a quoted scalar)."""
    wanted = (snippet or line.text).strip()[:40]
    first = line.item.line
    last = min(int(line.item.node.end_mark.line) + 1, len(document.lines))
    if wanted:
        for start in (first + line.hint, first):
            for number in range(start, last + 1):
                column = document.lines[number - 1].find(wanted)
                if column >= 0:
                    return number, column + 1
    return line.item.line, line.item.column


def executes(text_: str, match: re.Match[str]) -> bool:
    """Whether the line runs the command at ``match`` (whatever its exit status), rather than naming or printing it."""
    reason = command(text_, match.start(), match.end())
    return reason != MENTION and not (reason or "").startswith(PRINTED)


def scans(line: Line) -> Iterator[tuple[str, str | None]]:
    """(control, why it cannot fail or None) for each scan of ``scaffold.rules.common.scans`` the line runs; DAST
    (``NON_BLOCKING``) as ``dast``. A line that makes an SBOM is not also a vulnerability scan."""
    found: dict[str, str | None] = {}
    for control, pattern in [*SCANS.items(), ("dast", NON_BLOCKING)]:
        match = pattern.search(line.text)
        reason = command(line.text, match.start(), match.end()) if match is not None else MENTION
        if reason != MENTION:
            found[control] = reason or ("after_script" if line.key == "after_script" else None)
    if "sbom" in found:
        found = {control: reason for control, reason in found.items() if control not in _SBOM_ALSO}
    yield from found.items()


def command(text_: str, start: int, end: int) -> str | None:
    """Whether the command at ``text_[start:end]`` runs and can fail: None when it does, ``MENTION`` when it is
    in a comment or only named by another command, or why it cannot fail (``"|| true"``, ``"--exit-code 0"``)."""
    separators = _separators(text_)
    before = [item for item in separators if item[0] < start]
    if any(operator == "#" for _, operator in before):
        return MENTION
    command_start = max((index + len(operator) for index, operator in before), default=0)
    words = [word for word in text_[command_start:start].split() if not _ASSIGNMENT.fullmatch(word)]
    first = 0
    while first < len(words) and words[first] in _PREFIXES:
        first += 1
    if _CONDITIONS.intersection(words[:first]):
        return None  # a condition: what its branches do decides, which this reading does not follow
    words = words[first:]
    if words and words[0] == "!":
        return "negated with !"
    if words and words[0] in _PRINTERS:
        printed = all(_OPTION.fullmatch(word) for word in words[1:])
        return f"{PRINTED} {words[0]}" if printed else MENTION
    return _after(text_, end, [item for item in separators if item[0] >= end])


def _after(text_: str, end: int, separators: list[tuple[int, str]]) -> str | None:
    """Why what follows the command keeps it from failing: its own options, or an ``||`` fallback that succeeds."""
    own_end = separators[0][0] if separators else len(text_)
    if _EXIT_ZERO.search(text_, end, own_end):
        return "--exit-code 0"
    for index, (position, operator) in enumerate(separators):
        if operator in (";", ";;", "&", "#", ")", "`"):
            return None
        if operator == "||":
            following = separators[index + 1][0] if index + 1 < len(separators) else len(text_)
            words = text_[position + 2 : following].split()
            if words and (words[0] in _PRINTERS or words[:2] == ["exit", "0"]):
                return f"|| {' '.join(words[:2]) if words[0] == 'exit' else words[0]}"
    return None


def _separators(text_: str) -> list[tuple[int, str]]:
    """(offset, token) of the shell control operators outside quotes, in order; a comment ends the list with
    ``#``. An unterminated quote runs to the end of the line."""
    found: list[tuple[int, str]] = []
    for match in _TOKEN.finditer(text_):
        operator = match.group(0)
        if operator[0] in "\\\"'":
            continue
        found.append((match.start(), operator))
        if operator == "#":
            break
    return found
