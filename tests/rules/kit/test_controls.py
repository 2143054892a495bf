"""The controls on the rule engine: every kit is audit-clean, every applicable control has rules guarding it on each
platform, and each single-control mutation is a finding of that control's rules, in the mutated file."""

from __future__ import annotations

import re
from functools import cache
from typing import Any

import pytest

from scaffold.api import render_kit
from scaffold.kit.answers import validate
from scaffold.kit.controls import CONTROLS, PLATFORMS, NotApplicable, PlatformName
from scaffold.rules.catalog import REGISTRY
from scaffold.rules.guards import guards
from scaffold.rules.requirements import from_answers
from scaffold.rules.runner import Report, audit_tree
from tests.answer_sets import ANSWER_SETS
from tests.rules.kit.mutations import MUTATIONS, Mutation


@cache
def _answers(name: str) -> dict[str, Any]:
    return validate(ANSWER_SETS[name]).model_dump()


@cache
def _kit(name: str) -> dict[str, str]:
    return render_kit(answers=validate(ANSWER_SETS[name]))


def _audit(name: str, files: dict[str, str]) -> Report:
    return audit_tree(files, required=from_answers(_answers(name)))


@pytest.mark.parametrize("answer_set", sorted(ANSWER_SETS))
def test_every_kit_is_audit_clean_with_its_controls_required(answer_set: str) -> None:
    report = _audit(answer_set, _kit(answer_set))
    assert report.errors == []
    assert [f"{f.path}:{f.line} {f.rule}: {f.message}" for f in report.findings] == []


@pytest.mark.parametrize("platform", PLATFORMS)
@pytest.mark.parametrize("control", [control.id for control in CONTROLS])
def test_every_control_a_platform_can_express_has_rules(control: str, platform: PlatformName) -> None:
    expressible = not isinstance(next(c for c in CONTROLS if c.id == control).how[platform], NotApplicable)
    assert bool(guards(control, platform)) == expressible


def test_every_control_of_every_rule_exists() -> None:
    known = {control.id for control in CONTROLS}
    assert {control for rule in REGISTRY for control in rule.controls} <= known


@pytest.mark.parametrize("mutation", MUTATIONS, ids=[f"{m.platform}-{m.control}" for m in MUTATIONS])
def test_each_mutation_is_a_finding_of_its_controls_rules(mutation: Mutation) -> None:
    files = dict(_kit(mutation.answer_set))
    mutated, replaced = re.subn(mutation.pattern, mutation.replacement, files[mutation.path], count=mutation.times)
    assert replaced, f"the mutation found nothing to change in {mutation.path}"
    files[mutation.path] = mutated
    report = _audit(mutation.answer_set, files)
    assert report.errors == [], "the mutation broke the syntax instead"
    guarding = {rule.id for rule in guards(mutation.control, mutation.platform)}
    caught = [f for f in report.findings if f.rule in guarding]
    assert caught, f"{mutation.control} on {mutation.platform} did not notice: {mutation.pattern!r}"
    assert any(f.path == mutation.path for f in caught), [f"{f.path}:{f.line} {f.message}" for f in caught]


@pytest.mark.parametrize("platform", PLATFORMS)
def test_every_control_has_a_mutation(platform: PlatformName) -> None:
    mutated = {m.control for m in MUTATIONS if m.platform == platform}
    expected = {c.id for c in CONTROLS if not isinstance(c.how[platform], NotApplicable)}
    assert mutated == expected
