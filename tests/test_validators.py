"""Every rendered kit goes through the independent checkers with zero findings.

Checkers: zizmor (offline, pedantic), actionlint (with shellcheck), jactionlint, check-jsonschema
(github-workflows, dependabot), yamllint (strict), hadolint (all levels, trustedRegistries, DL3057 raised),
checkov (github_actions, dockerfile), pre-commit validate-config, shellcheck on the deploy hook.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from tests.answer_sets import ANSWER_SETS
from tests.support import checkers

pytestmark = pytest.mark.validators

SETS = sorted(ANSWER_SETS)
CONTAINER_SETS = [name for name in SETS if ANSWER_SETS[name].get("container", True)]

KitDir = Callable[[str], Path]


@pytest.mark.parametrize("answer_set", SETS)
def test_zizmor_pedantic_finds_nothing(kit_dir: KitDir, answer_set: str) -> None:
    assert checkers.zizmor(kit_dir(answer_set)) == []


@pytest.mark.parametrize("answer_set", SETS)
def test_actionlint_finds_nothing(kit_dir: KitDir, answer_set: str) -> None:
    assert checkers.actionlint(kit_dir(answer_set)) == []


@pytest.mark.parametrize("answer_set", SETS)
def test_jactionlint_finds_nothing(kit_dir: KitDir, answer_set: str) -> None:
    assert checkers.jactionlint(kit_dir(answer_set)) == []


@pytest.mark.parametrize("answer_set", SETS)
def test_workflows_and_dependabot_match_their_schemas(kit_dir: KitDir, answer_set: str) -> None:
    assert checkers.jsonschema(kit_dir(answer_set)) == []


@pytest.mark.parametrize("answer_set", SETS)
def test_yamllint_strict_finds_nothing(kit_dir: KitDir, answer_set: str) -> None:
    assert checkers.yamllint(kit_dir(answer_set)) == []


@pytest.mark.parametrize("answer_set", CONTAINER_SETS)
def test_hadolint_finds_nothing_at_any_level(kit_dir: KitDir, answer_set: str) -> None:
    assert checkers.hadolint(kit_dir(answer_set)) == []


@pytest.mark.parametrize("answer_set", SETS)
def test_checkov_fails_no_check(kit_dir: KitDir, answer_set: str) -> None:
    container = ANSWER_SETS[answer_set].get("container", True)
    frameworks = ("github_actions", "dockerfile") if container else ("github_actions",)
    findings, passed = checkers.checkov(kit_dir(answer_set), frameworks)
    assert findings == []
    assert passed > (80 if container else 40), "checkov ran too few checks: did it parse the kit?"


@pytest.mark.parametrize("answer_set", SETS)
def test_pre_commit_config_is_valid(kit_dir: KitDir, answer_set: str) -> None:
    assert checkers.pre_commit(kit_dir(answer_set)) == []


@pytest.mark.parametrize("answer_set", SETS)
def test_deploy_hook_passes_shellcheck(kit_dir: KitDir, answer_set: str) -> None:
    assert checkers.shellcheck(kit_dir(answer_set), "deploy/deploy.sh") == []
