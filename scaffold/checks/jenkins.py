"""Checks for the Jenkins kit (a declarative ``Jenkinsfile``), one per control, on the parsed block tree.
No upstream checker reads Jenkinsfiles for these controls, so these are the independent evidence."""

from __future__ import annotations

import re

from scaffold.audit.lines import Model, split_lines
from scaffold.checks import scripts
from scaffold.checks.loading import jenkinsfile
from scaffold.checks.registry import Check, Files, register_script_rules, registrar
from scaffold.parsers.jenkinsfile import JenkinsfileSyntaxError, Node

CHECKS: dict[str, Check] = {}
control = registrar(CHECKS, (JenkinsfileSyntaxError,))

PATH = "Jenkinsfile"
_DIGEST = re.compile(r"@sha256:[0-9a-f]{64}$")
_RELEASE_STAGE = re.compile(r"^(?:publish|deploy|release|sign)", re.IGNORECASE)


def _pipeline(files: Files) -> Node:
    pipelines = jenkinsfile(files.get(PATH, "")).find("pipeline")
    if len(pipelines) != 1:
        raise JenkinsfileSyntaxError(1, "expected exactly one pipeline block")
    return pipelines[0]


def stage_name(stage: Node) -> str:
    literals = stage.strings()
    return literals[0].value if literals else stage.head


def leaf_stages(pipeline: Node) -> list[Node]:
    """Stages that run steps (not the ones that only group parallel or nested stages)."""
    return [node for node in pipeline.walk() if node.name == "stage" and node.find("steps")]


def _steps(node: Node, name: str) -> list[Node]:
    return [child for child in node.walk() if child.name == name]


def sh_text(node: Node) -> str:
    literals = node.strings()
    return literals[0].value if literals else node.head


def _scripts(pipeline: Node) -> list[tuple[str, str]]:
    return [
        (f"stage {stage_name(stage)}", "\n".join(sh_text(sh) for sh in _steps(stage, "sh")))
        for stage in leaf_stages(pipeline)
    ]


def _options(pipeline: Node) -> list[str]:
    return [child.head for options in pipeline.find("options") for child in options.children]


def _is_release(stage: Node) -> bool:
    return bool(_RELEASE_STAGE.match(stage_name(stage)))


@control("pinned-dependencies")
def pinned_dependencies(files: Files) -> list[str]:
    pipeline = _pipeline(files)
    problems = []
    for docker in _steps(pipeline, "docker"):
        for image in docker.find("image"):
            ref = sh_text(image)
            if "$" in ref or not _DIGEST.search(ref):
                problems.append(f"line {image.line}: agent image {ref} is not pinned by @sha256 digest")
    for line in split_lines(files.get(PATH, ""), Model.GROOVY):
        match = re.match(r"\s*@Library\(['\"]([^'\"]+)['\"]", line)
        if match and not re.search(r"@(?:[0-9a-f]{40}|v?\d+\.\d+\.\d+)$", match.group(1)):
            problems.append(f"shared library {match.group(1)} is not pinned to a version or commit")
    return problems


@control("least-privilege-token")
def least_privilege_token(files: Files) -> list[str]:
    return [
        f"line {env.line}: pipeline-wide environment binds credentials()"
        for env in _pipeline(files).find("environment")
        if "credentials(" in " ".join(child.head for child in env.children)
    ]


@control("no-duplicate-runs")
def no_duplicate_runs(files: Files) -> list[str]:
    options = _options(_pipeline(files))
    return [] if any(o.startswith("disableConcurrentBuilds") for o in options) else ["no disableConcurrentBuilds()"]


@control("timeouts")
def timeouts(files: Files) -> list[str]:
    return [] if any(o.startswith("timeout(") for o in _options(_pipeline(files))) else ["no timeout() option"]


@control("artifact-hygiene")
def artifact_hygiene(files: Files) -> list[str]:
    pipeline = _pipeline(files)
    problems = [] if any("logRotator(" in o for o in _options(pipeline)) else ["no buildDiscarder(logRotator())"]
    for stage in leaf_stages(pipeline):
        cleans = [n for post in stage.find("post") for always in post.find("always") for n in always.find("cleanWs")]
        if not cleans:
            problems.append(f"stage {stage_name(stage)} does not cleanWs() in post always")
    return problems


