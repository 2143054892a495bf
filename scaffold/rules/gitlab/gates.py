"""Whether a GitLab job, and a command in its scripts, can run and fail the pipeline: what the disabled-scan rule
and the kit judges ask before they count a security scan.

A job is switched off by a job-level ``when: never`` (``manual`` without ``allow_failure: false``, ``on_failure``)
or by ``rules:`` that never run it: every entry that can match is ``when: never``, or every entry's ``if:`` is a
constant false comparison of two literals (``'"a" == "b"'``, ``'1 == 2'``); with ``optional``, also rules that only
run it ``when: manual`` with ``allow_failure: true`` (a manual rule blocks the pipeline by default) or
``when: on_failure``. It cannot fail the pipeline with
``allow_failure: true`` or ``allow_failure: {exit_codes: ...}`` (on the job, or on every rule entry that can run
it). Whether a command can fail its job is ``scaffold.rules.common.shell_exit``'s judgement over the job's shell
(``before_script`` and ``script`` run in one shell, with errexit and without pipefail); a command in
``after_script`` never fails the job. Conditions that depend on the pipeline (variables, ``changes:``,
``exists:``) are not judged.

Nothing here raises on odd shapes, and every scan of a line is linear in its length.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from scaffold.rules.common import shell_exit
from scaffold.rules.common.scans import NON_BLOCKING, SCANS, scans_in
from scaffold.rules.document import Document
from scaffold.rules.gitlab.jobs import setting
from scaffold.rules.gitlab.pipeline import Job, Pipeline, get, is_reference, key_of, resolve, scalars, text
from scaffold.rules.yaml_view import YNode

SCRIPT_KEYS = ("before_script", "script", "after_script")
MENTION = "mention"  # the line names the command without running it
PRINTED = "only an argument of"  # the command is printed (``echo cmd ...``), not run
_SBOM_ALSO = ("dependency-scan", "image-scan")  # trivy fs/image with --format cyclonedx makes an SBOM, not a scan
_OFF_WHEN = ("never", "manual", "on_failure")
_MAX_DEPTH = 8  # nested parentheses read in a rules: if:; deeper ones are not judged constant


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
    script: str = ""  # the whole shell it runs in: before_script and script lines, or after_script lines
    offset: int = 0  # where the line starts in ``script``


def switched_off(pipeline: Pipeline, job: Job, optional: bool = True) -> Off | None:
    """The job-level ``when:`` or the ``rules:`` that keep the job from running on its own, or None. With
    ``optional`` false, only what keeps it from running at all (``when: never``, rules that never run it)."""
    when = pipeline.lookup_key(job, "when")
    value = _when(when[1]) if when is not None else ""
    allowed = pipeline.lookup(job, "allow_failure")[0]
    off = value in (_OFF_WHEN if optional else ("never",))
    if when is not None and off and not (value == "manual" and _text(allowed) == "false"):
        return Off(when[0].line, when[0].column, f"when: {value}")
    rules = pipeline.lookup_key(job, "rules")
    if rules is None:
        return None
    entries = rule_entries(pipeline.top, rules[1])
    if not entries:
        return None
    reachable = _reachable(entries)
    runnable = [entry for entry in reachable if _when(get(entry, "when")) != "never"]
    if not runnable:
        reason = "rules that are all when: never" if reachable else "rules whose if: is never true"
        return Off(rules[0].line, rules[0].column, reason)
    if optional and all(_optional_rule(entry, allowed) for entry in runnable):
        whens = sorted({_when(get(entry, "when")) for entry in runnable})
        return Off(rules[0].line, rules[0].column, f"rules that only run it when: {' or '.join(whens)}")
    return None


def _optional_rule(entry: YNode, allowed: YNode | None) -> bool:
    """A rule entry that adds the job only to run by hand without blocking (``when: manual`` with
    ``allow_failure: true``) or after a failure (``when: on_failure``). A manual job added by ``rules:`` has
    ``allow_failure: false`` unless it says otherwise, so it blocks the pipeline until someone runs it and passes."""
    when = _when(get(entry, "when"))
    if when == "manual":
        own = get(entry, "allow_failure")
        return _text(own if own is not None else allowed) == "true"
    return when == "on_failure"


def _when(value: YNode | None) -> str:
    return (text(value) or "on_success").strip().lower() if value is not None else "on_success"


def _text(value: YNode | None) -> str:
    return (text(value) or "").strip().lower()


def _reachable(entries: list[YNode]) -> list[YNode]:
    """The rule entries that can decide: not those whose ``if:`` is never true, nor those after an entry that
    always matches (no ``if:``, ``changes:`` or ``exists:``, or an ``if:`` that is always true)."""
    found: list[YNode] = []
    for entry in entries:
        condition = get(entry, "if")
        constant = constant_if(text(condition)) if condition is not None else True
        if constant is False:
            continue
        found.append(entry)
        if constant is True and get(entry, "changes") is None and get(entry, "exists") is None:
            break
    return found


def non_blocking(pipeline: Pipeline, job: Job) -> Off | None:
    """The ``allow_failure:`` that lets the job fail without failing the pipeline, or None."""
    own = pipeline.lookup_key(job, "allow_failure")
    rules = pipeline.lookup_key(job, "rules")
    entries = rule_entries(pipeline.top, rules[1]) if rules is not None else []
    reachable = _reachable(entries) if entries else []
    runnable = [entry for entry in reachable if _when(get(entry, "when")) != "never"]
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
    (also from ``default:``), each with the shell it runs in (``before_script`` and ``script`` share one)."""
    shells: dict[bool, list[tuple[str, YNode, str, int]]] = {False: [], True: []}
    for key in SCRIPT_KEYS:
        value = pipeline.lookup(job, key)[0] if key == "script" else setting(pipeline, job, key).value
        for item in scalars(pipeline.top, value):
            shells[key == "after_script"].extend((key, item, logical, hint) for logical, hint in _logical(item))
    for found in shells.values():
        script = "\n".join(logical for _, _, logical, _ in found)
        offset = 0
        for key, item, logical, hint in found:
            yield Line(job, key, logical, item, hint, script, offset)
            offset += len(logical) + 1


