"""Harden one file: ask each rule's fix for proposals on the original text, keep those the fix level allows, and
apply them one at a time, each only if the file still parses afterwards."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field

from scaffold.rules.catalog import REGISTRY
from scaffold.rules.config import AuditConfig
from scaffold.rules.document import Document
from scaffold.rules.fixes.edits import EditSet, apply
from scaffold.rules.fixes.model import Fix, Safety, Unfixable
from scaffold.rules.registry import Rule
from scaffold.rules.runner import describe, parse_error
from scaffold.rules.suppression import suppressed, suppressions


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
    deferred: int = field(default=0, repr=False, compare=False)
    """Fixes left for another round: they overlapped another fix, or broke the file only together with others."""

    @property
    def changed(self) -> bool:
        return self.after != self.before


MAX_FIXES = 20_000
"""Most fixes harden proposes for one file in one run; the rest are noted (a second run picks them up)."""

_MAX_PARSES = 64
"""Most extra parses spent finding which fixes break a file, before the remaining suspects are all dropped."""


_MAX_ROUNDS = 3
"""Rounds of fixing one file: a fix deferred in one round (overlapping or clashing with another) is tried again on
the result, so that a second ``harden`` run finds nothing left to do."""


def harden_document(
    document: Document,
    level: Safety = Safety.SAFE,
    config: AuditConfig | None = None,
    rules: Sequence[Rule] = REGISTRY,
) -> FileResult:
    """The file with every allowed fix made, in up to ``_MAX_ROUNDS`` rounds while fixes were deferred and the last
    round changed something. Lines in the report are those of the text each round started from.

    Each round parses the file once more (the fixed text, to check it still parses and to re-audit it); the next
    round starts from that parsed document instead of parsing its text again."""
    result, fixed = _one_round(document, level, config, rules)
    for _ in range(_MAX_ROUNDS - 1):
        if not result.deferred or not result.changed or fixed is None:
            break
        again, fixed = _one_round(fixed, level, config, rules)
        if not again.changed:
            break
        result = FileResult(
            document.path,
            document.text,
            again.after,
            [*result.applied, *again.applied],
            again.held,
            again.notes,
            again.deferred,
        )
    return result


def _one_round(
    document: Document,
    level: Safety,
    config: AuditConfig | None,
    rules: Sequence[Rule],
) -> tuple[FileResult, Document | None]:
    """The file with every allowed fix made, and the parsed document of its new text (None when nothing changed).
    The document must parse (the caller reports a file that does not).

    Every fix is computed on the original text; the accepted ones are made together, the result is parsed and
    audited once, and a fix that breaks the file or that the re-audit does not confirm is dropped with a note, so
    the cost stays linear in the number of fixes.
    """
    config = config or AuditConfig()
    result = FileResult(document.path, document.text, document.text)
    by_line = suppressions(document.lines)
    candidates: list[tuple[Rule, Fix]] = []
    taken = EditSet()
    for rule in rules:
        if document.kind not in rule.kinds or rule.fix is None:
            continue
        if not config.runs(rule.id) or rule.severity < config.min_severity:
            continue
        try:
            proposals = list(rule.fix(document))
        except Exception as error:  # untrusted input must never stop harden: the rule's fixes become a note
            result.notes.append(Note(1, rule.id, f"internal error in the fix ({describe(error)}); fix by hand"))
            continue
        for proposal in proposals:
            if suppressed(by_line, proposal.line, rule.id):
                continue
            if isinstance(proposal, Unfixable):
                result.notes.append(Note(proposal.line, rule.id, proposal.message))
                continue
            change = Change(proposal.line, rule.id, proposal.message, proposal.safety, proposal.risk)
            if proposal.safety is Safety.UNSAFE and level is Safety.SAFE:
                result.held.append(change)
            elif taken.clashes(proposal.edits):
                result.deferred += 1
                result.notes.append(
                    Note(proposal.line, rule.id, f"{proposal.message}: overlaps another fix; run harden again")
                )
            elif len(candidates) >= MAX_FIXES:  # not deferred to another round: that would multiply the cost
                result.notes.append(
                    Note(proposal.line, rule.id, f"{proposal.message}: too many fixes in one file; run harden again")
                )
            else:
                taken.add(proposal.edits)
                candidates.append((rule, proposal))
    fixed = _settle(document, candidates, result)
    for items in (result.applied, result.held, result.notes):
        items.sort()
    return result, fixed


def _settle(document: Document, candidates: list[tuple[Rule, Fix]], result: FileResult) -> Document | None:
    """Make the candidates that keep the file parsing and that the re-audit confirms; note the others. The parsed
    document of the text made, or None when no fix was made."""
    pending, parsed = _parsing(document, candidates, result)
    for _ in range(4):
        if not pending:
            return None
        text = _apply(document.text, pending)
        # _parsing has usually parsed this very text already (every candidate kept): its document is reused
        fixed = parsed if parsed is not None and parsed.text == text else Document(document.path, document.kind, text)
        if parse_error(fixed) is not None:  # only when fixes that parse alone break the file together
            result.deferred += len(pending)
            for rule, fix in pending:
                result.notes.append(Note(fix.line, rule.id, f"{fix.message}: not made, the file would no longer parse"))
            return None
        failures = _unconfirmed(document, fixed, pending)
        if not failures:
            result.after = text
            result.applied += [Change(fix.line, rule.id, fix.message, fix.safety, fix.risk) for rule, fix in pending]
            return fixed
        for index, reason in sorted(failures.items()):
            rule, fix = pending[index]
            result.notes.append(Note(fix.line, rule.id, f"{fix.message}: not made, {reason}"))
        pending = [item for index, item in enumerate(pending) if index not in failures]
    for rule, fix in pending:
        result.notes.append(Note(fix.line, rule.id, f"{fix.message}: not made, the re-audit did not settle"))
    return None


def _apply(text: str, fixes: Sequence[tuple[Rule, Fix]]) -> str:
    return apply(text, [edit for _, fix in fixes for edit in fix.edits])


def _parsing(
    document: Document, candidates: list[tuple[Rule, Fix]], result: FileResult
) -> tuple[list[tuple[Rule, Fix]], Document | None]:
    """The candidates that keep the file parsing, found by halving the set that does not (bounded parses), and the
    last document that parsed (the file with every candidate kept so far made)."""
    budget = [_MAX_PARSES]
    kept: list[tuple[Rule, Fix]] = []
    parsed: list[Document] = []

    def parses(group: list[tuple[Rule, Fix]], known_to_fail: bool) -> bool:
        budget[0] -= 1  # counted even when known, so the budget runs out where it always did
        if known_to_fail:
            return False
        candidate = Document(document.path, document.kind, _apply(document.text, [*kept, *group]))
        if parse_error(candidate) is not None:
            return False
        parsed[:] = [candidate]
        return True

    def search(group: list[tuple[Rule, Fix]], known_to_fail: bool = False) -> None:
        if not group:
            return
        if budget[0] <= 0:
            result.deferred += len(group)
            why = "not made: too many fixes would break the file; run harden again"
            result.notes += [Note(fix.line, rule.id, f"{fix.message}: {why}") for rule, fix in group]
            return
        if parses(group, known_to_fail):
            kept.extend(group)
            return
        if len(group) == 1:
            rule, fix = group[0]
            result.deferred += 1  # it may parse on the text the other fixes leave
            result.notes.append(Note(fix.line, rule.id, f"{fix.message}: not made, the file would no longer parse"))
            return
        half = len(group) // 2
        before = len(kept)
        search(group[:half])
        # with the whole first half kept, the second half makes the very text that just failed to parse
        search(group[half:], known_to_fail=len(kept) == before + half)

    search(candidates)
    return kept, (parsed[0] if parsed else None)


def _findings(rule: Rule, document: Document) -> list[tuple[int, str]]:
    return [(hit.line, hit.message) for hit in rule.check(document)]


def _unconfirmed(before: Document, after: Document, pending: list[tuple[Rule, Fix]]) -> dict[int, str]:
    """{index in pending: why} for each fix the re-audit of the fixed file does not confirm."""
    failures: dict[int, str] = {}
    by_rule: dict[str, list[int]] = {}
    for index, (rule, _) in enumerate(pending):
        by_rule.setdefault(rule.id, []).append(index)
    for indexes in by_rule.values():
        rule = pending[indexes[0]][0]
        try:
            found_before = _findings(rule, before)
            found_after = Counter(message for _, message in _findings(rule, after))
        except Exception as error:  # a check that fails on the fixed file confirms nothing
            failures.update(dict.fromkeys(indexes, f"the re-audit failed ({describe(error)})"))
            continue
        counted_before = Counter(message for _, message in found_before)
        new = found_after - counted_before
        if new:
            message = next(iter(new))
            failures.update(dict.fromkeys(indexes, f"the re-audit finds something new: {message}"))
            continue
        needed: Counter[str] = Counter()
        claims: dict[int, tuple[str, ...]] = {}
        on_line: dict[int, dict[str, None]] = {}  # the findings before, by line, in order: one pass, not one a fix
        for line, message in found_before:
            on_line.setdefault(line, {})[message] = None
        for index in indexes:
            fix = pending[index][1]
            claims[index] = fix.resolves if fix.resolves is not None else tuple(on_line.get(fix.line, {}))
            needed.update(claims[index])
        short = {message for message, count in needed.items() if counted_before[message] - found_after[message] < count}
        for index in indexes:
            if short.intersection(claims[index]):
                failures[index] = "the re-audit still finds what it fixes"
        if not needed and counted_before == found_after:
            failures.update(dict.fromkeys(indexes, "the re-audit finds no change"))
    for index, (_, fix) in enumerate(pending):
        if fix.verify is None or index in failures:
            continue
        try:
            reason = fix.verify(after)
        except Exception as error:
            reason = f"its check of the fixed file failed ({describe(error)})"
        if reason is not None:
            failures[index] = reason
    return failures
