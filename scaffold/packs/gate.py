"""The gate every render passes before anything is written: scaffold's own audit of the kit, under the pack's
policy. ``scaffold new`` and ``adopt`` refuse a render it finds problems in; ``scaffold pack test`` reports them.

A pack keeps the built-in kit's controls unless its policy waives them: the rules guarding a control the render must
keep run whatever the policy's floor (``fail_on``) and exceptions say, and whatever ignore comments the pack's own
templates carry. A floor, an exception or a comment is for a repository's findings, not for a pack to drop a
control without ``waive:``."""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING

from scaffold.packs.chosen import BUILTIN, AnswerSet, ChosenPack
from scaffold.rules.requirements import NONE

if TYPE_CHECKING:
    from scaffold.rules.requirements import Requirements


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


def render_problems(files: dict[str, str], pack: ChosenPack, answers: AnswerSet) -> list[str]:
    """What scaffold's audit finds in a render: every file rule, the kit rule of every control the pack's policy
    (or, without one, the answers) require, and the policy's allow lists. A cookiecutter template's render is not
    a kit: none."""
    from scaffold.rules.config import AuditConfig
    from scaffold.rules.model import Severity
    from scaffold.rules.runner import audit_tree

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
    report = audit_tree(files, config, required=required)
    findings = [item for item in report.findings if item.rule in guarding or item.severity >= floor]
    problems = [f"{item.path}:{item.line}: {item.rule}: {item.message}" for item in findings]
    return problems + [f"{error.path}: {error.message}" for error in report.errors]
