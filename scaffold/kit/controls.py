"""One security intent for every CI platform: the controls each kit implements.

Each control says why it exists and, per platform, how the kit meets it or why it does not apply there. The
generated ``docs/ci-security.md`` renders this table. The audit rules judge the controls: ``scaffold.rules.guards``
maps each control to the rules that find it missing or weakened on each platform, and the kit rules
(``scaffold.rules.kit``) run for the controls a repository must keep (``scaffold.rules.requirements``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

PlatformName = Literal["github", "gitlab", "jenkins"]
PLATFORMS: tuple[PlatformName, ...] = ("github", "gitlab", "jenkins")


@dataclass(frozen=True)
class NotApplicable:
    """A control that a platform cannot express, and why."""

    reason: str


@dataclass(frozen=True)
class Control:
    id: str
    title: str
    why: str
    how: Mapping[PlatformName, str | NotApplicable]
    applies: Callable[[Mapping[str, Any]], bool] = lambda answers: True

    def applies_on(self, platform: PlatformName, answers: Mapping[str, Any]) -> bool:
        """Whether the kit for ``platform`` must show this control for these answers."""
        return self.applies(answers) and not isinstance(self.how[platform], NotApplicable)


def _container(answers: Mapping[str, Any]) -> bool:
    return bool(answers["container"])


CONTROLS: tuple[Control, ...] = (
    Control(
        "pinned-dependencies",
        "Every action, image and include is pinned to an immutable reference",
        "tags can be moved to malicious commits (tj-actions/changed-files 2025, trivy-action 2026)",
        {
            "github": "every `uses:` is a full commit SHA with a `# vX.Y.Z` comment",
            "gitlab": "every `image:` is `name:tag@sha256:…`, never built from variables; no remote or template "
            "includes",
            "jenkins": "every `docker { image … }` agent is `name:tag@sha256:…`; no unpinned `@Library`",
        },
    ),
    Control(
        "least-privilege-token",
        "The platform's own token has the least scope",
        "a stolen or misused token can only do what its job needed",
        {
            "github": "`permissions: {}` at the top; each job asks for its own commented scopes",
            "gitlab": "no job uses or prints `CI_JOB_TOKEN`; the project setting limits it to an allowlist",
            "jenkins": "no pipeline-wide `environment` binds credentials; each credential is bound per step",
        },
    ),
    Control(
        "no-duplicate-runs",
        "Superseded and duplicate runs are cancelled",
        "bounded resource use and no racing pipelines for the same ref",
        {
            "github": "`concurrency:` per workflow and ref",
            "gitlab": "`workflow:rules` drop branch pipelines while a merge request is open; check jobs are "
            "`interruptible`",
            "jenkins": "`disableConcurrentBuilds()`",
        },
    ),
    Control(
        "timeouts",
        "Every job has a timeout",
        "a hung or abused job cannot run forever",
        {
            "github": "`timeout-minutes` on every job",
            "gitlab": "`timeout` on every job",
            "jenkins": "`timeout(...)` in the pipeline options",
        },
    ),
    Control(
        "artifact-hygiene",
        "Build outputs expire and never carry keys",
        "old artifacts and workspaces leak data and fill storage",
        {
            "github": "uploaded artifacts have `retention-days`",
            "gitlab": "`artifacts:expire_in` and `artifacts:exclude` of `*.pem`, `*.key` and `.env*` on every "
            "job that keeps artifacts",
            "jenkins": "`buildDiscarder(logRotator(...))` and `cleanWs()` in `post { always }`",
        },
    ),
    Control(
        "isolated-runners",
        "Jobs run on ephemeral, isolated machines",
        "a build cannot persist malware or read another build's files",
        {
            "github": "GitHub-hosted `ubuntu-24.04` runners; never self-hosted",
            "gitlab": "every job declares its digest-pinned `image:`, so it runs in a fresh container",
            "jenkins": "`agent none` at the top; every stage runs in its own digest-pinned `docker` agent",
        },
    ),
    Control(
        "locked-installs",
        "Installs come from lockfiles; nothing is piped to a shell",
        "unpinned packages and install scripts are a supply-chain entry point",
        {
            "github": "lockfile installs in `run:` steps; tools come from pinned actions",
            "gitlab": "lockfile installs in `script:`; tools come from digest-pinned images or checksum-verified "
            "downloads",
            "jenkins": "lockfile installs in `sh` steps; tools come from digest-pinned agent images",
        },
    ),
    Control(
        "no-debug-tracing",
        "Debug tracing that prints secrets is off",
        "debug traces print environment variables, including secrets",
        {
            "github": "no `ACTIONS_STEP_DEBUG`, `ACTIONS_RUNNER_DEBUG` or `ACTIONS_ALLOW_UNSECURE_COMMANDS`",
            "gitlab": "no `CI_DEBUG_TRACE` or `CI_DEBUG_SERVICES`",
            "jenkins": "no `set -x` in any `sh` step",
        },
    ),
    Control(
        "scoped-secrets",
        "Secrets are referenced one at a time, only where needed",
        "a secret that reaches pull-request code or a log is a leaked secret",
        {
            "github": "secrets are passed one by one to the step that needs them; no `toJSON(secrets)` and no "
            "`secrets: inherit`",
            "gitlab": "no secret values in `variables:`; secrets are protected, masked CI/CD variables referenced "
            "by name",
            "jenkins": "`withCredentials` wraps one single-quoted `sh` step, only in publish and deploy stages; "
            "Groovy never interpolates a secret",
        },
    ),
    Control(
        "protected-release",
        "Publishing and deploying run only for protected refs",
        "an unreviewed branch must never publish or deploy",
        {
            "github": "`release.yml` runs only on pushes to the default branch and `v*` tags",
            "gitlab": 'publish and deploy jobs run only when `$CI_COMMIT_REF_PROTECTED == "true"`, for the default '
            "branch",
            "jenkins": "publish and deploy stages have `when { anyOf { branch …; buildingTag() } }`",
        },
    ),
    Control(
        "deploy-approval",
        "Each deployment goes through its environment; production needs approval",
        "a human approves what reaches production",
        {
            "github": "one job per environment with `environment:`; required reviewers are set on the environment",
            "gitlab": "one job per environment with `environment:`; the production job is manual and its "
            "environment protected",
            "jenkins": "one stage per environment; production waits for an `input` approval",
        },
    ),
    Control(
        "cloud-oidc",
        "Cloud access uses short-lived OIDC tokens, only on the jobs that need them",
        "no long-lived cloud keys are stored anywhere",
        {
            "github": "`id-token: write` only on the jobs that sign or talk to the cloud",
            "gitlab": "`id_tokens:` with an explicit `aud`, only on the jobs that talk to the cloud",
            "jenkins": "an OpenID Connect Provider id-token credential, bound with `withCredentials` in deploy "
            "stages only",
        },
        applies=lambda answers: answers["cloud"] != "none",
    ),
    Control(
        "secret-scan",
        "Secret scan of the full history",
        "leaked credentials are caught after commit as well as before",
        {
            "github": "gitleaks action over the full history",
            "gitlab": "`gitleaks git` over the full history (`GIT_DEPTH: 0`)",
            "jenkins": "`gitleaks git` over the checked-out history",
        },
    ),
    Control(
        "sast",
        "Static analysis (SAST)",
        "injection and misuse bugs are caught before merge",
        {
            "github": "CodeQL with the security-extended queries",
            "gitlab": "semgrep, failing on findings",
            "jenkins": "semgrep, failing on findings",
        },
    ),
    Control(
        "dependency-scan",
        "Dependency scan of the lockfiles",
        "known-vulnerable dependencies block the merge",
        {
            "github": "trivy filesystem scan, failing on fixable HIGH and CRITICAL",
            "gitlab": "trivy filesystem scan, failing on fixable HIGH and CRITICAL",
            "jenkins": "trivy filesystem scan, failing on fixable HIGH and CRITICAL",
        },
    ),
    Control(
        "coverage-gate",
        "Tests enforce a coverage minimum",
        "untested changes fail the build",
        {
            "github": "the `test` job fails below `COVERAGE_MIN`",
            "gitlab": "the `test` job fails below `COVERAGE_MIN`",
            "jenkins": "the `Test` stage fails below `COVERAGE_MIN`",
        },
    ),
    Control(
        "rootless-image-build",
        "The image is built without a privileged Docker daemon",
        "a build that needs a privileged daemon can take over its host",
        {
            "github": NotApplicable("hosted runners are single-use VMs; Buildx runs there without a shared daemon"),
            "gitlab": "BuildKit's rootless image (`buildctl-daemonless.sh`), digest-pinned, without privileged mode",
            "jenkins": "BuildKit's rootless image (`buildctl-daemonless.sh`), digest-pinned, without privileged mode",
        },
        applies=_container,
    ),
    Control(
        "image-scan",
        "Image scan that fails on fixable HIGH and CRITICAL",
        "a vulnerable image is never signed or deployed",
        {
            "github": "trivy image scan before the push",
            "gitlab": "one trivy scan of the built image before it is pushed; the same layout is pushed",
            "jenkins": "one trivy scan of the built image before it is pushed; the same layout is pushed",
        },
        applies=_container,
    ),
    Control(
        "sbom",
        "A CycloneDX SBOM for every release",
        "consumers know what is inside what they run",
        {
            "github": "anchore/sbom-action (syft)",
            "gitlab": "`trivy --format cyclonedx`, once, in the image scan job",
            "jenkins": "`trivy --format cyclonedx`, once, in the image scan stage",
        },
    ),
    Control(
        "signing",
        "The image is signed by digest and its SBOM attested",
        "consumers can verify who built the image and from which commit",
        {
            "github": "keyless `cosign sign` and `cosign attest` of the digest with the workflow's OIDC identity",
            "gitlab": "keyless `cosign sign` and `cosign attest` of the digest with the job's `SIGSTORE_ID_TOKEN`",
            "jenkins": "`cosign sign --key` and `cosign attest --key` of the digest with a signing-key credential "
            "(Jenkins has no identity the public Sigstore trusts)",
        },
        applies=_container,
    ),
    Control(
        "verify-before-deploy",
        "Each deploy verifies the signature or provenance first",
        "only what this pipeline built and signed is deployed",
        {
            "github": "`cosign verify` with the release workflow's identity, or `gh attestation verify`",
            "gitlab": "`cosign verify` with the project's pipeline identity before and after the promotion copy",
            "jenkins": "`cosign verify --key` with the public key before and after the promotion copy",
        },
        applies=_container,
    ),
    Control(
        "provenance",
        "Signed build provenance",
        "SLSA build level 2: the platform attests how the artifact was built",
        {
            "github": "`actions/attest` build provenance on a public repository; elsewhere, where it needs GitHub "
            "Enterprise Cloud, a keyless `cosign attest` of SLSA provenance",
            "gitlab": "runner-generated provenance (`RUNNER_GENERATE_ARTIFACTS_METADATA`) on the build job",
            "jenkins": NotApplicable(
                "Jenkins has no platform-signed provenance; the cosign signature and SBOM attestation are the evidence"
            ),
        },
    ),
    Control(
        "dast",
        "DAST with OWASP ZAP after the first deployment, never blocking",
        "runtime issues surface without blocking a release",
        {
            "github": "ZAP action after the first deploy, `continue-on-error`",
            "gitlab": "ZAP job after the first deploy, `allow_failure: true`",
            "jenkins": "ZAP stage after the first deploy inside `catchError`",
        },
        applies=lambda answers: bool(answers["dast"]),
    ),
)

CONTROLS_BY_ID: dict[str, Control] = {control.id: control for control in CONTROLS}


def table(platforms: list[PlatformName], answers: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Rows for the docs: each control that applies to these answers, with how each chosen platform meets it."""
    rows = []
    for control in CONTROLS:
        if not control.applies(answers):
            continue
        cells = []
        for platform in platforms:
            how = control.how[platform]
            cells.append(f"not applicable: {how.reason}" if isinstance(how, NotApplicable) else how)
        rows.append({"id": control.id, "title": control.title, "why": control.why, "cells": cells})
    return rows
