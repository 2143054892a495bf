"""scaffold.new.inference: answers inferred from a repository's files for ``scaffold adopt``."""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

import pytest

from scaffold.kit.answers import check_one
from scaffold.new import inference_sources as sources
from scaffold.new.inference import Inference, _classify, _host_kind, infer_answers
from tests.support.corpus import CANONICAL_PATHS, corpus_dir
from tests.support.hang_guard import hang_guard


def repo(root: Path, files: dict[str, str | bytes]) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    for path, content in files.items():
        target = root / path
        target.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            target.write_bytes(content)
        else:
            target.write_text(content)
    return root


def tree(root: Path) -> dict[str, tuple[bytes | str, int]]:
    """Every entry under root with its content (or link target) and mtime, without following symlinks."""
    found: dict[str, tuple[bytes | str, int]] = {}
    for path in sorted(root.rglob("*")):
        stat = path.lstat()
        if path.is_symlink():
            found[str(path)] = (str(path.readlink()), stat.st_mtime_ns)
        elif path.is_file():
            found[str(path)] = (path.read_bytes(), stat.st_mtime_ns)
        else:
            found[str(path)] = ("dir", stat.st_mtime_ns)
    return found


def infer(root: Path) -> Inference:
    """Infer, and check what every inference must hold: valid values, evidence for each, nothing written."""
    before = tree(root)
    result = infer_answers(root)
    assert tree(root) == before
    assert set(result.evidence) == set(result.answers)
    for key, value in result.answers.items():
        assert check_one(key, value) is None, (key, value)
        assert result.evidence[key]
    image = result.answers.get("image", "")
    assert "$" not in image and "{" not in image
    return result


def workflow(steps: str, on: str = "push") -> str:
    return f"on: {on}\njobs:\n  build:\n    runs-on: ubuntu-latest\n    steps:\n{steps}"


# --- language ---------------------------------------------------------------------------------------------------

MANIFESTS = {
    "requirements.txt": "python",
    "requirements-dev.txt": "python",
    "poetry.lock": "python",
    "uv.lock": "python",
    "Pipfile.lock": "python",
    "pyproject.toml": "python",
    "setup.py": "python",
    "package-lock.json": "node",
    "yarn.lock": "node",
    "pnpm-lock.yaml": "node",
    "package.json": "node",
    "go.mod": "go",
    "go.sum": "go",
    "build.gradle": "java",
    "build.gradle.kts": "java",
    "gradle.lockfile": "java",
    "pom.xml": "java",
}


@pytest.mark.parametrize(("manifest", "language"), MANIFESTS.items())
def test_language_from_manifest(tmp_path: Path, manifest: str, language: str) -> None:
    result = infer(repo(tmp_path / "svc", {manifest: "{}\n"}))
    assert result.answers["language"] == language
    assert result.evidence["language"] == manifest


def step(uses: str) -> str:
    return f"      - uses: {uses}\n"


def run(command: str) -> str:
    return f"      - run: {command}\n"


CI_SIGNALS = [
    ({".github/workflows/ci.yml": workflow(step("actions/setup-python@v5"))}, "python", "actions/setup-python"),
    ({".github/workflows/ci.yml": workflow(step("actions/setup-node@v4"))}, "node", "actions/setup-node"),
    ({".github/workflows/ci.yml": workflow(step("actions/setup-go@v5"))}, "go", "actions/setup-go"),
    ({".github/workflows/ci.yaml": workflow(step("actions/setup-java@v4"))}, "java", "actions/setup-java"),
    ({".github/workflows/ci.yml": workflow(run("npm ci"))}, "node", "npm ci"),
    ({".github/workflows/ci.yml": workflow(run("go build ./..."))}, "go", "go build"),
    ({".github/workflows/ci.yml": workflow(run("pip install -r requirements.txt"))}, "python", "pip install -r"),
    ({".github/workflows/ci.yml": workflow(run("./gradlew test"))}, "java", "./gradlew"),
    ({".gitlab-ci.yml": "image: python:3.12\ntest:\n  script: [make]\n"}, "python", "image python:3.12"),
    ({".gitlab-ci.yml": "test:\n  image: node:20\n  script: [make]\n"}, "node", "image node:20"),
    ({".gitlab-ci.yml": "test:\n  image: golang:1.22\n  script: [make]\n"}, "go", "image golang:1.22"),
    ({".gitlab-ci.yml": "test:\n  image: maven:3-eclipse-temurin-21\n  script: [make]\n"}, "java", "maven:3"),
    ({".gitlab-ci.yml": "test:\n  image: {name: 'gradle:8'}\n  script: [make]\n"}, "java", "gradle:8"),
    ({".gitlab-ci.yml": "test:\n  image: alpine\n  script: [mvn -B verify]\n"}, "java", "mvn"),
    ({"Dockerfile": "FROM python:3.12-slim\n"}, "python", "FROM python:3.12-slim"),
    ({"Dockerfile": "FROM node:20 AS build\nRUN npm ci\n"}, "node", "FROM node:20"),
    ({"Dockerfile": "FROM --platform=$BUILDPLATFORM golang:1.22 AS build\n"}, "go", "FROM golang:1.22"),
    ({"Dockerfile": "FROM eclipse-temurin:21-jre\n"}, "java", "eclipse-temurin"),
    ({"Dockerfile": "FROM docker.io/library/openjdk:17\n"}, "java", "openjdk"),
    ({"docker/Dockerfile": "FROM gradle:8 AS build\n"}, "java", "docker/Dockerfile"),
    ({"Jenkinsfile": "pipeline { stages { stage('b') { steps { sh 'mvn -B package' } } } }\n"}, "java", "mvn"),
    ({"Jenkinsfile": "pipeline { agent { docker { image 'node:20' } } }\n"}, "node", "node:20"),
]


@pytest.mark.parametrize(("files", "language", "reason"), CI_SIGNALS)
def test_language_from_ci_and_dockerfiles(tmp_path: Path, files: dict[str, str], language: str, reason: str) -> None:
    result = infer(repo(tmp_path / "svc", dict(files)))
    assert result.answers["language"] == language
    assert reason in result.evidence["language"]


