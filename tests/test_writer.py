from __future__ import annotations

import os
from pathlib import Path

import pytest

from scaffold.errors import ConflictError, UsageError
from scaffold.writer import Change, PlannedFile, check_writable, plan, refuse_conflicts, write_atomically


def test_plan_marks_new_unchanged_and_differing(tmp_path: Path) -> None:
    (tmp_path / "same.txt").write_text("a\n")
    (tmp_path / "edited.txt").write_text("mine\n")
    planned = {p.path: p.change for p in plan(tmp_path, {"same.txt": "a\n", "edited.txt": "ours\n", "n.txt": "x"})}
    assert planned == {"same.txt": Change.UNCHANGED, "edited.txt": Change.DIFFERS, "n.txt": Change.NEW}


def test_differing_files_are_refused_without_force(tmp_path: Path) -> None:
    (tmp_path / "edited.txt").write_text("mine\n")
    planned = plan(tmp_path, {"edited.txt": "ours\n"})
    with pytest.raises(ConflictError) as raised:
        refuse_conflicts(planned, force=False)
    assert raised.value.paths == ["edited.txt"]
    assert "--force" in str(raised.value)
    refuse_conflicts(planned, force=True)


def test_write_creates_folders_and_leaves_no_temp_files(tmp_path: Path) -> None:
    written = write_atomically(tmp_path, plan(tmp_path, {"a/b/c.txt": "hello\n", "top.txt": "x\n"}))
    assert sorted(written) == ["a/b/c.txt", "top.txt"]
    assert (tmp_path / "a/b/c.txt").read_text() == "hello\n"
    assert not [p for p in tmp_path.rglob("*.tmp")]


def test_unchanged_files_are_not_rewritten(tmp_path: Path) -> None:
    target = tmp_path / "same.txt"
    target.write_text("a\n")
    os.utime(target, (1_000_000, 1_000_000))
    assert write_atomically(tmp_path, plan(tmp_path, {"same.txt": "a\n"})) == []
    assert target.stat().st_mtime == 1_000_000


def test_failure_while_writing_changes_no_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "first.txt").write_text("old\n")
    calls = {"n": 0}
    real_fsync = os.fsync

    def failing_fsync(fd: int) -> None:
        calls["n"] += 1
        if calls["n"] == 2:
            raise OSError(28, "No space left on device")
        real_fsync(fd)

    monkeypatch.setattr(os, "fsync", failing_fsync)
    planned = plan(tmp_path, {"first.txt": "new\n", "second.txt": "new\n"})
    with pytest.raises(UsageError, match="No space left on device"):
        write_atomically(tmp_path, planned)
    assert (tmp_path / "first.txt").read_text() == "old\n"
    assert not (tmp_path / "second.txt").exists()
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]


def test_symlinked_folder_leading_outside_is_refused(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    root = tmp_path / "repo"
    root.mkdir()
    (root / ".github").symlink_to(outside)
    with pytest.raises(UsageError, match="outside"):
        plan(root, {".github/workflows/ci.yml": "x"})


def test_output_below_a_regular_file_is_not_writable(tmp_path: Path) -> None:
    blocker = tmp_path / "file.txt"
    blocker.write_text("x")
    with pytest.raises(UsageError, match="is not a directory"):
        check_writable(blocker / "out")


@pytest.mark.skipif(os.geteuid() == 0, reason="root ignores directory permissions")
def test_read_only_directory_is_not_writable(tmp_path: Path) -> None:
    locked = tmp_path / "locked"
    locked.mkdir(mode=0o500)
    with pytest.raises(UsageError, match="is not writable"):
        check_writable(locked / "out")


def test_a_crlf_only_difference_is_a_difference(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_bytes(b"one\r\ntwo\r\n")
    [planned] = plan(tmp_path, {"a.txt": "one\ntwo\n"})
    assert planned.change is Change.DIFFERS
    assert planned.current == "one\r\ntwo\r\n"


def test_an_existing_fifo_or_folder_is_refused_without_blocking(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "pipe")
    with pytest.raises(UsageError, match="is not a regular file"):
        plan(tmp_path, {"pipe": "x"})
    (tmp_path / "folder").mkdir()
    with pytest.raises(UsageError, match="is a folder where the kit has a file"):
        plan(tmp_path, {"folder": "x"})


@pytest.mark.parametrize("path", [".git/config", ".GIT/hooks/x", "a/../.git/config", "../x", "/etc/x", "a\\b"])
def test_paths_into_git_or_outside_are_refused(tmp_path: Path, path: str) -> None:
    with pytest.raises(UsageError, match="the path must"):
        plan(tmp_path, {path: "x"})


def test_a_file_where_a_folder_is_needed_is_refused_before_anything_is_created(tmp_path: Path) -> None:
    (tmp_path / "deploy").write_text("x")
    with pytest.raises(UsageError, match="'deploy' is a file where the kit needs a folder"):
        write_atomically(
            tmp_path,
            [PlannedFile("new/a.txt", Change.NEW, "a", None), PlannedFile("deploy/run.sh", Change.NEW, "b", None)],
        )
    assert sorted(path.name for path in tmp_path.iterdir()) == ["deploy"]


def test_a_failed_write_removes_the_folders_it_created(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    calls = {"n": 0}
    real_fsync = os.fsync

    def failing_fsync(fd: int) -> None:
        calls["n"] += 1
        if calls["n"] == 2:
            raise OSError(28, "No space left on device")
        real_fsync(fd)

    monkeypatch.setattr(os, "fsync", failing_fsync)
    with pytest.raises(UsageError, match="No space left on device"):
        write_atomically(tmp_path, plan(tmp_path, {"a/b/one.txt": "1", "c/d/two.txt": "2"}))
    assert list(tmp_path.iterdir()) == []


def test_a_symlinked_folder_into_git_is_refused(tmp_path: Path) -> None:
    (tmp_path / ".git" / "hooks").mkdir(parents=True)
    (tmp_path / "tools").symlink_to(tmp_path / ".git" / "hooks")
    with pytest.raises(UsageError, match=r"leads into \.git"):
        write_atomically(tmp_path, plan(tmp_path, {"tools/pre-commit": "#!/bin/sh\n"}))
    assert list((tmp_path / ".git" / "hooks").iterdir()) == []
