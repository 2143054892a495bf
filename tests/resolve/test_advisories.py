"""The one reader of the advisory list, shared by the audit rule and the resolver."""

from __future__ import annotations

import re

from scaffold.resolve import advisories
from scaffold.rules.github.known_compromised_action import compromised


def test_the_shipped_list_is_read_with_full_lower_case_commits() -> None:
    shipped = advisories.shipped()
    assert shipped
    assert all(re.fullmatch(r"[0-9a-f]{40}", item.commit) for item in shipped)
    assert all(item.advisory.startswith("GHSA-") for item in shipped)
    assert ("tj-actions/changed-files", "0e58ed8671d6b60d0890c21b07f8835ace038e67") in {
        (item.action, item.commit) for item in shipped
    }


def test_the_resolver_matches_by_commit_and_the_rule_by_action_and_commit() -> None:
    by_commit = advisories.by_commit()
    assert by_commit["0e58ed8671d6b60d0890c21b07f8835ace038e67"] == "GHSA-mrrh-fwg8-r2c3"
    assert set(by_commit) == {commit for _, commit in compromised()}


def test_a_test_can_give_its_own_list() -> None:
    own = (advisories.Advisory("acme/tool", "a" * 40, "GHSA-test-0001"),)
    assert advisories.by_commit(own) == {"a" * 40: "GHSA-test-0001"}
