"""Every rendered kit goes through the independent checkers with zero findings.

Checkers: zizmor (offline, pedantic), actionlint (with shellcheck), jactionlint, check-jsonschema
(github-workflows, dependabot), yamllint (strict), hadolint (all levels, trustedRegistries, DL3057 raised),
checkov (github_actions, dockerfile, gitlab_ci), pre-commit validate-config, shellcheck on the deploy hook,
markdownlint-cli2 on every Markdown file (rules in tools/markdownlint.yaml);
for GitLab: check-jsonschema (gitlab-ci) and gitlab-ci-local --list-json; for Jenkins: a Groovy parse, the
declarative-structure check and npm-groovy-lint.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from tests.answer_sets import ANSWER_SETS
from tests.support import checkers
from tests.support.jenkins_structure import declarative_problems

pytestmark = pytest.mark.validators

SETS = sorted(ANSWER_SETS)
CONTAINER_SETS = [name for name in SETS if ANSWER_SETS[name].get("container", True)]


def _on(platform: str) -> list[str]:
    return [name for name in SETS if platform in ANSWER_SETS[name].get("platforms", ["github"])]


GITHUB_SETS, GITLAB_SETS, JENKINS_SETS = _on("github"), _on("gitlab"), _on("jenkins")

KitDir = Callable[[str], Path]


@pytest.mark.parametrize("answer_set", GITHUB_SETS)
def test_zizmor_pedantic_finds_nothing(kit_dir: KitDir, answer_set: str) -> None:
    assert checkers.zizmor(kit_dir(answer_set)) == []


@pytest.mark.parametrize("answer_set", GITHUB_SETS)
def test_actionlint_finds_nothing(kit_dir: KitDir, answer_set: str) -> None:
    assert checkers.actionlint(kit_dir(answer_set)) == []


@pytest.mark.parametrize("answer_set", GITHUB_SETS)
def test_jactionlint_finds_nothing(kit_dir: KitDir, answer_set: str) -> None:
    assert checkers.jactionlint(kit_dir(answer_set)) == []


@pytest.mark.parametrize("answer_set", GITHUB_SETS)
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
    github = answer_set in GITHUB_SETS
    frameworks = (
        ("github_actions",) * github + ("dockerfile",) * container + ("gitlab_ci",) * (answer_set in GITLAB_SETS)
    )
    findings, passed = checkers.checkov(kit_dir(answer_set), frameworks)
    assert findings == []
    assert passed > 80 * github + 30 * container, "checkov ran too few checks: did it parse the kit?"


@pytest.mark.parametrize("answer_set", SETS)
def test_pre_commit_config_is_valid(kit_dir: KitDir, answer_set: str) -> None:
    assert checkers.pre_commit(kit_dir(answer_set)) == []


@pytest.mark.parametrize("answer_set", SETS)
def test_generated_markdown_passes_markdownlint(kit_dir: KitDir, answer_set: str) -> None:
    assert checkers.markdownlint(kit_dir(answer_set)) == []


@pytest.mark.parametrize("answer_set", SETS)
def test_deploy_hook_passes_shellcheck(kit_dir: KitDir, answer_set: str) -> None:
    assert checkers.shellcheck(kit_dir(answer_set), "deploy/deploy.sh") == []


@pytest.mark.parametrize("answer_set", GITLAB_SETS)
def test_gitlab_ci_matches_its_schema(kit_dir: KitDir, answer_set: str) -> None:
    assert checkers.gitlab_ci_schema(kit_dir(answer_set) / ".gitlab-ci.yml") == []


@pytest.mark.parametrize("answer_set", GITLAB_SETS)
def test_gitlab_ci_local_lists_every_job(kit_dir: KitDir, answer_set: str) -> None:
    directory = kit_dir(answer_set)
    assert checkers.gitlab_ci_local(directory) == []
    listed = {job["name"] for job in checkers.gitlab_ci_local_jobs(directory)}
    assert {"lint", "test", "secret-scan", "sast", "dependency-scan"} <= listed
    for environment in ANSWER_SETS[answer_set].get("environments", ["staging", "production"]):
        assert f"deploy-{environment}" in listed


@pytest.mark.parametrize("answer_set", JENKINS_SETS)
def test_jenkinsfile_parses_as_groovy(kit_dir: KitDir, answer_set: str) -> None:
    assert checkers.groovy_parse(kit_dir(answer_set) / "Jenkinsfile") == []


@pytest.mark.parametrize("answer_set", JENKINS_SETS)
def test_jenkinsfile_has_a_valid_declarative_structure(kit_dir: KitDir, answer_set: str) -> None:
    assert declarative_problems((kit_dir(answer_set) / "Jenkinsfile").read_text()) == []


@pytest.mark.parametrize("answer_set", JENKINS_SETS)
def test_npm_groovy_lint_finds_no_error(kit_dir: KitDir, answer_set: str) -> None:
    assert checkers.npm_groovy_lint_errors(kit_dir(answer_set) / "Jenkinsfile") == []
