"""scaffold's git calls never run a program that the repository's own configuration names."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from scaffold.untrusted.git import GitError, run_git
from scaffold.upgrade import line_merge, repo
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
