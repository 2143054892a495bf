"""scaffold's own checks for the Dockerfile, the .dockerignore and dangerous GitHub triggers."""

from __future__ import annotations

from functools import cache

import pytest

from scaffold.answers import validate
from scaffold.api import render_kit
from scaffold.checks import container, workflow_triggers
from tests.answer_sets import ANSWER_SETS

PIN = "python:3.13@sha256:" + "a" * 64


@cache
def _kit(name: str) -> dict[str, str]:
    return render_kit(answers=validate(ANSWER_SETS[name]))


CONTAINER_SETS = [name for name, data in ANSWER_SETS.items() if validate(data).model_dump()["container"]]


def test_ids_are_stable() -> None:
    assert set(container.CHECKS) == {"image-non-root-user", "image-pinned-bases", "dockerignore-secrets"}
    assert set(workflow_triggers.CHECKS) == {"no-dangerous-triggers"}


@pytest.mark.parametrize("answer_set", CONTAINER_SETS)
def test_rendered_container_kits_pass(answer_set: str) -> None:
    files = _kit(answer_set)
    for check in container.CHECKS.values():
        assert check(files) == []


@pytest.mark.parametrize("answer_set", list(ANSWER_SETS))
def test_rendered_workflows_have_no_dangerous_triggers(answer_set: str) -> None:
    assert workflow_triggers.CHECKS["no-dangerous-triggers"](_kit(answer_set)) == []


def _user(text: str) -> list[str]:
    return container.CHECKS["image-non-root-user"]({"Dockerfile": text})


def _bases(text: str) -> list[str]:
    return container.CHECKS["image-pinned-bases"]({"Dockerfile": text})


def test_non_root_user() -> None:
    assert _user(f"FROM {PIN} AS b\nUSER 0\nFROM {PIN}\nUSER 10001:10001\n") == []
    assert _user(f"FROM {PIN}\nUSER app\n") == []
    assert _user(f"FROM {PIN}\nUSER 10001\nFROM {PIN}\nRUN x\n") != []  # the final stage has none
    assert "runs as root" in _user(f"FROM {PIN}\nUSER app\nUSER root:root\n")[0]
    assert _user(f"FROM {PIN}\nUSER 00\n") != []
    assert _user(f"FROM {PIN}\nRUN <<EOF\nUSER 1\nEOF\n") != []  # a heredoc line is not an instruction
    assert _user(f"FROM {PIN}\nENV A=1 \\\n# note\n    B=2\nUSER 1\n") == []
    assert container.CHECKS["image-non-root-user"]({}) == ["no Dockerfile"]


def test_pinned_bases() -> None:
    assert _bases(f"FROM --platform=$BUILDPLATFORM {PIN} AS Build\nFROM build AS run\nFROM scratch\n") == []
    assert _bases("FROM python:3.13\n") == ["Dockerfile: FROM python:3.13 is not pinned by @sha256 digest"]
    assert _bases(f"FROM later AS b\nFROM {PIN} AS later\n") != []  # an alias must come from an earlier stage
    assert _bases("ARG B\nFROM ${B}\n") != []
    assert container.CHECKS["image-pinned-bases"]({"Dockerfile": "# nothing\n"}) == [
        "cannot read the file: the Dockerfile has no FROM"
    ]


def test_dockerignore_secrets() -> None:
    check = container.CHECKS["dockerignore-secrets"]
    complete = "\n".join(container.DOCKERIGNORE_REQUIRED) + "\n"
    assert check({".dockerignore": complete}) == []
    for required in container.DOCKERIGNORE_REQUIRED:
        weakened = "\n".join(p for p in container.DOCKERIGNORE_REQUIRED if p != required)
        assert check({".dockerignore": weakened}) == [
            f".dockerignore: {required} is not excluded from the build context"
        ]
    assert check({".dockerignore": complete.replace(".env\n.env.*\n", "/**/.env*\n!.env.example\n")}) == []
    assert check({".dockerignore": complete + "!.env\n"}) == [".dockerignore: !.env re-includes .env"]
    assert check({}) != []


def test_dangerous_triggers_in_every_on_form() -> None:
    check = workflow_triggers.CHECKS["no-dangerous-triggers"]
    path = ".github/workflows/x.yml"
    for on in ("pull_request_target", "[push, pull_request_target]", "{pull_request_target: {types: [opened]}}"):
        assert check({path: f"on: {on}\njobs: {{}}\n"}) == [f"{path} runs on pull_request_target"]
    assert check({path: '"on":\n  workflow_run:\n    workflows: [ci]\njobs: {}\n'}) == [f"{path} runs on workflow_run"]
    assert check({path: "on: [push, pull_request]\njobs: {}\n"}) == []
    assert check({"other.yml": "on: pull_request_target\n"}) == []
