"""scaffold.new.git_facts: the branch, origin's default branch and origin's URL, from real git repositories that
try to make reading them hang, run something, or reach outside."""

from __future__ import annotations

import os
from pathlib import Path

from scaffold.new.git_facts import GitFacts, read_git
from scaffold.new.origin import MAX_URL
from tests.support.hang_guard import hang_guard
from tests.upgrade.support import commit_all, git

ORIGIN = "git@github.com:acme/x.git"


def repository(root: Path, branch: str = "trunk", origin: str | None = ORIGIN) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    git(root, "init", "-q", "-b", branch)
    if origin is not None:
        git(root, "config", "remote.origin.url", origin)
    return root


def test_a_repository_gives_its_branch_and_origin(tmp_path: Path) -> None:
    repo = repository(tmp_path / "x")
    git(repo, "symbolic-ref", "refs/remotes/origin/HEAD", "refs/remotes/origin/main")

    assert read_git(repo) == GitFacts(head="trunk", origin_head="main", origin_url=ORIGIN)


def test_a_folder_without_its_own_git_directory_gives_nothing(tmp_path: Path) -> None:
    repo = repository(tmp_path / "x")
    (repo / "service").mkdir()

    assert read_git(repo / "service") == GitFacts()  # the repository further up is not this folder's
    assert read_git(tmp_path / "missing") == GitFacts()


def test_a_linked_worktree_reads_its_own_branch_and_the_shared_origin(tmp_path: Path) -> None:
    repo = repository(tmp_path / "x")
    commit_all(repo, "first")
    git(repo, "worktree", "add", "-q", "-b", "feature", str(tmp_path / "wt"))

    assert (tmp_path / "wt" / ".git").is_file()
    assert read_git(tmp_path / "wt") == GitFacts(head="feature", origin_url=ORIGIN)


def test_a_symlinked_git_directory_is_not_read(tmp_path: Path) -> None:
    elsewhere = repository(tmp_path / "elsewhere")
    folder = tmp_path / "x"
    folder.mkdir()
    (folder / ".git").symlink_to(elsewhere / ".git")

    facts = read_git(folder)
    assert (facts.head, facts.origin_url) == (None, None)
    assert facts.skipped == (".git: is a symbolic link; the repository's git directory was not read",)


def test_a_git_file_without_a_gitdir_line_is_not_read(tmp_path: Path) -> None:
    folder = tmp_path / "x"
    folder.mkdir()
    (folder / ".git").write_text("gitdir: /a\ngitdir: /b\n")
    assert read_git(folder).skipped[0].startswith(".git: is a file without a single 'gitdir:' line")
    (folder / ".git").write_text("x" * 100_000)
    assert read_git(folder).skipped[0].startswith(".git: .git is larger than")


def test_fifos_where_git_reads_never_hang(tmp_path: Path) -> None:
    fifo_git = tmp_path / "fifo-git"
    fifo_git.mkdir()
    os.mkfifo(fifo_git / ".git")
    fifo_head = repository(tmp_path / "fifo-head")
    (fifo_head / ".git" / "HEAD").unlink()
    os.mkfifo(fifo_head / ".git" / "HEAD")
    fifo_config = repository(tmp_path / "fifo-config", origin=None)
    (fifo_config / ".git" / "config").unlink()
    os.mkfifo(fifo_config / ".git" / "config")
    fifo_gitdir = tmp_path / "fifo-gitdir"
    fifo_gitdir.mkdir()
    os.mkfifo(tmp_path / "pipe")
    (fifo_gitdir / ".git").write_text(f"gitdir: {tmp_path / 'pipe'}\n")

    with hang_guard():
        facts = {path.name: read_git(path) for path in (fifo_git, fifo_head, fifo_config, fifo_gitdir)}

    assert facts["fifo-git"].skipped == (
        ".git: is not a folder or a regular file; the repository's git directory was not read",
    )
    assert "HEAD is not a regular file" in facts["fifo-head"].skipped[0]
    assert "config is not a regular file" in facts["fifo-config"].skipped[0]
    assert "HEAD is missing" in facts["fifo-gitdir"].skipped[0]
    assert all(fact.origin_url is None for fact in facts.values())


def test_includes_are_not_followed_and_a_fifo_include_never_hangs(tmp_path: Path) -> None:
    repo = repository(tmp_path / "x", origin=None)
    (tmp_path / "included").write_text('[remote "origin"]\n\turl = https://github.com/evil/y\n')
    git(repo, "config", "include.path", str(tmp_path / "included"))
    assert read_git(repo).origin_url is None

    os.mkfifo(tmp_path / "pipe")
    git(repo, "config", "--add", "include.path", str(tmp_path / "pipe"))
    with hang_guard():
        facts = read_git(repo)
    assert facts.origin_url is None
    assert "which is not a regular file" in facts.skipped[0]


def test_an_over_long_origin_is_not_read(tmp_path: Path) -> None:
    repo = repository(tmp_path / "x", origin="https://github.com/acme/" + "x" * (MAX_URL + 10))
    facts = read_git(repo)
    assert facts.origin_url is None
    assert facts.skipped and "more than" in facts.skipped[0]


def test_reading_runs_nothing_the_repository_configures(tmp_path: Path) -> None:
    marker = tmp_path / "ran"
    command = f"touch {marker}"
    repo = repository(tmp_path / "x", origin=f"ext::sh -c touch% {marker}")
    for key in ("core.fsmonitor", "core.sshCommand", "credential.helper", "core.pager", "remote.origin.uploadpack"):
        git(repo, "config", key, command)
    hook = repo / ".git" / "hooks" / "post-checkout"
    hook.write_text(f"#!/bin/sh\n{command}\n")
    hook.chmod(0o755)

    facts = read_git(repo)

    assert facts.origin_url == f"ext::sh -c touch% {marker}"  # read as text, never used as a transport
    assert not marker.exists()
