"""docs/checks.md is generated from the rules' docstrings and must be up to date."""

from __future__ import annotations

from pathlib import Path

from scaffold.rules.catalog import REGISTRY
from scaffold.rules.docs import render

DOCS = Path(__file__).resolve().parents[2] / "docs" / "checks.md"


def test_docs_checks_md_is_generated_from_the_rules() -> None:
    assert DOCS.read_text() == render(), "regenerate with: python -m scaffold.rules.docs > docs/checks.md"


def test_every_rule_has_a_row_and_a_section() -> None:
    text = render()
    for rule in REGISTRY:
        assert f"| [`{rule.id}`](#{rule.id}) |" in text
        assert f"\n## {rule.id}\n\n### What it does\n" in text
