"""The GitHub judges of the kit rules, one control at a time, on small workflows and on odd shapes; and the edits
of a rendered kit that the upgrade ratchet must see as findings."""

from __future__ import annotations

import re
from functools import cache

import pytest

from scaffold.api import render_kit
from scaffold.kit.answers import validate
from scaffold.kit.controls import CONTROLS, NotApplicable
from scaffold.rules.catalog import REGISTRY
from scaffold.rules.document import Document
from scaffold.rules.kit.github import JUDGES
from scaffold.rules.model import Kind
from scaffold.rules.requirements import Requirements, from_answers
from scaffold.rules.runner import Report, audit_tree
from tests.answer_sets import ANSWER_SETS
from tests.rules.kit.mutations import CI, FULL, REL

GITHUB_RULES = [rule for rule in REGISTRY if Kind.WORKFLOW in rule.kinds]
EVERY_CONTROL = Requirements(
    {Kind.WORKFLOW: frozenset(c.id for c in CONTROLS if not isinstance(c.how["github"], NotApplicable))}
)


@cache
def _workflows(answer_set: str = FULL) -> dict[str, str]:
    files = render_kit(answers=validate(ANSWER_SETS[answer_set]))
    return {path: text for path, text in files.items() if path.startswith(".github/workflows/")}


def _audit(files: dict[str, str], answer_set: str = FULL) -> Report:
    """The workflows audited with the GitHub controls the answers require (other platforms' are not at stake)."""
    required = from_answers(validate(ANSWER_SETS[answer_set]).model_dump())
    github = Requirements({Kind.WORKFLOW: required.controls[Kind.WORKFLOW]})
    return audit_tree(files, rules=GITHUB_RULES, required=github)


def _edit(path: str, pattern: str, replacement: str) -> dict[str, str]:
    files = dict(_workflows())
    files[path], count = re.subn(pattern, replacement, files[path], count=1)
    assert count == 1
    return files


def _judge(control: str, *texts: str) -> list[str]:
    documents = [Document(f".github/workflows/w{n}.yml", Kind.WORKFLOW, text) for n, text in enumerate(texts)]
    return [f"{item.path}:{item.hit.line} {item.hit.message}" for item in JUDGES[control].check(documents)]


# ---- the upgrade ratchet's cases -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("rule", "pattern", "replacement"),
    [
        (
            "template-injection",
            r"(\n(\s+)python -m ruff check \.\n)",
            r'\1\2echo "${{ github.event.pull_request.title }}"\n',
        ),
        ("artipacked", r"persist-credentials: false", "persist-credentials: true"),
        (
            "github-env-write",
            r"(\n(\s+)python -m ruff check \.\n)",
            r'\1\2echo "X=${{ github.head_ref }}" >> "$GITHUB_ENV"\n',
        ),
    ],
)
def test_the_ratchets_edits_of_ci_yml_are_findings(rule: str, pattern: str, replacement: str) -> None:
    assert [f.rule for f in _audit(_workflows()).findings] == []
    report = _audit(_edit(CI, pattern, replacement))
    assert report.errors == []
    assert rule in {f.rule for f in report.findings}
    assert {f.path for f in report.findings} == {CI}


def test_a_findings_fingerprint_does_not_move_with_its_line() -> None:
    files = _edit(REL, r"cosign sign --yes", "echo sign --yes")
    files = {**files, CI: files[CI].replace("python -m pytest --cov", "echo python -m pytest --cov")}
    files[CI] = files[CI].replace("--require-hashes ", "", 1)
    before = {f.fingerprint for f in _audit(files).findings}
    shifted = {path: "# moved\n\n" + text.replace("\n  lint:\n", "\n\n\n  lint:\n") for path, text in files.items()}
    after = _audit(shifted).findings
    assert len(before) == 4  # disabled-scan and kit-coverage-gate, kit-locked-installs, kit-signing
    assert {f.fingerprint for f in after} == before
    assert all(str(f.line) not in (f.subject or f.message) for f in after)


