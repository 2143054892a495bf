"""The git store's reads are bounded: a hostile history cannot make scaffold read more than a kit could hold."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from scaffold.errors import UsageError
from scaffold.upgrade import repo
from tests.support.hang_guard import hang_guard
from tests.upgrade.support import commit_all, git


def test_history_reads_skip_blobs_larger_than_a_kit_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    git(tmp_path, "init", "-q", "-b", "main")
    (tmp_path / "ci.yml").write_text("small\n")
    commit_all(tmp_path, "small")
    (tmp_path / "ci.yml").write_text("large " * 100 + "\n")
    commit_all(tmp_path, "large")
    assert repo.historical_versions(tmp_path, "ci.yml") == [("large " * 100 + "\n").encode(), b"small\n"]
    monkeypatch.setattr(repo, "MAX_BLOB_BYTES", 100)
    assert repo.historical_versions(tmp_path, "ci.yml") == [b"small\n"]


def test_history_of_a_path_with_glob_characters_is_literal(tmp_path: Path) -> None:
    git(tmp_path, "init", "-q", "-b", "main")
    (tmp_path / "a.yml").write_text("a\n")
    (tmp_path / "b.yml").write_text("b\n")
    commit_all(tmp_path, "two files")
    assert repo.historical_versions(tmp_path, "*.yml") == []
    assert repo.historical_versions(tmp_path, ":(glob)*") == []
    assert repo.historical_versions(tmp_path, "a.yml") == [b"a\n"]


def _kit_repository(path: Path) -> Path:
    path.mkdir(exist_ok=True)
    git(path, "init", "-q", "-b", "main")
    (path / "app.py").write_text("user code\n")
    commit_all(path, "app")
    return path


def test_a_symbolic_base_ref_is_never_followed(tmp_path: Path) -> None:
    work = _kit_repository(tmp_path)
    main = git(work, "rev-parse", "main").strip()
    git(work, "symbolic-ref", repo.BASE_REF, "refs/heads/main")
    assert repo.base_files(work) == {}
    repo.store_base(work, {"ci.yml": "on: push\n"}, "base")
    assert git(work, "rev-parse", "main").strip() == main
    assert git(work, "symbolic-ref", "-q", repo.BASE_REF, check=False) == ""
    assert repo.base_files(work) == {"ci.yml": b"on: push\n"}


def test_a_base_ref_to_something_else_or_refs_in_its_way_are_replaced(tmp_path: Path) -> None:
    work = _kit_repository(tmp_path)
    blob = git(work, "hash-object", "-w", "--stdin", input_text="hi\n").strip()
    git(work, "update-ref", repo.BASE_REF, blob)
    assert repo.base_files(work) == {}
    repo.store_base(work, {"ci.yml": "a\n"}, "first")
    assert git(work, "cat-file", "-t", repo.BASE_REF).strip() == "commit"
    git(work, "update-ref", "-d", repo.BASE_REF)
    git(work, "update-ref", f"{repo.BASE_REF}/x", git(work, "rev-parse", "HEAD").strip())
    repo.store_base(work, {"ci.yml": "b\n"}, "second")
    assert repo.base_files(work) == {"ci.yml": b"b\n"}
    assert git(work, "for-each-ref", f"{repo.BASE_REF}/") == ""


def test_a_tree_bomb_in_the_base_ref_is_no_base(tmp_path: Path) -> None:
    work = _kit_repository(tmp_path)
    blob = git(work, "hash-object", "-w", "--stdin", input_text="x").strip()
    tree = git(work, "mktree", input_text=f"100644 blob {blob}\tf\n").strip()
    for _ in range(4):  # 16**4 paths, about 4 MB of listing
        tree = git(work, "mktree", input_text="".join(f"040000 tree {tree}\td{i:02}\n" for i in range(16))).strip()
    git(work, "update-ref", repo.BASE_REF, git(work, "commit-tree", tree, "-m", "bomb").strip())
    assert repo.base_files(work) == {}


def test_git_dirs_finds_a_git_directory_under_any_name(tmp_path: Path) -> None:
    work = _kit_repository(tmp_path / "work")
    (work / ".git").rename(work / "gd")
    (work / ".git").write_text("gitdir: gd\n")
    assert repo.git_dirs(work) == ((work / "gd").resolve(),)
    assert repo.git_dirs(tmp_path) == ()


def test_committed_paths_counts_head_as_well_as_the_index(tmp_path: Path) -> None:
    work = _kit_repository(tmp_path)
    (work / ".scaffold-upgrade.json").write_text("{}\n")
    commit_all(work, "journal")
    git(work, "rm", "-q", "--cached", ".scaffold-upgrade.json")
    assert repo.tracked_paths(work, ".scaffold-upgrade.json") == []
    assert repo.committed_paths(work, ".scaffold-upgrade.json") == [".scaffold-upgrade.json"]


def test_the_dirty_tree_message_escapes_terminal_sequences(tmp_path: Path) -> None:
    work = _kit_repository(tmp_path)
    (work / "\x1b]0;owned\x07").write_text("x\n")
    with pytest.raises(UsageError) as caught:
        repo.require_clean(work, ignore=())
    assert "\x1b" not in str(caught.value) and "\\x1b]0;owned\\x07" in str(caught.value)


# --- where the base may be stored --------------------------------------------------------------------------------


def test_a_git_file_naming_another_repositorys_git_directory_is_refused(tmp_path: Path) -> None:
    other = _kit_repository(tmp_path / "other")
    refs = git(other, "for-each-ref")
    folder = tmp_path / "unpacked"
    folder.mkdir()
    (folder / ".git").write_text(f"gitdir: {other / '.git'}\n")

    with pytest.raises(repo.BaseStoreRefusedError, match="is not this folder's own"):
        repo.store_base(folder, {"ci.yml": "on: push\n"}, "base")

    assert git(other, "for-each-ref") == refs


def test_a_linked_worktree_a_submodule_and_a_git_directory_inside_keep_their_base(tmp_path: Path) -> None:
    main = _kit_repository(tmp_path / "main")
    git(main, "worktree", "add", "-q", "-b", "feature", str(tmp_path / "wt"))
    library = _kit_repository(tmp_path / "library")
    git(main, "-c", "protocol.file.allow=always", "submodule", "add", "-q", str(library), "lib")
    inside = _kit_repository(tmp_path / "inside")
    (inside / ".git").rename(inside / "gd")
    (inside / ".git").write_text("gitdir: gd\n")

    for folder in (tmp_path / "wt", main / "lib", inside):
        assert (folder / ".git").is_file()
        assert repo.store_base(folder, {"ci.yml": f"{folder.name}\n"}, "base") is not None
        assert repo.base_files(folder) == {"ci.yml": f"{folder.name}\n".encode()}


@pytest.mark.parametrize(
    "where",
    ["refs/scaffold", "refs/scaffold/base", "refs/scaffold/base/x", "logs/refs/scaffold", "refs"],
)
def test_a_symlink_on_the_path_of_the_base_ref_is_refused(tmp_path: Path, where: str) -> None:
    work = _kit_repository(tmp_path / "work")
    outside = tmp_path / "outside"
    outside.mkdir()
    link = work / ".git" / where
    link.parent.mkdir(parents=True, exist_ok=True)
    if where == "refs":
        (work / ".git" / "refs").rename(outside / "refs")
        link.symlink_to(outside / "refs")
    else:
        link.symlink_to(outside)
    before = sorted(outside.rglob("*"))

    with pytest.raises(repo.BaseStoreRefusedError, match=r"is not a (regular file or )?folder"):
        repo.store_base(work, {"ci.yml": "on: push\n"}, "base")

    assert sorted(outside.rglob("*")) == before


@pytest.mark.parametrize("where", ["refs/scaffold/base", "refs/scaffold/base/x", "logs/refs/scaffold/base"])
def test_a_fifo_on_the_path_of_the_base_ref_is_refused_at_once(tmp_path: Path, where: str) -> None:
    work = _kit_repository(tmp_path / "work")
    fifo = work / ".git" / where
    fifo.parent.mkdir(parents=True, exist_ok=True)
    os.mkfifo(fifo)

    with hang_guard():
        with pytest.raises(repo.BaseStoreRefusedError, match="FIFO"):
            repo.store_base(work, {"ci.yml": "on: push\n"}, "base")
        assert repo.base_files(work) == {}


def test_anything_at_the_old_scratch_index_path_is_left_alone(tmp_path: Path) -> None:
    work = _kit_repository(tmp_path / "work")
    (work / ".git" / "scaffold-base.index").mkdir()

    assert repo.store_base(work, {"ci.yml": "on: push\n"}, "base") is not None

    assert repo.base_files(work) == {"ci.yml": b"on: push\n"}
    assert (work / ".git" / "scaffold-base.index").is_dir()


def test_every_blob_of_the_base_is_stored_by_one_git_process_as_its_exact_bytes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    work = _kit_repository(tmp_path)
    (work / ".gitattributes").write_text("* text eol=crlf filter=shout\n")  # what --stdin-paths would apply
    git(work, "config", "filter.shout.clean", "tr a-z A-Z")
    git(work, "config", "core.autocrlf", "true")
    files = {"ci.yml": "on: push\n", "deploy/deploy.sh": "#!/bin/sh\r\nexit 1\n", "empty.txt": "", "ü.md": "ä\n"}
    calls: list[tuple[str, ...]] = []
    real = repo.run_git

    def counting(folder: Path, *args: str, **kwargs: object) -> bytes:
        calls.append(args)
        return real(folder, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(repo, "run_git", counting)

    assert repo.store_base(work, files, "base") is not None

    assert [args[0] for args in calls].count("hash-object") == 1
    assert repo.base_files(work) == {path: text.encode() for path, text in files.items()}
    for path, text in files.items():
        expected = git(work, "hash-object", "--stdin", input_text=text).strip()
        assert git(work, "rev-parse", f"{repo.BASE_REF}:{path}").strip() == expected
