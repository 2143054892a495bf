"""Which paths a record or journal may name, and which paths a pack renders."""

from __future__ import annotations

import pytest

from scaffold.kit.answers import validate
from scaffold.kit.kit_paths import is_git_name, kit_paths, problem
from scaffold.kit.packs import load_pack
from scaffold.kit.render import render
from tests.answer_sets import ANSWER_SETS


@pytest.mark.parametrize(
    "path",
    [
        ".git",
        ".GIT/x",
        "a/.git/x",
        ".git./x",
        ".git /x",
        "GIT~1/x",
        "a/../b",
        "/abs",
        "a\\b",
        "a//b",
        "./a",
        "a/.",
        "a\x00b",
        "a\nb",
        "a\u2028b",
        "\ud800",
        "x" * 256,
        "a/" * 600 + "b",
        ".scaffold-upgrade/0.stage",
        ".scaffold-upgrade.json",
        "",
        ".g\u200bit/x",
    ],
)
def test_bad_paths_have_a_problem(path: str) -> None:
    assert problem(path) is not None


@pytest.mark.parametrize("path", [".github/workflows/ci.yml", ".gitlab-ci.yml", ".gitignore", "a/b.c/d", "é/ü.txt"])
def test_kit_paths_have_none(path: str) -> None:
    assert problem(path) is None
    assert not is_git_name(path)


def test_every_rendered_path_matches_the_packs_patterns() -> None:
    pack = load_pack()
    paths = kit_paths(pack)
    for answers in ANSWER_SETS.values():
        for path in render(pack, validate(answers)):
            assert paths.renders(path), path
    assert paths.renders("registry/ecr/staging/create-repository.json")
    assert not paths.renders("registry/ecr/a/b/create-repository.json")
    assert not paths.renders("src/main.py")
    assert not paths.renders(".git/config")
