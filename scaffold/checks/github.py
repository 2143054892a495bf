"""Checks for the GitHub Actions kit (``.github/workflows/*.yml``), one per control. zizmor, actionlint and
checkov cover most of these upstream; these checks let the parity test find each control the same way on every
platform."""

from __future__ import annotations

import re
from typing import Any

import yaml

from scaffold.checks import scripts
from scaffold.checks.loading import yaml_document
from scaffold.checks.registry import Check, Files, register_script_rules, registrar

CHECKS: dict[str, Check] = {}
control = registrar(CHECKS, (yaml.YAMLError,))

_SHA = re.compile(r"@[0-9a-f]{40}$")
_DEBUG = ("ACTIONS_STEP_DEBUG", "ACTIONS_RUNNER_DEBUG", "ACTIONS_ALLOW_UNSECURE_COMMANDS")
_CLOUD_LOGIN = ("configure-aws-credentials", "google-github-actions/auth", "Azure/login")


def _workflows(files: Files) -> dict[str, dict[str, Any]]:
    found = {}
    for path, text in files.items():
        if path.startswith(".github/workflows/") and path.endswith((".yml", ".yaml")):
            loaded = yaml_document(text)
            if isinstance(loaded, dict):
                found[path] = loaded
    return found


def _mapping(value: Any) -> dict[Any, Any]:
    """A mapping section, or an empty one when the file has something else there (checked by the schema)."""
    return value if isinstance(value, dict) else {}


def _jobs(files: Files) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (path, name, job)
        for path, workflow in _workflows(files).items()
        for name, job in _mapping(workflow.get("jobs")).items()
        if isinstance(job, dict)
    ]


def _steps(job: dict[str, Any]) -> list[dict[str, Any]]:
    return [step for step in job.get("steps") or [] if isinstance(step, dict)]


def _uses(files: Files, fragment: str) -> list[tuple[str, dict[str, Any], dict[str, Any]]]:
    """(job name, job, step) for each step whose ``uses:`` contains ``fragment``."""
    return [
        (name, job, step) for _, name, job in _jobs(files) for step in _steps(job) if fragment in str(step.get("uses"))
    ]


def _scripts(files: Files) -> list[tuple[str, str]]:
    return [(f"job {name}", "\n".join(str(s.get("run", "")) for s in _steps(job))) for _, name, job in _jobs(files)]


def _triggers(workflow: dict[str, Any]) -> dict[str, Any]:
    # PyYAML reads the key `on` as the boolean True.
    on = workflow.get("on") or workflow.get(True) or {}  # type: ignore[call-overload]
    return on if isinstance(on, dict) else {str(on): None}


@control("pinned-dependencies")
def pinned_dependencies(files: Files) -> list[str]:
    problems = []
    for _, name, job in _jobs(files):
        refs = [str(job["uses"])] if "uses" in job else []
        refs += [str(step["uses"]) for step in _steps(job) if "uses" in step]
        problems += [f"job {name}: {ref} is not pinned to a commit SHA" for ref in refs if not pinned_ref(ref)]
        for image in [job.get("container"), *_mapping(job.get("services")).values()]:
            ref = image.get("image") if isinstance(image, dict) else image
            if ref is not None and "@sha256:" not in str(ref):
                problems.append(f"job {name}: image {ref} is not pinned by digest")
    return problems


def pinned_ref(ref: str) -> bool:
    return ref.startswith("./") or ("@sha256:" in ref if ref.startswith("docker://") else bool(_SHA.search(ref)))


@control("least-privilege-token")
def least_privilege_token(files: Files) -> list[str]:
    problems = []
    for path, workflow in _workflows(files).items():
        if workflow.get("permissions") != {}:
            problems.append(f"{path}: top-level permissions are not {{}}")
        for name, job in _mapping(workflow.get("jobs")).items():
            if isinstance(job, dict) and job.get("permissions") in ("write-all", "read-all"):
                problems.append(f"{path}: job {name} uses {job['permissions']}")
    return problems


@control("no-duplicate-runs")
def no_duplicate_runs(files: Files) -> list[str]:
    return [f"{path}: no concurrency group" for path, wf in _workflows(files).items() if not wf.get("concurrency")]


@control("timeouts")
def timeouts(files: Files) -> list[str]:
    return [f"job {name} has no timeout-minutes" for _, name, job in _jobs(files) if "timeout-minutes" not in job]


@control("artifact-hygiene")
def artifact_hygiene(files: Files) -> list[str]:
    return [
        f"job {name} uploads an artifact without retention-days"
        for name, _, step in _uses(files, "actions/upload-artifact")
        if "retention-days" not in (step.get("with") or {})
    ]


@control("isolated-runners")
def isolated_runners(files: Files) -> list[str]:
    return [
        f"job {name} runs on a self-hosted runner"
        for _, name, job in _jobs(files)
        if "self-hosted" in str(job.get("runs-on"))
    ]


@control("no-debug-tracing")
def no_debug_tracing(files: Files) -> list[str]:
    text = "\n".join(text for path, text in files.items() if path.startswith(".github/workflows/"))
    return [f"a workflow sets {name}" for name in _DEBUG if name in text] + scripts.debug_tracing(_scripts(files))


