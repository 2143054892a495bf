"""The GitLab judges of the kit rules, one control at a time, on small pipelines and on odd shapes: a scan counts
only when it can run and fail, every finding is on the line of what it concerns and has a subject."""

from __future__ import annotations

import re

import pytest

from scaffold.rules.document import Document
from scaffold.rules.kit.gitlab import JUDGES
from scaffold.rules.model import Kind
from scaffold.rules.runner import parse_error
from tests.rules.test_gitlab_rules import ODD_DOCUMENTS
from tests.support.hang_guard import hang_guard

GL = ".gitlab-ci.yml"


def _document(text: str, path: str = GL) -> Document:
    document = Document(path, Kind.GITLAB_CI, text)
    assert parse_error(document) is None
    return document


def _judge(control: str, *texts: str) -> list[str]:
    """``line message [subject]`` of each finding of the control's judge on these pipelines."""
    documents = [_document(text, GL if not n else f"sub{n}/{GL}") for n, text in enumerate(texts)]
    return [f"{item.hit.line} {item.hit.message} [{item.hit.subject}]" for item in JUDGES[control].check(documents)]


# ---- the documentation's examples ---------------------------------------------------------------------------------


@pytest.mark.parametrize("control", sorted(JUDGES))
def test_the_bad_example_is_a_finding_and_the_good_one_is_not(control: str) -> None:
    assert _judge(control, JUDGES[control].bad)
    assert _judge(control, JUDGES[control].good) == []


@pytest.mark.parametrize("control", sorted(JUDGES))
def test_no_pipeline_at_all_is_a_finding_on_line_1_of_the_kits_file_or_nothing(control: str) -> None:
    for item in JUDGES[control].check([]):
        assert (item.path, item.hit.line, item.hit.column) == (GL, 1, 1)
        assert item.hit.subject


# ---- scans count only when they can run and fail ------------------------------------------------------------------

GITLEAKS = "secret-scan:\n  variables:\n    GIT_DEPTH: '0'\n{extra}  script:\n    - gitleaks git --exit-code 1 .\n"


@pytest.mark.parametrize(
    ("extra", "expected"),
    [
        ("", []),
        ("  allow_failure: true\n", ["1 job secret-scan: a gitleaks history scan cannot fail the pipeline"]),
        ("  allow_failure:\n    exit_codes: [1]\n", ["1 job secret-scan: a gitleaks history scan cannot fail"]),
        ("  when: never\n", ["1 job secret-scan: a gitleaks history scan cannot fail the pipeline (when: never)"]),
        ("  when: manual\n", ["1 job secret-scan: a gitleaks history scan cannot fail the pipeline (when: manual)"]),
        ("  when: manual\n  allow_failure: false\n", []),
        ("  rules:\n    - when: never\n", ["1 job secret-scan: a gitleaks history scan cannot fail the pipeline"]),
        ("  rules:\n    - if: $A\n      when: never\n    - when: on_success\n", []),
        ("  rules:\n    - if: $A\n      allow_failure: true\n", ["1 job secret-scan: a gitleaks history scan cannot"]),
        ("  allow_failure: true\n  rules:\n    - if: $A\n      allow_failure: false\n", []),
        ("  rules:\n    - when: manual\n", []),  # a manual rule blocks the pipeline until the scan runs and passes
        ("  rules:\n    - when: manual\n      allow_failure: true\n", ["1 job secret-scan: a gitleaks history scan"]),
        ("  rules:\n    - if: $A\n      when: manual\n    - when: never\n", []),
        (
            "  rules:\n    - if: $A\n      when: manual\n      allow_failure: true\n    - when: never\n",
            ["1 job secret-scan: a gitleaks"],
        ),
        ("  rules:\n    - if: $A\n      when: on_failure\n", ["1 job secret-scan: a gitleaks history scan"]),
        ("  rules:\n    - when: manual\n      allow_failure: false\n", []),
        ("  allow_failure: false\n  rules:\n    - when: manual\n", []),
        ("  rules:\n    - if: $A\n      when: manual\n    - if: $B\n", []),
        ("  rules:\n    - when: on_success\n    - when: manual\n", []),
        ('  rules:\n    - if: \'"a" == "b"\'\n', ["1 job secret-scan: a gitleaks history scan cannot fail the"]),
        ('  rules:\n    - if: \'1 == 2\'\n    - if: \'"x" != "x" || ("a" == "b")\'\n', ["1 job secret-scan:"]),
        ('  rules:\n    - if: \'"a" == "b"\'\n    - if: $A\n', []),
        ('  rules:\n    - if: \'"$A" == "b"\'\n', []),
        (
            '  rules:\n    - if: \'"a" == "a"\'\n      when: manual\n      allow_failure: true\n'
            "    - when: on_success\n",
            ["1 job"],
        ),
    ],
)
def test_a_scan_job_that_cannot_fail_the_pipeline_does_not_count(extra: str, expected: list[str]) -> None:
    found = _judge("secret-scan", GITLEAKS.format(extra=extra))
    assert len(found) == len(expected)
    for line, prefix in zip(found, expected, strict=True):
        assert line.startswith(prefix)
        assert line.endswith("[job secret-scan: a gitleaks history scan]")