# ---- each judge ------------------------------------------------------------------------------------------------

CI_HEAD = "on: pull_request\npermissions: {}\njobs:\n"
REL_HEAD = 'on:\n  push:\n    tags: ["v*"]\npermissions: {}\njobs:\n'


def test_no_workflow_at_all_is_reported_in_the_kits_file() -> None:
    assert _judge("secret-scan") == [
        ".github/workflows/ci.yml:1 no job runs a secret scan (gitleaks) of the full history"
    ]
    found = list(JUDGES["sbom"].check([]))
    assert [(item.path, item.hit.line) for item in found] == [(".github/workflows/release.yml", 1)]


def test_a_missing_scan_is_reported_at_jobs_of_the_workflow_it_belongs_in() -> None:
    release = REL_HEAD + "  deploy:\n    environment: prod\n    steps: [{run: ./deploy.sh}]\n"
    ci = CI_HEAD + "  test:\n    steps: [{run: make}]\n"
    assert _judge("secret-scan", release, ci) == [
        ".github/workflows/w1.yml:3 no job runs a secret scan (gitleaks) of the full history"
    ]
    assert _judge("provenance", ci, release) == [
        ".github/workflows/w1.yml:5 no job runs a build provenance attestation (actions/attest, or cosign attest "
        "of SLSA provenance)"
    ]


SECRETS = CI_HEAD + (
    "  secrets:\n"
    "    steps:\n"
    "      - uses: actions/checkout@x\n"
    "        with: {fetch-depth: 0}\n"
    "      - name: Scan\n"
    "        uses: gitleaks/gitleaks-action@x\n"
)


def test_secret_scan() -> None:
    assert _judge("secret-scan", SECRETS) == []
    assert _judge("secret-scan", SECRETS.replace("fetch-depth: 0", "fetch-depth: 1")) == [
        ".github/workflows/w0.yml:8 job secrets, step 'Scan': the secret scan sees only the latest commit: its job "
        "checks out without fetch-depth: 0"
    ]
    off = SECRETS.replace("  secrets:\n", "  secrets:\n    if: ${{ false }}\n")
    assert _judge("secret-scan", off) == [
        ".github/workflows/w0.yml:9 job secrets, step 'Scan': the secret scan is switched off: its job's if: is "
        "always false"
    ]
    ignored = SECRETS + "        continue-on-error: true\n"
    assert _judge("secret-scan", ignored)[0].endswith("cannot fail: its continue-on-error is true")
    # one scan that can fail is enough
    assert _judge("secret-scan", ignored, SECRETS) == []


def test_sast_needs_codeql_analyze_with_the_security_extended_queries() -> None:
    analyze = CI_HEAD + "  sast:\n    steps:\n      - uses: github/codeql-action/analyze@x\n"
    assert _judge("sast", analyze) == [
        ".github/workflows/w0.yml:6 job sast, step 'github/codeql-action/analyze': the SAST scan has no "
        "github/codeql-action/init step in its job"
    ]
    init = "      - uses: github/codeql-action/init@x\n        with: {queries: security-extended}\n"
    assert _judge("sast", analyze.replace("    steps:\n", "    steps:\n" + init)) == []
    semgrep = CI_HEAD + "  sast:\n    steps:\n      - run: semgrep scan --config auto\n"
    assert _judge("sast", semgrep)[0].endswith("the SAST scan does not fail on findings (no --error)")
    assert _judge("sast", semgrep.replace("auto", "auto --error")) == []


def test_a_scan_in_a_job_that_needs_a_job_that_never_runs_does_not_count() -> None:
    scan = (
        "    steps:\n      - uses: actions/checkout@x\n        with: {fetch-depth: 0}\n"
        "      - uses: gitleaks/gitleaks-action@x\n"
    )
    off = CI_HEAD + "  off:\n    if: ${{ 1 == 2 }}\n    steps: [{run: make}]\n  secrets:\n    needs: off\n" + scan
    assert _judge("secret-scan", off)[0].endswith(
        "the secret scan is switched off: its job never runs (it needs job off, which never runs)"
    )
    assert _judge("secret-scan", off.replace("needs: off\n", "needs: off\n    if: always()\n")) == []


