"""scaffold's git calls never run a program that the repository's own configuration names."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from scaffold.untrusted import git as git_module
from scaffold.untrusted.git import GitError, run_git
from scaffold.upgrade import line_merge, repo
from tests.support.hang_guard import hang_guard
from tests.upgrade.support import GIT_ENV, commit_all, git


def _hostile_repository(tmp_path: Path) -> tuple[Path, Path]:
    """A repository with a changed tracked file and a configuration in which every program hook leaves a mark."""
    work, marks = tmp_path / "work", tmp_path / "marks"
    work.mkdir()
    marks.mkdir()
    git(work, "init", "-q", "-b", "main")
    (work / ".gitattributes").write_text("* filter=evil diff=evil merge=evil\n")
    (work / "app.txt").write_text("one\n")
    commit_all(work, "initial")
    hooks = work / ".git" / "hooks"
    for hook in ("pre-commit", "post-checkout", "reference-transaction", "post-index-change"):
        (hooks / hook).write_text(f"#!/bin/sh\ntouch {marks}/hook-{hook}\n")
        (hooks / hook).chmod(0o755)
    config = {
        "core.fsmonitor": f"touch {marks}/fsmonitor; false",
        "filter.evil.clean": f"sh -c 'touch {marks}/clean; cat'",
        "filter.evil.smudge": f"sh -c 'touch {marks}/smudge; cat'",
        "filter.evil.process": f"sh -c 'touch {marks}/process'",
        "filter.evil.required": "true",
        "diff.evil.textconv": f"sh -c 'touch {marks}/textconv; cat \"$1\"' -",
        "diff.external": f"sh -c 'touch {marks}/external'",
        "merge.evil.driver": f"touch {marks}/merge",
        "credential.helper": f"!touch {marks}/credential",
        "core.sshCommand": f"touch {marks}/ssh",
    }
    for key, value in config.items():
        git(work, "config", key, value)
    (work / "app.txt").write_text("two, with a new size\n")
    os.utime(work / "app.txt", (1, 1))  # a changed stat, so status must look at the content
    return work, marks


def test_the_hostile_repository_does_run_programs_through_plain_git(tmp_path: Path) -> None:
    """The control: the same calls through an unguarded git leave marks, so the guarded test below can fail."""
    work, marks = _hostile_repository(tmp_path)
    subprocess.run(
        ["git", "-C", str(work), "status", "--porcelain"],
        capture_output=True,
        check=False,
        env={**os.environ, **GIT_ENV},
    )
    subprocess.run(
        ["git", "-C", str(work), "log", "-p", "--all"], capture_output=True, check=False, env={**os.environ, **GIT_ENV}
    )
    assert {"fsmonitor", "process"} <= {path.name for path in marks.iterdir()}


def test_scaffolds_git_calls_run_nothing_the_repository_configures(tmp_path: Path) -> None:
    work, marks = _hostile_repository(tmp_path)
    assert repo.repository_root(work) == work.resolve()
    assert repo.dirty_paths(work) == ["app.txt"]
    assert repo.tracked_paths(work, ".") == [".gitattributes", "app.txt"]
    commit = repo.store_base(work, {"app.txt": "one\n", "ci.yml": "on: push\n"}, "base")
    assert commit is not None
    assert repo.base_files(work) == {"app.txt": b"one\n", "ci.yml": b"on: push\n"}
    assert repo.historical_versions(work, "app.txt") == [b"one\n"]
    with pytest.raises(Exception, match="uncommitted changes"):
        repo.require_clean(work, ignore=())
    assert sorted(path.name for path in marks.iterdir()) == []


def test_the_line_merge_reads_no_repository_configuration(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    work, marks = _hostile_repository(tmp_path)
    monkeypatch.chdir(work)
    merged = line_merge.merge_lines("a\nb\nc\nd\ne\n", "a\nB\nc\nd\ne\n", "a\nb\nc\nd\nE\n")
    assert merged.conflicts == 0
    assert merged.text_without_conflicts() == "a\nB\nc\nd\nE\n"
    assert sorted(path.name for path in marks.iterdir()) == []


def test_an_included_configuration_file_is_neutralised_too(tmp_path: Path) -> None:
    work, marks = _hostile_repository(tmp_path)
    git(work, "config", "--unset", "filter.evil.clean")
    (work / "extra.cfg").write_text(f"[filter \"evil\"]\n\tclean = sh -c 'touch {marks}/included; cat'\n")
    git(work, "config", "include.path", "../extra.cfg")
    repo.dirty_paths(work)
    assert sorted(path.name for path in marks.iterdir()) == []


def test_git_output_with_a_non_utf8_path_is_decoded_losslessly(tmp_path: Path) -> None:
    folder = Path(os.fsdecode(bytes(tmp_path) + b"/caf\xe9"))
    folder.mkdir()
    git(folder, "init", "-q", "-b", "main")
    assert repo.repository_root(folder) == folder.resolve()
    assert run_git(folder, "rev-parse", "--is-inside-work-tree").strip() == b"true"


def test_a_corrupt_index_is_a_usage_error_not_a_traceback(tmp_path: Path) -> None:
    work = tmp_path / "work"
    work.mkdir()
    git(work, "init", "-q", "-b", "main")
    (work / "a.txt").write_text("a\n")
    commit_all(work, "initial")
    (work / ".git" / "index").write_bytes(b"DIRC" + b"\xff" * 40)
    with pytest.raises(Exception, match="git cannot tell whether the tree is clean") as caught:
        repo.require_clean(work, ignore=())
    assert type(caught.value).__name__ == "UsageError"
    assert "\n" not in str(caught.value)


def test_a_filter_whose_name_holds_an_equals_sign_is_switched_off_too(tmp_path: Path) -> None:
    work, marks = _hostile_repository(tmp_path)
    (work / ".gitattributes").write_text("* filter=a=b\n")
    git(work, "config", "filter.a=b.clean", f"sh -c 'touch {marks}/equals; cat'")
    git(work, "config", "filter.a=b.process", f"sh -c 'touch {marks}/equals-process'")
    os.utime(work / "app.txt", (2, 2))
    repo.dirty_paths(work)
    assert sorted(path.name for path in marks.iterdir()) == []


@pytest.mark.parametrize("where", ["config", "include"])
def test_a_configuration_git_would_block_on_is_refused_at_once(tmp_path: Path, where: str) -> None:
    work = tmp_path / "work"
    work.mkdir()
    git(work, "init", "-q", "-b", "main")
    if where == "include":
        os.mkfifo(work / ".git" / "inc")
        with (work / ".git" / "config").open("a") as config:
            config.write("[include]\n\tpath = inc\n")
    else:
        (work / ".git" / "config").rename(work / ".git" / "config.saved")
        os.mkfifo(work / ".git" / "config")
    with pytest.raises(GitError, match="not a regular file; git would wait on it"):
        run_git(work, "status")
    assert repo.repository_root(work) is None


@pytest.mark.parametrize(
    "line",
    [
        "\tpath = {pipe}\n",
        '\tPATH = "{pipe}" ; a comment\n',
        "\tpath = {pipe} # a comment\n",
        "\tpath = {half}\\\n{rest}\n",
    ],
    ids=["plain", "quoted-with-comment", "hash-comment", "continued-line"],
)
def test_an_include_of_an_include_git_would_block_on_is_refused_at_once(tmp_path: Path, line: str) -> None:
    work = tmp_path / "work"
    work.mkdir()
    git(work, "init", "-q", "-b", "main")
    pipe = tmp_path / "pipe"
    os.mkfifo(pipe)
    half = len(str(pipe)) // 2
    (tmp_path / "second.cfg").write_text(
        "[include]\n" + line.format(pipe=pipe, half=str(pipe)[:half], rest=str(pipe)[half:])
    )
    (tmp_path / "first.cfg").write_text("[core]\n\tbare = false\n[include] path = second.cfg\n")
    git(work, "config", "include.path", str(tmp_path / "first.cfg"))
    with (
        hang_guard(),
        pytest.raises(GitError, match=r"an include of .*second\.cfg names .*pipe, which is not a regular"),
    ):
        run_git(work, "status")


def test_an_include_loop_ends_with_gits_own_error_and_too_many_includes_are_refused(tmp_path: Path) -> None:
    work = tmp_path / "work"
    work.mkdir()
    git(work, "init", "-q", "-b", "main")
    (work / ".git" / "a.inc").write_text("[include]\n\tpath = b.inc\n")
    (work / ".git" / "b.inc").write_text("[include]\n\tpath = a.inc\n")
    git(work, "config", "include.path", "a.inc")
    with hang_guard(), pytest.raises(GitError, match="exceeded maximum include depth"):
        run_git(work, "status")
    (work / ".git" / "b.inc").write_text("")  # the loop is broken
    for number in range(100):
        (work / ".git" / f"{number}.inc").write_text("[core]\n\tbare = false\n")
        git(work, "config", "--add", "include.path", f"{number}.inc")
    with pytest.raises(GitError, match="includes more than 64 files"):
        run_git(work, "status")


@pytest.mark.parametrize("name", ["HEAD", "index", "packed-refs", "commondir", "objects/info/alternates"])
def test_a_file_git_reads_on_every_call_that_is_a_fifo_is_refused_at_once(tmp_path: Path, name: str) -> None:
    work = _committed_repository(tmp_path / "work")
    fifo = work / ".git" / name
    fifo.unlink(missing_ok=True)
    os.mkfifo(fifo)
    with hang_guard():
        with pytest.raises(GitError, match=f"{name}, which is not a regular file; git would wait on it"):
            run_git(work, "status")
        assert repo.repository_root(work) is None


def test_a_limited_read_has_a_time_limit_too(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    work = _committed_repository(tmp_path / "work")
    os.mkfifo(work / ".git" / "refs" / "heads" / "stuck")  # git blocks opening it, and only the time limit ends that
    monkeypatch.setattr(git_module, "TIMEOUT_SECONDS", 2)
    try:
        with hang_guard(), pytest.raises(GitError, match="did not finish within 2 s"):
            run_git(work, "for-each-ref", "refs/heads/", limit=1024)
    finally:
        os.close(os.open(work / ".git" / "refs" / "heads" / "stuck", os.O_RDWR | os.O_NONBLOCK))


def _committed_repository(path: Path) -> Path:
    path.mkdir()
    git(path, "init", "-q", "-b", "main")
    (path / "a.txt").write_text("a\n")
    commit_all(path, "initial")
    git(path, "pack-refs", "--all")
    return path


def test_the_configuration_is_listed_once_per_repository_while_it_is_unchanged(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    work, marks = _hostile_repository(tmp_path)
    listings: list[Path] = []
    listing = git_module._driver_overrides

    def counted(git: str, folder: Path) -> list[tuple[str, str]]:
        listings.append(folder)
        return listing(git, folder)

    monkeypatch.setattr(git_module, "_driver_overrides", counted)
    monkeypatch.setattr(git_module, "_DRIVERS", {})
    for _ in range(3):
        run_git(work, "status", "--porcelain")
    assert listings == [work]
    assert sorted(path.name for path in marks.iterdir()) == []


@pytest.mark.parametrize("where", ["config", "include"])
def test_a_driver_added_between_two_calls_is_switched_off_on_the_second(tmp_path: Path, where: str) -> None:
    """What was remembered of the configuration is dropped as soon as a file git reads for it changes."""
    work, marks = tmp_path / "work", tmp_path / "marks"
    work.mkdir()
    marks.mkdir()
    git(work, "init", "-q", "-b", "main")
    (work / ".gitattributes").write_text("* filter=late\n")
    (work / "app.txt").write_text("one\n")
    commit_all(work, "initial")
    (work / ".git" / "extra.cfg").write_text("[core]\n\tquotePath = false\n")
    git(work, "config", "include.path", "extra.cfg")
    run_git(work, "status", "--porcelain")  # remembered: no driver declared
    driver = f'[filter "late"]\n\tclean = "sh -c \'touch {marks}/late; cat\'"\n'
    target = work / ".git" / ("config" if where == "config" else "extra.cfg")
    with target.open("a", encoding="utf-8") as handle:
        handle.write(driver)
    (work / "app.txt").write_text("two\n")  # the same size: only the content (through the filter) can tell
    os.utime(work / "app.txt", (1, 1))
    assert run_git(work, "status", "--porcelain").strip() == b"M app.txt"
    assert sorted(path.name for path in marks.iterdir()) == []
