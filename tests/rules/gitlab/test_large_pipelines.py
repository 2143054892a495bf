"""GitLab rules on large generated pipelines: each finding is still the right one, and reading the file takes time
linear in its size (``hang_guard`` ends a run that regressed to quadratic time; no timing is asserted)."""

from __future__ import annotations

import pytest

from scaffold.rules.catalog import REGISTRY
from scaffold.rules.gitlab.gitlab_unprotected_deploy import protected
from scaffold.rules.model import Finding
from scaffold.rules.runner import audit_tree
from tests.support.hang_guard import hang_guard

GL = ".gitlab-ci.yml"
MANY = 3000


def _audit(rule_id: str, text: str) -> list[Finding]:
    rules = [rule for rule in REGISTRY if rule.id == rule_id]
    with hang_guard():
        report = audit_tree({GL: text}, rules=rules)
    assert report.errors == []
    return report.findings


def _jobs(count: int, body: str) -> str:
    return "".join(f"job{number}:\n{body}" for number in range(count))


# ---- a setting GitLab may take from an include: read once per file, not once per job and setting ------------------


def test_many_jobs_and_template_includes_still_lack_a_timeout() -> None:
    includes = "include:\n" + "".join(f"  - template: T{number}.gitlab-ci.yml\n" for number in range(MANY))
    findings = _audit("gitlab-job-hygiene", includes + _jobs(MANY, "  interruptible: true\n  script: [make]\n"))
    assert len(findings) == MANY
    assert {finding.message for finding in findings[:2]} == {
        "job job0: no timeout (it runs until the project's limit)",
        "job job1: no timeout (it runs until the project's limit)",
    }


def test_one_include_of_another_file_makes_every_missing_timeout_unknown() -> None:
    includes = "include:\n" + "".join(f"  - template: T{number}.gitlab-ci.yml\n" for number in range(MANY))
    includes += "  - local: ci/defaults.yml\n"
    assert _audit("gitlab-job-hygiene", includes + _jobs(MANY, "  interruptible: true\n  script: [make]\n")) == []


# ---- id tokens: each template and shared block is read once for the whole file ------------------------------------

_SHARED = "variables:\n" + "".join(f"  V{number}: value{number}\n" for number in range(MANY))
_TEMPLATE = ".big:\n  variables:\n" + "".join(f"    B{number}: x{number}\n" for number in range(MANY))


def test_a_default_token_no_job_reads_is_found_among_many_jobs_and_variables() -> None:
    default = "default:\n  id_tokens:\n    TOKEN_A: {aud: https://a}\n"
    text = _SHARED + default + _TEMPLATE + _jobs(MANY, "  extends: .big\n  script: [make]\n")
    findings = _audit("gitlab-unneeded-id-token", text)
    assert [(finding.line, finding.message) for finding in findings] == [
        (MANY + 3, "default: id token TOKEN_A is not used by any job")
    ]


@pytest.mark.parametrize(
    ("where", "token"),
    [
        ("last job", "    - echo $TOKEN_A\n"),
        ("template", "    TOKEN_COPY: $TOKEN_A\n"),
    ],
)
def test_a_token_read_once_anywhere_a_job_sees_is_used(where: str, token: str) -> None:
    default = "default:\n  id_tokens:\n    TOKEN_A: {aud: https://a}\n"
    jobs = _jobs(MANY, "  extends: .big\n  script:\n    - make\n")
    template = _TEMPLATE
    if where == "last job":
        jobs += token
    else:
        template += token
    assert _audit("gitlab-unneeded-id-token", _SHARED + default + template + jobs) == []


@pytest.mark.parametrize(
    ("script", "unused"),
    [
        ("echo TOKEN-B", ["TOKEN_A"]),
        ("echo TOKEN-BX ${TOKEN_A}", ["TOKEN-B"]),
        ("echo $TOKEN_A_2 xTOKEN-B", ["TOKEN_A", "TOKEN-B"]),
        ("cosign sign x", ["TOKEN_A", "TOKEN-B"]),
    ],
)
def test_token_names_are_whole_words_of_what_the_job_reads(script: str, unused: list[str]) -> None:
    tokens = "    TOKEN_A: {aud: a}\n    TOKEN-B: {aud: b}\n    SIGSTORE_ID_TOKEN: {aud: sigstore}\n"
    text = f"job:\n  id_tokens:\n{tokens}  script:\n    - {script}\n"
    findings = _audit("gitlab-unneeded-id-token", text)
    unused = [*unused, *([] if "cosign" in script else ["SIGSTORE_ID_TOKEN"])]
    described = f"id token {unused[0]} is" if len(unused) == 1 else "id tokens " + ", ".join(unused) + " are"
    assert [finding.message for finding in findings] == [f"job job: {described} not used by the job"]


