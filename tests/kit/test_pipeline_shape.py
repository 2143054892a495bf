"""The shape of the generated GitLab and Jenkins pipelines, read from the files themselves: from the first job to the
first deployment at most 4 jobs (GitLab) or 4 stages (Jenkins) for the default answers, the image scanned once and
its SBOM generated once, the scan adding at most one job to that path, and every job image pinned by digest.

GitLab's path follows ``needs:``, or every job of the earlier stages where a job has no ``needs:``. Jenkins' path is
the top-level stages up to the first one that runs the deploy hook; a ``parallel`` block counts as its longest
branch, and a branch of sequential ``stages`` as the sum of its stages (so a block of single stages counts as one).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator
from typing import Any

import pytest
import yaml

from scaffold.api import render_kit
from scaffold.kit.answers import validate
from scaffold.rules.jenkins.groovy import Block, Source
from tests.answer_sets import ANSWER_SETS

# The default answers of each platform on its own, next to the shared answer sets.
DEFAULTS: dict[str, dict[str, Any]] = {
    "gitlab-defaults": {"name": "shape", "platforms": ["gitlab"]},
    "jenkins-defaults": {"name": "shape", "platforms": ["jenkins"]},
}
ALL_SETS = {**ANSWER_SETS, **DEFAULTS}
LIMIT = 4

_GITLAB_KEYWORDS = frozenset(
    {"default", "include", "stages", "variables", "workflow", "image", "services", "cache", "before_script"}
    | {"after_script"}
)
_DIGEST = re.compile(r"@sha256:[0-9a-f]{64}$")
_IMAGE_SCAN = re.compile(r"\btrivy\s+image\b")
_SBOM = re.compile(r"\b(?:trivy|syft)\b.*--format[ =](?:cyclonedx|spdx)")
_DEPLOY_HOOK = re.compile(r"\bdeploy/deploy\.sh\b")


def _sets(platform: str) -> list[str]:
    return sorted(name for name, answers in ALL_SETS.items() if platform in answers.get("platforms", ["github"]))


@functools.cache
def _kit(name: str) -> dict[str, str]:
    return render_kit(answers=validate(ALL_SETS[name]))


def _shell_lines(scripts: list[str]) -> list[str]:
    """The commands of shell scripts: continuations joined, blank and comment lines left out."""
    joined = re.sub(r"\\\n\s*", " ", "\n".join(scripts))
    return [line.strip() for line in joined.splitlines() if line.strip() and not line.strip().startswith("#")]


def _scans(lines: list[str]) -> tuple[int, int]:
    """How many commands scan an image for vulnerabilities, and how many generate an SBOM."""
    sboms = sum(1 for line in lines if _SBOM.search(line))
    scans = sum(1 for line in lines if _IMAGE_SCAN.search(line) and not _SBOM.search(line))
    return scans, sboms


# --- GitLab ----------------------------------------------------------------------------------------------------------


def _gitlab(name: str) -> dict[str, Any]:
    document = yaml.safe_load(_kit(name)[".gitlab-ci.yml"])
    assert isinstance(document, dict)
    return document


def _gitlab_jobs(document: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {
        key: value
        for key, value in document.items()
        if key not in _GITLAB_KEYWORDS and not key.startswith(".") and isinstance(value, dict)
    }


def _gitlab_needs(document: dict[str, Any]) -> dict[str, list[str]]:
    """Each job's predecessors: its ``needs:``, or without one every job of an earlier stage."""
    stages: list[str] = document.get("stages", ["build", "test", "deploy"])
    jobs = _gitlab_jobs(document)
    needs: dict[str, list[str]] = {}
    for name, job in jobs.items():
        if "needs" in job:
            needs[name] = [item if isinstance(item, str) else item["job"] for item in job["needs"]]
        else:
            rank = stages.index(job.get("stage", "test"))
            needs[name] = [other for other, o in jobs.items() if stages.index(o.get("stage", "test")) < rank]
    return needs


def _gitlab_script(job: dict[str, Any]) -> list[str]:
    return _shell_lines([str(line) for key in ("before_script", "script") for line in job.get(key, [])])


def _deploys(job: dict[str, Any]) -> bool:
    return "environment" in job and any(_DEPLOY_HOOK.search(line) for line in _gitlab_script(job))


def _before(job: str, needs: dict[str, list[str]]) -> set[str]:
    """Every job that must finish before ``job`` starts."""
    seen: set[str] = set()
    pending = list(needs[job])
    while pending:
        other = pending.pop()
        if other not in seen:
            seen.add(other)
            pending.extend(needs[other])
    return seen


def _longest_chain(job: str, needs: dict[str, list[str]]) -> list[str]:
    @functools.cache
    def chain(name: str) -> tuple[str, ...]:
        before = max((chain(other) for other in needs[name]), key=len, default=())
        return (*before, name)

    return list(chain(job))


