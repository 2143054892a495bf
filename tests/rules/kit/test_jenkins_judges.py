"""The Jenkins judges of the kit rules (``scaffold.rules.kit.jenkins``): each finds its control missing or switched
off at the line of the thing concerned, with a subject, counts a scan only when its stage can run and the scan can
fail, and reads any text without raising."""

from __future__ import annotations

import re
import textwrap
from functools import cache

import pytest

from scaffold.api import render_kit
from scaffold.kit.answers import validate
from scaffold.rules.document import Document
from scaffold.rules.kit.jenkins import JUDGES
from scaffold.rules.model import Kind
from scaffold.rules.tree import Located
from tests.answer_sets import ANSWER_SETS
from tests.rules.kit.mutations import FULL

IMAGE = "python:3.13@sha256:" + "0" * 64


@cache
def kit() -> str:
    return render_kit(answers=validate(ANSWER_SETS[FULL]))["Jenkinsfile"]


def judge(control: str, *texts: str) -> list[Located]:
    documents = [Document(f"Jenkinsfile{index or ''}", Kind.JENKINSFILE, text) for index, text in enumerate(texts)]
    return list(JUDGES[control].check(documents))


def where(found: list[Located]) -> list[tuple[int, str]]:
    return [(item.hit.line, item.hit.subject) for item in found]


def pipeline(stages: str, before: str = "") -> str:
    """A declarative pipeline around these stages (they start on line 4 when ``before`` is empty)."""
    body = textwrap.indent(textwrap.dedent(stages).strip("\n") + "\n", "    ")
    head = textwrap.indent(textwrap.dedent(before).strip("\n") + "\n", "  ") if before else ""
    return f"pipeline {{\n  agent none\n{head}  stages {{\n{body}  }}\n}}\n"


@pytest.mark.parametrize("control", sorted(JUDGES))
def test_the_kit_meets_every_control(control: str) -> None:
    assert judge(control, kit()) == []


@pytest.mark.parametrize("control", sorted(JUDGES))
def test_without_a_jenkinsfile_the_control_is_absent_from_the_kits_file(control: str) -> None:
    (found,) = judge(control)
    assert (found.path, found.hit.line, found.hit.column) == ("Jenkinsfile", 1, 1)
    assert found.hit.subject


ODD = [
    "",
    "pipeline",
    "pipeline {",
    "}}}{{{",
    "pipeline { stages { stage { steps { sh } } } }",
    "pipeline { stages { stage('a') { when { expression { } } steps { sh '' } } } }",
    "pipeline { stages { stage('a') { when { allOf } steps { sh 'gitleaks git' } } } }",
    "pipeline { agent { docker { image } } options { } environment { = credentials( } }",
    "stage('x') { withCredentials { sh 'x' } }",
    "node { stage('a') { sh \"${x}\" ; catchError { sh 'trivy image' } } }",
    "sh '''\\\n\\\n'''",
    "steps { sh 'gitleaks git \\\n' }",
    "withCredentials([string(credentialsId: 'cloud-id-token')]) {",
    "pipeline { stages { stage('Deploy') { input steps { sh 'deploy/deploy.sh' } } } }",
    "@Library('x') _\nstage(env.NAME) { agent { label } }",
]


@pytest.mark.parametrize("control", sorted(JUDGES))
@pytest.mark.parametrize("text", ODD)
def test_any_text_gives_findings_or_nothing(control: str, text: str) -> None:
    for item in judge(control, text):
        assert item.path == "Jenkinsfile" and item.hit.line >= 1 and item.hit.subject
        assert not re.search(r"\bline \d", item.hit.message + item.hit.subject)


SECRET_SCAN = """\
stage('Secret scan') {
  agent { docker { image 'IMAGE' } }
  steps {
    sh '''
      gitleaks git --redact --exit-code 1 .
    '''
  }
}
""".replace("IMAGE", IMAGE)


@pytest.mark.parametrize(
    ("old", "new", "line", "reason"),
    [
        ("  agent {", "  when { expression { return false } }\n  agent {", 4, "switches the stage off"),
        ("  agent {", "  when { allOf { branch 'main'; expression { false } } }\n  agent {", 4, "switches the stage"),
        ("--exit-code 1", "--exit-code 0", 8, "--exit-code 0"),
        ("--exit-code 1 .", "--exit-code 1 . || true", 8, "|| true"),
        ("gitleaks git", "echo gitleaks git", 8, "echo prints"),
        (
            "      gitleaks git --redact --exit-code 1 .\n",
            "      set +e\n      gitleaks git --redact --exit-code 1 .\n      echo done\n",
            9,
            "set +e",
        ),
        ("    sh '''", "    catchError(buildResult: 'SUCCESS') {\n    sh '''", 7, "catchError(buildResult: 'SUCCESS')"),
        ("    sh '''", "    warnError('leaks') {\n    sh '''", 7, "warnError"),
        ("'''\n  }", "''', returnStatus: true)\n  }", 7, "returnStatus: true"),
    ],
)
def test_a_secret_scan_counts_only_when_it_can_run_and_fail(old: str, new: str, line: int, reason: str) -> None:
    text = pipeline(SECRET_SCAN.replace(old, new, 1))
    if "returnStatus" in new:
        text = text.replace("sh '''", "sh(script: '''")
    assert judge("secret-scan", pipeline(SECRET_SCAN)) == []
    (found,) = judge("secret-scan", text)
    assert (found.hit.line, found.hit.subject) == (line, "stage Secret scan")
    assert reason in found.hit.message


