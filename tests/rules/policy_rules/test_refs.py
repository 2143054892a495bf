"""How the policy rules read names: action patterns part by part, image references with docker's defaults, registry
entries at a '/' boundary."""

from __future__ import annotations

import pytest

from scaffold.rules.policy_rules.refs import (
    action_allowed,
    action_pattern_problem,
    image_name,
    normal_registry,
    registry_allowed,
    registry_problem,
)
from tests.support.hang_guard import hang_guard


@pytest.mark.parametrize(
    ("name", "patterns", "allowed"),
    [
        ("actions/checkout", ["actions/*"], True),
        ("actions/cache/restore", ["actions/*"], True),
        ("actions-evil/checkout", ["actions/*"], False),
        ("docker/login-action", ["docker/login-action"], True),
        ("docker/login-action2", ["docker/login-action"], False),
        ("docker/login-action/sub", ["docker/login-action"], True),
        ("github/codeql-action/init", ["github/codeql-action/*"], True),
        ("github/codeql-action", ["github/codeql-action/*"], False),
        ("azure/login", ["Azure/login"], True),
        ("acme/.github/.github/workflows/build.yml", ["acme/.github"], True),
        ("acme-platform/setup", ["acme-*/*"], True),
        ("someone/setup", ["acme-*/*", "actions/*"], False),
        ("actions/checkout", [], False),
    ],
)
def test_an_action_is_allowed_by_a_pattern_that_matches_its_leading_parts(
    name: str, patterns: list[str], allowed: bool
) -> None:
    assert action_allowed(name, patterns) is allowed


@pytest.mark.parametrize("pattern", ["actions", "actions/checkout@v4", "/actions/x", "actions//x", "a b/c", "x" * 201])
def test_an_action_pattern_names_an_owner_and_a_repository(pattern: str) -> None:
    assert action_pattern_problem(pattern) is not None


@pytest.mark.parametrize(
    ("reference", "name"),
    [
        ("python:3.13-slim", "docker.io/library/python"),
        ("python", "docker.io/library/python"),
        ("acme/tool:1", "docker.io/acme/tool"),
        ("docker.io/library/python:3.13@sha256:" + "a" * 64, "docker.io/library/python"),
        ("index.docker.io/python", "docker.io/library/python"),
        ("Harbor.Acme.Example/team/api:2", "harbor.acme.example/team/api"),
        ("registry:5000/team/api", "registry:5000/team/api"),
        ("localhost/api", "localhost/api"),
        ("ghcr.io/acme/tool@sha256:" + "b" * 64, "ghcr.io/acme/tool"),
        ("gcr.io/kaniko-project/executor:v1.23.2-debug", "gcr.io/kaniko-project/executor"),
        ("$REGISTRY/tool:1", None),
        ("${{ matrix.image }}", None),
        ("harbor.acme.example/${PROJECT}/api", None),
        ("", None),
        ("two words", None),
    ],
)
def test_an_image_reference_is_read_as_docker_reads_it(reference: str, name: str | None) -> None:
    assert image_name(reference) == name


@pytest.mark.parametrize(
    ("name", "registries", "allowed"),
    [
        ("harbor.acme.example/team/api", ["harbor.acme.example"], True),
        ("harbor.acme.example.evil.io/team/api", ["harbor.acme.example"], False),
        ("docker.io/library/python", ["docker.io/library"], True),
        ("docker.io/acme/tool", ["docker.io/library"], False),
        ("ghcr.io/acme/tool", ["ghcr.io/acme"], True),
        ("ghcr.io/acme-evil/tool", ["ghcr.io/acme"], False),
        ("docker.io/library/python", ["index.docker.io/library/"], True),
        ("ghcr.io/acme/tool", [], False),
    ],
)
def test_a_registry_entry_allows_its_names_and_those_below_it_at_a_slash(
    name: str, registries: list[str], allowed: bool
) -> None:
    assert registry_allowed(name, registries) is allowed


@pytest.mark.parametrize(
    "entry", ["library", "acme/tool", "https://ghcr.io", "ghcr.io/a b", "", "ghcr.io/" + "x" * 200]
)
def test_a_registry_entry_starts_with_a_host(entry: str) -> None:
    assert registry_problem(entry) is not None


@pytest.mark.parametrize("entry", ["ghcr.io", "harbor.acme.example/team", "registry:5000", "localhost"])
def test_a_registry_entry_may_be_a_host_with_a_path_or_a_port(entry: str) -> None:
    assert registry_problem(entry) is None
    assert normal_registry(entry.upper() + "/") == entry


def test_a_pattern_of_many_stars_against_a_long_hostile_name_does_not_hang() -> None:
    with hang_guard():
        assert not action_allowed("a" * 5000 + "/" + "a" * 5000, ["*a*a*a*a*a*a*a*a*a*a*a*b/*"])