def gitlab_critical_path(name: str) -> list[str]:
    return _gitlab_path(_gitlab(name))


def _gitlab_path(document: dict[str, Any]) -> list[str]:
    """The longest chain of jobs that ends at the first deployment (the deploy job that needs no other)."""
    jobs = _gitlab_jobs(document)
    needs = _gitlab_needs(document)
    deploys = [job for job, body in jobs.items() if _deploys(body)]
    first = [job for job in deploys if not _before(job, needs) & set(deploys)]
    assert len(first) == 1, f"expected one first deployment, found {first}"
    return _longest_chain(first[0], needs)


# --- Jenkins ---------------------------------------------------------------------------------------------------------


def _jenkins(name: str) -> Source:
    return Source(_kit(name)["Jenkinsfile"])


def _stages(source: Source, block: Block, section: str) -> list[Block]:
    return [
        statement.block
        for inner in source.sections(block, section)
        for statement in source.statements(inner)
        if statement.block is not None and statement.name == "stage"
    ]


def _stage_chain(source: Source, stage: Block) -> list[str]:
    """The stages a stage puts on the path: its parallel block's longest branch, its sequential stages in turn, or
    itself."""
    branches = _stages(source, stage, "parallel")
    if branches:
        return max((_stage_chain(source, branch) for branch in branches), key=len)
    sequence = _stages(source, stage, "stages")
    if sequence:
        return [name for inner in sequence for name in _stage_chain(source, inner)]
    return [source.stage_name(stage)]


def _top_stages(source: Source) -> list[Block]:
    (pipeline,) = [s.block for s in source.top if s.block is not None and s.name == "pipeline"]
    return _stages(source, pipeline, "stages")


def _runs_hook(source: Source, stage: Block) -> bool:
    return any(_DEPLOY_HOOK.search(literal.value) for _, literal in source.step_scripts_in(stage, ("sh",)))


def jenkins_critical_path(name: str) -> list[list[str]]:
    return _jenkins_path(_jenkins(name))


def _jenkins_path(source: Source) -> list[list[str]]:
    """The top-level stages up to the first that runs the deploy hook, each as the stages it puts on the path."""
    path: list[list[str]] = []
    for stage in _top_stages(source):
        path.append(_stage_chain(source, stage))
        if _runs_hook(source, stage):
            return path
    raise AssertionError("no stage runs deploy/deploy.sh")


def _jenkins_lines(name: str) -> list[str]:
    source = _jenkins(name)
    return _shell_lines([literal.value for _, literal in source.step_scripts(("sh",))])


def _jenkins_images(name: str) -> Iterator[str]:
    source = _jenkins(name)
    for statement in source.walk():
        if statement.name == "image":
            yield from (literal.value for literal in source.arguments(statement))


# --- the tests -------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("answer_set", _sets("gitlab"))
def test_gitlab_reaches_the_first_deployment_within_four_jobs(answer_set: str) -> None:
    path = gitlab_critical_path(answer_set)
    assert len(path) <= LIMIT, " -> ".join(path)
    container = ALL_SETS[answer_set].get("container", True)
    assert path[-1].startswith("deploy-")
    if container:  # build, scan, publish, deploy: every check runs beside the build, off the path
        assert path == ["image-build", "image-scan", "image-publish", path[-1]]


@pytest.mark.parametrize("answer_set", _sets("jenkins"))
def test_jenkins_reaches_the_first_deployment_within_four_stages(answer_set: str) -> None:
    path = jenkins_critical_path(answer_set)
    stages = [stage for step in path for stage in step]
    assert len(stages) <= LIMIT, " -> ".join(stages)
    # The image is built beside the checks, not after them: the first top-level stage holds both.
    first = _top_stages(_jenkins(answer_set))[0]
    branches = [_jenkins(answer_set).stage_name(b) for b in _stages(_jenkins(answer_set), first, "parallel")]
    assert {"Lint", "Test", "Secret scan", "SAST", "Dependency scan"} <= set(branches)
    if ALL_SETS[answer_set].get("container", True):
        assert "Image" in branches
        assert stages[:2] == ["Image build", "Image scan"]


@pytest.mark.parametrize("name", sorted(DEFAULTS))
def test_the_default_answers_meet_the_limit_on_their_platform(name: str) -> None:
    (platform,) = DEFAULTS[name]["platforms"]
    if platform == "gitlab":
        length = len(gitlab_critical_path(name))
    else:
        length = sum(len(step) for step in jenkins_critical_path(name))
    assert length <= LIMIT


