"""The container build files on the docker rules: the final stage's user, digest-pinned bases and the
.dockerignore."""

from __future__ import annotations

from functools import cache

import pytest

from scaffold.api import render_kit
from scaffold.kit.answers import validate
from scaffold.rules.catalog import REGISTRY
from scaffold.rules.docker.dockerignore import DOCKERIGNORE_REQUIRED
from scaffold.rules.runner import audit_tree
from tests.answer_sets import ANSWER_SETS

PIN = "python:3.13@sha256:" + "a" * 64
SSH_KEYS = ("id_rsa", "id_dsa", "id_ecdsa", "id_ed25519")
CONTAINER_RULES = ("docker-root-user", "docker-unpinned-base", "dockerignore-secrets")
CONTAINER_SETS = [name for name, data in ANSWER_SETS.items() if validate(data).model_dump()["container"]]


@cache
def _kit(name: str) -> dict[str, str]:
    return render_kit(answers=validate(ANSWER_SETS[name]))


def findings(rule_id: str, files: dict[str, str]) -> list[str]:
    """``line: message`` of one rule's findings on the files; the files must read without errors."""
    report = audit_tree(files, rules=[rule for rule in REGISTRY if rule.id == rule_id])
    assert report.errors == []
    return [f"{item.line}: {item.message}" for item in report.findings]


def _user(text: str) -> list[str]:
    return findings("docker-root-user", {"Dockerfile": text})


def _bases(text: str) -> list[str]:
    return findings("docker-unpinned-base", {"Dockerfile": text})


def _ignore(text: str) -> list[str]:
    return findings("dockerignore-secrets", {".dockerignore": text})


@pytest.mark.parametrize("answer_set", CONTAINER_SETS)
def test_rendered_container_kits_pass(answer_set: str) -> None:
    files = _kit(answer_set)
    assert "Dockerfile" in files and ".dockerignore" in files
    for rule_id in CONTAINER_RULES:
        assert findings(rule_id, files) == [], rule_id


def test_non_root_user() -> None:
    assert _user(f"FROM {PIN} AS b\nUSER 0\nFROM {PIN}\nUSER 10001:10001\n") == []
    assert _user(f"FROM {PIN}\nUSER app\n") == []
    assert _user(f"FROM {PIN}\nUSER 10001\nFROM {PIN}\nRUN x\n") != []  # the final stage has none
    assert _user(f"FROM {PIN}\nUSER app\nUSER root:root\n") == ["3: the final stage runs as root (USER root:root)"]
    assert _user(f"FROM {PIN}\nUSER 00\n") != []
    assert _user(f"FROM {PIN}\nRUN <<EOF\nUSER 1\nEOF\n") != []  # a heredoc line is not an instruction
    assert _user(f"FROM {PIN}\nENV A=1 \\\n# note\n    B=2\nUSER 1\n") == []


def test_pinned_bases() -> None:
    assert _bases(f"FROM --platform=$BUILDPLATFORM {PIN} AS Build\nFROM build AS run\nFROM scratch\n") == []
    assert _bases("FROM python:3.13\n") == ["1: stage 0: FROM python:3.13 is not pinned by @sha256 digest"]
    assert _bases(f"FROM later AS b\nFROM {PIN} AS later\n") != []  # an alias must come from an earlier stage
    assert _bases("ARG B\nFROM ${B}\n") == ["2: stage 0: FROM ${B} is not pinned by @sha256 digest"]
    assert _bases("# nothing\n") == []  # no FROM: no stage, no error


def test_dockerignore_secrets() -> None:
    complete = "\n".join(DOCKERIGNORE_REQUIRED) + "\n"
    assert _ignore(complete) == []
    for required in DOCKERIGNORE_REQUIRED:
        weakened = "\n".join(pattern for pattern in DOCKERIGNORE_REQUIRED if pattern != required)
        name = required.removesuffix("*") if required.startswith("id_") else required
        assert _ignore(weakened) == [f"1: does not exclude {name} from the build context"]
    assert _ignore(complete.replace(".env\n.env.*\n", "/**/.env*\n!.env.example\n")) == []
    assert _ignore(complete + "!.env\n") == [
        f"{len(DOCKERIGNORE_REQUIRED) + 1}: !.env re-includes .env in the build context"
    ]
    assert _ignore(complete.replace(".config/gcloud\n", ".config/\n")) == []  # a folder covers what is in it
    assert _ignore(complete + "!.aws/credentials\n") != []
    assert _ignore("") != []


def test_the_rule_requires_the_kits_list() -> None:
    """Each name of the kit's list (its .dockerignore and conftest policy) is required by the rule, SSH keys by
    their file names."""
    message = _ignore("nothing\n")[0]
    listed = message.removeprefix("1: does not exclude ").removesuffix(" from the build context").split(", ")
    others = [name for name in DOCKERIGNORE_REQUIRED if not name.startswith("id_")]
    assert listed == [*others[:7], "id_*", *others[7:]]  # the four SSH keys as one pattern, where they stand
    assert _ignore("*\n!id_dsa\n") == ["2: !id_dsa re-includes id_dsa in the build context"]
    assert set(SSH_KEYS) <= {name.removesuffix("*") for name in DOCKERIGNORE_REQUIRED}


# Moved with this file from tests/checks: the GitHub trigger cases, now on the dangerous-triggers rule.
def test_dangerous_triggers_in_every_on_form() -> None:
    path = ".github/workflows/x.yml"
    for on in ("pull_request_target", "[push, pull_request_target]", "{pull_request_target: {types: [opened]}}"):
        assert findings("dangerous-triggers", {path: f"on: {on}\njobs: {{}}\n"}) != [], on
    assert findings("dangerous-triggers", {path: '"on":\n  workflow_run:\n    workflows: [ci]\njobs: {}\n'}) != []
    assert findings("dangerous-triggers", {path: "on: [push, pull_request]\njobs: {}\n"}) == []


@pytest.mark.parametrize("answer_set", list(ANSWER_SETS))
def test_rendered_workflows_have_no_dangerous_triggers(answer_set: str) -> None:
    assert findings("dangerous-triggers", _kit(answer_set)) == []
