"""Every rule on its fixtures: bad/ gives exactly its snapshot, good/ gives no finding."""

from __future__ import annotations

import pytest
from syrupy.assertion import SnapshotAssertion

from scaffold.rules.catalog import REGISTRY
from scaffold.rules.registry import Rule
from tests.rules.support import assert_bad_matches_snapshot, assert_good_is_clean

FILE_RULES = [rule for rule in REGISTRY if not rule.is_kit_rule]
IDS = [rule.id for rule in FILE_RULES]


@pytest.mark.parametrize("rule", FILE_RULES, ids=IDS)
def test_bad_fixtures_give_exactly_the_snapshot(rule: Rule, snapshot: SnapshotAssertion) -> None:
    assert_bad_matches_snapshot(rule, snapshot)


@pytest.mark.parametrize("rule", FILE_RULES, ids=IDS)
def test_good_fixtures_give_no_finding(rule: Rule) -> None:
    assert_good_is_clean(rule)
