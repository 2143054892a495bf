from __future__ import annotations

import difflib
import os
import subprocess
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from scaffold.errors import ConflictError, UsageError
from scaffold.kit.writer import (
    Change,
    PlannedFile,
    check_writable,
    plan,
    read_existing,
    refuse_conflicts,
    resolved,
    text_diff,
    write_atomically,
)
from tests.support.hang_guard import hang_guard


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


def _git(folder: Path, *args: str) -> None:
    env = {**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@t", "GIT_COMMITTER_NAME": "t"}
    env["GIT_COMMITTER_EMAIL"] = "t@t"
    subprocess.run(["git", *args], cwd=folder, check=True, capture_output=True, env=env)


def test_a_git_directory_not_named_git_is_never_written_into(tmp_path: Path) -> None:
    """A ``.git`` file can name any folder as the git directory; a kit folder symlinked into it is refused."""
    _git(tmp_path, "init", "-q")
    (tmp_path / ".git").rename(tmp_path / "gd")
    (tmp_path / ".git").write_text("gitdir: gd\n")
    (tmp_path / "deploy").symlink_to(tmp_path / "gd" / "hooks")
    before = sorted(path.name for path in (tmp_path / "gd" / "hooks").iterdir())
    with pytest.raises(UsageError, match=r"deploy/deploy\.sh: is inside the repository's git directory .*gd"):
        write_atomically(tmp_path, plan(tmp_path, {"a.txt": "a\n", "deploy/deploy.sh": "#!/bin/sh\n"}))
    with pytest.raises(UsageError, match="git directory"):
        plan(tmp_path / "gd" / "info", {"a.txt": "a\n"})
    assert sorted(path.name for path in (tmp_path / "gd" / "hooks").iterdir()) == before
    assert not (tmp_path / "a.txt").exists()


@pytest.mark.parametrize("below", ["", "sub"])
def test_a_bare_repository_is_never_an_output(tmp_path: Path, below: str) -> None:
    _git(tmp_path, "init", "-q", "--bare", "repo.git")
    output = tmp_path / "repo.git" / below if below else tmp_path / "repo.git"
    with pytest.raises(UsageError, match="git directory"):
        check_writable(output)
    with pytest.raises(UsageError, match="git directory"):
        plan(output, {"a.txt": "a\n"})
    assert not (tmp_path / "repo.git" / "a.txt").exists() and not (tmp_path / "repo.git" / "sub").exists()


@pytest.mark.parametrize("name", ["a" * 300, "a/" * 2100])
def test_an_output_path_the_file_system_refuses_is_one_usage_error(tmp_path: Path, name: str) -> None:
    with pytest.raises(UsageError, match="too long for the file system"):
        check_writable(tmp_path / name)
    with pytest.raises(UsageError, match="too long for the file system"):
        plan(tmp_path / name, {"a.txt": "a\n"})


def test_an_output_through_a_symlink_loop_is_one_usage_error(tmp_path: Path) -> None:
    (tmp_path / "loop").symlink_to("loop")
    with pytest.raises(UsageError, match="symlink loop"):
        check_writable(tmp_path / "loop")
    with pytest.raises(UsageError, match="symlink loop"):
        resolved(tmp_path / "loop" / "x")


def test_a_symlinked_kit_file_is_refused_in_the_words_of_the_command(tmp_path: Path) -> None:
    (tmp_path / "real.txt").write_text("x\n")
    (tmp_path / "kit.txt").symlink_to(tmp_path / "real.txt")
    with pytest.raises(UsageError, match="refusing to write through it"):
        read_existing(tmp_path, "kit.txt")
    with pytest.raises(UsageError, match="refusing to read through it"):
        read_existing(tmp_path, "kit.txt", reading=True)


def test_a_huge_diff_of_repeated_lines_is_summarised() -> None:
    """difflib is quadratic or worse on repeated lines (900 KB of blank lines took 13-16 s): a changed region too
    large to align in bounded time is one line instead."""
    kit_text = "".join("\n" if index % 2 else f"line {index}\n" for index in range(199))
    with hang_guard():
        for before, after in (("\n" * 900_000, kit_text), ("\n" * 20_000, kit_text), ("x\n" * 30_000, "y\n" * 30_000)):
            shown = text_diff("docs/a.md", before, after)
            assert shown.count("\n") == 1 and "too large to show" in shown and shown.startswith("docs/a.md: ")


def test_a_small_change_in_a_large_file_is_still_a_diff() -> None:
    lines = [f"line {index}\n" for index in range(50_000)]
    changed = [*lines[:100], "mine\n", *lines[100:]]
    shown = text_diff("big.txt", "".join(lines), "".join(changed))
    assert "@@ -98,6 +98,7 @@\n" in shown and "+mine\n" in shown


@settings(max_examples=300, deadline=None)
@given(
    st.lists(st.sampled_from(["a\n", "b\n", "\n", "c"]), max_size=30),
    st.lists(st.sampled_from(["a\n", "d\n", "\n", "c"]), max_size=30),
)
def test_the_bounded_diff_is_difflibs_unified_diff(before: list[str], after: list[str]) -> None:
    old, new = "".join(before), "".join(after)
    expected = difflib.unified_diff(old.splitlines(True), new.splitlines(True), "a/p", "b/p")
    text = "".join(line if line.endswith("\n") else line + "\n\\ No newline at end of file\n" for line in expected)
    assert text_diff("p", old, new) == text


def test_every_file_is_fsynced_before_the_first_is_renamed_into_place(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    events: list[str] = []
    real_fsync, real_replace = os.fsync, os.replace

    def recording_fsync(fd: int) -> None:
        events.append("fsync " + Path(f"/proc/self/fd/{fd}").readlink().name.split(".")[1])
        real_fsync(fd)

    def recording_replace(source: str | Path, target: str | Path) -> None:
        events.append("rename " + Path(target).name)
        real_replace(source, target)

    monkeypatch.setattr(os, "fsync", recording_fsync)
    monkeypatch.setattr(os, "replace", recording_replace)
    names = [f"f{number}" for number in range(40)]
    written = write_atomically(
        tmp_path, plan(tmp_path, {f"d{number % 3}/{name}": name for number, name in enumerate(names)})
    )

    assert len(written) == 40 and all((tmp_path / path).read_text() == path.split("/")[1] for path in written)
    assert sorted(event for event in events[:40]) == sorted(f"fsync {name}" for name in names)
    assert sorted(events[40:]) == sorted(f"rename {name}" for name in names)


def test_the_repository_root_is_asked_once_and_again_when_git_changes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from scaffold.kit import writer
    from scaffold.untrusted import git

    asked: list[Path] = []
    real = git.repository_root

    def counting(folder: Path) -> Path | None:
        asked.append(folder)
        return real(folder)

    monkeypatch.setattr(git, "repository_root", counting)
    work = tmp_path / "work"
    (work / "sub").mkdir(parents=True)
    assert writer.repository_root(work / "sub") is None
    _git(work, "init", "-q")  # a .git appears: asked again
    assert writer.repository_root(work / "sub") == work.resolve()
    assert writer.repository_root(work / "sub" / ".." / "sub") == work.resolve()
    assert len(asked) == 2
    (work / "sub" / ".git").write_text("gitdir: ../.git\n")  # a .git entry nearer the folder: asked again
    writer.repository_root(work / "sub")
    assert len(asked) == 3