def test_set_plus_e_before_the_scripts_last_command_keeps_the_scan() -> None:
    text = pipeline(SECRET_SCAN.replace("      gitleaks", "      set +e\n      gitleaks", 1))
    assert judge("secret-scan", text) == []


TRY = SECRET_SCAN.replace(
    "    sh '''\n      gitleaks git --redact --exit-code 1 .\n    '''\n",
    "    script {\n      try {\n        sh 'gitleaks git --redact --exit-code 1 .'\n      } CATCH\n    }\n",
)


@pytest.mark.parametrize(
    ("catch", "held"),
    [
        ("catch (err) { echo 'ignored' }", False),
        ("catch (err) {\n        echo 'leaks'\n      } finally { cleanWs() }", False),
        ("catch (err) { throw err }", True),
        ("catch (err) { error('secrets leaked') }", True),
        ("catch (err) { if (x) { currentBuild.result = 'FAILURE' } }", True),
        ("finally { echo 'done' }", True),
    ],
)
def test_a_try_whose_catch_does_not_rethrow_keeps_the_scan_from_failing(catch: str, held: bool) -> None:
    found = judge("secret-scan", pipeline(TRY.replace("CATCH", catch)))
    if held:
        assert found == []
    else:
        assert [(item.hit.line, item.hit.subject) for item in found] == [(8, "stage Secret scan")]
        assert "try/catch keeps a failure from failing the build" in found[0].hit.message


def test_a_condition_that_can_be_true_and_a_failing_catch_error_keep_the_scan() -> None:
    text = SECRET_SCAN.replace("  agent {", "  when { anyOf { branch 'main'; expression { false } } }\n  agent {")
    text = text.replace("    sh '''", "    catchError(buildResult: 'FAILURE') {\n    sh '''").replace(
        "'''\n  }", "'''\n  }}"
    )
    assert judge("secret-scan", pipeline(text)) == []


def test_a_stage_switched_off_by_the_stage_around_it_does_not_count() -> None:
    text = pipeline(
        f"""\
        stage('Checks') {{
          when {{ expression {{ false }} }}
          parallel {{
            {textwrap.indent(SECRET_SCAN, "            ").strip()}
          }}
        }}
        """
    )
    assert where(judge("secret-scan", text)) == [(7, "stage Secret scan")]


def test_a_missing_scan_is_reported_at_the_pipeline() -> None:
    found = judge("sast", "// header\n" + pipeline(SECRET_SCAN))
    assert where(found) == [(2, "sast")]
    assert found[0].hit.message == "pipeline: no stage runs a SAST scan (semgrep)"


@pytest.mark.parametrize(
    ("control", "script", "reason"),
    [
        ("sast", "semgrep scan --config p/default", "semgrep without --error"),
        ("dependency-scan", "trivy fs --scanners vuln .", "trivy without --exit-code 1"),
        ("image-scan", "trivy image --input image.tar", "trivy without --exit-code 1"),
        ("secret-scan", "trufflehog git file://.", "trufflehog without --fail"),
    ],
)
def test_a_scan_that_passes_whatever_it_finds_is_a_finding(control: str, script: str, reason: str) -> None:
    text = pipeline(f"stage('Scan') {{\n  steps {{ sh '{script}' }}\n}}")
    (found,) = judge(control, text)
    assert (found.hit.line, found.hit.subject) == (5, "stage Scan") and reason in found.hit.message


def test_an_sbom_generator_is_no_image_scan() -> None:
    text = pipeline(
        "stage('SBOM') {\n  steps { sh 'trivy image --format cyclonedx --output sbom.json img' }\n}\n"
        "stage('Scan') {\n  steps { sh 'trivy image --exit-code 1 img' }\n}"
    )
    assert judge("image-scan", text) == [] and judge("sbom", text) == []