@pytest.mark.parametrize(
    ("step", "why"),
    [
        ("uses: aquasecurity/trivy-action@x\n        with: {scan-type: fs, exit-code: '1'}", ""),
        ("uses: aquasecurity/trivy-action@x\n        with: {scan-type: fs}", "passes whatever it finds"),
        (
            "uses: aquasecurity/trivy-action@x\n        with: {scan-type: fs, exit-code: 1, severity: CRITICAL}",
            "does not fail on HIGH and CRITICAL findings (severity CRITICAL)",
        ),
        ("run: trivy fs --exit-code 1 --severity HIGH,CRITICAL .", ""),
        ("run: trivy fs --severity HIGH,CRITICAL .", "passes whatever it finds"),
        ("run: trivy fs --exit-code 1 . || true", "has its failure swallowed (|| true)"),
        ("run: pip-audit -r requirements.txt", ""),
    ],
)
def test_dependency_scan(step: str, why: str) -> None:
    found = _judge("dependency-scan", CI_HEAD + f"  deps:\n    steps:\n      - {step}\n")
    assert [why] == ([found[0].split(": the dependency scan ", 1)[1][: len(why)]] if found else [""])


def test_image_scan_must_run_before_the_push() -> None:
    scan = "      - uses: aquasecurity/trivy-action@x\n        with: {image-ref: 'a:scan', exit-code: '1'}\n"
    push = "      - uses: docker/build-push-action@x\n        with: {push: true}\n"
    assert _judge("image-scan", REL_HEAD + "  build:\n    steps:\n" + scan + push) == []
    assert _judge("image-scan", REL_HEAD + "  build:\n    steps:\n" + push + scan) == [
        ".github/workflows/w0.yml:10 job build, step 'aquasecurity/trivy-action': the image scan runs after the "
        "image is pushed"
    ]


@pytest.mark.parametrize(
    ("script", "expected"),
    [
        ('python -m pytest --cov-fail-under="$COVERAGE_MIN"', []),
        ('echo python -m pytest --cov-fail-under="$COVERAGE_MIN"', ["is only printed (echo in front)"]),
        ('python -m pytest --cov-fail-under="$COVERAGE_MIN" || true', ["has its failure swallowed (|| true)"]),
        ("python -m pytest --cov-fail-under=${COVERAGE_MIN:-0} ; exit 0", ["has its failure ignored (; exit 0)"]),
        ("python -m pytest --cov-fail-under=90", []),
    ],
)
def test_coverage_gate(script: str, expected: list[str]) -> None:
    workflow = (
        CI_HEAD + f"  test:\n    env: {{COVERAGE_MIN: '80'}}\n    steps:\n      - name: Test\n        run: {script}\n"
    )
    found = _judge("coverage-gate", workflow)
    assert [item.split("the coverage gate ", 1)[1] for item in found] == expected


def test_coverage_gate_needs_its_minimum_set_somewhere() -> None:
    step = '    steps:\n      - name: Test\n        run: pytest --cov-fail-under="$COVERAGE_MIN"\n'
    assert _judge("coverage-gate", CI_HEAD + "  test:\n" + step) == [
        ".github/workflows/w0.yml:6 job test, step 'Test': the coverage gate has no minimum: COVERAGE_MIN is not set "
        "in the step's, job's or workflow's env"
    ]
    assert _judge("coverage-gate", "env: {COVERAGE_MIN: 70}\n" + CI_HEAD + "  test:\n" + step) == []


