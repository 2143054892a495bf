"""The declarative views on the Groovy reader (``scaffold.rules.jenkins.pipeline``) and the two file rules built on
them: jenkins-unpinned-agent-image and jenkins-disabled-scan."""

from __future__ import annotations

import pytest

from scaffold.rules.document import Document
from scaffold.rules.jenkins import jenkins_disabled_scan, jenkins_unpinned_agent_image
from scaffold.rules.jenkins.groovy import Source
from scaffold.rules.jenkins.pipeline import commands, masked, scan_controls, step_stages, switched_off
from scaffold.rules.model import Kind


def test_commands_are_logical_lines_with_their_place_and_stage() -> None:
    source = Source(
        "stage('Scan') {\n  steps {\n    sh '''\n      # a comment\n      trivy fs \\\n        --exit-code 1 .\n"
        "      set +e\n      gitleaks git\n    '''\n  }\n}\nsh 'make'\n"
    )
    found = [(source.position(c.offset)[0], c.text, c.stage is not None) for c in commands(source)]
    assert found == [
        (5, "trivy fs  --exit-code 1 .", True),
        (7, "set +e", True),
        (8, "gitleaks git", True),
        (12, "make", False),
    ]


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("gitleaks git --exit-code 1 .", None),
        ("gitleaks git --exit-code 0 .", "--exit-code 0 never fails"),
        ("trivy fs --exit-code=0 .", "--exit-code 0 never fails"),
        ("trivy fs --exit-code 10 .", None),
        ("gitleaks git . || true", "|| true ignores its exit code"),
        ("gitleaks git . ||   :", "|| : ignores its exit code"),
        ("gitleaks git . || exit 0", "|| exit 0 ignores its exit code"),
        ("gitleaks git . || { echo failed; exit 1; }", None),
        ("echo gitleaks git .", "echo prints the command instead of running it"),
        ("cd src && printf '%s' gitleaks", "printf prints the command instead of running it"),
        ("echo start; gitleaks git .", None),
        ("gitleaks git . || /bin/true", "|| /bin/true ignores its exit code"),
        ("gitleaks git . | tee r.txt", "| tee without pipefail hides its exit code"),
        ("gitleaks git .  # || true", None),
        ("if ! gitleaks git .; then echo leaks; fi", "it is only the condition of an if"),
        ("if ! gitleaks git .; then exit 1; fi", None),
    ],
)
def test_what_keeps_a_command_from_failing(text: str, reason: str | None) -> None:
    at = text.index("gitleaks") if "gitleaks" in text else text.index("trivy")
    assert masked(text, at) == reason


def test_an_sbom_generator_scans_nothing() -> None:
    assert scan_controls("trivy image --format cyclonedx --output sbom.json x") == ("sbom",)
    assert scan_controls("trivy image --exit-code 1 x") == ("image-scan",)
    assert scan_controls("make test") == ()


def test_only_a_condition_that_is_always_false_switches_a_stage_off() -> None:
    source = Source(
        "stage('A') { when { expression { return false } } steps { sh 'a' } }\n"
        "stage('B') { when { anyOf { expression { false }; branch 'main' } } steps { sh 'b' } }\n"
        "stage('C') { when { not { expression { false } } } steps { sh 'c' } }\n"
        "stage('D') { when { expression { env.X == 'false' } } steps { sh 'd' } }\n"
    )
    assert [switched_off(source, stage) is not None for stage in step_stages(source)] == [True, False, False, False]


ODD = [
    "",
    "agent { docker }",
    "agent { docker { image } }",
    "agent { docker { image '' } }",
    "agent { docker('x') }",
    "agent { docker 'a' + env.B }",
    "stage('x') { when { expression { false } } }",
    "stage { steps { sh 'gitleaks git' } }",
    "sh(script: 'gitleaks', returnStatus: true",
    "catchError(buildResult: 'SUCCESS') { sh 'semgrep' ",
    "'''\n" * 3,
    "stage('a') {\n" * 150,
]


@pytest.mark.parametrize("rule", [jenkins_unpinned_agent_image, jenkins_disabled_scan])
@pytest.mark.parametrize("text", ODD)
def test_the_file_rules_read_any_text(rule: object, text: str) -> None:
    check = rule.check  # type: ignore[attr-defined]
    for hit in check(Document("Jenkinsfile", Kind.JENKINSFILE, text)):
        assert hit.line >= 1 and hit.subject


def test_an_agent_image_finding_is_at_the_reference_with_it_as_subject() -> None:
    text = "pipeline {\n  agent { docker { image 'node:22' } }\n}\n"
    (hit,) = jenkins_unpinned_agent_image.check(Document("Jenkinsfile", Kind.JENKINSFILE, text))
    assert (hit.line, hit.column, hit.subject) == (2, 26, "node:22")


def test_one_disabled_scan_finding_per_stage() -> None:
    text = (
        "stage('Scans') {\n  steps {\n    sh 'gitleaks git --exit-code 0 .'\n    sh 'semgrep scan --error || true'\n"
        "  }\n}\nstage('ZAP') {\n  steps { sh '/zap/zap-baseline.py -t x || true' }\n}\n"
    )
    hits = list(jenkins_disabled_scan.check(Document("Jenkinsfile", Kind.JENKINSFILE, text)))
    assert [(hit.line, hit.subject) for hit in hits] == [(3, "stage Scans")]
