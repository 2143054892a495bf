"""The gate every render passes before anything is written: scaffold's own audit of the kit, under the pack's
policy. ``scaffold new`` and ``adopt`` refuse a render it finds problems in; ``scaffold pack test`` reports them.

A pack keeps the built-in kit's controls unless its policy waives them: the rules guarding a control the render must
keep run whatever the policy's floor (``fail_on``) and exceptions say, and whatever ignore comments the pack's own
templates carry. A floor, an exception or a comment is for a repository's findings, not for a pack to drop a
control without ``waive:``."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import TYPE_CHECKING

from scaffold.packs.chosen import BUILTIN, AnswerSet, ChosenPack
from scaffold.rules.requirements import NONE

if TYPE_CHECKING:
    from scaffold.rules.document import Document
    from scaffold.rules.model import Kind
    from scaffold.rules.requirements import Requirements


class ParsedFiles:
    """The audited files of one run, each read once. ``upgrade`` audits the render at the gate and again in the
    ratchet, and the merged tree, which mostly holds the same texts: a file with the same path and text is one
    Document, which keeps its parse and the readings rules took of it (rules never change a document)."""

    def __init__(self) -> None:
        self._known: dict[tuple[str, str], Document] = {}

    def document(self, path: str, kind: Kind, text: str) -> Document:
        from scaffold.rules.document import Document

        found = self._known.get((path, text))
        if found is None or found.kind is not kind:
            found = self._known[(path, text)] = Document(path, kind, text)
        return found

    def documents(self, files: Mapping[str, str]) -> list[Document]:
        """The files of an audited kind, sorted by path, as ``audit_tree`` reads them."""
        from scaffold.rules.kinds import classify

        found = []
        for path, text in sorted(files.items()):
            kind = classify(path)
            if kind is not None:
                found.append(self.document(path, kind, text))
        return found


def _keeps_the_kit(pack: ChosenPack) -> bool:
    """Whether the render must keep the built-in kit's controls: the built-in kit and a team pack that extends it
    do; a whole pack of its own (a fork) answers only to the file rules, as before packs could extend the kit."""
    return pack.name == BUILTIN or pack.extends == BUILTIN


def _guarding(required: Requirements) -> frozenset[str]:
    """The ids of the rules that guard a control ``required`` keeps, on the platform that keeps it."""
    from scaffold.rules.guards import guards
    from scaffold.rules.requirements import KIND_PLATFORMS

    ids: set[str] = set()
    for kind, controls in required.controls.items():
        for control in controls:
            ids.update(rule.id for rule in guards(control, KIND_PLATFORMS[kind]))
    return frozenset(ids)


def render_problems(
    files: dict[str, str], pack: ChosenPack, answers: AnswerSet, parsed: ParsedFiles | None = None
) -> list[str]:
    """What scaffold's audit finds in a render: every file rule, the kit rule of every control the pack's policy
    (or, without one, the answers) require, and the policy's allow lists. A cookiecutter template's render is not
    a kit: none. ``parsed`` shares the files' parses with the run's other audits."""
    from scaffold.rules.config import AuditConfig
    from scaffold.rules.model import Severity
    from scaffold.rules.runner import audit_documents

    if pack.cookiecutter is not None:
        return []
    dumped = answers.model_dump()
    required = pack.required(dumped) if _keeps_the_kit(pack) else NONE
    guarding = _guarding(required)
    config = pack.policy.audit_config(dumped) if pack.policy is not None else AuditConfig()
    floor = config.min_severity
    config = dataclasses.replace(
        config,
        min_severity=Severity.LOW,
        enforced=config.enforced | guarding,
        exemptions=tuple(item for item in config.exemptions if item.rule not in guarding),
    )
    report = audit_documents((parsed or ParsedFiles()).documents(files), config, required=required)
    findings = [item for item in report.findings if item.rule in guarding or item.severity >= floor]
    problems = [f"{item.path}:{item.line}: {item.rule}: {item.message}" for item in findings]
    return problems + [f"{error.path}: {error.message}" for error in report.errors]
