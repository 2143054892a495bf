"""A repository named by URL, cloned into scaffold's cache (one folder per URL) and brought up to date with the
remote's default branch on every run. The clone is scaffold's own: it is reset to the remote, never edited by hand.
Git runs through ``run_pack_git``: only the file, git, http(s) and ssh transports, no prompt, a time limit."""

from __future__ import annotations

import shutil
from pathlib import Path

from scaffold.errors import UsageError
from scaffold.fleet.targets import Target
from scaffold.packs.pack_git import PackGitError, run_pack_git
from scaffold.packs.source import parse_remote
from scaffold.untrusted.text import printable

CLONE_TIMEOUT_SECONDS = 600
_SAFE = ("-c", "core.hooksPath=/dev/null", "-c", "core.fsmonitor=false", "-c", "submodule.recurse=false")


def local_copy(target: Target, cache: Path) -> Path:
    """The folder holding ``target``'s files at the tip of its remote's default branch."""
    try:
        parse_remote(target.spec)
    except UsageError as error:
        raise UsageError(str(error).replace("--pack ", "repository ", 1)) from None
    folder = cache / "clones" / target.key
    try:
        if (folder / ".git").is_dir():
            _refresh(folder)
        else:
            shutil.rmtree(folder, ignore_errors=True)  # a clone that never finished
            folder.parent.mkdir(parents=True, exist_ok=True)
            run_pack_git(
                *_SAFE,
                "clone",
                "--quiet",
                "--no-recurse-submodules",
                "--",
                target.spec,
                str(folder),
                timeout=CLONE_TIMEOUT_SECONDS,
            )
    except PackGitError as error:
        raise UsageError(f"repository {printable(target.spec, 200)}: {error}") from None
    return folder


def _refresh(folder: Path) -> None:
    run_pack_git(
        *_SAFE, "fetch", "--quiet", "--prune", "origin", "HEAD", work_tree=folder, timeout=CLONE_TIMEOUT_SECONDS
    )
    run_pack_git(*_SAFE, "checkout", "--quiet", "--force", "--detach", "FETCH_HEAD", work_tree=folder)
    run_pack_git(*_SAFE, "clean", "--quiet", "-ffdx", work_tree=folder)
