"""Harden one file: ask each rule's fix for proposals on the original text, keep those the fix level allows, and
apply them one at a time, each only if the file still parses afterwards."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from scaffold.audit.config import AuditConfig
from scaffold.audit.document import Document
from scaffold.audit.runner import parse_error
from scaffold.audit.suppression import suppressed, suppressions
from scaffold.harden.edits import apply, overlaps
from scaffold.harden.model import Fix, Safety, TextEdit, Unfixable
from scaffold.rules import REGISTRY, Rule


@dataclass(frozen=True, order=True)
class Change:
    """A fix that was made (or, with ``held``, one that needs ``--fix=all``), on a line of the original file."""

    line: int
    rule: str
    message: str
    safety: Safety
    risk: str = ""


@dataclass(frozen=True, order=True)
class Note:
    """Something a rule found that harden leaves alone, and why."""

    line: int
    rule: str
    message: str


@dataclass
class FileResult:
    path: str
    before: str
    after: str
    applied: list[Change] = field(default_factory=list)
    held: list[Change] = field(default_factory=list)
    notes: list[Note] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return self.after != self.before


def harden_document(
    document: Document,
    level: Safety = Safety.SAFE,
    config: AuditConfig | None = None,
    rules: Sequence[Rule] = REGISTRY,
) -> FileResult:
    """The file with every allowed fix made. The document must parse (the caller reports a file that does not)."""
    config = config or AuditConfig()
    result = FileResult(document.path, document.text, document.text)
    by_line = suppressions(document.lines)
    accepted: list[TextEdit] = []
    for rule in rules:
        if rule.fix is None or document.kind not in rule.kinds:
            continue
        if not config.runs(rule.id) or rule.severity < config.min_severity:
            continue
        for proposal in rule.fix(document):
            if suppressed(by_line, proposal.line, rule.id):
                continue
            if isinstance(proposal, Unfixable):
                result.notes.append(Note(proposal.line, rule.id, proposal.message))
                continue
            _consider(document, rule.id, proposal, level, accepted, result)
    for items in (result.applied, result.held, result.notes):
        items.sort()
    return result


def _consider(
    document: Document, rule: str, fix: Fix, level: Safety, accepted: list[TextEdit], result: FileResult
) -> None:
    change = Change(fix.line, rule, fix.message, fix.safety, fix.risk)
    if fix.safety is Safety.UNSAFE and level is Safety.SAFE:
        result.held.append(change)
        return
    if overlaps(fix.edits, accepted):
        result.notes.append(Note(fix.line, rule, f"{fix.message}: overlaps another fix; run harden again"))
        return
    candidate = apply(document.text, [*accepted, *fix.edits])
    if parse_error(Document(document.path, document.kind, candidate)) is not None:
        result.notes.append(Note(fix.line, rule, f"{fix.message}: not made, the file would no longer parse"))
        return
    accepted.extend(fix.edits)
    result.after = candidate
    result.applied.append(change)