@pytest.mark.parametrize("answer_set", _sets("gitlab"))
def test_gitlab_scans_the_image_once_and_makes_one_sbom(answer_set: str) -> None:
    document = _gitlab(answer_set)
    jobs = _gitlab_jobs(document)
    lines = [line for job in jobs.values() for line in _gitlab_script(job)]
    container = ALL_SETS[answer_set].get("container", True)
    assert _scans(lines) == ((1, 1) if container else (0, 1))
    # Scanning adds at most one job to the path to the first deployment.
    path = gitlab_critical_path(answer_set)
    scanning = [job for job in path if _scans(_gitlab_script(jobs[job])) != (0, 0)]
    assert len(scanning) <= 1, scanning
    if container:  # the SBOM that is attested is the one generated: the attesting job needs the generating one
        needs = _gitlab_needs(document)
        (attesting,) = [n for n, j in jobs.items() if any("cosign attest" in x for x in _gitlab_script(j))]
        (generating,) = [n for n, j in jobs.items() if _scans(_gitlab_script(j))[1]]
        assert generating in _before(attesting, needs)


@pytest.mark.parametrize("answer_set", _sets("jenkins"))
def test_jenkins_scans_the_image_once_and_makes_one_sbom(answer_set: str) -> None:
    container = ALL_SETS[answer_set].get("container", True)
    assert _scans(_jenkins_lines(answer_set)) == ((1, 1) if container else (0, 1))


@pytest.mark.parametrize("answer_set", _sets("gitlab"))
def test_every_gitlab_image_is_pinned_by_digest(answer_set: str) -> None:
    document = _gitlab(answer_set)
    holders = [document, document.get("default") or {}, *_gitlab_jobs(document).values()]
    images = []
    for holder in holders:
        for image in [holder.get("image"), *holder.get("services", [])]:
            if image is not None:
                images.append(image["name"] if isinstance(image, dict) else image)
    assert images
    assert [image for image in images if not _DIGEST.search(image)] == []


@pytest.mark.parametrize("answer_set", _sets("jenkins"))
def test_every_jenkins_agent_image_is_pinned_by_digest(answer_set: str) -> None:
    images = list(_jenkins_images(answer_set))
    assert images
    assert [image for image in images if not _DIGEST.search(image)] == []


def test_the_path_reader_counts_what_the_kit_did_before() -> None:
    """The readers above, on the shape the kits had before (build, scan, publish, SBOM, sign, deploy on GitLab;
    checks, build, scan, publish, SBOM, signature, deploy on Jenkins), find the 6 jobs and 7 stages counted then."""
    document = {
        "stages": ["check", "build", "publish", "deploy", "after"],
        **{job: {"stage": "check", "needs": [], "script": ["x"]} for job in ("lint", "test")},
        "image-build": {"stage": "build", "needs": [], "script": ["x"]},
        "image-scan": {"stage": "build", "needs": ["image-build"], "script": ["x"]},
        "image-publish": {"stage": "publish", "needs": ["lint", "test", "image-scan"], "script": ["x"]},
        "image-sbom": {"stage": "publish", "needs": ["image-publish"], "script": ["x"]},
        "image-sign": {"stage": "publish", "needs": ["image-publish", "image-sbom"], "script": ["x"]},
        "deploy-a": {"stage": "deploy", "needs": ["image-sign"], "environment": "a", "script": ["sh deploy/deploy.sh"]},
        "deploy-b": {
            "stage": "deploy",
            "needs": ["deploy-a"],
            "environment": "b",
            "script": ["sh deploy/deploy.sh"],
        },
        "report": {"stage": "after", "script": ["x"]},
    }
    assert _gitlab_path(document) == [
        "image-build",
        "image-scan",
        "image-publish",
        "image-sbom",
        "image-sign",
        "deploy-a",
    ]
    # Without needs, a job waits for every job of the earlier stages.
    assert set(_gitlab_needs(document)["report"]) == set(_gitlab_jobs(document)) - {"report"}
    stage = "stage('{}') {{ steps {{ sh 'true' }} }}"
    checks = "stage('Checks') { parallel { " + " ".join(stage.format(n) for n in ("Lint", "Test")) + " } }"
    rest = " ".join(stage.format(n) for n in ("Image build", "Image scan", "Publish image", "Publish SBOM", "Sign"))
    deploys = " ".join(f"stage('Deploy {n}') {{ steps {{ sh 'bash deploy/deploy.sh {n} x' }} }}" for n in "ab")
    source = Source(f"pipeline {{\n  agent none\n  stages {{\n    {checks} {rest} {deploys}\n  }}\n}}\n")
    path = _jenkins_path(source)
    assert [stage for step in path for stage in step][-1] == "Deploy a"
    assert sum(len(step) for step in path) == 7
    # A parallel branch of sequential stages counts as its stages, not as one.
    nested = "stage('Image') { stages { " + stage.format("Image build") + " " + stage.format("Image scan") + " } }"
    both = "stage('Checks') { parallel { " + stage.format("Lint") + " " + nested + " } }"
    source = Source(f"pipeline {{\n  agent none\n  stages {{\n    {both} {deploys}\n  }}\n}}\n")
    assert _jenkins_path(source) == [["Image build", "Image scan"], ["Deploy a"]]