def test_the_coverage_gate_needs_its_minimum_set() -> None:
    stage = "stage('Test') {\n  steps { sh 'pytest --cov-fail-under=\"$COVERAGE_MIN\"' }\n}"
    assert where(judge("coverage-gate", pipeline(stage))) == [(5, "stage Test")]
    assert judge("coverage-gate", pipeline(stage, "environment { COVERAGE_MIN = '80' }")) == []
    in_stage = stage.replace("  steps", "  environment { COVERAGE_MIN = '90' }\n  steps")
    assert judge("coverage-gate", pipeline(in_stage)) == []
    with_env = stage.replace("steps { sh", "steps { withEnv(['COVERAGE_MIN=80']) { sh").replace("' }", "' } }")
    assert judge("coverage-gate", pipeline(with_env)) == []
    literal = stage.replace('\\"$COVERAGE_MIN\\"', "80").replace('"$COVERAGE_MIN"', "80")
    assert judge("coverage-gate", pipeline(literal)) == []


def test_dast_must_run_and_never_block() -> None:
    zap = "sh '/zap/zap-baseline.py -t \"$URL\"'"
    blocking = pipeline(f"stage('DAST') {{\n  steps {{\n    {zap}\n  }}\n}}")
    assert where(judge("dast", blocking)) == [(6, "stage DAST")]
    wrapped = blocking.replace(zap, f"catchError(buildResult: 'SUCCESS', stageResult: 'UNSTABLE') {{ {zap} }}")
    assert judge("dast", wrapped) == []
    off = wrapped.replace("  steps", "  when { expression { false } }\n  steps")
    assert where(judge("dast", off)) == [(4, "stage DAST")]


def test_only_the_pipeline_environment_binding_credentials_is_reported() -> None:
    text = pipeline(
        "stage('Publish') {\n  environment { TOKEN = credentials('t') }\n  steps { sh 'x' }\n}",
        "environment {\n  COVERAGE_MIN = '80'\n  REG = credentials('registry')\n}",
    )
    assert where(judge("least-privilege-token", text)) == [(5, "pipeline environment REG")]


def test_scoped_secrets() -> None:
    release = "when { beforeAgent true; branch 'main' }"
    binding = "withCredentials([string(credentialsId: 'tok', variable: 'T')]) {\n    sh 'a'\n  }"
    stage = f"stage('Publish') {{\n  {release}\n  steps {{\n  {binding}\n  }}\n}}"
    assert judge("scoped-secrets", pipeline(stage)) == []
    assert where(judge("scoped-secrets", pipeline(stage.replace(release, "")))) == [
        (7, "stage Publish, withCredentials tok")
    ]
    assert where(judge("scoped-secrets", pipeline(stage.replace("sh 'a'", "sh 'a'\n    sh 'b'")))) == [
        (7, "stage Publish, withCredentials tok steps")
    ]
    found = judge("scoped-secrets", pipeline(stage.replace("sh 'a'", 'sh "echo ${env.IMAGE}"')))
    assert where(found) == [(8, "stage Publish, sh interpolating IMAGE")]


def test_each_stage_runs_on_an_ephemeral_agent() -> None:
    text = pipeline(
        f"stage('A') {{\n  agent {{ docker {{ image '{IMAGE}' }} }}\n  steps {{ sh 'a' }}\n}}\n"
        "stage('B') {\n  agent { label 'shared' }\n  steps { sh 'b' }\n}\n"
        "stage('C') {\n  steps { sh 'c' }\n}"
    )
    assert where(judge("isolated-runners", text)) == [(8, "stage B"), (12, "stage C")]
    inherited = text.replace("agent none", "agent { kubernetes { yaml 'x' } }")
    assert where(judge("isolated-runners", inherited)) == [(8, "stage B")]


def test_release_stages_are_gated_before_their_agent() -> None:
    gated = "stage('Publish') {\n  when { beforeAgent true; branch 'main' }\n  steps { sh 'p' }\n}"
    assert judge("protected-release", pipeline(gated)) == []
    found = judge("protected-release", pipeline(gated.replace("beforeAgent true; ", "")))
    assert where(found) == [(5, "stage Publish")] and "beforeAgent" in found[0].hit.message
    found = judge("protected-release", pipeline(gated.replace("branch 'main'", "changeRequest()")))
    assert where(found) == [(5, "stage Publish")] and "pull requests" in found[0].hit.message


def test_production_waits_for_an_approval() -> None:
    stages = "stage('Deploy staging') {\n  steps { sh 'd' }\n}\nstage('Deploy production') {\n  steps { sh 'd' }\n}"
    assert where(judge("deploy-approval", pipeline(stages))) == [(7, "stage Deploy production")]
    approved = stages.replace("  steps { sh 'd' }\n}", "  input { message 'Go?' }\n  steps { sh 'd' }\n}")
    assert judge("deploy-approval", pipeline(approved)) == []
    assert where(judge("deploy-approval", pipeline(SECRET_SCAN))) == [(1, "deploy stages")]