@pytest.mark.parametrize(
    ("command", "reason"),
    [
        ("echo gitleaks git --exit-code 1 .", "only an argument of echo"),
        ("gitleaks git --exit-code 1 . || true", "|| true"),
        ("gitleaks git . || exit 0", "|| exit 0"),
        ("gitleaks git --exit-code 0 .", "--exit-code 0"),
        ("gitleaks git . && echo ok || echo failed", "|| echo"),
        ("gitleaks git . || /bin/true", "|| /bin/true"),
        ("gitleaks git . || (true)", "|| (true)"),
        ("gitleaks git . || ls", "|| ls"),
        ("gitleaks git . | tee report.txt", "| tee without pipefail"),
        ("if ! gitleaks git .; then echo leaks; fi", "only the condition of an if"),
    ],
)
def test_a_neutralised_scan_command_does_not_count(command: str, reason: str) -> None:
    text = f"secret-scan:\n  variables: {{GIT_DEPTH: '0'}}\n  script:\n    - make\n    - {command}\n"
    assert _judge("secret-scan", text) == [
        f"5 job secret-scan: a gitleaks history scan cannot fail the pipeline ({reason}) "
        "[job secret-scan: a gitleaks history scan]"
    ]


@pytest.mark.parametrize(
    "command",
    [
        "gitleaks git . || (echo leaked; exit 1)",
        "gitleaks git .; other || true",
        "echo 'no; gitleaks' && gitleaks git .",
        "gitleaks git .  # || true",
        "if ! gitleaks git .; then exit 1; fi",
        "set -o pipefail; gitleaks git . | tee report.txt",
        "gitleaks git . || exit 1",
    ],
)
def test_a_fallback_that_fails_or_belongs_to_another_command_keeps_the_scan(command: str) -> None:
    text = f"secret-scan:\n  variables: {{GIT_DEPTH: '0'}}\n  script:\n    - {command}\n"
    assert _judge("secret-scan", text) == []


def test_set_plus_e_in_before_script_reaches_the_script() -> None:
    text = (
        "secret-scan:\n  variables: {GIT_DEPTH: '0'}\n  before_script: [set +e]\n"
        "  script:\n    - gitleaks git .\n    - echo done\n"
    )
    assert _judge("secret-scan", text) == [
        "5 job secret-scan: a gitleaks history scan cannot fail the pipeline (set +e) "
        "[job secret-scan: a gitleaks history scan]"
    ]
    assert _judge("secret-scan", text.replace("    - echo done\n", "")) == []


def test_a_scan_disabled_through_extends_is_reported_on_the_job() -> None:
    text = (
        ".off:\n  allow_failure: true\n"
        "secret-scan:\n  extends: .off\n  variables: {GIT_DEPTH: '0'}\n  script: [gitleaks git .]\n"
    )
    assert _judge("secret-scan", text) == [
        "3 job secret-scan: a gitleaks history scan cannot fail the pipeline (allow_failure: true) "
        "[job secret-scan: a gitleaks history scan]"
    ]


def test_a_scan_in_after_script_cannot_fail_its_job() -> None:
    text = "secret-scan:\n  variables: {GIT_DEPTH: '0'}\n  script: [make]\n  after_script: [gitleaks git .]\n"
    assert _judge("secret-scan", text) == [
        "4 job secret-scan: a gitleaks history scan cannot fail the pipeline (after_script) "
        "[job secret-scan: a gitleaks history scan]"
    ]