@control("scoped-secrets")
def scoped_secrets(files: Files) -> list[str]:
    problems = []
    for path, text in files.items():
        if path.startswith(".github/workflows/"):
            if re.search(r"toJSON\(\s*secrets\s*\)", text):
                problems.append(f"{path} passes all secrets with toJSON(secrets)")
            if re.search(r"secrets:\s*inherit", text):
                problems.append(f"{path} passes all secrets with secrets: inherit")
    return problems


def _release_workflows(files: Files) -> dict[str, dict[str, Any]]:
    return {
        path: wf
        for path, wf in _workflows(files).items()
        if any(isinstance(job, dict) and "environment" in job for job in _mapping(wf.get("jobs")).values())
    }


@control("protected-release")
def protected_release(files: Files) -> list[str]:
    release = _release_workflows(files)
    if not release:
        return ["no workflow deploys through an environment"]
    problems = []
    for path, workflow in release.items():
        triggers = _triggers(workflow)
        if set(triggers) - {"push", "release"}:
            problems.append(f"{path} runs on {', '.join(sorted(set(triggers) - {'push', 'release'}))}")
        push = triggers.get("push") or {}
        if "push" in triggers and not (isinstance(push, dict) and (push.get("branches") or push.get("tags"))):
            problems.append(f"{path} runs on a push to any branch")
    return problems


@control("deploy-approval")
def deploy_approval(files: Files) -> list[str]:
    deploys = [name for _, name, job in _jobs(files) if "deploy" in name]
    missing = [name for _, name, job in _jobs(files) if "deploy" in name and "environment" not in job]
    if not deploys:
        return ["no deploy job"]
    return [f"job {name} deploys without an environment" for name in missing]


@control("cloud-oidc")
def cloud_oidc(files: Files) -> list[str]:
    problems = [
        f"{path} grants id-token at the top level"
        for path, wf in _workflows(files).items()
        if "id-token" in (wf.get("permissions") or {})
    ]
    logins = [(name, job) for fragment in _CLOUD_LOGIN for name, job, _ in _uses(files, fragment)]
    if not logins:
        problems.append("no job logs in to the cloud with OIDC")
    problems += [
        f"job {name} logs in to the cloud without id-token: write"
        for name, job in logins
        if (job.get("permissions") or {}).get("id-token") != "write"
    ]
    return problems


def _requires(files: Files, fragment: str, what: str, having: str = "", **inputs: str) -> list[str]:
    """Problems unless a step uses ``fragment`` (with the input ``having``, if given) and one such step sets every
    input in ``inputs`` to the given value."""
    steps = [step for step in _uses(files, fragment) if not having or having in (step[2].get("with") or {})]
    if not steps:
        return [f"no job runs {what}"]
    if not any(all(str((s.get("with") or {}).get(k)) == v for k, v in inputs.items()) for _, _, s in steps):
        return [f"{what} runs without {inputs}"]
    return []


@control("secret-scan")
def secret_scan(files: Files) -> list[str]:
    return _requires(files, "gitleaks/gitleaks-action", "gitleaks")


@control("sast")
def sast(files: Files) -> list[str]:
    return _requires(files, "github/codeql-action/analyze", "CodeQL")


@control("dependency-scan")
def dependency_scan(files: Files) -> list[str]:
    gate = {"scan-type": "fs", "exit-code": "1", "severity": "HIGH,CRITICAL", "ignore-unfixed": "True"}
    return _requires(files, "aquasecurity/trivy-action", "a trivy dependency scan", **gate)


@control("coverage-gate")
def coverage_gate(files: Files) -> list[str]:
    gated = [name for _, name, job in _jobs(files) if "COVERAGE_MIN" in (job.get("env") or {})]
    return scripts.coverage_gate(_scripts(files)) + ([] if gated else ["no job sets COVERAGE_MIN"])


@control("image-scan")
def image_scan(files: Files) -> list[str]:
    gate = {"exit-code": "1", "severity": "HIGH,CRITICAL", "ignore-unfixed": "True"}
    return _requires(files, "aquasecurity/trivy-action", "a trivy image scan", having="image-ref", **gate)


@control("sbom")
def sbom(files: Files) -> list[str]:
    return _requires(files, "anchore/sbom-action", "an SBOM generator")


@control("verify-before-deploy")
def verify_before_deploy(files: Files) -> list[str]:
    deploys = [(name, job) for _, name, job in _jobs(files) if "environment" in job]
    if not deploys:
        return ["no deploy job"]
    return [
        problem
        for name, job in deploys
        for problem in scripts.verifies_before_deploy(
            f"job {name}", "\n".join(str(step.get("run", "")) for step in _steps(job))
        )
    ]


@control("provenance")
def provenance(files: Files) -> list[str]:
    return _requires(files, "actions/attest", "build provenance attestation")


@control("dast")
def dast(files: Files) -> list[str]:
    scans = _uses(files, "zaproxy/action-")
    if not scans:
        return ["no job runs an OWASP ZAP scan"]
    return [
        f"job {name} lets the DAST scan block the release"
        for name, job, _ in scans
        if job.get("continue-on-error") is not True
    ]


register_script_rules(control, _scripts, {rule: scripts.SCRIPT_RULES[rule] for rule in ("locked-installs", "signing")})
