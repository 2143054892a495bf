"""Every rule with a fix, on its audit fixtures: bad/ changes exactly as the snapshot says and the rule then finds
less (what it still finds is explained by a note); good/ and every generated kit come back byte for byte."""

from __future__ import annotations

import pytest
from syrupy.assertion import SnapshotAssertion

from scaffold.api import render_kit
from scaffold.harden.runner import harden_tree
from scaffold.kit.answers import validate
from scaffold.kit.writer import text_diff
from scaffold.rules.catalog import REGISTRY
from scaffold.rules.fixes.model import Safety
from scaffold.rules.registry import Rule
from scaffold.rules.runner import audit_tree
from tests.answer_sets import ANSWER_SETS
from tests.rules.support import FIXTURES, tree

FIXING = [rule for rule in REGISTRY if rule.fix is not None]


def test_the_rules_the_issue_names_have_fixes() -> None:
    assert {rule.id for rule in FIXING} == {
        "unpinned-uses",
        "unpinned-container-image",
        "excessive-permissions",
        "artipacked",
        "template-injection",
        "missing-timeout",
        "missing-concurrency",
        "docker-unpinned-base",
        "docker-root-user",
        "gitlab-unpinned-image",
    }


@pytest.mark.parametrize("rule", FIXING, ids=[rule.id for rule in FIXING])
def test_bad_fixtures_are_fixed_as_the_snapshot_shows(rule: Rule, snapshot: SnapshotAssertion) -> None:
    files = tree(FIXTURES / rule.id / "bad")
    report = harden_tree(files, Safety.UNSAFE, rules=[rule])
    assert report.changed, f"{rule.id}: no fix made on bad/"
    shown = [text_diff(result.path, result.before, result.after) for result in report.changed]
    shown += [f"{r.path}:{c.line} {c.safety.value}: {c.message}" for r in report.results for c in r.applied]
    shown += [f"{r.path}:{n.line} not fixed: {n.message}" for r in report.results for n in r.notes]
    assert shown == snapshot
    before = audit_tree(files, rules=[rule]).findings
    after = audit_tree({r.path: r.after for r in report.results}, rules=[rule]).findings
    assert len(after) < len(before)
    notes = [note for result in report.results for note in result.notes]
    assert not after or notes, f"{rule.id}: findings remain with no note saying why: {after}"


@pytest.mark.parametrize("rule", FIXING, ids=[rule.id for rule in FIXING])
def test_good_fixtures_come_back_byte_for_byte(rule: Rule) -> None:
    files = tree(FIXTURES / rule.id / "good")
    report = harden_tree(files, Safety.UNSAFE, rules=[rule])
    assert report.results
    for result in report.results:
        assert result.after == files[result.path]
        assert not result.applied and not result.held


@pytest.mark.parametrize("name", sorted(ANSWER_SETS))
def test_generated_kits_need_no_fix(name: str) -> None:
    files = render_kit(answers=validate(ANSWER_SETS[name]))
    report = harden_tree(files, Safety.UNSAFE)
    assert report.results
    assert [result.path for result in report.changed] == []
    assert [(r.path, n.message) for r in report.results for n in r.notes] == []