def _logical(item: YNode) -> tuple[tuple[str, int], ...]:
    """(text, physical lines before it) of each logical line of a script item, read once per item: a template's
    or ``default:``'s script is part of the shell of every job that gets it."""
    cached: tuple[tuple[str, int], ...] | None = item.node.__dict__.get(_LOGICAL)
    if cached is None:
        cached = tuple(_read_logical(item.text or ""))
        item.node.__dict__[_LOGICAL] = cached
    return cached


_LOGICAL = "_scaffold_gitlab_logical_lines"


def _read_logical(text: str) -> Iterator[tuple[str, int]]:
    pending: list[str] = []
    start = 0
    for number, physical in enumerate(text.split("\n")):
        if not pending:
            start = number
        if physical.endswith("\\"):
            pending.append(physical[:-1])
            continue
        pending.append(physical)
        yield _joined(pending), start
        pending = []
    if pending:
        yield _joined(pending), start


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


def executes(line: Line | str, match: re.Match[str]) -> bool:
    """Whether the line runs the command at ``match`` (whatever its exit status), rather than naming or printing it."""
    reason = command(line, match.start(), match.end())
    return reason != MENTION and not (reason or "").startswith(PRINTED)


def scans(line: Line) -> Iterator[tuple[str, str | None]]:
    """(control, why it cannot fail or None) for each scan of ``scaffold.rules.common.scans`` the line runs; DAST
    (``NON_BLOCKING``) as ``dast``. A line that makes an SBOM is not also a vulnerability scan."""
    found: dict[str, str | None] = {}
    for control, start, end in _scan_matches(line):
        reason = command(line, start, end)
        if reason != MENTION:
            found[control] = reason or ("after_script" if line.key == "after_script" else None)
    if "sbom" in found:
        found = {control: reason for control, reason in found.items() if control not in _SBOM_ALSO}
    yield from found.items()


def _scan_matches(line: Line) -> tuple[tuple[str, int, int], ...]:
    """(control, start, end) of the first match of each scan pattern in the line's text, in table order. Kept on
    the script item, by text: the lines of a template or of ``default:`` are in the shell of every job that gets
    them, and the patterns need not be searched again for each."""
    cache: dict[str, tuple[tuple[str, int, int], ...]] = line.item.node.__dict__.setdefault(_MATCHES, {})
    found = cache.get(line.text)
    if found is None:
        runs = [(control, SCANS[control].search(line.text)) for control in scans_in(line.text)]
        runs.append(("dast", NON_BLOCKING.search(line.text)))
        found = tuple((control, match.start(), match.end()) for control, match in runs if match is not None)
        cache[line.text] = found
    return found


_MATCHES = "_scaffold_gitlab_scan_matches"