def test_signing_by_digest_and_the_sbom_attestation() -> None:
    sign = '      - run: cosign sign --yes "${IMAGE}@${DIGEST}"\n'
    attest = '      - run: cosign attest --yes --predicate sbom.cdx.json "${IMAGE}@${DIGEST}"\n'
    head = REL_HEAD + "  build:\n    steps:\n"
    assert _judge("signing", head + sign + attest) == []
    assert _judge("signing", head + sign.replace("@${DIGEST}", ":latest") + attest) == [
        ".github/workflows/w0.yml:8 job build, step 'cosign sign --yes \"${IMAGE}:latest\"': the cosign signature "
        "signs a tag, not the digest"
    ]
    assert _judge("signing", head + sign) == [".github/workflows/w0.yml:5 no job runs cosign attest of the SBOM"]


def test_provenance_by_actions_attest_or_a_keyless_cosign_attestation() -> None:
    """actions/attest needs GitHub Enterprise Cloud on a private repository, so a cosign attestation of SLSA
    provenance counts too, and so does an in-toto statement attested whole; an SBOM attestation does not."""
    head = REL_HEAD + "  build:\n    steps:\n"
    attest = "      - uses: actions/attest@x\n        with: {subject-path: dist/**}\n"
    image = '      - run: cosign attest --yes --type slsaprovenance1 --predicate provenance.json "${IMAGE}@${DIGEST}"\n'
    blob = (
        "      - run: cosign attest-blob --yes --statement provenance.intoto.json --bundle provenance.sigstore.json\n"
    )
    sbom = '      - run: cosign attest --yes --type cyclonedx --predicate sbom.cdx.json "${IMAGE}@${DIGEST}"\n'
    for step in (attest, image, blob):
        assert _judge("provenance", head + step) == []
    missing = [
        ".github/workflows/w0.yml:5 no job runs a build provenance attestation (actions/attest, or cosign "
        "attest of SLSA provenance)"
    ]
    assert _judge("provenance", head + sbom) == missing
    weakened = _judge(
        "provenance", head + image.replace("run: cosign", "run: echo x; cosign").replace('}"\n', '}" || true\n')
    )
    assert len(weakened) == 1 and "the build provenance attestation" in weakened[0]


def test_verify_before_deploy() -> None:
    verify = '      - run: cosign verify "$IMAGE@$DIGEST" --certificate-identity "$SIGNER"\n'
    deploy = "      - run: bash deploy/deploy.sh prod\n"
    head = REL_HEAD + "  deploy:\n    environment: prod\n    steps:\n"
    assert _judge("verify-before-deploy", head + verify + deploy) == []
    expected = (
        ".github/workflows/w0.yml:{} job deploy: deploys without verifying the image signature (cosign verify) first"
    )
    assert _judge("verify-before-deploy", head + deploy + verify) == [expected.format(9)]
    assert _judge("verify-before-deploy", head + verify.replace("cosign", "echo cosign") + deploy) == [
        expected.format(10)
    ]


def test_dast_must_run_and_never_block() -> None:
    zap = "    steps:\n      - uses: zaproxy/action-baseline@x\n"
    assert _judge("dast", REL_HEAD + "  dast:\n    continue-on-error: true\n" + zap) == []
    assert _judge("dast", REL_HEAD + "  dast:\n" + zap + "        continue-on-error: true\n") == []
    assert _judge("dast", REL_HEAD + "  dast:\n" + zap)[0].endswith(
        "the OWASP ZAP scan can block the release: its job has no continue-on-error: true"
    )
    assert _judge("dast", REL_HEAD + "  dast:\n    continue-on-error: true\n    if: false\n" + zap)[0].endswith(
        "the OWASP ZAP scan is switched off: its job's if: is always false"
    )


def test_artifacts_need_retention_days() -> None:
    step = (
        "  build:\n    steps:\n      - uses: actions/upload-artifact@x\n        with: {name: a, retention-days: %s}\n"
    )
    assert _judge("artifact-hygiene", REL_HEAD + step % "30") == []
    assert len(_judge("artifact-hygiene", REL_HEAD + step % "0")) == 1
    assert len(_judge("artifact-hygiene", REL_HEAD + step.replace(", retention-days: %s", ""))) == 1


