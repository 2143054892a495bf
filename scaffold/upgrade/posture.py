"""The posture ratchet of ``scaffold upgrade`` and ``scaffold diff``: a diff of audit findings.

The new kit render ("theirs") and the merged tree are audited with the same rules, the kit rules of every control
the answers require included (``scaffold.rules.requirements``). Every finding the merged tree has and the render
does not is a weakening: the edit that brought it stops the upgrade (exit 3). Findings are matched by rule, file
and subject (the job, step, stage, ref or instruction they concern; ``Finding.fingerprint``), never by line, so an
edit elsewhere in the file that moves lines weakens nothing. Whatever ``scaffold audit`` reports on the merged
files, the ratchet sees, with the file and line audit names.

Two differences from a plain audit, both so that the ratchet cannot be talked out of a finding by the file it
judges: the repository's audit settings (disabled rules, a minimum severity, exceptions) are not applied, and
neither are suppression comments. ``--accept-weaker`` is the explicit way past it. Under an org policy
(``scaffold.rules.policy``) the required controls are the policy's and its allow lists are judged too; its
exceptions and severity floor do not apply either.

A merged file with conflict markers is judged as the kit renders it (or left out if the kit has no such file): the
merge reports the conflict (exit 1) and the next run judges the resolved file. Any other merged file the rules
cannot read (invalid YAML, nesting past the readers' limits) is itself a weakening: a file nobody can judge could
hide any edit, and the kit's file was readable.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from scaffold.packs.gate import ParsedFiles
from scaffold.rules.catalog import REGISTRY
from scaffold.rules.guards import control_of
from scaffold.rules.kinds import classify
from scaffold.rules.policy import OrgPolicy
from scaffold.rules.requirements import NONE, from_answers
from scaffold.rules.runner import audit_documents, parse_error
from scaffold.upgrade.plan import has_conflict_markers

__all__ = ["UNREADABLE", "Weakening", "weakenings"]

_RULES = {rule.id: rule for rule in REGISTRY}
_AT_LINE = re.compile(r"\bat line (\d+)")
UNREADABLE = "unreadable-file"  # the rule and control named for a merged file the rules cannot read


@dataclass(frozen=True)
class Weakening:
    path: str  # repo-relative file
    line: int  # 1-based line in the merged file, as audit reports it
    control: str  # the control of scaffold/kit/controls.py the rule guards (the rule id when it guards none)
    message: str  # one line
    rule: str = ""  # the audit rule that found it


def weakenings(
    *,
    theirs: Mapping[str, str],
    merged: Mapping[str, str],
    answers: Mapping[str, Any] | None,
    policy: OrgPolicy | None = None,
    parsed: ParsedFiles | None = None,
) -> list[Weakening]:
    """The findings of ``merged`` (the tree after the merge) that ``theirs`` (the new kit render) does not have.
    Under an org ``policy`` both are audited with the controls it requires and its allow lists; its exceptions and
    its severity floor do not apply here. ``parsed`` shares the files' parses with the run's other audits."""
    base = NONE if answers is None else from_answers(answers)  # None: not a kit (a cookiecutter template's files)
    required = base if policy is None else policy.apply(base)
    parsed = parsed or ParsedFiles()
    kit = audit_documents(parsed.documents(theirs), required=required, honour_suppressions=False)
    readable, found = _readable(theirs, merged, parsed)
    after = audit_documents(parsed.documents(readable), required=required, honour_suppressions=False)
    known = Counter(finding.fingerprint for finding in kit.findings)
    for finding in after.findings:
        if known[finding.fingerprint]:
            known[finding.fingerprint] -= 1
            continue
        control = finding.control or control_of(_RULES[finding.rule])
        found.append(Weakening(finding.path, finding.line, control, finding.message, finding.rule))
    return sorted(set(found), key=lambda w: (w.path, w.line, w.rule, w.message))


def _readable(
    theirs: Mapping[str, str], merged: Mapping[str, str], parsed: ParsedFiles
) -> tuple[dict[str, str], list[Weakening]]:
    """The merged tree with each audited file the rules cannot read replaced by the kit's (or left out), and a
    weakening for each such file that is not a conflict the merge reports."""
    readable: dict[str, str] = {}
    unreadable: list[Weakening] = []
    for path, text in merged.items():
        kind = classify(path)
        error = None if kind is None else parse_error(parsed.document(path, kind, text))
        if error is None:
            readable[path] = text
            continue
        if path in theirs:
            readable[path] = theirs[path]
        if not has_conflict_markers(text):
            line = int(match.group(1)) if (match := _AT_LINE.search(error.message)) else 1
            message = f"the rules cannot read this file ({error.message}), so no control in it can be judged"
            unreadable.append(Weakening(path, line, UNREADABLE, message, UNREADABLE))
    return readable, unreadable
