"""The fixes of the Dockerfile and GitLab CI rules: image digests from scaffold/pins.yml and a non-root USER."""

from __future__ import annotations

import pytest

from scaffold.harden.engine import FileResult, harden_document
from scaffold.kit.pins import load_pins
from scaffold.rules.catalog import REGISTRY
from scaffold.rules.document import Document
from scaffold.rules.fixes import image_pins
from scaffold.rules.fixes.model import Safety, Unfixable
from scaffold.rules.kinds import classify
from scaffold.rules.registry import Rule

# From scaffold/pins.yml (checked against the loaded pins below).
PYTHON_DIGEST = "sha256:9662417aace5ae7b8e2609cce472b72a8958e134ba372808abe9cc1a0c0125e6"
NODE_DIGEST = "sha256:50c3b2f6988dfc307b86e5301d69611af31f4789bdf232863b07d3b02fe55ae0"


def _document(text: str, path: str) -> Document:
    kind = classify(path)
    assert kind is not None
    return Document(path, kind, text)


def _rule(rule_id: str) -> Rule:
    return next(rule for rule in REGISTRY if rule.id == rule_id)


def _harden(text: str, path: str, *rule_ids: str, level: Safety = Safety.SAFE) -> FileResult:
    return harden_document(_document(text, path), level, None, [_rule(rule_id) for rule_id in rule_ids])


def _dockerfile(text: str, *rule_ids: str, level: Safety = Safety.SAFE) -> FileResult:
    return _harden(text, "Dockerfile", *rule_ids, level=level)


def _gitlab(text: str, level: Safety = Safety.SAFE) -> FileResult:
    return _harden(text, ".gitlab-ci.yml", "gitlab-unpinned-image", level=level)


def test_the_digests_used_here_are_the_ones_in_the_pins_file() -> None:
    pins = load_pins()
    assert (pins.image("python").image, pins.image("python").tag) == ("docker.io/library/python", "3.13-slim-trixie")
    assert pins.image("python").digest == PYTHON_DIGEST
    assert (pins.image("node").tag, pins.image("node").digest) == ("24-trixie-slim", NODE_DIGEST)


# image_pins ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("reference", "expected"),
    [
        ("python:3.13", "docker.io/library/python:3.13"),
        ("semgrep/semgrep:1", "docker.io/semgrep/semgrep:1"),
        ("docker.io/library/python:3.13", "docker.io/library/python:3.13"),
        ("ghcr.io/org/image:v1", "ghcr.io/org/image:v1"),
        ("localhost/image:1", "localhost/image:1"),
        ("registry:5000/image:1", "registry:5000/image:1"),
    ],
)
def test_normalise_writes_out_docker_hubs_implicit_parts(reference: str, expected: str) -> None:
    assert image_pins.normalise(reference) == expected


@pytest.mark.parametrize(
    "reference",
    [
        "python:3.13-slim-trixie",
        "library/python:3.13-slim-trixie",
        "docker.io/library/python:3.13-slim-trixie",
        "DOCKER.IO/library/Python:3.13-slim-trixie",
        " 'python:3.13-slim-trixie' ",
    ],
)
def test_lookup_finds_a_pinned_image_however_the_registry_is_spelled(reference: str) -> None:
    pin = image_pins.lookup(reference)
    assert pin is not None
    assert pin.digest == PYTHON_DIGEST


@pytest.mark.parametrize(
    "reference",
    [
        "python",
        "python:3.12-slim",
        f"python:3.13-slim-trixie@{PYTHON_DIGEST}",
        "$REGISTRY/python:3.13-slim-trixie",
        "ghcr.io/library/python:3.13-slim-trixie",
    ],
)
def test_lookup_finds_nothing_for_other_references(reference: str) -> None:
    assert image_pins.lookup(reference) is None


# docker-unpinned-base -----------------------------------------------------------------------------------------


def test_docker_unpinned_base_appends_the_digest_from_the_pins_file() -> None:
    text = 'FROM python:3.13-slim-trixie\nCOPY . /app\nCMD ["python", "/app/main.py"]\n'
    result = _dockerfile(text, "docker-unpinned-base")
    assert (
        result.after == f'FROM python:3.13-slim-trixie@{PYTHON_DIGEST}\nCOPY . /app\nCMD ["python", "/app/main.py"]\n'
    )
    assert [(change.line, change.safety) for change in result.applied] == [(1, Safety.SAFE)]