def test_tool_installs_are_not_a_language(tmp_path: Path) -> None:
    steps = run("pip install awscli") + run("go install golang.org/x/vuln/cmd/govulncheck@latest")
    result = infer(repo(tmp_path / "svc", {".github/workflows/ci.yml": workflow(steps)}))
    assert "language" not in result.answers


def test_lockfile_beats_ci_evidence(tmp_path: Path) -> None:
    files = {
        "package-lock.json": "{}",
        ".github/workflows/ci.yml": workflow(step("actions/setup-python@v5") + step("actions/setup-go@v5")),
        "Dockerfile": "FROM golang:1.22\n",
    }
    result = infer(repo(tmp_path / "svc", files))
    assert result.answers["language"] == "node"
    assert result.evidence["language"] == "package-lock.json"


def test_mixed_evidence_follows_the_documented_priority(tmp_path: Path) -> None:
    files = {"Dockerfile": "FROM node:20 AS ui\nRUN npm ci\nFROM golang:1.22 AS api\nRUN go build ./...\n"}
    result = infer(repo(tmp_path / "svc", files))
    assert result.answers["language"] == "go"
    assert "also saw node" in result.evidence["language"]
    assert "go > java > python > node" in result.evidence["language"]
    both = infer(repo(tmp_path / "both", {"package.json": "{}", "pyproject.toml": ""}))
    assert both.answers["language"] == "python"


# --- platforms, container ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("files", "platforms"),
    [
        ({".github/workflows/ci.yml": workflow(run("make"))}, ["github"]),
        ({".github/workflows/release.yaml": "on: push\n"}, ["github"]),
        ({".gitlab-ci.yml": "test:\n  script: [make]\n"}, ["gitlab"]),
        ({"Jenkinsfile": "pipeline {}\n"}, ["jenkins"]),
        ({"ci/Jenkinsfile": "pipeline {}\n"}, ["jenkins"]),
        (
            {"Jenkinsfile": "node {}", ".gitlab-ci.yml": "a:\n  script: [b]\n", ".github/workflows/a.yml": "on: push"},
            ["github", "gitlab", "jenkins"],
        ),
        ({".github/workflows/notes.txt": "x", ".github/ci.yml": "on: push\n"}, None),
    ],
)
def test_platforms(tmp_path: Path, files: dict[str, str], platforms: list[str] | None) -> None:
    result = infer(repo(tmp_path / "svc", files))
    assert result.answers.get("platforms") == platforms


def test_container(tmp_path: Path) -> None:
    assert infer(repo(tmp_path / "a", {"Dockerfile": "FROM scratch\n"})).answers["container"] is True
    nested = infer(repo(tmp_path / "b", {"deploy/Dockerfile": "FROM scratch\n", "go.mod": ""}))
    assert nested.answers["container"] is True
    assert nested.evidence["container"] == "deploy/Dockerfile"
    deep = infer(repo(tmp_path / "c", {"a/b/Dockerfile": "FROM scratch\n", "go.mod": ""}))
    assert deep.answers["container"] is False
    assert "container" not in infer(repo(tmp_path / "empty", {})).answers


# --- registry and image ------------------------------------------------------------------------------------------

REGISTRIES = [
    (run("docker push ghcr.io/acme/api:1.0"), "ghcr", "ghcr.io/acme/api"),
    (
        run("docker push 123456789012.dkr.ecr.eu-west-1.amazonaws.com/team/api:${GITHUB_SHA}"),
        "ecr",
        "123456789012.dkr.ecr.eu-west-1.amazonaws.com/team/api",
    ),
    (
        run("docker buildx build --push -t europe-docker.pkg.dev/acme-prod/images/api:1 ."),
        "gar",
        "europe-docker.pkg.dev/acme-prod/images/api",
    ),
    (run("docker tag api acmeregistry.azurecr.io/api:2"), "acr", "acmeregistry.azurecr.io/api"),
    (run("docker login -u me -p x") + run("docker push acme/api:1"), "dockerhub", "docker.io/acme/api"),
    (run("docker push docker.io/acme/api"), "dockerhub", "docker.io/acme/api"),
    (run("docker push acme.jfrog.io/docker-local/api:1"), "artifactory", "acme.jfrog.io/docker-local/api"),
    (run("docker push harbor.example.com/team/api:1"), "harbor", "harbor.example.com/team/api"),
    (run("docker push registry.gitlab.com/group/api:1"), "gitlab", "registry.gitlab.com/group/api"),
    (
        "      - uses: docker/build-push-action@v6\n        with:\n          push: true\n"
        "          tags: ghcr.io/acme/web:latest,ghcr.io/acme/web:1\n",
        "ghcr",
        "ghcr.io/acme/web",
    ),
    (
        "      - uses: docker/metadata-action@v5\n        with:\n          images: |\n            ghcr.io/Acme/Web\n",
        "ghcr",
        "ghcr.io/acme/web",
    ),
    (
        "      - uses: docker/build-push-action@v6\n        with:\n"
        "          outputs: type=image,name=ghcr.io/acme/api,push-by-digest=true,push=true\n",
        "ghcr",
        "ghcr.io/acme/api",
    ),
    (
        "      - env:\n          REPO: acmeregistry.azurecr.io/svc\n        run: docker push ${{ env.REPO }}:1\n",
        "acr",
        "acmeregistry.azurecr.io/svc",
    ),
    (run("export REPO=ghcr.io/acme/cli && docker push $REPO:1"), "ghcr", "ghcr.io/acme/cli"),
    (run("docker push ghcr.io/${{ github.repository }}:latest"), "ghcr", None),
    (step("docker/login-action@v3\n        with:\n          registry: ghcr.io"), None, None),  # login, no push
    (run("docker push acme.azurecr.io/svc"), "acr", None),  # an ACR name needs 5 to 50 characters
    (run("docker push acme/api:1"), None, None),  # no host and no Docker Hub login: not inferred
    (run("docker build -t ghcr.io/acme/local ."), None, None),  # built, never pushed
    (run("cosign load --dir image-layout ghcr.io/acme/laid:1"), "ghcr", "ghcr.io/acme/laid"),
    (
        run("buildctl-daemonless.sh build --local context=. --output type=image,name=ghcr.io/acme/bk:1,push=true"),
        "ghcr",
        "ghcr.io/acme/bk",
    ),
    (run("buildctl build --output type=oci,dest=layout,name=ghcr.io/acme/kept"), None, None),  # a layout, not a push
    (run("cosign copy ghcr.io/acme/a@sha256:x ghcr.io/acme/a-staging"), None, None),  # a promotion, not the build
]


