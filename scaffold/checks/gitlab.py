"""Checks for the GitLab CI kit (``.gitlab-ci.yml``), one per control. Upstream checkers barely cover GitLab CI,
so these are the independent evidence that each control is present."""

from __future__ import annotations

import re
from typing import Any

import yaml

from scaffold.checks import scripts
from scaffold.checks.loading import yaml_document
from scaffold.checks.registry import Check, Files, register_script_rules, registrar

CHECKS: dict[str, Check] = {}
control = registrar(CHECKS, (yaml.YAMLError, ValueError))

PATH = ".gitlab-ci.yml"
# Top-level keys that are not jobs (``types`` is the old name of ``stages``).
RESERVED_KEYS = frozenset(
    {"default", "include", "stages", "types", "variables", "workflow", "image", "services", "cache", "spec"}
    | {"before_script", "after_script"}
)
_DIGEST = re.compile(r"@sha256:[0-9a-f]{64}$")
SECRET_NAME = re.compile(r"PASSWORD|SECRET|TOKEN|PRIVATE_KEY|API_KEY|CREDENTIAL", re.IGNORECASE)
_VARIABLE_REFERENCE = re.compile(r"\$\{?[A-Za-z_][A-Za-z0-9_]*\}?")
_PROTECTED = re.compile(r"\$CI_COMMIT_REF_PROTECTED\s*==\s*[\"']true[\"']|\$CI_COMMIT_TAG\b")
_SIGSTORE_TOKEN = "SIGSTORE_ID_TOKEN"  # noqa: S105 (a variable name, not a secret)
_EXCLUDED = ("*.pem", "*.key", ".env")


def _pipeline(files: Files) -> dict[str, Any]:
    loaded = yaml_document(files.get(PATH, ""))
    if not isinstance(loaded, dict):
        raise ValueError(f"{PATH} is not a mapping")
    return loaded


