"""Running the system's git inside a repository scaffold does not trust, so that the repository cannot make git
run a program.

A repository's own configuration (``.git/config`` and the files it includes) can name programs that git starts
by itself: an fsmonitor hook, hooks, filter drivers (``clean``, ``smudge``, ``process``) that ``git status``
runs on changed files, diff drivers and textconv, merge drivers, credential helpers, an ssh command, a proxy, and
transports that a partial clone would start to fetch a missing object. Every call here:

- passes ``-c`` overrides for the fixed names (``core.fsmonitor``, ``core.hooksPath``, ``diff.external``,
  ``credential.helper``, ``core.sshCommand``, ``protocol.allow`` ...), which win over every configuration file;
- reads the repository's configuration first (reading runs nothing) and empties every per-driver program it
  declares (``filter.<name>.clean`` and the like), since those names cannot be known in advance;
- runs with pathspecs taken literally, no replace objects, no optional locks, no lazy fetch and no prompt.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from collections.abc import Mapping
from pathlib import Path

_FIXED_OVERRIDES = (
    "core.fsmonitor=false",
    f"core.hooksPath={os.devnull}",
    "core.sshCommand=",
    "core.gitProxy=",
    "core.askPass=",
    "core.editor=:",
    "core.pager=cat",
    "core.alternateRefsCommand=",
    "diff.external=",
    "credential.helper=",
    "gpg.program=",
    "sequence.editor=:",
    "uploadpack.packObjectsHook=",
    "protocol.allow=never",
    "submodule.recurse=false",
    "status.submoduleSummary=false",
)
# Per-driver keys whose value git runs as a command: <section>.<name>.<key>, lower-cased as git prints them.
_DRIVER_PROGRAM = re.compile(
    r"(?:filter\.(?P<filter>.+)\.(?:clean|smudge|process)"
    r"|diff\..+\.(?:textconv|command)"
    r"|merge\..+\.driver"
    r"|credential\..+\.helper"
    r"|gpg\..+\.program"
    r"|remote\..+\.(?:uploadpack|receivepack|vcs|proxy))"
)
_SAFE_ENVIRONMENT = {
    "GIT_TERMINAL_PROMPT": "0",
    "GIT_ASKPASS": "",
    "SSH_ASKPASS": "",
    "GIT_PAGER": "cat",
    "GIT_EDITOR": ":",
    "GIT_LITERAL_PATHSPECS": "1",
    "GIT_NO_REPLACE_OBJECTS": "1",
    "GIT_OPTIONAL_LOCKS": "0",
    "GIT_NO_LAZY_FETCH": "1",
    "GIT_PROTOCOL_FROM_USER": "0",
}
_UNSET = ("GIT_EXTERNAL_DIFF", "GIT_SSH", "GIT_SSH_COMMAND", "GIT_PROXY_COMMAND", "GIT_EXEC_PATH")


class GitError(Exception):
    """git failed or is missing; the message is git's own first line of error."""


def git_executable() -> str:
    git = shutil.which("git")
    if git is None:
        raise GitError("git is not installed")
    return git


def environment(extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """The process environment for a git call: the user's, less program hooks, plus the safe settings."""
    env = {key: value for key, value in os.environ.items() if key not in _UNSET}
    return {**env, **_SAFE_ENVIRONMENT, **(extra or {})}


def run_git(
    folder: Path,
    *args: str,
    stdin: bytes | None = None,
    env: Mapping[str, str] | None = None,
) -> bytes:
    """Run ``git -C folder <overrides> args`` and return its output; raises GitError on failure."""
    git = git_executable()
    overrides = [*_FIXED_OVERRIDES, *_driver_overrides(git, folder)]
    command = [git, "-C", os.fspath(folder)]
    for override in overrides:
        command += ["-c", override]
    return _run([*command, *args], stdin, environment(env))


def _driver_overrides(git: str, folder: Path) -> list[str]:
    """An empty value for every program a driver section of the repository's configuration declares."""
    try:
        listing = [git, "-C", os.fspath(folder), "config", "--list", "--includes", "-z", "--name-only"]
        names = _run(listing, None, environment())
    except GitError:
        return []  # not a repository yet, or no configuration: nothing to neutralise
    overrides: list[str] = []
    for raw in names.split(b"\0"):
        name = os.fsdecode(raw.strip())
        match = _DRIVER_PROGRAM.fullmatch(name.lower()) if name else None
        if match is None or "\n" in name or "=" in name:
            continue
        overrides.append(f"{name}=")
        if match.group("filter") is not None:
            overrides.append(f"filter.{match.group('filter')}.required=false")
    return overrides


def _run(command: list[str], stdin: bytes | None, env: Mapping[str, str]) -> bytes:
    try:
        result = subprocess.run(command, input=stdin, capture_output=True, check=False, env=dict(env))
    except OSError as error:
        raise GitError(f"git could not be started: {error.strerror or error}") from None
    if result.returncode != 0:
        lines = result.stderr.decode(errors="replace").strip().splitlines()
        raise GitError(lines[0][:300] if lines else f"git {command[-1]} failed")
    return result.stdout