@pytest.mark.parametrize(("steps", "registry", "image"), REGISTRIES)
def test_registry_and_image_from_github(tmp_path: Path, steps: str, registry: str | None, image: str | None) -> None:
    result = infer(repo(tmp_path / "svc", {".github/workflows/release.yml": workflow(steps)}))
    assert result.answers.get("registry") == registry
    assert result.answers.get("image") == image
    if registry:
        assert result.answers["container"] is True


def test_gitlab_registry(tmp_path: Path) -> None:
    pipeline = (
        "variables:\n  REPO: $CI_REGISTRY_IMAGE/api\n"
        "build:\n  image: registry.gitlab.com/tools/docker:1\n"
        "  script:\n    - docker login -u $CI_REGISTRY_USER -p $CI_REGISTRY_PASSWORD $CI_REGISTRY\n"
        "    - docker push $REPO:$CI_COMMIT_SHA\n"
    )
    result = infer(repo(tmp_path / "svc", {".gitlab-ci.yml": pipeline}))
    assert result.answers["registry"] == "gitlab"
    assert "image" not in result.answers  # $CI_REGISTRY_IMAGE cannot be resolved literally
    literal = (
        "variables:\n  HOST: 123456789012.dkr.ecr.us-east-1.amazonaws.com\nb:\n  script: [docker push $HOST/api]\n"
    )
    resolved = infer(repo(tmp_path / "ecr", {".gitlab-ci.yml": literal}))
    assert resolved.answers["image"] == "123456789012.dkr.ecr.us-east-1.amazonaws.com/api"


def test_base_and_job_images_are_not_the_target(tmp_path: Path) -> None:
    files = {
        "Dockerfile": "FROM ghcr.io/acme/base:1\n",
        ".gitlab-ci.yml": "image: registry.gitlab.com/acme/ci:1\nb:\n  image: ghcr.io/acme/tool\n  script: [make]\n",
        ".github/workflows/ci.yml": "on: push\njobs:\n  a:\n    container: ghcr.io/acme/builder:1\n    steps: []\n",
    }
    result = infer(repo(tmp_path / "svc", files))
    assert "registry" not in result.answers
    assert "image" not in result.answers


def test_pushed_literal_image_beats_host_only_and_logins(tmp_path: Path) -> None:
    steps = (
        step("docker/login-action@v3\n        with:\n          registry: ghcr.io")
        + run("docker push registry.gitlab.com/${{ github.repository }}:1")
        + run("docker push harbor.example.com/team/api:1")
    )
    result = infer(repo(tmp_path / "svc", {".github/workflows/a.yml": workflow(steps)}))
    assert result.answers["registry"] == "harbor"
    assert result.answers["image"] == "harbor.example.com/team/api"
    assert "also saw ghcr, gitlab" in result.evidence["registry"]


def test_invalid_image_is_dropped_but_registry_kept(tmp_path: Path) -> None:
    steps = run("docker push ghcr.io/acme/Bad..name:1")
    result = infer(repo(tmp_path / "svc", {".github/workflows/a.yml": workflow(steps)}))
    assert result.answers.get("registry") == "ghcr"
    assert "image" not in result.answers


# --- default branch, name ----------------------------------------------------------------------------------------


def test_default_branch(tmp_path: Path) -> None:
    local = infer(repo(tmp_path / "a", {".git/HEAD": "ref: refs/heads/develop\n"}))
    assert local.answers["default_branch"] == "develop"
    remote = {
        ".git/HEAD": "ref: refs/heads/feature/x\n",
        ".git/refs/remotes/origin/HEAD": "ref: refs/remotes/origin/trunk",
    }
    assert infer(repo(tmp_path / "b", remote)).answers["default_branch"] == "trunk"
    ci = {".git/HEAD": "ref: refs/heads/feature/x\n", ".github/workflows/a.yml": "on:\n  push:\n    branches: [main]\n"}
    assert infer(repo(tmp_path / "c", ci)).answers["default_branch"] == "main"
    # git's own HEAD on a conventional branch beats a branch filter copied from another repository's workflow
    copied = {
        ".git/HEAD": "ref: refs/heads/main\n",
        ".github/workflows/a.yml": "on:\n  push:\n    branches: [master]\n",
    }
    chosen = infer(repo(tmp_path / "e", copied))
    assert chosen.answers["default_branch"] == "main" and chosen.evidence["default_branch"].startswith("git:")
    detached = infer(repo(tmp_path / "d", {".git/HEAD": "0123456789abcdef0123456789abcdef01234567\n"}))
    assert "default_branch" not in detached.answers


def test_name_from_folder(tmp_path: Path) -> None:
    assert infer(repo(tmp_path / "My_Service", {})).answers["name"] == "my-service"
    assert "name" not in infer(repo(tmp_path / "not a name!", {})).answers
    assert "name" not in infer(repo(tmp_path / ("x" * 70), {})).answers


# --- bad files never raise ---------------------------------------------------------------------------------------