def test_one_gating_scan_is_enough_and_a_template_nobody_runs_is_no_scan() -> None:
    gating = "secret-scan:\n  variables: {GIT_DEPTH: '0'}\n  script: [gitleaks git .]\n"
    off = "other:\n  when: never\n  variables: {GIT_DEPTH: '0'}\n  script: [gitleaks git .]\n"
    assert _judge("secret-scan", gating + off) == []
    assert _judge("secret-scan", ".template:\n  script: [gitleaks git .]\n") == [
        "1 no job runs a gitleaks history scan [no job runs a gitleaks history scan]"
    ]
    assert _judge("secret-scan", "a:\n  script: [make]\n", gating) == []


def test_the_secret_scan_needs_the_whole_history() -> None:
    shallow = "secret-scan:\n  script:\n    - gitleaks git .\n"
    assert _judge("secret-scan", shallow) == [
        "3 job secret-scan: a gitleaks history scan runs on a shallow clone (GIT_DEPTH is not 0) "
        "[job secret-scan: a gitleaks history scan]"
    ]
    assert _judge("secret-scan", "variables:\n  GIT_DEPTH: 0\n" + shallow) == []
    assert _judge("secret-scan", "variables:\n  GIT_DEPTH: 0\n" + shallow.replace(" .", " --no-git .")) == [
        "5 job secret-scan: a gitleaks history scan runs without the history (--no-git) "
        "[job secret-scan: a gitleaks history scan]"
    ]


@pytest.mark.parametrize(
    ("command", "problem"),
    [
        ("trivy fs --scanners vuln --severity HIGH,CRITICAL --exit-code 1 .", None),
        ("trivy fs --exit-code=2 .", None),
        ("trivy fs --scanners vuln .", "without a failing --exit-code"),
        ("trivy fs --severity CRITICAL --exit-code 1 .", "with --severity CRITICAL"),
        ("trivy fs --scanners secret --exit-code 1 .", "without the vuln scanner (--scanners secret)"),
        ("trivy fs --exit-code 0 .", "without a failing --exit-code"),
    ],
)
def test_the_dependency_scan_fails_on_high_and_critical_findings(command: str, problem: str | None) -> None:
    found = _judge("dependency-scan", f"dependency-scan:\n  script:\n    - {command}\n")
    expected = f"3 job dependency-scan: a trivy dependency scan runs {problem} [job dependency-scan: a trivy"
    assert [line[: len(expected)] for line in found] == ([expected] if problem else [])


def test_trivys_exit_code_may_come_from_its_variable_and_an_sbom_is_no_scan() -> None:
    text = "dependency-scan:\n  variables: {TRIVY_EXIT_CODE: '1'}\n  script:\n    - trivy fs .\n"
    assert _judge("dependency-scan", text) == []
    assert _judge("dependency-scan", "sbom:\n  script:\n    - trivy fs --format cyclonedx .\n") == [
        "1 no job runs a trivy dependency scan [no job runs a trivy dependency scan]"
    ]


def test_the_dast_scan_counts_when_it_runs_and_must_not_block() -> None:
    zap = "dast:\n{extra}  script:\n    - /zap/zap-baseline.py -t $URL\n"
    assert _judge("dast", zap.format(extra="  allow_failure: true\n")) == []
    assert _judge("dast", zap.format(extra="")) == [
        "1 job dast: lets the DAST scan block the pipeline (no allow_failure: true) [job dast: allow_failure]"
    ]
    assert _judge("dast", zap.format(extra="  allow_failure: true\n  when: never\n")) == [
        "1 job dast: an OWASP ZAP scan cannot fail the pipeline (when: never) [job dast: an OWASP ZAP scan]"
    ]


def test_the_coverage_gate_needs_its_minimum() -> None:
    test = "test:\n  script:\n    - pytest --cov-fail-under=$COVERAGE_MIN\n"
    assert _judge("coverage-gate", test) == [
        "3 job test: the coverage gate runs without COVERAGE_MIN set [job test: the coverage gate]"
    ]
    assert _judge("coverage-gate", "variables:\n  COVERAGE_MIN: '0'\n" + test) == []


# ---- deployments --------------------------------------------------------------------------------------------------

DEPLOY = "deploy:\n  environment: {environment}\n  script:\n{script}"
VERIFY = '    - cosign verify "$IMAGE@$DIGEST" --certificate-identity x\n'
HOOK = '    - sh deploy/deploy.sh prod "$IMAGE@$DIGEST"\n'


