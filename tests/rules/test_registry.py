"""Every rule: a unique kebab-case id, complete documentation, and good/ and bad/ fixtures (``test_fixtures.py``
snapshots the findings on bad/ and expects none on good/)."""

from __future__ import annotations

import re

import pytest

from scaffold.rules.catalog import REGISTRY
from scaffold.rules.registry import SECTIONS, Rule
from tests.rules.support import FIXTURES

IDS = [rule.id for rule in REGISTRY]
FILE_RULE_IDS = [rule.id for rule in REGISTRY if not rule.is_kit_rule]


def test_ids_are_unique_and_kebab_case() -> None:
    assert len(set(IDS)) == len(IDS)
    for rule_id in IDS:
        assert re.fullmatch(r"[a-z][a-z0-9]*(?:-[a-z0-9]+)*", rule_id), rule_id


@pytest.mark.parametrize("rule", REGISTRY, ids=IDS)
def test_documentation_has_every_section_in_order(rule: Rule) -> None:
    headings = re.findall(r"^## (.+)$", rule.doc, re.MULTILINE)
    expected = list(SECTIONS)
    if rule.fix is not None:  # a rule with a fix says what it does and when it is unsafe, before its references
        expected.insert(expected.index("References"), "Fix")
    assert headings == expected
    for section in re.split(r"^## .+$", rule.doc, flags=re.MULTILINE)[1:]:
        assert section.strip(), f"{rule.id}: an empty section"
    assert rule.summary.endswith(".") and len(rule.summary) > 20


def test_every_file_rule_has_fixtures_and_every_fixture_folder_a_rule() -> None:
    """Kit rules judge a whole kit: tests/rules/kit/test_controls.py runs them on every rendered kit and on each
    mutation of one control, instead of fixture folders."""
    assert sorted(path.name for path in FIXTURES.iterdir()) == sorted(FILE_RULE_IDS)
    for rule_id in FILE_RULE_IDS:
        assert (FIXTURES / rule_id / "good").is_dir() and (FIXTURES / rule_id / "bad").is_dir(), rule_id


@pytest.mark.parametrize("rule", REGISTRY, ids=IDS)
def test_a_rule_with_a_fix_says_how_safe_it_is(rule: Rule) -> None:
    if rule.fix is None:
        assert rule.fix_safety == ""
    else:
        assert rule.fix_safety.split(";")[0] in ("safe", "unsafe"), rule.fix_safety