def test_docker_unpinned_base_with_the_full_registry_name() -> None:
    text = "FROM docker.io/library/python:3.13-slim-trixie AS build\nRUN make\n"
    after = _dockerfile(text, "docker-unpinned-base").after
    assert after == f"FROM docker.io/library/python:3.13-slim-trixie@{PYTHON_DIGEST} AS build\nRUN make\n"


def test_docker_unpinned_base_with_a_platform_flag_and_lowercase_keywords() -> None:
    text = "from --platform=linux/amd64 python:3.13-slim-trixie as base\n"
    after = _dockerfile(text, "docker-unpinned-base").after
    assert after == f"from --platform=linux/amd64 python:3.13-slim-trixie@{PYTHON_DIGEST} as base\n"


def test_docker_unpinned_base_pins_every_stage_and_skips_earlier_stages() -> None:
    text = "FROM python:3.13-slim-trixie AS build\nRUN make\nFROM build AS test\nFROM node:24-trixie-slim\n"
    after = _dockerfile(text, "docker-unpinned-base").after
    assert after == (
        f"FROM python:3.13-slim-trixie@{PYTHON_DIGEST} AS build\nRUN make\n"
        f"FROM build AS test\nFROM node:24-trixie-slim@{NODE_DIGEST}\n"
    )


def test_docker_unpinned_base_with_an_unknown_image_is_unfixable() -> None:
    text = "FROM example.com/team/base:1.2\nRUN make\n"
    result = _dockerfile(text, "docker-unpinned-base", level=Safety.UNSAFE)
    assert result.after == text
    assert not result.changed
    assert [(note.line, note.rule) for note in result.notes] == [(1, "docker-unpinned-base")]


def test_docker_unpinned_base_from_an_arg_is_unfixable() -> None:
    text = "ARG BASE=python:3.13-slim-trixie\nFROM $BASE\n"
    result = _dockerfile(text, "docker-unpinned-base", level=Safety.UNSAFE)
    assert result.after == text
    assert [(note.line, note.rule) for note in result.notes] == [(2, "docker-unpinned-base")]


def test_docker_unpinned_base_proposes_nothing_for_a_pinned_base_or_scratch() -> None:
    fix = _rule("docker-unpinned-base").fix
    assert fix is not None
    text = f"FROM python:3.13-slim-trixie@{PYTHON_DIGEST}\nFROM scratch\n"
    assert list(fix(_document(text, "Dockerfile"))) == []


def test_docker_unpinned_base_keeps_crlf_line_endings() -> None:
    text = "FROM python:3.13-slim-trixie\r\nRUN make\r\n"
    after = _dockerfile(text, "docker-unpinned-base").after
    assert after == f"FROM python:3.13-slim-trixie@{PYTHON_DIGEST}\r\nRUN make\r\n"


# docker-root-user ---------------------------------------------------------------------------------------------


def test_docker_root_user_appends_a_numeric_user_and_is_unsafe() -> None:
    text = 'FROM scratch\nCOPY app /app\nCMD ["/app"]\n'
    held = _dockerfile(text, "docker-root-user")
    assert held.after == text
    assert [(change.line, change.safety) for change in held.held] == [(1, Safety.UNSAFE)]
    assert held.held[0].risk
    result = _dockerfile(text, "docker-root-user", level=Safety.UNSAFE)
    assert result.after == text + "USER 10001:10001\n"


def test_docker_root_user_after_an_explicit_root_user() -> None:
    text = "FROM scratch\nUSER root\n"
    assert (
        _dockerfile(text, "docker-root-user", level=Safety.UNSAFE).after
        == "FROM scratch\nUSER root\nUSER 10001:10001\n"
    )


def test_docker_root_user_in_a_file_without_a_trailing_newline() -> None:
    text = "FROM scratch\nCOPY app /app"
    assert _dockerfile(text, "docker-root-user", level=Safety.UNSAFE).after == text + "\nUSER 10001:10001\n"


def test_docker_root_user_keeps_crlf_line_endings() -> None:
    text = "FROM scratch\r\nCOPY app /app\r\n"
    after = _dockerfile(text, "docker-root-user", level=Safety.UNSAFE).after
    assert after == "FROM scratch\r\nCOPY app /app\r\nUSER 10001:10001\r\n"


def test_docker_root_user_keeps_crlf_without_a_trailing_newline() -> None:
    text = "FROM scratch\r\nCOPY app /app"
    after = _dockerfile(text, "docker-root-user", level=Safety.UNSAFE).after
    assert after == "FROM scratch\r\nCOPY app /app\r\nUSER 10001:10001\r\n"


