"""A commit's files written out of a bare repository: regular files only, hostile paths refused before any write."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import pytest

from scaffold.packs.tree_export import MAX_ENTRIES, TreeRefused, export_tree
from tests.packs.gitserver import (
    Entry,
    Executable,
    Link,
    PackRepo,
    Submodule,
    git,
    isolated_git,  # noqa: F401 (a fixture)
)

pytestmark = pytest.mark.usefixtures("isolated_git")


def _export(tmp_path: Path, files: Mapping[str, Entry]) -> tuple[Path, tuple[str, ...]]:
    repo = PackRepo.create(tmp_path / "pack.git")
    commit = repo.commit(files)
    destination = tmp_path / "out"
    destination.mkdir()
    return destination, export_tree(repo.bare, commit, destination)


def _written(folder: Path) -> list[str]:
    return sorted(str(path.relative_to(folder)) for path in folder.rglob("*") if not path.is_dir())


def test_regular_files_are_written_with_their_content_and_mode(tmp_path: Path) -> None:
    files: dict[str, Entry] = {
        "pack.yml": "name: acme\n",
        "a/b/c.txt": b"\x00\xff binary",
        "bin/run": Executable("#!/bin/sh\n"),
    }
    out, skipped = _export(tmp_path, files)
    assert skipped == ()
    assert _written(out) == ["a/b/c.txt", "bin/run", "pack.yml"]
    assert (out / "a" / "b" / "c.txt").read_bytes() == b"\x00\xff binary"
    assert (out / "bin" / "run").stat().st_mode & 0o777 == 0o755
    assert (out / "pack.yml").stat().st_mode & 0o777 == 0o644


def test_links_and_submodules_are_reported_and_never_written(tmp_path: Path) -> None:
    files: dict[str, Entry] = {
        "ok.txt": "ok",
        "up": Link("../../../etc"),
        "dir/abs": Link("/etc/passwd"),
        "mod": Submodule(),
    }
    out, skipped = _export(tmp_path, files)
    assert _written(out) == ["ok.txt"]
    assert not any(path.is_symlink() for path in out.rglob("*"))
    assert skipped == ("dir/abs (a symlink)", "mod (a submodule)", "up (a symlink)")


@pytest.mark.parametrize(
    "hostile",
    [
        ".git/config",
        ".GIT/config",
        ".Git/hooks/pre-commit",
        "sub/.git/config",
        ".git./config",
        ".git /config",
        "git~1/config",
        ".g\u200cit/config",
        ".git::$INDEX_ALLOCATION/config",
        "../escape",
        "a/../../escape",
        "./here",
        "a\\..\\escape",
        "new\nline",
    ],
)
def test_a_hostile_path_refuses_the_whole_tree_before_anything_is_written(tmp_path: Path, hostile: str) -> None:
    with pytest.raises(TreeRefused, match="path"):
        _export(tmp_path, {"first.txt": "written first?", hostile: "x"})
    assert _written(tmp_path / "out") == []
    assert not list(tmp_path.rglob("escape"))


def test_a_gitignore_like_name_that_only_starts_like_git_is_kept(tmp_path: Path) -> None:
    out, _ = _export(tmp_path, {".gitignore": "x", ".github/ci.yml": "y", ".gitx/z": "z"})
    assert _written(out) == [".github/ci.yml", ".gitignore", ".gitx/z"]


def test_too_many_entries_are_refused(tmp_path: Path) -> None:
    files = {f"f{number:05}": "same" for number in range(MAX_ENTRIES + 1)}
    with pytest.raises(TreeRefused, match=f"more than {MAX_ENTRIES} files"):
        _export(tmp_path, files)
    assert _written(tmp_path / "out") == []


def test_a_path_written_twice_is_refused(tmp_path: Path) -> None:
    """A hand-made tree can list one name twice; the second file must not replace the first silently."""
    repo = PackRepo.create(tmp_path / "pack.git")
    blob = git(repo.bare, "hash-object", "-w", "--stdin", stdin=b"x")
    raw = b"".join(b"100644 same\0" + bytes.fromhex(blob) for _ in range(2))
    tree = git(repo.bare, "hash-object", "-t", "tree", "-w", "--literally", "--stdin", stdin=raw)
    commit = git(repo.bare, "commit-tree", tree, "-m", "twice")
    (tmp_path / "out").mkdir()
    with pytest.raises(TreeRefused, match="could not be written"):
        export_tree(repo.bare, commit, tmp_path / "out")
