"""Promotion in the GitLab and Jenkins kits, read from the generated files: the release pushes the scanned layout to
the dev repository and signs it; each environment's deployment verifies the signature, copies the digest into the
environment's own repository (``scaffold.kit.registry_layout``) as that environment's identity (with ecr or gar, the
stage's pusher, which also runs the hook), verifies it there and hands the deploy hook that repository's reference,
in an image that has bash, never the cosign image."""

from __future__ import annotations

import functools
import re
from typing import Any

import pytest
import yaml

from scaffold.api import render_kit
from scaffold.kit import registry_layout
from scaffold.kit.answers import validate
from scaffold.rules.jenkins.groovy import Block, Source
from tests.answer_sets import ANSWER_SETS

COSIGN_IMAGE = "ghcr.io/sigstore/cosign/"
VERIFY_SOURCE = 'cosign verify {flags} "$SOURCE_IMAGE@$IMAGE_DIGEST"'
COPY = 'cosign copy "$SOURCE_IMAGE@$IMAGE_DIGEST" "$TARGET_IMAGE:${commit}"'
VERIFY_TARGET = 'cosign verify {flags} "$TARGET_IMAGE@$IMAGE_DIGEST"'
HOOK = 'bash deploy/deploy.sh "$ENVIRONMENT" "$TARGET_IMAGE@$IMAGE_DIGEST"'
GITLAB_FLAGS = '--certificate-identity "$identity" --certificate-oidc-issuer "$CI_SERVER_URL"'
JENKINS_FLAGS = '--key "$COSIGN_PUBLIC_KEY"'


def _container_sets(platform: str) -> list[str]:
    return sorted(
        name
        for name, answers in ANSWER_SETS.items()
        if platform in answers.get("platforms", ["github"]) and answers.get("container", True)
    )


@functools.cache
def _answers(name: str) -> dict[str, Any]:
    return validate(ANSWER_SETS[name]).model_dump()


@functools.cache
def _files(name: str) -> dict[str, str]:
    return render_kit(answers=validate(ANSWER_SETS[name]))


def _stage(name: str, environment: str) -> registry_layout.Stage:
    (stage,) = [s for s in registry_layout.stages(_answers(name)) if s.name == environment]
    return stage


def _source_image(name: str, stage: registry_layout.Stage) -> str | None:
    if stage.promoted_from is None:
        return None
    return _stage(name, stage.promoted_from).image


def _in_order(lines: list[str], expected: list[str]) -> bool:
    """Whether each expected command is a line of the script, in this order."""
    positions = [lines.index(command) if command in lines else -1 for command in expected]
    return -1 not in positions and positions == sorted(positions)


def _promotion(stage: registry_layout.Stage, flags: str, commit: str) -> list[str]:
    if stage.promoted_from is None:
        return [VERIFY_TARGET.format(flags=flags), HOOK]
    copy = COPY.replace("${commit}", f"${commit}")
    return [VERIFY_SOURCE.format(flags=flags), copy, VERIFY_TARGET.format(flags=flags), HOOK]


# --- GitLab ----------------------------------------------------------------------------------------------------------


def _gitlab(name: str) -> dict[str, Any]:
    document = yaml.safe_load(_files(name)[".gitlab-ci.yml"])
    assert isinstance(document, dict)
    return document


def _lines(job: dict[str, Any]) -> list[str]:
    return [line.strip() for item in job["script"] for line in str(item).splitlines() if line.strip()]


def _image(job: dict[str, Any]) -> str:
    image = job["image"]
    return str(image["name"] if isinstance(image, dict) else image)


@pytest.mark.parametrize("answer_set", _container_sets("gitlab"))
def test_gitlab_deploy_jobs_promote_the_signed_digest_into_their_own_repository(answer_set: str) -> None:
    document = _gitlab(answer_set)
    answers = _answers(answer_set)
    for environment in answers["environments"]:
        job = document[f"deploy-{environment}"]
        stage = _stage(answer_set, environment)
        variables = job["variables"]
        assert job["environment"]["name"] == environment
        assert variables["TARGET_IMAGE"] == stage.image
        assert variables.get("SOURCE_IMAGE") == _source_image(answer_set, stage)
        if answers["registry"] == "ecr":
            assert variables["AWS_ROLE_ARN"] == stage.pusher
        if answers["registry"] == "gar":
            assert variables["GCP_SERVICE_ACCOUNT"] == stage.pusher
        assert _in_order(_lines(job), _promotion(stage, GITLAB_FLAGS, "CI_COMMIT_SHA"))
        # The hook runs where bash is, with the cosign the publish job hands over (its artifacts and digest).
        assert COSIGN_IMAGE not in _image(job)
        assert "image-publish" in job["needs"]
        assert ".cosign/" in document["image-publish"]["artifacts"]["paths"]
        assert "SIGSTORE_ID_TOKEN" not in job.get("id_tokens", {})
        assert ("id_tokens" in job) == (answers["cloud"] != "none")


