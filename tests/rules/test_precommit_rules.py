"""Pre-commit rules on their fixtures."""

from __future__ import annotations

import pytest
from syrupy.assertion import SnapshotAssertion

from scaffold.rules import REGISTRY, Rule
from tests.rules.support import assert_bad_matches_snapshot, assert_good_is_clean, rules_of

RULES = rules_of("precommit", REGISTRY)


@pytest.mark.parametrize("rule", RULES, ids=[rule.id for rule in RULES])
def test_bad_fixtures_give_exactly_the_snapshot(rule: Rule, snapshot: SnapshotAssertion) -> None:
    assert_bad_matches_snapshot(rule, snapshot)


@pytest.mark.parametrize("rule", RULES, ids=[rule.id for rule in RULES])
def test_good_fixtures_give_no_finding(rule: Rule) -> None:
    assert_good_is_clean(rule)