def test_a_deploy_verifies_the_signature_before_it_deploys() -> None:
    assert _judge("verify-before-deploy", DEPLOY.format(environment="production", script=VERIFY + HOOK)) == []
    assert _judge("verify-before-deploy", DEPLOY.format(environment="production", script=HOOK + VERIFY)) == [
        "4 job deploy: deploys without verifying the image signature first [job deploy]"
    ]
    assert _judge("verify-before-deploy", DEPLOY.format(environment="production", script="    - make\n")) == [
        "1 job deploy: deploys without verifying the image signature with cosign verify [job deploy]"
    ]
    neutralised = VERIFY.replace(" x\n", " x || true\n")
    assert _judge("verify-before-deploy", DEPLOY.format(environment="production", script=neutralised + HOOK))
    stop = DEPLOY.format(environment="{name: production, action: stop}", script="    - make\n")
    assert _judge("verify-before-deploy", stop) == [
        "1 no job deploys through an environment [no job deploys through an environment]"
    ]


@pytest.mark.parametrize(
    ("deploy", "expected"),
    [
        ("  environment: production\n  when: manual\n", []),
        ("  environment: production\n  rules:\n    - if: $A\n      when: manual\n    - when: never\n", []),
        ("  environment: {name: eu, deployment_tier: production}\n  rules:\n    - if: $A\n", ["3 job deploy: deploys"]),
        ("  environment: prod\n", ["1 job deploy: deploys to production without a manual approval"]),
        ("  environment: staging\n", ["1 no deploy job targets a production-tier environment"]),
        ("  environment: production\n  rules: !reference [.elsewhere, rules]\n", []),
    ],
)
def test_the_production_deploy_waits_for_an_approval(deploy: str, expected: list[str]) -> None:
    found = _judge("deploy-approval", f"deploy:\n{deploy}  script: [make]\n")
    assert [line[: len(prefix)] for line, prefix in zip(found, expected, strict=False)] == expected
    assert len(found) == len(expected)


def test_id_tokens_have_an_audience_and_are_not_for_every_job() -> None:
    text = (
        "default:\n  id_tokens:\n    T: {aud: x}\n"
        "deploy:\n  id_tokens:\n    CLOUD: {aud: ''}\n    SIGSTORE_ID_TOKEN: {aud: sigstore}\n  script: [x]\n"
    )
    assert _judge("cloud-oidc", text) == [
        "2 default: id_tokens give every job an OIDC token [default: id_tokens]",
        "6 job deploy: id token CLOUD has no explicit aud [job deploy: id token CLOUD]",
    ]
    assert _judge("cloud-oidc", "sign:\n  id_tokens:\n    SIGSTORE_ID_TOKEN: {aud: sigstore}\n") == [
        "1 no job gets a cloud OIDC id token (id_tokens) [no job gets a cloud OIDC id token (id_tokens)]"
    ]


def test_a_signing_job_signs_the_digest_keylessly_and_attests_the_sbom() -> None:
    sign = "image-sign:\n  id_tokens:\n    SIGSTORE_ID_TOKEN: {aud: sigstore}\n  script:\n"
    attest = "    - cosign attest --predicate sbom.cdx.json $IMAGE@$DIGEST\n"
    assert _judge("signing", sign + "    - cosign sign --yes $IMAGE@$DIGEST\n" + attest) == []
    assert _judge("signing", sign + "    - cosign sign --key k.pem $IMAGE:latest\n" + attest) == [
        "5 job image-sign: a keyless cosign signature runs without the image digest and with a stored key instead "
        "of keyless [job image-sign: a keyless cosign signature]"
    ]
    no_token = "image-sign:\n  id_tokens:\n    CLOUD: {aud: x}\n  script:\n    - cosign sign $IMAGE@$DIGEST\n" + attest
    assert _judge("signing", no_token) == [
        "2 job image-sign: signs without a SIGSTORE_ID_TOKEN id token for keyless signing "
        "[job image-sign: SIGSTORE_ID_TOKEN]"
    ]


