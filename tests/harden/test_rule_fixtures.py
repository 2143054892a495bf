"""Every rule with a fix, on its audit fixtures: bad/ changes exactly as the snapshot says and the rule then finds
less (what it still finds is explained by a note); good/ and every generated kit come back byte for byte.

The fixes ask a fixed pin source (``FIXTURE_SOURCE``: a few answers a live lookup could give, with a refusal and a
release the cooldown stepped back from, and the shipped tables for everything else), so the snapshots do not
depend on the network or on when they run.
"""

from __future__ import annotations

import pytest
from syrupy.assertion import SnapshotAssertion

from scaffold.api import render_kit
from scaffold.harden.runner import harden_tree
from scaffold.kit.answers import validate
from scaffold.kit.writer import text_diff
from scaffold.resolve.model import Refused
from scaffold.resolve.source import using
from scaffold.rules.catalog import REGISTRY
from scaffold.rules.fixes.model import Safety
from scaffold.rules.registry import Rule
from scaffold.rules.runner import audit_tree
from tests.answer_sets import ANSWER_SETS
from tests.rules.support import FIXTURES, tree
from tests.support.pin_sources import AnswerSource, commit, digest

FIXING = [rule for rule in REGISTRY if rule.fix is not None]
_STEPPED_BACK = "the cooldown stepped back: 25.1.0 was tagged 2 days ago, within the 7-day cooldown"
FIXTURE_SOURCE = AnswerSource(
    {
        ("image", "node:24", ""): digest("node:24", "24"),
        ("image", "alpine:latest", ""): digest("alpine:latest", "latest"),
        ("image", "postgres:17", ""): digest("postgres:17", "17"),
        ("image", "redis:7", ""): Refused("the registry at docker.io answered 429 Too Many Requests"),
        ("git", "https://github.com/psf/black", "25.1.0"): commit("black 24.10.0", "24.10.0", note=_STEPPED_BACK),
        ("git", "https://github.com/pre-commit/pre-commit-hooks", "main"): Refused("main is a branch, not a release"),
        ("git", "https://github.com/astral-sh/ruff-pre-commit", "v0.16.4"): commit("ruff v0.16.4", "v0.16.4"),
        ("project", "platform/ci-templates", "v2"): commit("templates v2.4.1", "v2.4.1"),
        ("project", "platform/ci-templates", "main"): Refused("main is a branch, not a release"),
        ("project", "platform/security", "release-1.4"): commit("security release-1.4", "release-1.4"),
        ("git", "https://git.example.com/release-lib.git", "feature/faster"): commit("release-lib", "feature/faster"),
        ("git", "https://git.example.com/build-lib.git", "main"): commit("build-lib main", "main"),
        ("git", "https://github.com/example/gh-lib.git", "v2"): commit("gh-lib v2.0.3", "v2.0.3"),
        ("git", "https://git.example.com/legacy-lib.git", "develop"): commit("legacy-lib develop", "develop"),
    }
)


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
        "gitlab-unpinned-include",
        "gitlab-job-hygiene",
        "precommit-mutable-rev",
        "jenkins-unpinned-library",
        "jenkins-missing-timeout",
    }


@pytest.mark.parametrize("rule", FIXING, ids=[rule.id for rule in FIXING])
def test_bad_fixtures_are_fixed_as_the_snapshot_shows(rule: Rule, snapshot: SnapshotAssertion) -> None:
    files = tree(FIXTURES / rule.id / "bad")
    with using(FIXTURE_SOURCE):
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
    with using(FIXTURE_SOURCE):
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