BAD_FILES: dict[str, str | bytes] = {
    ".github/workflows/binary.yml": b"\x00\x01\x02on: push\x00",
    ".github/workflows/latin1.yml": "on: push\njobs: {a: {steps: [{run: 'caf\xe9'}]}}\n".encode("latin-1"),
    ".github/workflows/invalid.yml": "on: [push\njobs:\n  - : : :\n",
    ".github/workflows/list.yml": "- a\n- b\n",
    ".github/workflows/scalar.yml": "just text\n",
    ".github/workflows/odd.yml": "on: {push: {branches: 3}}\n"
    "jobs: {a: [1], b: {steps: {x: 1}, env: [1]}, c: {steps: [1, {run: 3, uses: 4}]}}\n",
    ".github/workflows/tagged.yml": "on: !custom push\njobs: !!python/object:os.system {a: b}\n",
    ".gitlab-ci.yml": "include: x\nvariables: [1, 2]\n.t: &t\n  script: [echo]\n"
    "job:\n  <<: *t\n  script: !reference [.t, script]\n"
    "  rules: [{if: 3}, 7]\n  only: {refs: 5}\n  image: {name: 7}\n",
    "Jenkinsfile": "sh '''unterminated\nimage(\ntools { maven\n",
    "Dockerfile": "RUN echo no from line\n\\\n",
    "svc/Dockerfile": b"\xff\xfe\x00F\x00R\x00O\x00M",
}


def test_bad_files_are_skipped_without_raising(tmp_path: Path) -> None:
    root = repo(tmp_path / "svc", BAD_FILES)
    (root / "huge").mkdir()
    (root / "huge" / "Dockerfile").write_bytes(b"FROM golang:1.22\n" + b"#" * 2_000_000)
    result = infer(root)
    assert "language" not in result.answers  # the only language signal sits in the file over 1 MB
    assert result.answers["platforms"] == ["github", "gitlab", "jenkins"]


def test_huge_workflow_is_skipped(tmp_path: Path) -> None:
    huge = workflow(step("actions/setup-go@v5")) + "#" * 2_000_000 + "\n"
    result = infer(repo(tmp_path / "svc", {".github/workflows/huge.yml": huge, "Dockerfile": "FROM node:20\n"}))
    assert result.answers["language"] == "node"
    assert "platforms" not in result.answers


def test_symlinks_loops_and_escapes_are_skipped(tmp_path: Path) -> None:
    outside = repo(tmp_path / "outside", {"package.json": "{}", "ci.yml": workflow(step("actions/setup-go@v5"))})
    root = repo(tmp_path / "svc", {"Dockerfile": "FROM python:3.12\n"})
    workflows = root / ".github" / "workflows"
    workflows.mkdir(parents=True)
    (workflows / "a.yml").symlink_to(workflows / "b.yml")
    (workflows / "b.yml").symlink_to(workflows / "a.yml")
    (workflows / "escape.yml").symlink_to(outside / "ci.yml")
    (root / "package.json").symlink_to(outside / "package.json")
    (root / "Jenkinsfile").symlink_to(root / "Jenkinsfile")
    (root / "loop").symlink_to(root)
    (root / "linked").symlink_to(outside, target_is_directory=True)
    result = infer(root)
    assert result.answers["language"] == "python"
    assert "platforms" not in result.answers


def test_symlink_inside_root_is_followed(tmp_path: Path) -> None:
    root = repo(tmp_path / "svc", {"ci/pipeline.yml": "test:\n  image: golang:1.22\n  script: [go test]\n"})
    (root / ".gitlab-ci.yml").symlink_to(root / "ci" / "pipeline.yml")
    assert infer(root).answers["language"] == "go"


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="root reads files whatever their mode")
def test_unreadable_files_are_skipped(tmp_path: Path) -> None:
    root = repo(tmp_path / "svc", {".gitlab-ci.yml": "t:\n  image: golang:1\n", "Dockerfile": "FROM node:20\n"})
    (root / ".gitlab-ci.yml").chmod(0)
    (root / "sub").mkdir(mode=0)
    try:
        result = infer_answers(root)
    finally:
        (root / ".gitlab-ci.yml").chmod(0o644)
        (root / "sub").chmod(0o755)
    assert result.answers["language"] == "node"
    assert "platforms" not in result.answers


# --- hostile repositories: never a hang, a crash or a read outside the repository ------------------------------