@pytest.mark.parametrize(
    ("runs_on", "found"),
    [
        ("ubuntu-24.04", False),
        ("self-hosted", True),
        ("[self-hosted, linux]", True),
        ("{group: big, labels: [self-hosted]}", True),
        ("{group: big, labels: ubuntu-24.04}", False),
        ("${{ matrix.os }}", False),
    ],
)
def test_isolated_runners(runs_on: str, found: bool) -> None:
    hits = _judge("isolated-runners", REL_HEAD + f"  build:\n    runs-on: {runs_on}\n")
    assert hits == (
        [
            ".github/workflows/w0.yml:7 job build: runs on a self-hosted runner, which keeps what one build "
            "leaves for the next"
        ]
        if found
        else []
    )


def test_locked_installs_are_reported_at_their_line() -> None:
    script = (
        "  lint:\n    steps:\n      - name: Install\n        run: |\n"
        "          python -m pip install --require-hashes -r requirements.txt\n"
        "          pip install --no-deps .\n"
        "          # pip install ruff\n"
        "          python3 -m pip install -r requirements.txt\n"
        "          npm ci && npm install left-pad\n"
        "          curl -sSfL https://example.com/install.sh | sudo bash\n"
        "          go install golang.org/x/vuln/cmd/govulncheck@v1.1.4\n"
        "          echo pip install nothing\n"
    )
    assert _judge("locked-installs", CI_HEAD + script) == [
        ".github/workflows/w0.yml:11 job lint, step 'Install': pip install without --require-hashes; install from a "
        "lockfile",
        ".github/workflows/w0.yml:12 job lint, step 'Install': npm install instead of npm ci; install from a lockfile",
        ".github/workflows/w0.yml:13 job lint, step 'Install': a download piped into a shell; install from a lockfile",
        ".github/workflows/w0.yml:14 job lint, step 'Install': go install of a tool without a lockfile; install from "
        "a lockfile",
    ]


def test_debug_tracing_in_scripts_and_shells() -> None:
    steps = "  build:\n    steps:\n      - run: |\n          set -euxo pipefail\n          make\n"
    steps += "      - shell: bash -x {0}\n        run: make\n      - run: set +x; set -e\n"
    assert _judge("no-debug-tracing", CI_HEAD + steps) == [
        ".github/workflows/w0.yml:7 job build, step 'set -euxo pipefail': set -x prints every command with its secrets",
        ".github/workflows/w0.yml:9 job build, step 'make': shell: traces every command with its secrets",
    ]


@pytest.mark.parametrize(
    ("on", "expected"),
    [
        ('{push: {branches: [main], tags: ["v*"]}}', []),
        ("{release: {types: [published]}}", []),
        ("push", ["trigger push: runs on a push to any branch"]),
        (
            "{push: {branches-ignore: [dev]}}",
            ["trigger push: runs on a push to any branch (no branches: or tags: filter)"],
        ),
        ("{push: {branches: ['**']}}", ["trigger push: runs on a push to any branch (a * filter)"]),
        (
            "[push, workflow_dispatch]",
            [
                "trigger push: runs on a push to any branch",
                "trigger workflow_dispatch: a workflow that deploys runs only on pushes to protected refs",
            ],
        ),
    ],
)
def test_protected_release(on: str, expected: list[str]) -> None:
    workflow = f"on: {on}\njobs:\n  deploy:\n    environment: prod\n"
    assert [item.split(" ", 1)[1] for item in _judge("protected-release", workflow)] == expected


def test_deploy_approval() -> None:
    assert _judge("deploy-approval", REL_HEAD + "  deploy:\n    environment: {name: prod}\n") == []
    assert _judge("deploy-approval", REL_HEAD + "  deploy-prod:\n    runs-on: x\n") == [
        ".github/workflows/w0.yml:6 job deploy-prod: deploys without an environment, so no reviewer approves it"
    ]
    assert _judge("deploy-approval", REL_HEAD + "  ship:\n    name: Deploy it\n    environment: {url: x}\n") == [
        ".github/workflows/w0.yml:6 job ship: deploys without an environment, so no reviewer approves it"
    ]