def test_buildkits_daemonless_build_counts_only_in_its_rootless_image() -> None:
    build = "  script:\n    - buildctl-daemonless.sh build --frontend dockerfile.v0 --local context=.\n"
    rootless = "build:\n  image: {name: docker.io/moby/buildkit:v0.33.0-rootless@sha256:0, entrypoint: ['']}\n" + build
    assert _judge("rootless-image-build", rootless) == []
    rootful = rootless.replace("-rootless@", "@")
    assert _judge("rootless-image-build", rootful) == [
        "4 job build: a rootless image build (BuildKit or kaniko) runs in docker.io/moby/buildkit:v0.33.0@sha256:0, "
        "not BuildKit's rootless image [job build: a rootless image build (BuildKit or kaniko)]"
    ]


def test_an_image_is_built_without_a_docker_daemon() -> None:
    text = (
        "build:\n  services:\n    - name: docker:27-dind\n  script:\n"
        "    - /kaniko/executor --no-push\n    - docker build -t x .\n"
    )
    assert _judge("rootless-image-build", text) == [
        "6 job build: builds the image with a Docker daemon (docker build) [job build: docker build]",
        "3 job build: runs a Docker-in-Docker service (docker:27-dind) [job build: service docker:27-dind]",
    ]


# ---- jobs, tokens and scripts -------------------------------------------------------------------------------------


def test_the_job_token_is_found_once_per_place_that_uses_it() -> None:
    text = (
        "default:\n  before_script:\n    - echo $CI_JOB_TOKEN\n"
        'publish:\n  variables:\n    TOKEN: $CI_JOB_TOKEN\n  script:\n    - curl -H "JOB-TOKEN: $CI_JOB_TOKEN" x\n'
    )
    assert _judge("least-privilege-token", text) == [
        "3 default: uses CI_JOB_TOKEN, the job token with the project's scope [default: CI_JOB_TOKEN]",
        "6 job publish: uses CI_JOB_TOKEN, the job token with the project's scope [job publish: CI_JOB_TOKEN]",
    ]


def test_branch_pipelines_stop_while_a_merge_request_is_open_and_checks_can_be_cancelled() -> None:
    good = "workflow:\n  rules:\n    - if: $CI_COMMIT_BRANCH && $CI_OPEN_MERGE_REQUESTS\n      when: never\n"
    assert _judge("no-duplicate-runs", good) == []
    assert _judge("no-duplicate-runs", good.replace("never", "always")) == [
        "2 workflow:rules do not stop branch pipelines while a merge request is open [workflow:rules]"
    ]
    assert _judge("no-duplicate-runs", "workflow:\n  rules: !reference [.elsewhere, rules]\n") == []
    jobs = (
        "lint:\n  interruptible: false\n  script: [make lint]\n"
        'dast:\n  interruptible: false\n  rules:\n    - if: $CI_COMMIT_REF_PROTECTED == "true"\n  script: [zap]\n'
        "deploy:\n  interruptible: false\n  environment: production\n  script: [make deploy]\n"
    )
    assert _judge("no-duplicate-runs", good + jobs) == [
        "6 job lint: interruptible: false, so a newer pipeline cannot cancel it [job lint: interruptible]"
    ]


def test_every_job_that_runs_a_script_declares_its_image() -> None:
    text = ".base:\n  image: x@sha256:1\na:\n  extends: .base\n  script: [x]\nb:\n  script: [x]\nc:\n  trigger: x\n"
    assert _judge("isolated-runners", text) == [
        "6 job b: declares no image, so it runs in whatever the runner provides [job b: image]"
    ]
    assert _judge("isolated-runners", "default:\n  image: x\n" + text) == []
    assert _judge("isolated-runners", "include:\n  - local: x.yml\n" + text) == []


def test_artifacts_exclude_secret_files_at_every_depth() -> None:
    text = "build:\n  script: [x]\n  artifacts:\n    paths: [dist/]\n    exclude: ['*.pem', '**/*.key', '**/.env*']\n"
    assert _judge("artifact-hygiene", text) == [
        "5 job build: artifacts do not exclude *.pem at every depth [job build: artifacts:exclude]"
    ]
    assert _judge("artifact-hygiene", text.replace("'*.pem'", "'**/*.pem'")) == []
    assert _judge("artifact-hygiene", "build:\n  script: [x]\n  artifacts:\n    reports: {dotenv: a.env}\n") == []


