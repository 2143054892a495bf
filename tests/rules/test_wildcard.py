"""Wildcards without regular expressions: '*' within a part, '**' across parts, linear enough for hostile input."""

from __future__ import annotations

import pytest

from scaffold.rules.wildcard import part_matches, path_matches
from tests.support.hang_guard import hang_guard


@pytest.mark.parametrize(
    ("pattern", "path", "matches"),
    [
        (".github/workflows/legacy.yml", ".github/workflows/legacy.yml", True),
        (".github/workflows/legacy.yml", ".github/workflows/legacy.yaml", False),
        (".github/workflows/*.yml", ".github/workflows/ci.yml", True),
        (".github/workflows/*.yml", ".github/workflows/sub/ci.yml", False),
        ("*.yml", "ci.yml", True),
        ("*.yml", "a/ci.yml", False),
        ("**/Dockerfile", "Dockerfile", True),
        ("**/Dockerfile", "services/api/Dockerfile", True),
        ("services/**", "services/api/Dockerfile", True),
        ("services/**", "other/api/Dockerfile", False),
        ("a/**/z", "a/z", True),
        ("a/**/z", "a/b/c/z", True),
        ("a/**/z", "a/b/c/y", False),
        ("**", "any/thing/at/all", True),
        ("legacy-*-ci.yml", "legacy-2024-ci.yml", True),
        ("legacy-*-ci.yml", "legacy-2024-cd.yml", False),
    ],
)
def test_path_patterns(pattern: str, path: str, matches: bool) -> None:
    assert path_matches(pattern, path) is matches


@pytest.mark.parametrize(
    ("pattern", "text", "matches"),
    [("*", "", True), ("a*", "abc", True), ("*c", "abc", True), ("a*c", "ab", False), ("a*b*c", "aXbYc", True)],
)
def test_part_patterns(pattern: str, text: str, matches: bool) -> None:
    assert part_matches(pattern, text) is matches


def test_many_stars_and_many_double_stars_against_long_paths_do_not_hang() -> None:
    with hang_guard():
        assert not part_matches("*a" * 100 + "*b", "a" * 20_000)
        assert not path_matches("/".join(["**"] * 100 + ["*a*a*a*b"]), "/".join(["a" * 50] * 2000))