@control("isolated-runners")
def isolated_runners(files: Files) -> list[str]:
    pipeline = _pipeline(files)
    problems = (
        [] if [a for a in pipeline.find("agent") if a.head == "agent none"] else ["the pipeline agent is not none"]
    )
    for stage in leaf_stages(pipeline):
        agents = stage.find("agent")
        if not agents or not (agents[0].find("docker") or agents[0].find("kubernetes")):
            problems.append(f"stage {stage_name(stage)} does not run on an ephemeral docker or kubernetes agent")
    return problems


@control("scoped-secrets")
def scoped_secrets(files: Files) -> list[str]:
    pipeline = _pipeline(files)
    problems = [
        f"line {node.line}: {node.name} interpolates with Groovy; use a single-quoted string"
        for node in pipeline.walk()
        if node.name in ("sh", "echo", "bat", "powershell") and any(s.interpolates for s in node.strings())
    ]
    for stage in leaf_stages(pipeline):
        for binding in _steps(stage, "withCredentials"):
            if not _is_release(stage):
                problems.append(
                    f"line {binding.line}: credentials wrap PR-controlled steps in stage {stage_name(stage)}"
                )
            if [child.name for child in binding.children] != ["sh"]:
                problems.append(f"line {binding.line}: withCredentials must wrap exactly one sh step")
    return problems


@control("protected-release")
def protected_release(files: Files) -> list[str]:
    release = [stage for stage in leaf_stages(_pipeline(files)) if _is_release(stage)]
    if not release:
        return ["no publish or deploy stage"]
    problems = []
    for stage in release:
        conditions = [node.name for when in stage.find("when") for node in when.walk()]
        if not ({"branch", "buildingTag", "tag"} & set(conditions)) or "changeRequest" in conditions:
            problems.append(f"stage {stage_name(stage)} is not limited to the default branch or tags")
        elif "beforeAgent" not in conditions:
            problems.append(f"stage {stage_name(stage)} starts its agent before its when condition")
    return problems


def _deploy_stages(pipeline: Node) -> list[Node]:
    return [stage for stage in leaf_stages(pipeline) if stage_name(stage).lower().startswith("deploy")]


@control("deploy-approval")
def deploy_approval(files: Files) -> list[str]:
    deploys = _deploy_stages(_pipeline(files))
    if not deploys:
        return ["no deploy stage"]
    if not deploys[-1].find("input"):
        return [f"stage {stage_name(deploys[-1])} deploys to production without an input approval"]
    return []


@control("cloud-oidc")
def cloud_oidc(files: Files) -> list[str]:
    pipeline = _pipeline(files)
    problems = []
    tokens = 0
    for stage in leaf_stages(pipeline):
        for binding in _steps(stage, "withCredentials"):
            if "'CLOUD_ID_TOKEN'" in binding.head:
                tokens += 1
                if not _is_release(stage):
                    problems.append(f"stage {stage_name(stage)} gets a cloud token outside a release stage")
    return problems + ([] if tokens else ["no stage binds a cloud id token"])


@control("coverage-gate")
def coverage_gate(files: Files) -> list[str]:
    pipeline = _pipeline(files)
    problems = scripts.coverage_gate(_scripts(pipeline))
    settings = [child.head for env in pipeline.find("environment") for child in env.children]
    return problems + ([] if any(s.startswith("COVERAGE_MIN") for s in settings) else ["COVERAGE_MIN is not set"])


@control("rootless-image-build")
def rootless_image_build(files: Files) -> list[str]:
    pipeline = _pipeline(files)
    problems = scripts.rootless_build(_scripts(pipeline))
    for args in _steps(pipeline, "args"):
        if "--privileged" in args.head:
            problems.append(f"line {args.line}: an agent runs privileged")
    return problems


@control("verify-before-deploy")
def verify_before_deploy(files: Files) -> list[str]:
    deploys = _deploy_stages(_pipeline(files))
    if not deploys:
        return ["no deploy stage"]
    return [
        problem
        for stage in deploys
        for problem in scripts.verifies_before_deploy(
            f"stage {stage_name(stage)}", "\n".join(sh_text(sh) for sh in _steps(stage, "sh"))
        )
    ]


@control("dast")
def dast(files: Files) -> list[str]:
    pipeline = _pipeline(files)
    problems = scripts.zap(_scripts(pipeline))
    for stage in leaf_stages(pipeline):
        for sh in _steps(stage, "sh"):
            if "zap-" in sh_text(sh) and not any(sh in list(c.walk()) for c in _steps(stage, "catchError")):
                problems.append(f"stage {stage_name(stage)} lets the DAST scan fail the build")
    return problems


register_script_rules(control, lambda files: _scripts(_pipeline(files)), dict(scripts.SCRIPT_RULES))
