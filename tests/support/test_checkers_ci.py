"""The GitLab CI and Jenkins checkers in checkers.py work: each passes a small valid file and reports a broken one.

These run the real tools (gitlab-ci-local and npm-groovy-lint from tools/npm, check-jsonschema, the Debian groovy):
a missing tool skips, or fails under CI=true.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support import checkers

pytestmark = pytest.mark.validators

DIGEST = "sha256:" + "0" * 64

GITLAB_CI = f"""\
stages: [build, test]

include:
  - local: ci/extra.yml

.base:
  image: alpine@{DIGEST}
  before_script: [echo setup]

build:
  extends: .base
  stage: build
  script: [echo build]

test:
  extends: .base
  stage: test
  needs: [build]
  script: [echo test]
  rules:
    - if: $CI_COMMIT_BRANCH == $CI_DEFAULT_BRANCH
    - changes: [src/**/*]
"""

EXTRA = f"""\
lint:
  stage: test
  image: alpine@{DIGEST}
  script:
    - !reference [.base, before_script]
    - echo lint
"""

BROKEN_GITLAB_CI = {
    "needs a missing job": ("build:\n  script: [echo]\ntest:\n  needs: [nope]\n  script: [echo]\n", "nope"),
    "unknown stage": ("build:\n  stage: nostage\n  script: [echo]\n", "nostage"),
    "missing include": ("include:\n  - local: missing.yml\nbuild:\n  script: [echo]\n", "missing.yml"),
    "unknown keyword": ("build:\n  script: [echo]\n  imagex: alpine\n", "imagex"),
    "yaml syntax": ("build:\n  script: [echo\n", "YAMLException"),
    "empty script": ("build:\n  script: []\n", "build"),
}

JENKINSFILE = f"""\
pipeline {{
    agent none
    stages {{
        stage('x') {{
            agent {{ docker {{ image 'a@{DIGEST}' }} }}
            steps {{ sh 'echo hi' }}
        }}
    }}
}}
"""

BROKEN_JENKINSFILES = {
    "missing closing brace": JENKINSFILE.rstrip().removesuffix("}") + "\n",
    "unterminated string": JENKINSFILE.replace("sh 'echo hi'", "sh 'echo hi"),
}


def write_gitlab_kit(directory: Path, gitlab_ci: str = GITLAB_CI) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    (directory / ".gitlab-ci.yml").write_text(gitlab_ci)
    (directory / "ci").mkdir(exist_ok=True)
    (directory / "ci" / "extra.yml").write_text(EXTRA)
    return directory


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


# gitlab-ci-local


def test_gitlab_ci_local_lists_the_jobs_of_a_valid_file_and_leaves_the_directory_alone(tmp_path: Path) -> None:
    kit = write_gitlab_kit(tmp_path / "kit")
    before = sorted(p.relative_to(kit) for p in kit.rglob("*"))

    assert checkers.gitlab_ci_local(kit) == []
    jobs = {job["name"]: job for job in checkers.gitlab_ci_local_jobs(kit)}

    assert sorted(jobs) == ["build", "lint", "test"]
    assert jobs["test"]["stage"] == "test"
    assert [need["job"] for need in jobs["test"]["needs"]] == ["build"]
    assert jobs["test"]["when"] == "on_success"
    assert sorted(p.relative_to(kit) for p in kit.rglob("*")) == before


@pytest.mark.parametrize("case", sorted(BROKEN_GITLAB_CI))
def test_gitlab_ci_local_reports_a_broken_file(tmp_path: Path, case: str) -> None:
    text, expected = BROKEN_GITLAB_CI[case]
    kit = write_gitlab_kit(tmp_path / "kit", text)

    problems = checkers.gitlab_ci_local(kit)

    assert problems
    assert any(expected in problem for problem in problems), problems
    with pytest.raises(AssertionError, match="gitlab-ci-local"):
        checkers.gitlab_ci_local_jobs(kit)


def test_gitlab_ci_local_reports_its_warnings(tmp_path: Path) -> None:
    kit = write_gitlab_kit(tmp_path / "kit", "true:\n  script: [echo]\n")

    assert any("reserved keyword" in problem for problem in checkers.gitlab_ci_local(kit))


# check-jsonschema, GitLab CI schema


def test_gitlab_ci_schema_passes_a_valid_file(tmp_path: Path) -> None:
    kit = write_gitlab_kit(tmp_path / "kit")

    assert checkers.gitlab_ci_schema(kit / ".gitlab-ci.yml") == []
    assert checkers.gitlab_ci_schema(kit / "ci" / "extra.yml") == []


@pytest.mark.parametrize("case", ["unknown keyword", "yaml syntax"])
def test_gitlab_ci_schema_reports_a_broken_file(tmp_path: Path, case: str) -> None:
    text, _ = BROKEN_GITLAB_CI[case]
    path = write(tmp_path / ".gitlab-ci.yml", text)

    problems = checkers.gitlab_ci_schema(path)

    assert problems
    assert all(".gitlab-ci.yml" in problem for problem in problems), problems


# groovy (Debian, 2.4)


def test_groovy_parse_passes_a_declarative_pipeline(tmp_path: Path) -> None:
    assert checkers.groovy_parse(write(tmp_path / "Jenkinsfile", JENKINSFILE)) == []


def test_groovy_parse_does_not_need_jenkins_classes(tmp_path: Path) -> None:
    text = "@Library('shared@v1') _\nimport org.jenkinsci.plugins.workflow.steps.FlowInterruptedException\n"
    assert checkers.groovy_parse(write(tmp_path / "Jenkinsfile", text + JENKINSFILE)) == []


@pytest.mark.parametrize("case", sorted(BROKEN_JENKINSFILES))
def test_groovy_parse_reports_a_syntax_error(tmp_path: Path, case: str) -> None:
    problems = checkers.groovy_parse(write(tmp_path / "Jenkinsfile", BROKEN_JENKINSFILES[case]))

    assert len(problems) == 1, problems
    assert problems[0].split(":")[0].isdigit(), problems


def test_groovy_parse_rejects_syntax_newer_than_jenkins_groovy(tmp_path: Path) -> None:
    """Jenkins runs Groovy 2.4: a Java-style lambda does not parse there (npm-groovy-lint's Groovy 4 accepts it)."""
    problems = checkers.groovy_parse(write(tmp_path / "Jenkinsfile", "def twice = (x) -> x * 2\n" + JENKINSFILE))

    assert problems and problems[0].startswith("1:"), problems


def test_groovy_parse_many_parses_each_file_in_one_call(tmp_path: Path) -> None:
    good = write(tmp_path / "good" / "Jenkinsfile", JENKINSFILE)
    bad = write(tmp_path / "bad" / "Jenkinsfile", BROKEN_JENKINSFILES["unterminated string"])
    missing = tmp_path / "missing" / "Jenkinsfile"

    results = checkers.groovy_parse_many([good, bad, missing])

    assert results[good] == []
    assert results[bad]
    assert results[missing] == ["0:0: no such file"]


# npm-groovy-lint


def test_npm_groovy_lint_passes_a_declarative_pipeline(tmp_path: Path) -> None:
    path = write(tmp_path / "Jenkinsfile", JENKINSFILE)

    assert checkers.npm_groovy_lint(path, config="recommended-jenkinsfile") == []


def test_npm_groovy_lint_default_rules_only_give_infos_on_a_valid_pipeline(tmp_path: Path) -> None:
    path = write(tmp_path / "Jenkinsfile", JENKINSFILE)

    findings = checkers.npm_groovy_lint(path)

    assert checkers.npm_groovy_lint_errors(path) == []
    assert {f["severity"] for f in findings} <= {"info"}, findings


def test_npm_groovy_lint_reports_a_parse_error(tmp_path: Path) -> None:
    path = write(tmp_path / "Jenkinsfile", BROKEN_JENKINSFILES["unterminated string"])

    findings = checkers.npm_groovy_lint(path, config="recommended-jenkinsfile")

    assert [(f["rule"], f["severity"], f["line"]) for f in findings] == [("NglParseError", "error", 6)]
    assert checkers.npm_groovy_lint_errors(path, config="recommended-jenkinsfile")


def test_npm_groovy_lint_reports_a_file_it_did_not_lint(tmp_path: Path) -> None:
    findings = checkers.npm_groovy_lint(tmp_path / "Jenkinsfile")

    assert [f["rule"] for f in findings] == ["npm-groovy-lint"]