def test_cloud_oidc() -> None:
    login = "      - uses: aws-actions/configure-aws-credentials@x\n        with: {role-to-assume: r}\n"
    job = "  deploy:\n    permissions: {id-token: write}\n    steps:\n" + login
    assert _judge("cloud-oidc", REL_HEAD + job) == []
    assert _judge("cloud-oidc", REL_HEAD.replace("permissions: {}", "permissions: {id-token: write}") + job) == [
        ".github/workflows/w0.yml:4 the workflow grants id-token: write to every job; grant it on the jobs that need it"
    ]
    keys = job.replace("{role-to-assume: r}", "{aws-access-key-id: a, aws-secret-access-key: b}")
    assert len(_judge("cloud-oidc", REL_HEAD + keys)) == 2
    idle = "  lint:\n    permissions: {id-token: write}\n    steps: [{run: make lint}]\n"
    assert _judge("cloud-oidc", REL_HEAD + job + idle) == [
        ".github/workflows/w0.yml:12 job lint: has id-token: write but no step that signs or logs in to the cloud"
    ]
    assert _judge("cloud-oidc", REL_HEAD + job.replace("{id-token: write}", "{contents: read}")) == [
        ".github/workflows/w0.yml:9 job deploy, step 'aws-actions/configure-aws-credentials': logs in to the cloud "
        "but its job has no permissions id-token: write"
    ]


# ---- odd shapes ----------------------------------------------------------------------------------------------

ODD_WORKFLOWS = [
    "",
    "just a scalar\n",
    "- a\n- list\n",
    "on: 5\njobs: [a, b]\n",
    "on: [push, [x]]\njobs: a string\n",
    "on: {push: [x], pull_request: 5}\njobs: {build: [1, 2], test: text, lint: null}\n",
    "jobs:\n  a:\n    services: [x, y]\n    container: [1]\n    steps: a string\n    env: [A]\n",
    "jobs:\n  a:\n    steps: [x, 5, [1], {uses: [a]}, {run: {a: b}}, {uses: a/b@x, with: [1]}, {if: [false]}]\n",
    "jobs:\n  a:\n    runs-on: {labels: {a: b}}\n    permissions: [id-token]\n    environment: [x]\n",
    "jobs:\n  a:\n    if: {false: 1}\n    continue-on-error: [true]\n    steps: [{run: gitleaks git, shell: [x]}]\n",
    "permissions: write-all\njobs:\n  deploy:\n    environment: {name: [x]}\n    permissions: {id-token: [w]}\n",
    "jobs:\n  a:\n    steps:\n      - uses: gitleaks/gitleaks-action@x\n        if: false\n"
    "        env: {COVERAGE_MIN: [1]}\n",
    "jobs:\n  a:\n    steps:\n"
    "      - {uses: aquasecurity/trivy-action@x, with: {scan-type: [fs], exit-code: {a: 1}, image-ref: [x]}}\n",
    'jobs:\n  a:\n    steps:\n      - run: "echo \'unterminated\\\\"\n      - run: "\\\\"\n      - run: \'|| true\'\n',
    "x: &a [*a]\n",
]


@pytest.mark.parametrize("text", ODD_WORKFLOWS)
def test_odd_shapes_never_raise(text: str) -> None:
    report = audit_tree({".github/workflows/ci.yml": text}, rules=GITHUB_RULES, required=EVERY_CONTROL)
    assert [error.message for error in report.errors if "valid YAML" not in error.message] == []


@pytest.mark.parametrize("text", ODD_WORKFLOWS)
@pytest.mark.parametrize("control", sorted(JUDGES))
def test_each_judge_reads_odd_shapes(control: str, text: str) -> None:
    document = Document(".github/workflows/ci.yml", Kind.WORKFLOW, text)
    try:
        document.yaml  # noqa: B018 - invalid YAML never reaches a judge
    except Exception:
        return
    list(JUDGES[control].check([document]))