def _jobs(pipeline: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {
        name: job
        for name, job in pipeline.items()
        if isinstance(job, dict) and name not in RESERVED_KEYS and not str(name).startswith(".")
    }


def _effective(pipeline: dict[str, Any], job: dict[str, Any], key: str) -> Any:
    default = pipeline.get("default") or {}
    return job.get(key, default.get(key) if isinstance(default, dict) else None)


def _script(job: dict[str, Any]) -> str:
    parts: list[str] = []
    for key in ("before_script", "script", "after_script"):
        value = job.get(key) or []
        parts.extend(str(line) for line in (value if isinstance(value, list) else [value]))
    return "\n".join(parts)


def _scripts(files: Files) -> list[tuple[str, str]]:
    return [(f"job {name}", _script(job)) for name, job in _jobs(_pipeline(files)).items()]


def _image_name(image: Any) -> str | None:
    if isinstance(image, dict):
        return str(image.get("name", ""))
    return None if image is None else str(image)


def _release_jobs(pipeline: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Jobs that publish or deploy: in a publish or deploy stage, with an environment, or signing or pushing."""
    found = {}
    for name, job in _jobs(pipeline).items():
        script = _script(job)
        pushes = "/kaniko/executor" in script and "--no-push" not in script
        if job.get("stage") in ("publish", "deploy") or "environment" in job or pushes or "cosign sign" in script:
            found[name] = job
    return found


def _variables(pipeline: dict[str, Any]) -> list[tuple[str, str, Any]]:
    """(where, name, value) for the global variables and every job's variables."""
    found = [("variables", str(k), v) for k, v in (pipeline.get("variables") or {}).items()]
    for name, job in _jobs(pipeline).items():
        found += [(f"job {name} variables", str(k), v) for k, v in (job.get("variables") or {}).items()]
    return found


@control("pinned-dependencies")
def pinned_dependencies(files: Files) -> list[str]:
    pipeline = _pipeline(files)
    problems = []
    holders: list[tuple[str, dict[str, Any]]] = [("top level", pipeline)]
    holders += [("default", pipeline.get("default") or {})]
    holders += [(f"job {name}", job) for name, job in _jobs(pipeline).items()]
    for where, holder in holders:
        refs = [_image_name(holder.get("image"))] + [_image_name(s) for s in holder.get("services") or []]
        for ref in refs:
            if ref is None:
                continue
            if "$" in ref:
                problems.append(f"{where}: image {ref} is assembled from variables")
            elif not _DIGEST.search(ref):
                problems.append(f"{where}: image {ref} is not pinned by @sha256 digest")
    includes = pipeline.get("include") or []
    for include in includes if isinstance(includes, list) else [includes]:
        problems += _include_problem(include)
    return problems


def _include_problem(include: Any) -> list[str]:
    if isinstance(include, str):
        include = {"remote": include} if "://" in include else {"local": include}
    if not isinstance(include, dict):
        return [f"include {include!r} is not understood"]
    if "template" in include:
        return [f"include template {include['template']} is GitLab-managed and cannot be pinned"]
    if "remote" in include and "integrity" not in include:
        return [f"include remote {include['remote']} has no integrity hash"]
    if "project" in include and not re.fullmatch(r"[0-9a-f]{40}", str(include.get("ref", ""))):
        return [f"include project {include['project']} is not pinned to a commit SHA"]
    if "component" in include and not re.search(r"@(?:[0-9a-f]{40}|\d+\.\d+\.\d+)$", str(include["component"])):
        return [f"include component {include['component']} is not pinned to a version"]
    return []


@control("least-privilege-token")
def least_privilege_token(files: Files) -> list[str]:
    return [f"{where} uses CI_JOB_TOKEN" for where, script in _scripts(files) if "CI_JOB_TOKEN" in script]


@control("no-duplicate-runs")
def no_duplicate_runs(files: Files) -> list[str]:
    pipeline = _pipeline(files)
    rules = (pipeline.get("workflow") or {}).get("rules") or []
    problems = []
    if not any(
        isinstance(rule, dict) and rule.get("when") == "never" and "CI_OPEN_MERGE_REQUESTS" in str(rule.get("if"))
        for rule in rules
    ):
        problems.append("workflow:rules do not stop branch pipelines while a merge request is open")
    for name, job in _jobs(pipeline).items():
        if job.get("stage") == "check" and _effective(pipeline, job, "interruptible") is not True:
            problems.append(f"job {name} is not interruptible")
    return problems


@control("timeouts")
def timeouts(files: Files) -> list[str]:
    pipeline = _pipeline(files)
    return [
        f"job {name} has no timeout"
        for name, job in _jobs(pipeline).items()
        if not _effective(pipeline, job, "timeout")
    ]


@control("artifact-hygiene")
def artifact_hygiene(files: Files) -> list[str]:
    problems = []
    for name, job in _jobs(_pipeline(files)).items():
        artifacts = job.get("artifacts")
        if not isinstance(artifacts, dict):
            continue
        if not artifacts.get("expire_in"):
            problems.append(f"job {name} keeps artifacts without expire_in")
        excluded = " ".join(str(pattern) for pattern in artifacts.get("exclude") or [])
        problems += [f"job {name} artifacts do not exclude {p}" for p in _EXCLUDED if p not in excluded]
    return problems


@control("isolated-runners")
def isolated_runners(files: Files) -> list[str]:
    pipeline = _pipeline(files)
    return [
        f"job {name} declares no image"
        for name, job in _jobs(pipeline).items()
        if not _effective(pipeline, job, "image")
    ]


@control("no-debug-tracing")
def no_debug_tracing(files: Files) -> list[str]:
    problems = [
        f"{where} sets {name}"
        for where, name, value in _variables(_pipeline(files))
        if name in ("CI_DEBUG_TRACE", "CI_DEBUG_SERVICES") and str(value).lower() == "true"
    ]
    return problems + scripts.debug_tracing(_scripts(files))


@control("scoped-secrets")
def scoped_secrets(files: Files) -> list[str]:
    return [
        f"{where} sets {name} to a literal value; use a protected, masked CI/CD variable"
        for where, name, value in _variables(_pipeline(files))
        if SECRET_NAME.search(name) and not _VARIABLE_REFERENCE.fullmatch(str(value))
    ]


@control("protected-release")
def protected_release(files: Files) -> list[str]:
    release = _release_jobs(_pipeline(files))
    if not release:
        return ["no publish or deploy job"]
    problems = []
    for name, job in release.items():
        rules = [rule for rule in job.get("rules") or [] if isinstance(rule, dict) and rule.get("when") != "never"]
        if not rules or any(not _PROTECTED.search(str(rule.get("if", ""))) for rule in rules):
            problems.append(f"job {name} can run on an unprotected ref")
    return problems


@control("deploy-approval")
def deploy_approval(files: Files) -> list[str]:
    deploys = {n: j for n, j in _jobs(_pipeline(files)).items() if isinstance(j.get("environment"), dict | str)}
    if not deploys:
        return ["no job deploys through an environment"]
    production = [
        (name, job)
        for name, job in deploys.items()
        if isinstance(job["environment"], dict) and job["environment"].get("deployment_tier") == "production"
    ]
    if not production:
        return ["no deploy job targets a production-tier environment"]
    return [
        f"job {name} deploys to production without a manual approval"
        for name, job in production
        if not any(isinstance(rule, dict) and rule.get("when") == "manual" for rule in job.get("rules") or [])
    ]


@control("cloud-oidc")
def cloud_oidc(files: Files) -> list[str]:
    pipeline = _pipeline(files)
    problems = []
    if isinstance(pipeline.get("default"), dict) and "id_tokens" in pipeline["default"]:
        problems.append("id_tokens are set for every job in default")
    cloud_tokens = 0
    for name, job in _jobs(pipeline).items():
        tokens = job.get("id_tokens") or {}
        for token_name, settings in tokens.items():
            if not isinstance(settings, dict) or not settings.get("aud"):
                problems.append(f"job {name} id token {token_name} has no explicit aud")
            if token_name != _SIGSTORE_TOKEN:
                cloud_tokens += 1
        if tokens and job.get("stage") == "check":
            problems.append(f"job {name} runs merge request code with an id token")
    if cloud_tokens == 0:
        problems.append("no job gets a cloud id token")
    return problems


@control("coverage-gate")
def coverage_gate(files: Files) -> list[str]:
    problems = scripts.coverage_gate(_scripts(files))
    if not any(name == "COVERAGE_MIN" for _, name, _ in _variables(_pipeline(files))):
        problems.append("COVERAGE_MIN is not set")
    return problems


@control("rootless-image-build")
def rootless_image_build(files: Files) -> list[str]:
    pipeline = _pipeline(files)
    problems = scripts.rootless_build(_scripts(files))
    for name, job in _jobs(pipeline).items():
        for service in job.get("services") or []:
            if "dind" in str(_image_name(service)):
                problems.append(f"job {name} runs a Docker-in-Docker service")
    return problems


@control("signing")
def signing(files: Files) -> list[str]:
    problems = scripts.signing(_scripts(files))
    signers = [j for j in _jobs(_pipeline(files)).values() if "cosign sign" in _script(j)]
    if signers and not all(_SIGSTORE_TOKEN in (j.get("id_tokens") or {}) for j in signers):
        problems.append("a signing job has no SIGSTORE_ID_TOKEN for keyless signing")
    return problems


@control("verify-before-deploy")
def verify_before_deploy(files: Files) -> list[str]:
    deploys = {n: j for n, j in _jobs(_pipeline(files)).items() if "environment" in j}
    if not deploys:
        return ["no deploy job"]
    return [
        problem
        for name, job in deploys.items()
        for problem in scripts.verifies_before_deploy(f"job {name}", _script(job))
    ]


@control("provenance")
def provenance(files: Files) -> list[str]:
    for job in _jobs(_pipeline(files)).values():
        variables = job.get("variables") or {}
        if str(variables.get("RUNNER_GENERATE_ARTIFACTS_METADATA")).lower() == "true" and job.get("artifacts"):
            return []
    return ["no job keeps artifacts with RUNNER_GENERATE_ARTIFACTS_METADATA"]


@control("dast")
def dast(files: Files) -> list[str]:
    pipeline = _pipeline(files)
    problems = scripts.zap(_scripts(files))
    for name, job in _jobs(pipeline).items():
        if re.search(r"zap-\w+(?:-\w+)*\.py", _script(job)) and job.get("allow_failure") is not True:
            problems.append(f"job {name} lets the DAST scan block the pipeline")
    return problems


register_script_rules(
    control,
    _scripts,
    {
        rule: scripts.SCRIPT_RULES[rule]
        for rule in ["locked-installs", "secret-scan", "sast", "dependency-scan", "image-scan", "sbom"]
    },
)