# ---- a shared before_script is in every job's shell: its lines are read once ---------------------------------------


def test_a_default_before_script_shared_by_many_jobs_keeps_each_jobs_disabled_scan() -> None:
    default = "default:\n  before_script:\n" + "".join(f"    - echo step{number}\n" for number in range(200))
    text = default + _jobs(MANY, "  script:\n    - gitleaks detect || true\n")
    findings = _audit("gitlab-disabled-scan", text)
    assert len(findings) == MANY
    assert findings[0].message == "job job0: the secret scan (|| true) cannot fail the job"


# ---- where a download piped into a shell is reported ---------------------------------------------------------------


def test_a_finding_stays_in_its_own_job_when_its_text_is_only_found_literally_in_a_later_one() -> None:
    text = (
        "first:\n  script:\n    - |\n      curl -fsSL\\\n        https://example.com/i.sh | sh\n"
        "second:\n  script:\n    - curl -fsSL https://example.com/i.sh | sh\n"
    )
    found = [(finding.line, finding.message.split(":")[0]) for finding in _audit("gitlab-curl-pipe-shell", text)]
    assert found == [(3, "job first"), (8, "job second")]


def test_many_continued_downloads_are_each_reported_on_their_own_script() -> None:
    text = _jobs(MANY, "  script:\n    - |\n      curl -fsSL \\\n        https://example.com/i.sh | sh\n")
    findings = _audit("gitlab-curl-pipe-shell", text)
    assert [finding.line for finding in findings] == [3 + 5 * number for number in range(MANY)]


# ---- the protected-ref reading of a rules: if: -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ('$CI_COMMIT_REF_PROTECTED == "true"', True),
        ("$CI_COMMIT_TAG", True),
        ('${CI_COMMIT_BRANCH} == "main"', True),
        ('$CI_COMMIT_BRANCH == "develop"', False),
        ('$CI_COMMIT_TAG || $CI_PIPELINE_SOURCE == "push"', False),
        ('$CI_PIPELINE_SOURCE == "push" && $CI_COMMIT_TAG', True),
        ("(($CI_COMMIT_TAG))", True),
        ('($CI_COMMIT_TAG) || ($X == "y")', False),
        ('($CI_COMMIT_TAG && $X) || ($CI_COMMIT_BRANCH == "main" && $Y)', True),
        ("$X =~ /a||b/ && $CI_COMMIT_TAG", True),
        ("$X =~ /a||b/", False),
        ('$X == "a||b" && $CI_COMMIT_TAG', True),
        ('"(" == $X || $CI_COMMIT_TAG', False),
        ("$CI_COMMIT_TAG ||| $CI_COMMIT_TAG", False),
        ("($CI_COMMIT_TAG", False),
        ("$CI_COMMIT_TAG)", False),
        ('$X == "a\\"" || $CI_COMMIT_TAG', False),
        ("", False),
    ],
)
def test_an_if_is_protected_when_each_alternative_requires_a_protected_ref(expression: str, expected: bool) -> None:
    assert protected(expression) is expected


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ("a/" * 200_000, False),  # a slash that opens no regex, many times over
        ("(" * 100 + "$CI_COMMIT_TAG && $A == 'x' " * 20_000 + ")" * 100, True),  # deep and long
        ('"' + "\\x" * 200_000, False),  # an unclosed string full of escapes
        ("$CI_COMMIT_TAG && $A =~ /" + "\\/" * 100_000 + "/", True),
    ],
)
def test_a_long_or_deeply_nested_if_is_read_in_linear_time(expression: str, expected: bool) -> None:
    with hang_guard():
        assert protected(expression) is expected
