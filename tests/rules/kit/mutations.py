"""Single-control mutations of rendered kits: each weakens one control on one platform and nothing else."""

from __future__ import annotations

from typing import NamedTuple

from scaffold.kit.controls import PlatformName

FULL = "python-ecr-aws-dast-openapi"  # container, cloud, DAST, every platform
GL = ".gitlab-ci.yml"
JK = "Jenkinsfile"
CI = ".github/workflows/ci.yml"
REL = ".github/workflows/release.yml"


class Mutation(NamedTuple):
    platform: PlatformName
    control: str
    path: str
    pattern: str  # a regular expression
    replacement: str
    times: int = 1  # 0 replaces every match
    answer_set: str = FULL


DIGEST = r"@sha256:[0-9a-f]{64}"
MUTATIONS = [
    # GitLab
    Mutation("gitlab", "pinned-dependencies", GL, DIGEST, ""),
    Mutation("gitlab", "least-privilege-token", GL, r"\n(\s+)gitleaks git", r"\n\1echo $CI_JOB_TOKEN\n\1gitleaks git"),
    Mutation("gitlab", "no-duplicate-runs", GL, r"\n      when: never", ""),
    Mutation("gitlab", "timeouts", GL, r"\n  timeout: 15m", ""),
    Mutation("gitlab", "artifact-hygiene", GL, r'\n      - "\*\*/\*\.key"', ""),
    Mutation("gitlab", "isolated-runners", GL, r"(lint:\n  stage: check\n  needs: \[\]\n)  image: \S+\n", r"\1"),
    Mutation("gitlab", "locked-installs", GL, r"--require-hashes ", ""),
    Mutation("gitlab", "no-debug-tracing", GL, r"\nvariables:\n", '\nvariables:\n  CI_DEBUG_TRACE: "true"\n'),
    Mutation("gitlab", "scoped-secrets", GL, r"\nvariables:\n", '\nvariables:\n  REGISTRY_PASSWORD: "hunter2"\n'),
    Mutation(
        "gitlab",
        "protected-release",
        GL,
        r'\$CI_COMMIT_REF_PROTECTED == \\"true\\" && \$CI_COMMIT_BRANCH == \\"main\\"',
        "$CI_COMMIT_BRANCH",
    ),
    Mutation("gitlab", "deploy-approval", GL, r"\n      when: manual", ""),
    Mutation("gitlab", "cloud-oidc", GL, r'aud: "sts\.amazonaws\.com"', 'aud: ""'),
    Mutation("gitlab", "secret-scan", GL, r"--exit-code 1 \.", "--exit-code 0 ."),
    Mutation("gitlab", "sast", GL, r" --error", ""),
    Mutation("gitlab", "dependency-scan", GL, r"--ignore-unfixed --exit-code 1 \.", "--exit-code 0 ."),
    Mutation("gitlab", "coverage-gate", GL, r'\n  COVERAGE_MIN: "80"', ""),
    Mutation(
        "gitlab", "rootless-image-build", GL, r"buildctl-daemonless\.sh build[^\n]*", 'docker build -t "$IMAGE" .'
    ),
    Mutation("gitlab", "image-scan", GL, r"(trivy image --scanners[^\n]*)--exit-code 1", r"\1--exit-code 0"),
    Mutation("gitlab", "sbom", GL, r"--format cyclonedx", "--format table", 0),
    Mutation("gitlab", "signing", GL, r"\n    SIGSTORE_ID_TOKEN:\n      aud: sigstore", ""),
    Mutation("gitlab", "verify-before-deploy", GL, r"\n\s+cosign verify [^\n]*", "", 0),
    Mutation("gitlab", "provenance", GL, r'RUNNER_GENERATE_ARTIFACTS_METADATA: "true"', 'X: "true"', 0),
    Mutation("gitlab", "dast", GL, r"\n  allow_failure: true", ""),
    # Jenkins
    Mutation("jenkins", "pinned-dependencies", JK, DIGEST, ""),
    Mutation(
        "jenkins",
        "least-privilege-token",
        JK,
        r"\n  environment \{\n",
        "\n  environment {\n    REG = credentials('registry-push')\n",
    ),
    Mutation("jenkins", "no-duplicate-runs", JK, r"\n\s+disableConcurrentBuilds\([^)]*\)", ""),
    Mutation("jenkins", "timeouts", JK, r"\n\s+timeout\(time: \d+, unit: 'MINUTES'\)", ""),
    Mutation("jenkins", "artifact-hygiene", JK, r"cleanWs\(\)", "echo 'kept'"),
    Mutation("jenkins", "isolated-runners", JK, r"agent none", "agent any"),
    Mutation("jenkins", "locked-installs", JK, r"--require-hashes ", ""),
    Mutation("jenkins", "no-debug-tracing", JK, r"sh '''\n", "sh '''\nset -x\n"),
    Mutation(
        "jenkins",
        "scoped-secrets",
        JK,
        r"\n(\s+)stash name: 'image-layout'",
        "\n\\1sh \"echo ${env.IMAGE}\"\n\\1stash name: 'image-layout'",
    ),
    Mutation(
        "jenkins", "protected-release", JK, r"anyOf \{\n\s+branch 'main'\n\s+buildingTag\(\)\n\s+\}", "changeRequest()"
    ),
    Mutation("jenkins", "deploy-approval", JK, r"\n      input \{\n(?:.*\n)*?      \}", ""),
    Mutation(
        "jenkins", "cloud-oidc", JK, r"string\(credentialsId: 'cloud-id-token', variable: 'CLOUD_ID_TOKEN'\),", "", 0
    ),
    Mutation("jenkins", "secret-scan", JK, r"--exit-code 1 \.", "--exit-code 0 ."),
    Mutation("jenkins", "sast", JK, r" --error", ""),
    Mutation("jenkins", "dependency-scan", JK, r"--ignore-unfixed --exit-code 1 \.", "--exit-code 0 ."),
    Mutation("jenkins", "coverage-gate", JK, r"\n    COVERAGE_MIN = '80'", ""),
    Mutation("jenkins", "rootless-image-build", JK, r"args '--entrypoint='", "args '--privileged'"),
    Mutation("jenkins", "image-scan", JK, r"(trivy image --scanners[^\n]*)--exit-code 1", r"\1--exit-code 0"),
    Mutation("jenkins", "sbom", JK, r"--format cyclonedx", "--format table", 0),
    Mutation("jenkins", "signing", JK, r"cosign sign --yes", "echo sign --yes"),
    Mutation("jenkins", "verify-before-deploy", JK, r"\n\s+cosign verify [^\n]*", "", 0),
    Mutation("jenkins", "dast", JK, r"catchError\(buildResult: 'SUCCESS', stageResult: 'UNSTABLE'\)", "script"),
    # GitHub
    Mutation("github", "pinned-dependencies", CI, r"@[0-9a-f]{40}", "@v4"),
    Mutation("github", "least-privilege-token", CI, r"permissions: \{\}", "permissions: write-all"),
    Mutation("github", "no-duplicate-runs", CI, r"\nconcurrency:\n.*\n.*\n", "\n"),
    Mutation("github", "timeouts", CI, r"\n    timeout-minutes: \d+", ""),
    Mutation("github", "artifact-hygiene", REL, r"\n\s+retention-days: \d+", "", 1, "python-no-container"),
    Mutation("github", "isolated-runners", CI, r"runs-on: ubuntu-24\.04", "runs-on: self-hosted"),
    Mutation("github", "locked-installs", CI, r"--require-hashes ", ""),
    Mutation(
        "github",
        "no-debug-tracing",
        CI,
        r"\n      COVERAGE_MIN:",
        "\n      ACTIONS_STEP_DEBUG: true\n      COVERAGE_MIN:",
    ),
    Mutation("github", "scoped-secrets", CI, r"\$\{\{ secrets\.GITLEAKS_LICENSE \}\}", "${{ toJSON(secrets) }}"),
    Mutation("github", "protected-release", REL, r"\non:\n", "\non:\n  pull_request:\n"),
    Mutation("github", "deploy-approval", REL, r"\n    environment:\n      name: .*", ""),
    Mutation("github", "cloud-oidc", REL, r"\n      id-token: write  # the cloud login", "", 0),
    Mutation("github", "secret-scan", CI, r"gitleaks/gitleaks-action", "example/other-action"),
    Mutation("github", "sast", CI, r"codeql-action/analyze", "codeql-action/upload-sarif"),
    Mutation("github", "dependency-scan", CI, r'exit-code: "1"', 'exit-code: "0"'),
    Mutation("github", "coverage-gate", CI, r'\n      COVERAGE_MIN: "\d+"', ""),
    Mutation("github", "image-scan", REL, r'exit-code: "1"', 'exit-code: "0"'),
    Mutation("github", "sbom", REL, r"anchore/sbom-action", "example/other-action"),
    Mutation("github", "signing", REL, r"cosign sign --yes", "echo sign --yes"),
    Mutation("github", "verify-before-deploy", REL, r"cosign verify", "echo verify", 0),
    Mutation("github", "provenance", REL, r"cosign attest (?=[^\n]*--type slsaprovenance1)", "echo attest "),
    Mutation("github", "provenance", REL, r"actions/attest@", "example/attest@", 1, "python-ghcr-aws-public"),
    Mutation("github", "dast", REL, r"\n    continue-on-error: true", ""),
    # GitHub: a scan still in place but switched off or unable to fail
    Mutation("github", "secret-scan", CI, r"(\n(\s+)- name: Scan the history for secrets\n)", r"\1\2  if: false\n"),
    Mutation(
        "github",
        "dependency-scan",
        CI,
        r"(\n(\s+)- name: Scan locked dependencies[^\n]*\n)",
        r"\1\2  continue-on-error: true\n",
    ),
    Mutation("github", "coverage-gate", CI, r"python -m pytest --cov", "echo python -m pytest --cov"),
    # GitLab: scan jobs that no longer run or fail
    Mutation("gitlab", "secret-scan", GL, r"(\nsecret-scan:\n  stage: check\n)", r"\1  allow_failure: true\n"),
    Mutation("gitlab", "dependency-scan", GL, r"(\ndependency-scan:\n  stage: check\n)", r"\1  when: never\n"),
    # Jenkins: a scan stage that no longer runs (an unpinned agent image on one stage is the first Jenkins mutation)
    Mutation(
        "jenkins",
        "secret-scan",
        JK,
        r"(stage\('Secret scan'\) \{\n)",
        r"\1          when { expression { return false } }\n",
    ),
]
