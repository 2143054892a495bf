"""policy-registry-not-allowed on every file kind that names images: GitHub container/services and docker:// steps,
GitLab image/services, Jenkins docker agents, Dockerfile FROM (stages, scratch and ARGs read as BuildKit does)."""

from __future__ import annotations

import pytest

from scaffold.rules.catalog import REGISTRY
from scaffold.rules.requirements import Requirements
from scaffold.rules.runner import audit_tree

RULE = next(rule for rule in REGISTRY if rule.id == "policy-registry-not-allowed")
ALLOWED = ("harbor.acme.example", "docker.io/library")
DIGEST = "@sha256:" + "a" * 64


def _found(path: str, text: str, allowed: tuple[str, ...] | None = ALLOWED) -> list[tuple[int, str, str]]:
    report = audit_tree({path: text}, rules=[RULE], required=Requirements(allowed_registries=allowed))
    assert report.errors == []
    return [(item.line, item.subject, item.message) for item in report.findings]


GITHUB = f"""\
on: push
jobs:
  test:
    runs-on: ubuntu-24.04
    container: python:3.13-slim
    services:
      db:
        image: postgres:17
      cache: ghcr.io/acme/redis:7{DIGEST}
      queue:
        image: harbor.acme.example/mirror/rabbitmq:4
    steps:
      - uses: docker://alpine:3.20
      - uses: docker://quay.io/acme/tool:1
  matrix:
    runs-on: ubuntu-24.04
    container:
      image: ${{{{ matrix.image }}}}
"""


def test_github_job_images_and_docker_steps() -> None:
    assert _found(".github/workflows/ci.yml", GITHUB) == [
        (
            9,
            "ghcr.io/acme/redis",
            f"job test: service cache image ghcr.io/acme/redis:7{DIGEST} (ghcr.io/acme/redis) "
            "is not from a registry the org policy's allowed_registries lists",
        ),
        (
            14,
            "quay.io/acme/tool",
            "job test: step image quay.io/acme/tool:1 (quay.io/acme/tool) is not from a "
            "registry the org policy's allowed_registries lists",
        ),
        (
            18,
            "${{ matrix.image }}",
            "job matrix: container image ${{ matrix.image }} is built from variables or "
            "expressions, so its registry cannot be checked",
        ),
    ]


GITLAB = f"""\
image: python:3.13-slim
default:
  image: acme/builder:1
build:
  image:
    name: harbor.acme.example/tools/kaniko:1{DIGEST}
  services:
    - docker.io/library/postgres:17
    - name: registry.gitlab.com/acme/cache:2
  script: [make]
deploy:
  image: $CI_REGISTRY_IMAGE/deployer:1
  script: [make deploy]
"""


def test_gitlab_images_and_services() -> None:
    assert [(line, subject) for line, subject, _ in _found(".gitlab-ci.yml", GITLAB)] == [
        (3, "docker.io/acme/builder"),
        (9, "registry.gitlab.com/acme/cache"),
        (12, "$CI_REGISTRY_IMAGE/deployer:1"),
    ]


JENKINS = """\
pipeline {
  agent none
  stages {
    stage('Test') {
      agent { docker { image 'python:3.13-slim' } }
      steps { sh 'make test' }
    }
    stage('Lint') {
      agent { docker 'ghcr.io/acme/linter:2' }
      steps { sh 'make lint' }
    }
    stage('Build') {
      agent { docker { image "${REGISTRY}/builder:1" } }
      steps { sh 'make build' }
    }
  }
}
"""


def test_jenkins_docker_agents() -> None:
    found = _found("Jenkinsfile", JENKINS)
    assert [(line, subject) for line, subject, _ in found] == [
        (9, "ghcr.io/acme/linter"),
        (13, "${REGISTRY}/builder:1"),
    ]
    assert found[0][2].startswith("stage Lint: agent image ghcr.io/acme/linter:2 (ghcr.io/acme/linter) is not from")


DOCKERFILE = """\
ARG BASE=ghcr.io/acme/base:1
ARG UNSET
FROM python:3.13-slim AS build
FROM build AS test
FROM scratch AS empty
FROM $BASE AS from-arg
FROM ${UNSET} AS unknown
FROM --platform=linux/amd64 quay.io/acme/runtime:3
"""


def test_dockerfile_bases_except_stages_and_scratch() -> None:
    found = _found("services/api/Dockerfile", DOCKERFILE)
    assert [(line, subject) for line, subject, _ in found] == [
        (6, "ghcr.io/acme/base"),
        (7, "${UNSET}"),
        (8, "quay.io/acme/runtime"),
    ]
    assert found[0][2].startswith("stage 3: FROM ghcr.io/acme/base:1 (ghcr.io/acme/base) is not from a registry")


@pytest.mark.parametrize(
    ("path", "text"),
    [
        (".github/workflows/ci.yml", GITHUB),
        (".gitlab-ci.yml", GITLAB),
        ("Jenkinsfile", JENKINS),
        ("Dockerfile", DOCKERFILE),
    ],
)
def test_without_the_list_the_rule_does_not_run_and_an_empty_list_allows_no_image(path: str, text: str) -> None:
    assert _found(path, text, None) == []
    assert len(_found(path, text, ())) > len(_found(path, text))


@pytest.mark.parametrize(
    ("image", "expected"),
    [
        ("docker://quay.io/acme/tool:1", [(4, "quay.io/acme/tool")]),
        ("docker://alpine:3.20", []),  # docker.io/library, which the list allows
        ("Dockerfile", []),  # built from the action's own Dockerfile, whose FROM the rule reads there
    ],
)
def test_a_docker_actions_image(image: str, expected: list[tuple[int, str]]) -> None:
    text = f"name: tool\nruns:\n  using: docker\n  image: {image}\n"
    assert [(line, subject) for line, subject, _ in _found(".github/actions/tool/action.yml", text)] == expected