def test_docker_root_user_after_a_dangling_continuation_is_unfixable() -> None:
    text = "FROM scratch\nRUN echo \\\n"
    result = _dockerfile(text, "docker-root-user", level=Safety.UNSAFE)
    assert result.after == text
    assert [note.rule for note in result.notes] == ["docker-root-user"]


def test_docker_root_user_proposes_nothing_for_a_non_root_final_stage() -> None:
    fix = _rule("docker-root-user").fix
    assert fix is not None
    assert list(fix(_document("FROM scratch\nUSER 10001:10001\n", "Dockerfile"))) == []


def test_both_docker_fixes_together_keep_crlf_and_a_second_run_changes_nothing() -> None:
    text = "FROM python:3.13-slim-trixie\r\nCOPY . /app\r\n"
    first = _dockerfile(text, "docker-unpinned-base", "docker-root-user", level=Safety.UNSAFE)
    assert first.after == f"FROM python:3.13-slim-trixie@{PYTHON_DIGEST}\r\nCOPY . /app\r\nUSER 10001:10001\r\n"
    second = _dockerfile(first.after, "docker-unpinned-base", "docker-root-user", level=Safety.UNSAFE)
    assert second.applied == []
    assert second.after == first.after


# gitlab-unpinned-image ----------------------------------------------------------------------------------------


def test_gitlab_image_scalar_is_pinned() -> None:
    text = "image: python:3.13-slim-trixie\ntest:\n  script: [make]\n"
    result = _gitlab(text)
    assert result.after == f"image: python:3.13-slim-trixie@{PYTHON_DIGEST}\ntest:\n  script: [make]\n"
    assert [(change.line, change.safety) for change in result.applied] == [(1, Safety.SAFE)]


def test_gitlab_image_name_mapping_is_pinned() -> None:
    text = 'test:\n  image:\n    name: python:3.13-slim-trixie\n    entrypoint: [""]\n  script: [make]\n'
    after = _gitlab(text).after
    assert after == text.replace("name: python:3.13-slim-trixie", f"name: python:3.13-slim-trixie@{PYTHON_DIGEST}")


def test_gitlab_image_in_a_flow_mapping_with_quotes_is_pinned_inside_the_quotes() -> None:
    text = 'test:\n  image: {name: "python:3.13-slim-trixie", entrypoint: [""]}\n  script: [make]\n'
    after = _gitlab(text).after
    assert after == text.replace('"python:3.13-slim-trixie"', f'"python:3.13-slim-trixie@{PYTHON_DIGEST}"')


def test_gitlab_services_are_pinned_and_unknown_ones_noted() -> None:
    text = (
        "test:\n  image: node:24-trixie-slim\n  services:\n    - postgres:17\n    - name: python:3.13-slim-trixie\n"
        "  script: [make]\n"
    )
    result = _gitlab(text)
    assert result.after == (
        f"test:\n  image: node:24-trixie-slim@{NODE_DIGEST}\n  services:\n    - postgres:17\n"
        f"    - name: python:3.13-slim-trixie@{PYTHON_DIGEST}\n  script: [make]\n"
    )
    assert [change.line for change in result.applied] == [2, 5]
    assert [(note.line, note.rule) for note in result.notes] == [(4, "gitlab-unpinned-image")]


@pytest.mark.parametrize(
    "image",
    ["python:3.12", "registry.example.com/tools/ci:1", "$REGISTRY/python:3.13-slim-trixie", "python"],
)
def test_gitlab_unknown_image_is_unfixable(image: str) -> None:
    text = f"test:\n  image: {image}\n  script: [make]\n"
    result = _gitlab(text, Safety.UNSAFE)
    assert result.after == text
    assert [(note.line, note.rule) for note in result.notes] == [(2, "gitlab-unpinned-image")]
    fix = _rule("gitlab-unpinned-image").fix
    assert fix is not None
    assert all(isinstance(item, Unfixable) for item in fix(_document(text, ".gitlab-ci.yml")))


def test_gitlab_pinned_image_is_left_alone_and_a_second_run_changes_nothing() -> None:
    text = "image: python:3.13-slim-trixie\n"
    first = _gitlab(text)
    assert first.changed
    second = _gitlab(first.after)
    assert second.after is first.after
    assert (second.applied, second.notes) == ([], [])