def test_installs_come_from_lockfiles_and_a_mention_is_no_install() -> None:
    text = (
        "test:\n  script:\n    - echo 'run pip install -r x to set up'\n    - npm ci\n"
        "    - pip install --require-hashes -r a.txt && pip install b\n    - npm install left-pad\n"
    )
    assert _judge("locked-installs", text) == [
        "5 job test: runs pip install without --require-hashes [job test: runs pip install without --require-hashes]",
        "6 job test: runs npm install instead of npm ci [job test: runs npm install instead of npm ci]",
    ]


def test_shell_tracing_is_found_on_its_line() -> None:
    text = "test:\n  script:\n    - |\n      make\n      set -euxo pipefail\n      echo 'set -x'\n"
    assert _judge("no-debug-tracing", text) == ["5 job test: turns on shell tracing (set -eux) [job test: set -x]"]


# ---- odd shapes and hostile values --------------------------------------------------------------------------------

ODD_PIPELINES = [
    *ODD_DOCUMENTS,
    "a: {script: [gitleaks git], when: [x], rules: {a: b}, allow_failure: [1]}\n",
    "a: {script: 'trivy fs --exit-code', allow_failure: {exit_codes: 1}, rules: [!reference [b, c]]}\nb: {c: [3]}\n",
    "a: {environment: {action: [x]}, script: [cosign verify], id_tokens: [x]}\n",
    "a: {artifacts: {paths: 3, exclude: {a: b}}, script: x}\nb: {artifacts: {paths: [.], exclude: 5}, script: x}\n",
    "default: {id_tokens: 3, services: 5, image: {name: {}}}\nworkflow: {rules: [5, {when: never, if: [1]}]}\n",
    "a: {script: [\"echo 'open\", '\\\\', 'x \\\\'], after_script: {a: 1}, variables: {GIT_DEPTH: [1]}}\n",
    'a: {id_tokens: {T: {aud: [""]}, U: 5, <<: {}}, services: [{name: [dind]}], environment: [1], extends: [a]}\n',
    "a: {script: ['trivy image --exit-code " + "9" * 5000 + "', 'trivy fs --severity ,,,']}\n",
]


@pytest.mark.parametrize("text", ODD_PIPELINES)
def test_odd_shapes_give_findings_or_nothing_never_an_error(text: str) -> None:
    document = Document(GL, Kind.GITLAB_CI, text)
    if parse_error(document) is not None:
        pytest.skip("not YAML")
    for control, judge in JUDGES.items():
        for item in judge.check([document]):
            assert item.hit.line >= 1 and item.hit.subject, control
            assert not re.search(rf"\b{item.hit.line}\b", item.hit.subject) or item.hit.line == 1, control


@pytest.mark.parametrize(
    "line",
    [
        *(
            chunk * (100_000 // len(chunk))
            for chunk in ["trivy image ", "|| ", "'", '"', "\\", "# ", "--severity ", "cosign sign ", "(", "sudo "]
        ),
        "cosign attest " + "--predicate=" * 8_000,
        "set -" + "x" * 100_000 + "1",
        "trivy image " + "--format=" * 10_000,
    ],
    ids=lambda line: repr(line[:16]),
)
def test_a_long_script_line_is_read_in_linear_time(line: str) -> None:
    document = _document(
        'a:\n  environment: production\n  script:\n    - "' + line.replace("\\", "\\\\").replace('"', '\\"') + '"\n'
    )
    with hang_guard():
        for judge in JUDGES.values():
            list(judge.check([document]))


@pytest.mark.parametrize(
    ("control", "job"),
    [
        ("secret-scan", GITLEAKS.format(extra="")),
        ("sast", "sast:\n  script:\n    - semgrep scan --error .\n"),
        ("dependency-scan", "deps:\n  script:\n    - trivy fs --severity HIGH,CRITICAL --exit-code 1 .\n"),
    ],
)
@pytest.mark.parametrize("strategy", ["none", "empty"])
def test_a_source_scan_in_a_job_that_fetches_no_sources_is_weaker(control: str, job: str, strategy: str) -> None:
    assert _judge(control, job) == []
    name = job.split(":", 1)[0]
    without = job.replace(f"{name}:\n", f"{name}:\n  variables:\n    GIT_STRATEGY: {strategy}\n", 1)
    if "variables:\n    GIT_DEPTH" in job:
        without = job.replace("    GIT_DEPTH: '0'\n", f"    GIT_DEPTH: '0'\n    GIT_STRATEGY: {strategy}\n")
    found = _judge(control, without)
    assert found and all("GIT_STRATEGY: none" in item for item in found), found