def test_a_deploy_verifies_the_signature_first() -> None:
    script = 'cosign verify --key k "$IMAGE@$DIGEST"\n      sh deploy/deploy.sh prod "$IMAGE@$DIGEST"'
    stage = f"stage('Deploy prod') {{\n  steps {{\n    sh '''\n      {script}\n    '''\n  }}\n}}"
    assert judge("verify-before-deploy", pipeline(stage)) == []
    swapped = "sh deploy/deploy.sh prod x\n      cosign verify --key k x"
    assert where(judge("verify-before-deploy", pipeline(stage.replace(script, swapped)))) == [(7, "stage Deploy prod")]
    unverified = stage.replace("cosign verify", "echo verify")
    assert where(judge("verify-before-deploy", pipeline(unverified))) == [(4, "stage Deploy prod")]


def test_signing_by_digest_and_attesting_the_sbom() -> None:
    script = 'cosign sign --yes --key "$K" "$IMAGE@$D"\n      cosign attest --key "$K" --predicate sbom.cdx.json x'
    stage = f"stage('Sign') {{\n  steps {{\n    sh '''\n      {script}\n    '''\n  }}\n}}"
    assert judge("signing", pipeline(stage)) == []
    by_tag = pipeline(stage.replace('"$IMAGE@$D"', '"$IMAGE:latest"'))
    assert where(judge("signing", by_tag)) == [(1, "cosign sign")]
    masked = pipeline(stage.replace('"$IMAGE@$D"', '"$IMAGE@$D" || true'))
    assert where(judge("signing", masked)) == [(7, "stage Sign")]


def test_the_image_build_is_rootless() -> None:
    build = "/kaniko/executor --context . --no-push"
    stage = f"stage('Build') {{\n  agent {{ docker {{ image '{IMAGE}'; args '--entrypoint=' }} }}\n"
    stage += f"  steps {{\n    sh '{build}'\n  }}\n}}"
    assert judge("rootless-image-build", pipeline(stage)) == []
    buildkit = pipeline(stage.replace(build, "buildctl-daemonless.sh build --frontend dockerfile.v0 --local context=."))
    assert judge("rootless-image-build", buildkit) == []
    daemon = pipeline(stage.replace(build, "docker build -t app ."))
    assert where(judge("rootless-image-build", daemon)) == [(7, "stage Build"), (1, "rootless image build")]
    privileged = pipeline(stage.replace("--entrypoint=", "--privileged"))
    assert where(judge("rootless-image-build", privileged)) == [(5, "stage Build, privileged")]


def test_installs_and_tracing_are_reported_at_their_command() -> None:
    script = "pip install -r requirements.txt\n      set -eux\n      curl -sSL https://x.example | bash"
    text = pipeline(f"stage('Lint') {{\n  steps {{\n    sh '''\n      {script}\n    '''\n  }}\n}}")
    assert where(judge("locked-installs", text)) == [
        (7, "stage Lint, runs pip install without --require-hashes"),
        (9, "stage Lint, pipes a download into a shell"),
    ]
    assert where(judge("no-debug-tracing", text)) == [(8, "stage Lint, shell tracing")]


def test_pipeline_options_are_read_per_pipeline_and_anywhere_in_a_scripted_file() -> None:
    declarative = pipeline(SECRET_SCAN, "options { timeout(time: 5, unit: 'MINUTES') }")
    assert where(judge("no-duplicate-runs", declarative)) == [(3, "pipeline options disableConcurrentBuilds")]
    scripted = "properties([disableConcurrentBuilds()])\nnode('linux') { sh 'make' }\n"
    assert judge("no-duplicate-runs", scripted) == []
    assert where(judge("no-duplicate-runs", "node('linux') { sh 'make' }\n")) == [
        (1, "pipeline options disableConcurrentBuilds")
    ]


def test_a_stage_without_workspace_cleanup() -> None:
    options = "options { buildDiscarder(logRotator(numToKeepStr: '5')) }"
    text = pipeline(SECRET_SCAN, options)
    assert where(judge("artifact-hygiene", text)) == [(5, "stage Secret scan")]
    cleaned = text.replace("  steps {", "  post { always { cleanWs() } }\n  steps {")
    assert judge("artifact-hygiene", cleaned) == []


def test_a_cloud_token_is_bound_only_in_release_stages() -> None:
    binding = "withCredentials([string(credentialsId: 'cloud-id-token', variable: 'CLOUD_ID_TOKEN')]) { sh 'x' }"
    stage = f"stage('Deploy') {{\n  when {{ branch 'main' }}\n  steps {{ {binding} }}\n}}"
    assert judge("cloud-oidc", pipeline(stage)) == []
    assert where(judge("cloud-oidc", pipeline(stage.replace("when { branch 'main' }", "")))) == [
        (6, "stage Deploy, cloud id token")
    ]
    assert where(judge("cloud-oidc", pipeline(SECRET_SCAN))) == [(1, "cloud id token")]