def command(line: Line | str, start: int, end: int) -> str | None:
    """Whether the command at ``start:end`` of a line runs and can fail its job: None when it does, ``MENTION``
    when it is in a comment or a here-document or only named among other words of an ``echo``, ``PRINTED ...``
    when it is only printed, or why it cannot fail (``"|| true"``, ``"--exit-code 0"``, ``"set +e"``), read in
    the shell the line runs in (``scaffold.rules.common.shell_exit``)."""
    script, offset = (line, 0) if isinstance(line, str) else (line.script or line.text, line.offset)
    why = shell_exit.judge(script, offset + start, offset + end, shell_exit.GITLAB)
    if why is None:
        return None
    if why.kind in (shell_exit.MENTION, shell_exit.NAMED):
        return MENTION
    if why.kind == shell_exit.PRINTED:
        return f"{PRINTED} {why.detail}"
    return why.short


def constant_if(expression: str | None) -> bool | None:
    """What a ``rules: if:`` always is, when it compares literals only (``"a" == "b"``, ``1 == 2``, joined by
    ``&&``, ``||`` and parentheses); None when it depends on the pipeline (a ``$VARIABLE``, a ``/pattern/``) or is
    not read."""
    tokens = _if_tokens(expression or "")
    if tokens is None or not tokens:
        return None
    reader = _IfReader(tokens)
    found = reader.either(0)
    return found if reader.index == len(tokens) and not reader.failed else None


def _if_tokens(text: str) -> list[tuple[str, str]] | None:
    """(kind, text) tokens of a GitLab expression: literal, variable, pattern, operator; None on anything else."""
    found: list[tuple[str, str]] = []
    index = 0
    while index < len(text):
        char = text[index]
        if char.isspace():
            index += 1
        elif char in "\"'":
            end = text.find(char, index + 1)
            if end < 0:
                return None
            value = text[index + 1 : end]
            found.append(("variable" if "$" in value else "literal", value))  # "$VAR" may be expanded
            index = end + 1
        elif char == "/":
            end = text.find("/", index + 1)
            if end < 0:
                return None
            found.append(("pattern", text[index:end]))
            index = end + 1
            while index < len(text) and text[index].isalpha():
                index += 1
        elif text.startswith(("==", "!=", "=~", "!~", "&&", "||"), index) or char in "()":
            size = 1 if char in "()" else 2
            found.append(("operator", text[index : index + size]))
            index += size
        elif char == "$" or char.isalnum() or char in "_{}":
            end = index + 1
            while end < len(text) and (text[end].isalnum() or text[end] in "_{}"):
                end += 1
            word = text[index:end]
            kind = "variable" if word.startswith("$") else "literal" if word.isdigit() else "null"
            if kind == "null" and word != "null":
                return None
            found.append((kind, word))
            index = end
        else:
            return None
    return found


class _IfReader:
    """Reads the tokens of a GitLab expression: ``||`` below ``&&`` below comparisons and parentheses."""

    def __init__(self, tokens: list[tuple[str, str]]) -> None:
        self.tokens = tokens
        self.index = 0
        self.failed = False

    def peek(self) -> tuple[str, str]:
        return self.tokens[self.index] if self.index < len(self.tokens) else ("end", "")

    def either(self, depth: int) -> bool | None:
        left = self.both(depth)
        while self.peek() == ("operator", "||"):
            self.index += 1
            right = self.both(depth)
            left = True if True in (left, right) else False if (left, right) == (False, False) else None
        return left

    def both(self, depth: int) -> bool | None:
        left = self.comparison(depth)
        while self.peek() == ("operator", "&&"):
            self.index += 1
            right = self.comparison(depth)
            left = False if False in (left, right) else True if (left, right) == (True, True) else None
        return left

    def comparison(self, depth: int) -> bool | None:
        if self.peek() == ("operator", "("):
            self.index += 1
            if depth >= _MAX_DEPTH:
                self.failed = True
                self.index = len(self.tokens)
                return None
            found = self.either(depth + 1)
            if self.peek() != ("operator", ")"):
                self.failed = True
            self.index += 1
            return found
        left = self.operand()
        kind, operator = self.peek()
        if kind != "operator" or operator not in ("==", "!=", "=~", "!~"):
            return None  # a bare variable or literal: true when set and not empty, which depends on the pipeline
        self.index += 1
        right = self.operand()
        if left is None or right is None or operator in ("=~", "!~"):
            return None
        return (left == right) == (operator == "==")

    def operand(self) -> str | None:
        """A literal's value (``null`` as None is not compared), or None for what depends on the pipeline."""
        kind, value = self.peek()
        if kind not in ("literal", "variable", "pattern", "null"):
            self.failed = True
            return None
        self.index += 1
        return value if kind == "literal" else None
