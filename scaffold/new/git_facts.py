"""What a repository's own git directory says: the branch checked out, origin's default branch, and the URL of
the ``origin`` remote. Read without the network and without letting the repository run anything.

Only the repository whose work tree is the folder itself is read (``root/.git``), never one further up. Its
``.git`` may be a folder or a ``gitdir:`` file (a linked worktree or a submodule); a ``.git`` that is a symbolic
link, a FIFO or a device is not read, and neither is a git directory whose ``HEAD`` or ``commondir`` is not a
regular file (git would wait forever on a FIFO there). Symbolic refs are small files, read with a size cap. The
remote's URL is read by git itself (``scaffold.untrusted.git.run_git``: no hooks, no configured programs, a time
limit and an output cap) from the repository's own configuration file, without following its includes.
"""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass
from pathlib import Path

from scaffold.kit.answers import check_one
from scaffold.new.origin import MAX_URL
from scaffold.untrusted.git import GitError, gitdir_file_target, run_git
from scaffold.untrusted.read import UnreadableInput, read_text
from scaffold.untrusted.text import printable

__all__ = ["GitFacts", "read_git"]

_MAX_REF_FILE = 4096


@dataclass(frozen=True)
class GitFacts:
    head: str | None = None
    """The branch checked out (None when detached or unknown)."""
    origin_head: str | None = None
    """origin's default branch as git last fetched it (``refs/remotes/origin/HEAD``)."""
    origin_url: str | None = None
    """The raw URL of ``origin``: untrusted text, at most ``MAX_URL`` characters, never printed as it is."""
    skipped: tuple[str, ...] = ()
    """"what: why" for each part of the git directory that was not read."""


def read_git(root: Path) -> GitFacts:
    """The git facts of the repository whose work tree is ``root``; empty outside a repository."""
    dot_git = root / ".git"
    try:
        mode = dot_git.lstat().st_mode
    except OSError:
        return GitFacts()
    if stat.S_ISLNK(mode):
        return GitFacts(skipped=(".git: is a symbolic link; the repository's git directory was not read",))
    try:
        git_dir, common_dir = _git_dirs(dot_git, mode)
    except _Unreadable as problem:
        return GitFacts(skipped=(f".git: {problem}; the repository's git directory was not read",))
    # Without an object store git would not take it for a repository: there is no configuration to ask it about.
    url, skipped = _origin_url(root, dot_git) if (common_dir / "objects").is_dir() else (None, ())
    return GitFacts(
        head=_branch(git_dir / "HEAD", "refs/heads/"),
        origin_head=_branch(common_dir / "refs" / "remotes" / "origin" / "HEAD", "refs/remotes/origin/"),
        origin_url=url,
        skipped=skipped,
    )


class _Unreadable(Exception):  # noqa: N818 (a reason)
    pass


def _git_dirs(dot_git: Path, mode: int) -> tuple[Path, Path]:
    """The git directory and the common directory (they differ in a linked worktree)."""
    if stat.S_ISDIR(mode):
        git_dir = dot_git
    elif stat.S_ISREG(mode):
        try:
            git_dir = gitdir_file_target(dot_git)
        except UnreadableInput as error:
            raise _Unreadable(f"{dot_git.name} {error}") from None
        except ValueError as error:
            raise _Unreadable(str(error)) from None
    else:
        raise _Unreadable("is not a folder or a regular file")
    _regular(git_dir / "HEAD", required=True)
    common_dir = git_dir
    if _regular(git_dir / "commondir", required=False):
        shared = Path(_small_text(git_dir / "commondir").strip())
        common_dir = shared if shared.is_absolute() else git_dir / shared
    _regular(common_dir / "config", required=False)
    return git_dir, common_dir


def _regular(path: Path, *, required: bool) -> bool:
    """Whether ``path`` exists as a regular file; anything else that exists there is refused."""
    try:
        mode = path.stat().st_mode
    except OSError:
        if required:
            raise _Unreadable(f"{path.name} is missing") from None
        return False
    if not stat.S_ISREG(mode):
        raise _Unreadable(f"its {path.name} is not a regular file")
    return True


def _small_text(path: Path) -> str:
    try:
        return read_text(path, limit=_MAX_REF_FILE)
    except UnreadableInput as error:
        raise _Unreadable(f"{path.name} {error}") from None


def _branch(path: Path, prefix: str) -> str | None:
    """The branch a symbolic ref file names below ``prefix``, when it is a valid branch answer."""
    try:
        text = read_text(path, limit=_MAX_REF_FILE).strip()
    except UnreadableInput:
        return None
    if not text.startswith(f"ref: {prefix}"):
        return None
    branch = text.removeprefix(f"ref: {prefix}")
    return branch if check_one("default_branch", branch) is None else None


def _origin_url(root: Path, dot_git: Path) -> tuple[str | None, tuple[str, ...]]:
    """origin's URL from the repository's own configuration file (no includes, no user or system files)."""
    try:
        output = run_git(
            root,
            "config",
            "--local",
            "--no-includes",
            "--default=",
            "--get",
            "remote.origin.url",
            env={"GIT_DIR": os.fspath(dot_git)},
            limit=MAX_URL + 1,
        )
    except GitError as error:
        return None, (f".git/config: origin's URL was not read: {printable(str(error), 200)}",)
    url = os.fsdecode(output).removesuffix("\n")
    if not url:
        return None, ()
    if len(url) > MAX_URL:
        return None, (f".git/config: origin's URL is longer than {MAX_URL} characters; not read",)
    try:  # --get names the last of several URLs, while git fetches from the first: read none of them then
        every = run_git(
            root,
            "config",
            "--local",
            "--no-includes",
            "--null",
            "--get-all",
            "remote.origin.url",
            env={"GIT_DIR": os.fspath(dot_git)},
            limit=2 * (MAX_URL + 1),
        )
    except GitError:  # git follows includes for --get-all even with --no-includes: a loop there stops it
        return url, ()
    if every.count(b"\0") > 1:
        return None, (".git/config: origin has several URLs (a push mirror?); none was read",)
    return url, ()
