"""Shared checks for each kind's rule tests: bad/ fixtures give exactly their snapshot, good/ gives nothing.

Fixtures live in ``tests/rules/fixtures/<rule-id>/{good,bad}/`` at the path the file has in a repository
(``.github/workflows/ci.yml``, ``.gitlab-ci.yml``, ``Dockerfile``, ...).
"""

from __future__ import annotations

from pathlib import Path

from syrupy.assertion import SnapshotAssertion

from scaffold.rules.registry import Rule
from scaffold.rules.runner import audit_tree

FIXTURES = Path(__file__).parent / "fixtures"


def tree(folder: Path) -> dict[str, str]:
    return {path.relative_to(folder).as_posix(): path.read_text() for path in folder.rglob("*") if path.is_file()}


def assert_bad_matches_snapshot(rule: Rule, snapshot: SnapshotAssertion) -> None:
    findings = audit_tree(tree(FIXTURES / rule.id / "bad"), rules=[rule]).findings
    assert findings, f"{rule.id}: bad/ gives no finding"
    assert {item.rule for item in findings} == {rule.id}
    assert [f"{item.path}:{item.line}:{item.column} {item.message}" for item in findings] == snapshot


def assert_good_is_clean(rule: Rule) -> None:
    report = audit_tree(tree(FIXTURES / rule.id / "good"), rules=[rule])
    assert report.files >= 1, f"{rule.id}: good/ has no file of the rule's kinds"
    assert report.findings == []
    assert report.errors == []
