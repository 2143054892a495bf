"""The rule index (scaffold/rules/index.py) says what the rule modules say, and the registry built from it loads a
rule's module only when the rule runs or its documentation is read."""

from __future__ import annotations

import importlib
import json
import subprocess
import sys
from pathlib import Path

import pytest

from scaffold.rules import indexer, policy_rules
from scaffold.rules.catalog import REGISTRY
from scaffold.rules.document import Document
from scaffold.rules.index import ENTRIES
from scaffold.rules.model import Kind
from scaffold.rules.registry import Entry, Rule, rule_from_module
from scaffold.rules.requirements import Requirements
from scaffold.rules.tree import Tree

INDEX = Path(__file__).resolve().parents[2] / "scaffold" / "rules" / "index.py"
FROM_MODULES = indexer.entries()


def test_the_committed_index_is_generated_from_the_rule_modules() -> None:
    assert INDEX.read_text(encoding="utf-8") == indexer.render(FROM_MODULES), (
        "regenerate with: python -m scaffold.rules.indexer > scaffold/rules/index.py"
    )
    assert list(ENTRIES) == FROM_MODULES


def test_the_registry_is_the_index_in_order_with_every_rule_once() -> None:
    assert [rule.id for rule in REGISTRY] == [entry.id for entry in ENTRIES]
    assert len({rule.id for rule in REGISTRY}) == len(REGISTRY) == len(ENTRIES)


@pytest.mark.parametrize("entry", ENTRIES, ids=[entry.id for entry in ENTRIES])
def test_a_registry_rule_loads_the_code_and_documentation_of_its_module(entry: Entry) -> None:
    fresh = Rule.indexed(entry)  # not the shared registry's rule, which another test may have loaded already
    assert not fresh.loaded
    assert (fresh.id, fresh.severity, fresh.confidence) == (entry.id, entry.severity, entry.confidence)
    assert fresh.kinds == frozenset(entry.kinds) and fresh.controls == frozenset(entry.controls)
    module = importlib.import_module(entry.module)
    if entry.tree and not hasattr(module, "ID"):  # a kit rule: listed in its module's RULES
        expected = next(rule for rule in module.RULES if rule.id == entry.id)
    else:
        expected = rule_from_module(module)
    assert fresh.check_tree is expected.check_tree
    assert fresh.fix is expected.fix
    assert fresh.check is expected.check
    assert fresh.doc == expected.doc and fresh.summary == expected.summary
    assert fresh.fix_safety == expected.fix_safety and fresh.is_kit_rule == expected.is_kit_rule
    assert fresh.loaded


def test_a_rule_is_immutable() -> None:
    rule = REGISTRY[0]
    with pytest.raises(AttributeError, match="immutable"):
        rule.id = "other"  # type: ignore[misc]
    with pytest.raises(AttributeError, match="immutable"):
        del rule.severity  # type: ignore[misc]
    assert rule.id == ENTRIES[0].id


def test_an_index_row_naming_a_rule_its_module_lacks_fails_when_read_and_says_how_to_fix_it() -> None:
    stale = Rule.indexed(Entry("kit-gone", "scaffold.rules.kit", ENTRIES[0].severity, ENTRIES[0].confidence, ()))
    with pytest.raises(LookupError, match=r"regenerate scaffold/rules/index\.py"):
        stale.doc  # noqa: B018


def test_the_policy_rules_are_those_the_index_says_read_an_allow_list() -> None:
    assert {entry.id for entry in ENTRIES if entry.reads} == policy_rules.IDS
    assert {entry.module: entry.reads for entry in ENTRIES if entry.reads} == policy_rules.READS
    assert all(hasattr(Requirements(), entry.reads) for entry in ENTRIES if entry.reads)


POLICY_TREE = {
    ".github/workflows/ci.yml": "on: push\njobs:\n  build:\n    runs-on: ubuntu-24.04\n"
    "    container: evil.example/x:1\n"
    "    steps:\n      - uses: someone/tool@3d3c42e5aac5ba805825da76410c181273ba90b1\n",
    "Dockerfile": "FROM evil.example/base:1\n",
}


@pytest.mark.parametrize("entry", [entry for entry in ENTRIES if entry.reads], ids=lambda entry: entry.id)
def test_a_policy_rule_finds_nothing_without_its_allow_list_so_skipping_it_changes_nothing(entry: Entry) -> None:
    documents = tuple(Document(path, kind, text) for path, kind, text in _documents())
    rule = rule_from_module(importlib.import_module(entry.module))
    assert rule.check_tree is not None
    assert list(rule.check_tree(Tree(documents, Requirements()))) == []
    assert list(rule.check_tree(Tree(documents, Requirements(**{entry.reads: ()})))) != []  # type: ignore[arg-type]


def _documents() -> list[tuple[str, Kind, str]]:
    kinds = {".github/workflows/ci.yml": Kind.WORKFLOW, "Dockerfile": Kind.DOCKERFILE}
    return [(path, kinds[path], text) for path, text in POLICY_TREE.items()]


_LOADED = """
import json, sys
from pathlib import Path
from scaffold.audit.run import audit_paths
from scaffold.rules.config import AuditConfig
from scaffold.rules.requirements import Requirements
report = audit_paths([Path(sys.argv[1])], AuditConfig(), required=Requirements(allowed_actions={allowed}))
print(json.dumps([len(report.findings), sorted(name for name in sys.modules if name.startswith("scaffold.rules."))]))
"""


def _loaded(tmp_path: Path, allowed: str) -> tuple[int, set[str]]:
    workflow = tmp_path / ".github" / "workflows" / "ci.yml"
    workflow.parent.mkdir(parents=True)
    workflow.write_text(POLICY_TREE[".github/workflows/ci.yml"])
    (tmp_path / ".git").mkdir()
    code = _LOADED.format(allowed=allowed)
    ran = subprocess.run([sys.executable, "-c", code, str(workflow)], capture_output=True, text=True, check=True)
    count, names = json.loads(ran.stdout)
    return count, set(names)


def test_auditing_a_workflow_loads_the_workflow_rules_only(tmp_path: Path) -> None:
    count, names = _loaded(tmp_path, "None")
    assert count > 0
    assert "scaffold.rules.github.unpinned_uses" in names and "scaffold.rules.common.yaml_duplicate_key" in names
    for other in ("gitlab", "jenkins", "docker", "precommit", "dependabot", "kit"):
        assert not any(name.startswith(f"scaffold.rules.{other}.") for name in names), other
    assert "scaffold.rules.kit" not in names
    assert not any(name.startswith("scaffold.rules.policy_rules.policy_") for name in names)


def test_an_allow_list_loads_the_policy_rule_that_reads_it(tmp_path: Path) -> None:
    count, names = _loaded(tmp_path, "('actions/*',)")
    assert "scaffold.rules.policy_rules.policy_action_not_allowed" in names
    assert count > _loaded(tmp_path / "again", "None")[0]  # its finding is reported
