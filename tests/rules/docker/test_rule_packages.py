"""The rule packages of the file kinds list their rules without importing them: a flow that only reads files of a
kind (``scaffold new`` reads Dockerfiles with ``scaffold.rules.docker.instructions``) does not pay for every rule."""

from __future__ import annotations

import importlib
import subprocess
import sys

import pytest

READERS = {
    "docker": "scaffold.rules.docker.instructions",
    "gitlab": "scaffold.rules.gitlab.pipeline",
    "jenkins": "scaffold.rules.jenkins.groovy",
    "dependabot": "scaffold.rules.dependabot.config",
    "precommit": "scaffold.rules.precommit.config",
}


@pytest.mark.parametrize("kind", sorted(READERS))
def test_importing_a_reader_imports_none_of_its_kinds_rules(kind: str) -> None:
    script = (
        f"import sys, {READERS[kind]}\n"
        f"print(sorted(name for name in sys.modules if name.startswith('scaffold.rules.{kind}.{kind}')))\n"
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"


@pytest.mark.parametrize("kind", sorted(READERS))
def test_the_rules_list_is_every_rule_module_of_the_kind_in_order(kind: str) -> None:
    package = importlib.import_module(f"scaffold.rules.{kind}")
    rules = package.RULES
    assert rules, kind
    assert all(module.__name__.startswith(f"scaffold.rules.{kind}.") and module.ID for module in rules)
    assert len({module.ID for module in rules}) == len(rules)
    with pytest.raises(AttributeError):
        package.NOT_THERE  # noqa: B018 - only RULES is computed