@pytest.mark.parametrize("answer_set", _container_sets("gitlab"))
def test_gitlab_pushes_only_the_scanned_layout_from_the_default_branch_or_a_tag(answer_set: str) -> None:
    document = _gitlab(answer_set)
    answers = _answers(answer_set)
    publish = document["image-publish"]
    assert {"image-build", "image-scan", "lint", "test"} <= set(publish["needs"])
    assert "image-layout/" in document["image-build"]["artifacts"]["paths"]
    lines = _lines(publish)
    assert 'cosign load --dir image-layout "$IMAGE:$CI_COMMIT_SHA"' in lines
    signing = [line for line in lines if line.startswith(("cosign sign", "cosign attest"))]
    assert len(signing) == 2
    assert all("--new-bundle-format=false" in line for line in signing)  # the format cosign copy carries along
    # One ref, so every cloud sign-in presents the one subject the trust admits: the protected default branch.
    conditions = [rule["if"] for rule in publish["rules"]]
    assert conditions == [f'$CI_COMMIT_REF_PROTECTED == "true" && $CI_COMMIT_BRANCH == "{answers["default_branch"]}"']
    for environment in answers["environments"]:
        assert [rule["if"] for rule in document[f"deploy-{environment}"]["rules"]] == conditions
    assert ("CLOUD_ID_TOKEN" in publish["id_tokens"]) == (answers["registry"] in ("ecr", "gar"))
    # Nothing else pushes: the build job holds no credential at all.
    assert "id_tokens" not in document["image-build"]
    assert not [key for key in document["image-build"].get("variables", {}) if "REGISTRY" in key]


# --- Jenkins ---------------------------------------------------------------------------------------------------------


def _jenkins_stages(name: str) -> tuple[Source, dict[str, Block]]:
    source = Source(_files(name)["Jenkinsfile"])
    stages = {source.stage_name(s.block): s.block for s in source.walk() if s.block is not None and s.name == "stage"}
    return source, stages


def _environment(source: Source, stage: Block) -> dict[str, str]:
    values = {}
    for section in source.sections(stage, "environment"):
        for statement in source.statements(section):
            literals = source.arguments(statement)
            if literals:
                values[statement.head.split("=")[0].strip()] = literals[0].value
    return values


def _scripts(source: Source, stage: Block) -> list[str]:
    return [
        line.strip().replace("\\'", "'")
        for _, literal in source.step_scripts_in(stage, ("sh",))
        for line in literal.value.splitlines()
        if line.strip()
    ]


@pytest.mark.parametrize("answer_set", _container_sets("jenkins"))
def test_jenkins_deploy_stages_promote_the_signed_digest_into_their_own_repository(answer_set: str) -> None:
    source, stages = _jenkins_stages(answer_set)
    answers = _answers(answer_set)
    for environment in answers["environments"]:
        block = stages[f"Deploy {environment}"]
        stage = _stage(answer_set, environment)
        values = _environment(source, block)
        assert values["TARGET_IMAGE"] == stage.image
        assert values.get("SOURCE_IMAGE") == _source_image(answer_set, stage)
        if answers["registry"] == "ecr":
            assert values["AWS_ROLE_ARN"] == stage.pusher
        if answers["registry"] == "gar":
            assert values["GCP_SERVICE_ACCOUNT"] == stage.pusher
        lines = _scripts(source, block)
        assert _in_order(lines, ['IMAGE_DIGEST="$(cat image.digest)"', *_promotion(stage, JENKINS_FLAGS, "GIT_COMMIT")])
        text = source.text[block.open : block.close]
        assert COSIGN_IMAGE not in text
        assert "unstash 'release'" in text
        assert "'registry-push'" not in text  # the dev repository's credential never reaches a deployment
        promote = f"'registry-promote-{environment}'"
        assert (promote in text) == (answers["registry"] not in ("ecr", "gar"))


@pytest.mark.parametrize("answer_set", _container_sets("jenkins"))
def test_jenkins_builds_beside_the_checks_and_pushes_only_the_scanned_layout(answer_set: str) -> None:
    source, stages = _jenkins_stages(answer_set)
    build = source.text[stages["Image build"].open : stages["Image build"].close]
    assert "withCredentials" not in build
    assert "--privileged" not in build
    lines = _scripts(source, stages["Publish image"])
    assert 'cosign load --dir image-layout "$IMAGE:$GIT_COMMIT"' in lines
    signing = [line for line in lines if line.startswith(("cosign sign", "cosign attest"))]
    assert len(signing) == 2
    assert all("--new-bundle-format=false" in line and '--key "$COSIGN_KEY"' in line for line in signing)


@pytest.mark.parametrize("answer_set", sorted(n for n, a in ANSWER_SETS.items() if "jenkins" in a.get("platforms", [])))
def test_jenkins_steps_write_only_under_the_builds_own_folders(answer_set: str) -> None:
    """The agent's user owns nothing in the tool images: each step but the BuildKit one (which runs as the image's
    own user) gets its HOME under $WORKSPACE_TMP, and the language steps their package locations too."""
    source, stages = _jenkins_stages(answer_set)
    language = _answers(answer_set)["language"]
    expected = {
        "python": 'python -m venv "$WORKSPACE_TMP/venv"',
        "node": 'export npm_config_cache="$WORKSPACE_TMP/npm"',
        "go": 'export GOPATH="$WORKSPACE_TMP/go" GOCACHE="$WORKSPACE_TMP/go-build"',
        "java": 'export GRADLE_USER_HOME="$WORKSPACE_TMP/gradle"',
    }[language]
    leaves = {name: block for name, block in stages.items() if source.sections(block, "steps")}
    for name, block in leaves.items():
        lines = _scripts(source, block)
        if name != "Image build":
            assert lines[0] == 'export HOME="$WORKSPACE_TMP/home"', name
    for name in ("Lint", "Test"):
        assert expected in _scripts(source, stages[name]), name
    assert not re.search(r"\b(?:pip|npm|go|gradlew)\b[^\n]*--user\b", source.text)
