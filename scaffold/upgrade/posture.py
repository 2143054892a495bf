"""The posture ratchet of ``scaffold upgrade`` and ``scaffold diff``: a diff of audit findings.

The new kit render ("theirs") and the merged tree are audited with the same rules, the kit rules of every control
the answers require included (``scaffold.rules.requirements``). Every finding the merged tree has and the render
does not is a weakening: the edit that brought it stops the upgrade (exit 3). Findings are matched by rule, file
and subject (the job, step, stage, ref or instruction they concern; ``Finding.fingerprint``), never by line, so an
edit elsewhere in the file that moves lines weakens nothing. Whatever ``scaffold audit`` reports on the merged
files, the ratchet sees, with the file and line audit names.

Two differences from a plain audit, both so that the ratchet cannot be talked out of a finding by the file it
judges: the repository's audit settings (disabled rules, a minimum severity) are not applied, and neither are
suppression comments. ``--accept-weaker`` is the explicit way past it.

A merged file that cannot be read (conflict markers, broken YAML) is judged as the kit renders it (or left out if
the kit has no such file): the merge already reports it as a conflict.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from scaffold.rules.catalog import REGISTRY
from scaffold.rules.document import Document
from scaffold.rules.guards import control_of
from scaffold.rules.kinds import classify
from scaffold.rules.requirements import from_answers
from scaffold.rules.runner import audit_tree, parse_error

__all__ = ["Weakening", "weakenings"]

_RULES = {rule.id: rule for rule in REGISTRY}


@dataclass(frozen=True)
class Weakening:
    path: str  # repo-relative file
    line: int  # 1-based line in the merged file, as audit reports it
    control: str  # the control of scaffold/kit/controls.py the rule guards (the rule id when it guards none)
    message: str  # one line
    rule: str = ""  # the audit rule that found it


def weakenings(*, theirs: Mapping[str, str], merged: Mapping[str, str], answers: Mapping[str, Any]) -> list[Weakening]:
    """The findings of ``merged`` (the tree after the merge) that ``theirs`` (the new kit render) does not have."""
    required = from_answers(answers)
    kit = audit_tree(theirs, required=required, honour_suppressions=False)
    after = audit_tree(_readable(theirs, merged), required=required, honour_suppressions=False)
    known = Counter(finding.fingerprint for finding in kit.findings)
    found = []
    for finding in after.findings:
        if known[finding.fingerprint]:
            known[finding.fingerprint] -= 1
            continue
        control = control_of(_RULES[finding.rule])
        found.append(Weakening(finding.path, finding.line, control, finding.message, finding.rule))
    return sorted(set(found), key=lambda w: (w.path, w.line, w.rule, w.message))


def _readable(theirs: Mapping[str, str], merged: Mapping[str, str]) -> dict[str, str]:
    """The merged tree with every audited file that does not parse replaced by the kit's (or left out)."""
    readable = {}
    for path, text in merged.items():
        kind = classify(path)
        if kind is None or parse_error(Document(path, kind, text)) is None:
            readable[path] = text
        elif path in theirs:
            readable[path] = theirs[path]
    return readable