_N = 200_000
HOSTILE_WORKFLOWS = {
    "expression-spaces": "jobs:\n  a:\n    steps:\n      - run: '${{" + " " * _N + "'\n",
    "unclosed-expressions": "jobs:\n  a:\n    steps:\n      - run: '" + "${{ a" * (_N // 5) + "'\n",
    "pip-installs": "jobs:\n  a:\n    steps:\n      - run: '" + "pip install " * (_N // 12) + "'\n",
    "docker-words": "jobs:\n  a:\n    steps:\n      - run: '" + "docker push " * (_N // 12) + "'\n",
    "kaniko-destinations": "jobs:\n  a:\n    steps:\n      - run: 'executor " + "-d a/b:1 " * (_N // 9) + "'\n",
    "variable-blowup": "env:\n  A: '"
    + "x" * 900
    + "'\njobs:\n  a:\n    steps:\n      - run: 'docker push "
    + "$A" * (_N // 2)
    + "'\n",
    "aliased-script": "x: &s '"
    + "docker push a/b:1; pip install -r r.txt; " * 3000
    + "'\njobs:\n  a:\n    steps:\n"
    + "      - run: *s\n" * 8000,
    "aliased-inputs": "x: &s {push: true, tags: '"
    + "ghcr.io/a/b:1," * 8000
    + "'}\njobs:\n  a:\n    steps:\n"
    + "      - uses: docker/build-push-action@v1\n        with: *s\n" * 2000,
    "big-env-many-steps": "env:\n"
    + "".join(f"  V{i}: x\n" for i in range(5000))
    + "jobs:\n  a:\n    steps:\n"
    + "      - run: x\n" * 10000,
    "billion-laughs": "a: &a [x,x,x,x,x,x,x,x,x]\n"
    + "".join(f"{chr(98 + i)}: &{chr(98 + i)} [" + ",".join(["*" + chr(97 + i)] * 9) + "]\n" for i in range(8)),
    "deep-nesting": "jobs: " + "[" * 50_000,
    "huge-int": "jobs:\n  a:\n    timeout-minutes: " + "9" * 10_000 + "\n",
    "bad-date": "on: 2020-02-30\njobs: {}\n",
    "unicode-breaks": 'jobs:\n  a:\u2028\x85\f\v\r    steps: [{run: "docker push ghcr.io/a/b\u2029"}]\n',
}
HOSTILE_JENKINSFILES = {
    "unclosed-tools": "tools{" * (_N // 6),
    "tools-blank-lines": "tools {" + "\n" * _N,
    "sh-spaces": "sh" + " " * _N + "x",
    "image-spaces": "image" + " " * _N + "x",
    "unclosed-triple-quote": "sh '''" + "a" * _N,
    "mixed-quotes": 'sh """' + "sh '''" * (_N // 6),
    "with-registry": "withRegistry(" + " " * _N,
}


def _quick(root: Path) -> Inference:
    with hang_guard():
        result = infer_answers(root)
    return result


@pytest.mark.parametrize("name", sorted(HOSTILE_WORKFLOWS))
def test_hostile_workflow_finishes(tmp_path: Path, name: str) -> None:
    root = repo(tmp_path / "svc", {".github/workflows/ci.yml": HOSTILE_WORKFLOWS[name]})
    _quick(root)


@pytest.mark.parametrize("name", sorted(HOSTILE_JENKINSFILES))
def test_hostile_jenkinsfile_finishes(tmp_path: Path, name: str) -> None:
    _quick(repo(tmp_path / "svc", {"Jenkinsfile": HOSTILE_JENKINSFILES[name]}))


def test_hostile_gitlab_files_finish(tmp_path: Path) -> None:
    aliased = (
        "s: &s ['" + "docker push a/b:1\n" * 5000 + "']\n" + "".join(f"j{i}:\n  script: *s\n" for i in range(5000))
    )
    _quick(repo(tmp_path / "a", {".gitlab-ci.yml": aliased}))
    rules = "j:\n  script: x\n  rules:\n    - if: '$CI_COMMIT_BRANCH == \"" + "a" * _N + "'\n"
    _quick(repo(tmp_path / "b", {".gitlab-ci.yml": rules}))
    _quick(repo(tmp_path / "c", {".gitlab-ci.yml": "!reference [a, b]\n" + "x: !custom {a: 1}\n"}))


def test_fifos_and_devices_are_skipped_without_blocking(tmp_path: Path) -> None:
    root = repo(tmp_path / "svc", {"Dockerfile": "FROM golang:1.22\n"})
    (root / ".github" / "workflows").mkdir(parents=True)
    (root / ".git").mkdir()
    for path in (".github/workflows/ci.yml", ".gitlab-ci.yml", "Jenkinsfile", "sub/Dockerfile", ".git/HEAD"):
        (root / path).parent.mkdir(parents=True, exist_ok=True)
        os.mkfifo(root / path)
    (root / "build").mkdir()
    (root / "build" / "Dockerfile").symlink_to("/dev/zero")
    (root / ".github" / "workflows" / "dir.yml").mkdir()
    result = _quick(root)
    assert result.answers["language"] == "go"
    assert "platforms" not in result.answers
    skipped = "\n".join(result.skipped)
    assert ".github/workflows/ci.yml: is not a regular file (a FIFO)" in skipped
    assert "build/Dockerfile" in skipped


def test_reading_is_bounded_across_files(tmp_path: Path) -> None:
    files = {
        f".github/workflows/w{i:03}.yml": "jobs:\n  a:\n    steps: [{run: x}]\n" + "#" * 200_000 + "\n"
        for i in range(8)
    }
    files |= {f"d{i:03}/Dockerfile": "FROM golang:1\n" for i in range(300)}
    result = _quick(repo(tmp_path / "svc", files))
    assert any("inference reads at most" in reason for reason in result.skipped)


def test_escaping_symlinks_are_named_in_skipped(tmp_path: Path) -> None:
    outside = repo(tmp_path / "outside", {"ci.yml": workflow(step("actions/setup-go@v5"))})
    root = repo(tmp_path / "svc", {"Dockerfile": "FROM python:3.12\n"})
    (root / ".github" / "workflows").mkdir(parents=True)
    (root / ".github" / "workflows" / "escape.yml").symlink_to(outside / "ci.yml")
    result = _quick(root)
    assert result.answers["language"] == "python"
    assert any(reason.startswith(".github/workflows/escape.yml: ") for reason in result.skipped)


@pytest.mark.parametrize(
    "reference",
    ["a." * 100_000 + "!", "a" * 200_000 + "/x", "artifactory" * 20_000 + "\n/x", "harbor." * 30_000],
)
def test_long_references_are_not_classified(reference: str) -> None:
    with hang_guard():
        assert _classify(reference, hub_login=True) == (None, None)
        assert _host_kind(reference) is None


@pytest.mark.parametrize(
    ("pattern", "text"),
    [
        (sources._EXPRESSION, "${{" + " " * _N),
        (sources._EXPRESSION, "${{ a }" * (_N // 7)),
        (sources._JENKINS_TOOLS, "tools {" * (_N // 7)),
        (sources._JENKINS_TOOL, "\n" * _N + "x"),
        (sources._JENKINS_SHELL, "sh" + " " * _N + "("),
        (sources._JENKINS_SHELL, "sh (" + " " * _N),
        (sources._JENKINS_IMAGE, "image" + " " * _N + "("),
        (sources._GITLAB_BRANCH, "$CI_COMMIT_BRANCH" + " " * _N + "="),
        (sources._VARIABLE, "${" + "a" * _N),
        (sources._SEPARATORS, "&|" * _N),
    ],
)
def test_inference_patterns_are_linear(pattern: re.Pattern[str], text: str) -> None:
    with hang_guard():
        pattern.findall(text)
        for _, command in sources._COMMANDS:
            command.search(text)


# --- the shared corpus of real CI files ---------------------------------------------------------------------------

# Language each corpus file shows, read from the file itself (None: the file gives no language signal).
GITHUB_LANGUAGES: dict[str, str | None] = {
    "0x12th__hotelhub__.github__workflows__push-image.yml": None,  # docker build/push only
    "0x2142__frigate-notify__.github__workflows__docker-publish.yml": None,  # buildx, cosign, no toolchain
    "GoogleCloudPlatform__microservices-demo__.github__workflows__ci-main.yaml": "go",  # setup-go (+ dotnet)
    "GoogleCloudPlatform__microservices-demo__.github__workflows__cleanup.yaml": None,  # gcloud/kubectl only
    "GoogleCloudPlatform__microservices-demo__.github__workflows__deploy-pr.yaml": None,  # skaffold/kubectl only
    "caarlos0__env__.github__workflows__build.yml": "go",  # setup-go
    "encode__httpx__.github__workflows__publish.yml": "python",  # setup-python
    "expressjs__express__.github__workflows__ci.yml": "node",  # setup-node, npm install
    "fastify__fastify__.github__workflows__ci.yml": "node",  # setup-node, npm install
    "gothinkster__spring-boot-realworld-example-app__.github__workflows__gradle.yml": "java",  # setup-java, gradlew
    "jhy__jsoup__.github__workflows__build.yml": "java",  # setup-java, mvn
    "miniflux__v2__.github__workflows__docker.yml": None,  # metadata/build-push actions only
    "miniflux__v2__.github__workflows__tests.yml": "go",  # setup-go, go test
    "paperless-ngx__paperless-ngx__.github__workflows__ci-docker.yml": None,  # buildx, skopeo, jq only
    "simonw__datasette__.github__workflows__deploy-latest.yml": "python",  # setup-python, pip install -e
    "simonw__datasette__.github__workflows__publish.yml": "python",  # setup-python, pytest
    "umami-software__umami__.github__workflows__cd.yml": None,  # docker build/push only
    "umputun__remark42__.github__workflows__ci-backend.yml": "go",  # setup-go, go test/build
    "umputun__remark42__.github__workflows__docker.yml": None,  # buildx, imagetools only
}
GITLAB_LANGUAGES: dict[str, str | None] = {
    "0008mari__soona-backend-private__.gitlab-ci.yml": "java",  # image gradle:alpine, ./gradlew; pip only for awscli
    "001AM__BackTesting__.gitlab-ci.yml": None,  # terraform, docker, ssh
    "0054__alert-bot__.gitlab-ci.yml": None,  # docker build/push/run only
    "00xkhaled__choreos_server__.gitlab-ci.yml": "java",  # image maven:3-jdk-11, mvn
    "0888207212__next_checkin__.gitlab-ci.yml": "node",  # yarn install && yarn build in the deploy command
    "09NINE90__BoostingPlatform-Backend__.gitlab-ci.yml": "java",  # image gradle:8.7-jdk21-alpine, gradle
    "libvirt__libvirt-go-module__.gitlab-ci.yml": "go",  # go build/test, golang images
    "mayan-edms__Mayan-EDMS__.gitlab-ci.yml": "python",  # pip install --requirement
}
DOCKER_LANGUAGES: dict[str, str | None] = {
    "0x12th__hotelhub__Dockerfile": "python",  # FROM python, pdm sync
    "0x2142__frigate-notify__Dockerfile": "go",  # FROM golang
    "GoogleCloudPlatform__microservices-demo__src__adservice__Dockerfile": "java",  # eclipse-temurin, gradlew
    "GoogleCloudPlatform__microservices-demo__src__currencyservice__Dockerfile": "node",  # FROM node, npm install
    "GoogleCloudPlatform__microservices-demo__src__emailservice__Dockerfile": "python",  # FROM python
    "GoogleCloudPlatform__microservices-demo__src__frontend__Dockerfile": "go",  # FROM golang
    "SGTYang__msa-flask-backend__Dockerfile": "python",  # FROM python, pip install -r
    "Salazq__ecommerce-microservice-backend-app__order-service__Dockerfile": "java",  # FROM openjdk
    "miniflux__v2__packaging__docker__alpine__Dockerfile": "go",  # FROM docker.io/library/golang
    # A node stage compiles the frontend; the app stage is uv's python image: python by priority.
    "paperless-ngx__paperless-ngx__Dockerfile": "python",
    "simonw__datasette__Dockerfile": "python",  # FROM python
    "umami-software__umami__Dockerfile": "node",  # FROM node:${NODE_IMAGE_VERSION}, pnpm
    # A node stage builds the frontend; the backend stage runs go test/build: go by priority.
    "umputun__remark42__Dockerfile": "go",
}
JENKINS_LANGUAGES: dict[str, str | None] = {
    "Kanchana46__docker-webapp__Jenkinsfile": None,  # docker build/push only
    "SGTYang__msa-flask-backend__Jenkinsfile": None,  # docker.build/push only
    "SalKamen__devops-fully-automated__Jenkinsfile": "java",  # tools { maven }, mvn
    "SalahJamal1__Restaurant-MicroService__Jenkinsfile": "java",  # tools { jdk, maven }, mvn
    "Salazq__ecommerce-microservice-backend-app__Jenkinsfile": None,  # minikube/kubectl; mvnw.cmd only in a comment
    "apache__struts__Jenkinsfile": "java",  # tools { jdk, maven }, ./mvnw
    "jenkins-docs__simple-java-maven-app__jenkins__Jenkinsfile": "java",  # mvn
    "jenkinsci__jenkins__Jenkinsfile": "java",  # infra.runMaven
}
# Registry answers for the corpus files whose pushes can be read literally.
CORPUS_REGISTRIES: dict[str, tuple[str, str | None]] = {
    "github/umputun__remark42__.github__workflows__docker.yml": ("ghcr", "ghcr.io/umputun/remark42"),
    "github/simonw__datasette__.github__workflows__publish.yml": ("dockerhub", "docker.io/datasetteproject/datasette"),
    "github/0x12th__hotelhub__.github__workflows__push-image.yml": ("ghcr", None),
    "gitlab/0008mari__soona-backend-private__.gitlab-ci.yml": (
        "ecr",
        "986249049395.dkr.ecr.ap-northeast-2.amazonaws.com/soona",
    ),
    "gitlab/001AM__BackTesting__.gitlab-ci.yml": ("gitlab", None),
    "jenkins/Kanchana46__docker-webapp__Jenkinsfile": ("dockerhub", "docker.io/dockerkr12/nodeapp"),
}
CANONICAL = CANONICAL_PATHS
EXPECTED = {"github": GITHUB_LANGUAGES, "gitlab": GITLAB_LANGUAGES, "docker": DOCKER_LANGUAGES}
EXPECTED["jenkins"] = JENKINS_LANGUAGES


@pytest.fixture(scope="module")
def corpus() -> Path:
    return corpus_dir()


def adopt_corpus_file(corpus: Path, tmp_path: Path, kind: str, name: str) -> tuple[Path, Inference]:
    source = corpus / kind / name
    root = tmp_path / "repo"
    target = root / CANONICAL[kind](name)
    target.parent.mkdir(parents=True)
    shutil.copyfile(source, target)
    original = source.read_bytes()
    result = infer(root)
    assert target.read_bytes() == original
    assert source.read_bytes() == original
    return root, result


@pytest.mark.parametrize(("kind", "name"), [(kind, name) for kind, table in EXPECTED.items() for name in sorted(table)])
def test_corpus_file(corpus: Path, tmp_path: Path, kind: str, name: str) -> None:
    _, result = adopt_corpus_file(corpus, tmp_path, kind, name)
    if kind == "docker":
        assert result.answers["container"] is True
        assert "platforms" not in result.answers
    else:
        assert result.answers["platforms"] == [kind]
    assert result.answers.get("language") == EXPECTED[kind][name]


@pytest.mark.parametrize("kind", sorted(EXPECTED))
def test_corpus_table_covers_every_file(corpus: Path, kind: str) -> None:
    assert sorted(path.name for path in (corpus / kind).iterdir()) == sorted(EXPECTED[kind])


@pytest.mark.parametrize(("path", "expected"), CORPUS_REGISTRIES.items())
def test_corpus_registries(corpus: Path, tmp_path: Path, path: str, expected: tuple[str, str | None]) -> None:
    kind, name = path.split("/", 1)
    _, result = adopt_corpus_file(corpus, tmp_path, kind, name)
    assert (result.answers.get("registry"), result.answers.get("image")) == expected


# --- the repository new stands in: git, the origin remote, the port, the record, code ---------------------------


def git_repo(root: Path, files: dict[str, str | bytes], origin: str | None, branch: str = "trunk") -> Path:
    from tests.upgrade.support import git

    repo(root, files)
    git(root, "init", "-q", "-b", branch)
    if origin is not None:
        git(root, "config", "remote.origin.url", origin)
    return root


def test_new_reads_language_branch_and_origin_of_the_repository_it_stands_in(tmp_path: Path) -> None:
    root = git_repo(tmp_path / "x", {"package.json": "{}\n"}, "git@github.com:acme/x.git")

    result = infer_answers(root, new=True)

    assert result.answers == {
        "language": "node",
        "default_branch": "trunk",
        "platforms": ["github"],
        "starter": False,
        "image": "ghcr.io/acme/x",
        "source_repo": "acme/x",
    }
    assert result.evidence["default_branch"] == "git: the checked-out branch (HEAD)"
    assert result.evidence["source_repo"] == "git remote origin github.com/acme/x"
    assert result.evidence["platforms"] == "git remote origin github.com/acme/x; no CI file"
    assert result.evidence["starter"] == "found package.json: the folder holds code"
    assert infer(root).answers["container"] is False  # adopt: no Dockerfile means no image; new writes one


def test_an_empty_folder_or_none_at_all_infers_nothing_for_new(tmp_path: Path) -> None:
    assert infer_answers(tmp_path / "missing", new=True) == Inference({}, {})
    assert infer_answers(repo(tmp_path / "empty", {"README.md": "# x\n"}), new=True).answers == {}
    (tmp_path / "file").write_text("x")
    assert infer_answers(tmp_path / "file", new=True) == Inference({}, {})


def test_the_origin_image_is_lowercase_and_only_where_the_registry_follows(tmp_path: Path) -> None:
    github = infer(git_repo(tmp_path / "a", {}, "https://github.com/Acme/Shop.git"))
    assert (github.answers["source_repo"], github.answers["image"]) == ("Acme/Shop", "ghcr.io/acme/shop")

    gitlab = infer(git_repo(tmp_path / "b", {}, "git@gitlab.com:Acme/Team/Shop.git"))
    assert gitlab.answers["platforms"] == ["gitlab"]
    assert gitlab.answers["image"] == "registry.gitlab.com/acme/team/shop"
    assert gitlab.answers["source_repo"] == "Acme/Team/Shop"

    jenkins = infer(git_repo(tmp_path / "c", {"Jenkinsfile": "pipeline {}\n"}, "git@github.com:acme/x.git"))
    assert jenkins.answers["platforms"] == ["jenkins"]  # a CI file beats the origin's forge
    assert "source_repo" not in jenkins.answers and "image" not in jenkins.answers

    both = infer_answers(git_repo(tmp_path / "d", {}, "git@github.com:acme/x.git"), {"platforms": ["github", "gitlab"]})
    assert both.answers["source_repo"] == "acme/x"
    assert "image" not in both.answers and "platforms" not in both.answers  # ghcr would not fit GitLab CI


def test_a_gitlab_instance_named_by_the_answers_is_a_forge(tmp_path: Path) -> None:
    root = git_repo(tmp_path / "x", {}, "ssh://git@git.example.com:2222/platform/api.git")
    assert "source_repo" not in infer(root).answers
    result = infer_answers(root, {"gitlab_url": "https://git.example.com"})
    assert result.answers["platforms"] == ["gitlab"]
    assert result.answers["source_repo"] == "platform/api"
    assert "image" not in result.answers  # a self-managed instance's registry host is not known
    assert "gitlab_url" not in result.answers


def test_given_answers_win_and_drop_what_conflicts_with_them(tmp_path: Path) -> None:
    from tests.answer_sets import AWS

    pushes = workflow("      - run: docker push ghcr.io/acme/x:1\n")
    root = git_repo(tmp_path / "x", {"go.mod": "module x\n", ".github/workflows/ci.yml": pushes}, None)
    assert infer(root).answers["registry"] == "ghcr"

    given = {"language": "python", "platforms": ["gitlab"], "registry": "ecr", **AWS}
    result = infer_answers(root, given)
    assert not {"language", "platforms", "registry"} & set(result.answers)
    assert "image" not in result.answers  # ghcr.io/acme/x does not fit the given ecr registry
    assert set(result.evidence) == set(result.answers)

    cloud = infer_answers(root, {"cloud": "none", "registry": "ghcr"})
    assert cloud.answers["image"] == "ghcr.io/acme/x"  # no conflict: kept


def test_a_team_packs_defaults_shape_the_origin_image(tmp_path: Path) -> None:
    root = git_repo(tmp_path / "x", {}, "git@github.com:acme/x.git")
    result = infer_answers(root, {}, defaults={"registry": "harbor"}, new=True)
    assert result.answers["source_repo"] == "acme/x"
    assert "image" not in result.answers
    jenkins = infer_answers(root, {}, defaults={"platforms": ["jenkins"]}, new=True)
    assert "platforms" not in jenkins.answers and "source_repo" not in jenkins.answers


def test_an_origin_that_is_no_forge_url_is_named_without_its_credential(tmp_path: Path) -> None:
    for name, url in {
        "a": "https://user:ghp_secret123@bitbucket.org/acme/x.git",
        "b": "https://github.com/acme/x\x1b]0;pwned\x07",
        "c": "ext::sh -c touch% /tmp/pwned",
        "d": "file:///srv/acme/x.git",
    }.items():
        result = infer(git_repo(tmp_path / name, {}, url))
        assert not {"source_repo", "image", "platforms"} & set(result.answers), url
        text = repr(result)
        assert "secret" not in text and "\x1b" not in text and "pwned" not in text
        assert any(note.startswith("git remote origin: not a repository URL") for note in result.skipped)


def test_the_port_comes_from_the_dockerfile_then_the_code(tmp_path: Path) -> None:
    docker = "FROM python:3.12 AS build\nEXPOSE 9999\nFROM python:3.12-slim\nEXPOSE 8000/tcp 8001\n"
    code = {"app.py": "uvicorn.run(app, port=5000)\n"}
    both = infer(repo(tmp_path / "a", {"Dockerfile": docker, **code}))
    assert both.answers["port"] == 8000
    assert both.evidence["port"] == "Dockerfile: EXPOSE 8000/tcp; also saw 8001"

    low = infer(repo(tmp_path / "b", {"Dockerfile": "FROM node:22\nEXPOSE 80\n", **code}))
    assert (low.answers["port"], low.evidence["port"]) == (5000, "app.py: 'port=5000'")

    nested = infer(repo(tmp_path / "c", {"cmd/api/main.go": 'http.ListenAndServe(":8081", nil)\n'}))
    assert "port" not in nested.answers  # two folders down: not read
    spring = {"src/main/resources/application.properties": "server.port=8443\n", "build.gradle": ""}
    assert infer(repo(tmp_path / "d", spring)).answers["port"] == 8443


def test_the_port_reader_skips_fifos_and_huge_files(tmp_path: Path) -> None:
    root = repo(tmp_path / "svc", {"big.py": "port=1234\n" + "#" * 200_000, "server.js": "app.listen(3000)\n"})
    os.mkfifo(root / "app.py")
    result = _quick(root)
    assert result.answers["port"] == 3000


def test_a_kit_record_says_the_visibility_and_the_starter(tmp_path: Path) -> None:
    record = "answers:\n  starter: true\n  visibility: internal\n"
    rerun = infer(repo(tmp_path / "r", {".scaffold.yml": record, "pyproject.toml": "", "src/app.py": ""}))
    assert (rerun.answers["starter"], rerun.answers["visibility"]) == (True, "internal")  # its own starter: no code
    assert rerun.evidence["starter"] == ".scaffold.yml records it"
    loose = infer(repo(tmp_path / "s", {".scaffold.yml": "answers:\n  starter: 'yes'\n", "main.go": ""}))
    assert (loose.answers["starter"], loose.evidence["starter"]) == (False, "found main.go: the folder holds code")


def test_visibility_only_from_a_kit_record(tmp_path: Path) -> None:
    recorded = infer(repo(tmp_path / "a", {".scaffold.yml": "answers:\n  visibility: public\n"}))
    assert (recorded.answers["visibility"], recorded.evidence["visibility"]) == ("public", ".scaffold.yml records it")
    for name, text in {"b": "answers:\n  visibility: secret\n", "c": "answers: [1]\n", "d": "&a [*a]\n"}.items():
        assert "visibility" not in infer(repo(tmp_path / name, {".scaffold.yml": text})).answers
    assert "visibility" not in infer(git_repo(tmp_path / "e", {}, "git@github.com:acme/x.git")).answers


def test_a_worktree_gives_its_own_branch(tmp_path: Path) -> None:
    from tests.upgrade.support import commit_all, git

    main = git_repo(tmp_path / "main", {}, "git@github.com:acme/x.git", branch="main")
    commit_all(main, "first")
    git(main, "worktree", "add", "-q", "-b", "trunk", str(tmp_path / "wt"))
    result = infer(tmp_path / "wt")
    assert result.answers["default_branch"] == "trunk"
    assert result.answers["source_repo"] == "acme/x"


def test_a_symlinked_git_directory_is_named_and_not_read(tmp_path: Path) -> None:
    elsewhere = git_repo(tmp_path / "elsewhere", {}, "git@github.com:acme/x.git")
    root = repo(tmp_path / "svc", {})
    (root / ".git").symlink_to(elsewhere / ".git")
    result = infer(root)
    assert "default_branch" not in result.answers and "source_repo" not in result.answers
    assert ".git: is a symbolic link; the repository's git directory was not read" in result.skipped
