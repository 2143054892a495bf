"""Every rule: a unique kebab-case id, complete documentation, and good/ and bad/ fixtures with a snapshot of the
findings on bad/ (paths relative to the fixture folder). good/ gives no finding of the rule."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from syrupy.assertion import SnapshotAssertion

from scaffold.audit.runner import audit_tree
from scaffold.rules import REGISTRY, Rule
from scaffold.rules.registry import SECTIONS

FIXTURES = Path(__file__).parent / "fixtures"
IDS = [rule.id for rule in REGISTRY]


def _tree(folder: Path) -> dict[str, str]:
    return {path.relative_to(folder).as_posix(): path.read_text() for path in folder.rglob("*") if path.is_file()}


def test_ids_are_unique_and_kebab_case() -> None:
    assert len(set(IDS)) == len(IDS)
    for rule_id in IDS:
        assert re.fullmatch(r"[a-z][a-z0-9]*(?:-[a-z0-9]+)*", rule_id), rule_id


@pytest.mark.parametrize("rule", REGISTRY, ids=IDS)
def test_documentation_has_every_section_in_order(rule: Rule) -> None:
    headings = re.findall(r"^## (.+)$", rule.doc, re.MULTILINE)
    assert headings == list(SECTIONS)
    for section in re.split(r"^## .+$", rule.doc, flags=re.MULTILINE)[1:]:
        assert section.strip(), f"{rule.id}: an empty section"
    assert rule.summary.endswith(".") and len(rule.summary) > 20


def test_every_fixture_folder_belongs_to_a_rule() -> None:
    assert sorted(path.name for path in FIXTURES.iterdir()) == sorted(IDS)


@pytest.mark.parametrize("rule", REGISTRY, ids=IDS)
def test_bad_fixtures_give_exactly_the_snapshot(rule: Rule, snapshot: SnapshotAssertion) -> None:
    findings = audit_tree(_tree(FIXTURES / rule.id / "bad"), rules=[rule]).findings
    assert findings, f"{rule.id}: bad/ gives no finding"
    assert [f"{item.path}:{item.line}:{item.column} {item.message}" for item in findings] == snapshot


@pytest.mark.parametrize("rule", REGISTRY, ids=IDS)
def test_good_fixtures_give_no_finding(rule: Rule) -> None:
    report = audit_tree(_tree(FIXTURES / rule.id / "good"), rules=[rule])
    assert report.files >= 1
    assert report.findings == []
    assert report.errors == []
