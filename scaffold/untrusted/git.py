"""Running the system's git inside a repository scaffold does not trust, so that the repository cannot make git
run a program.

A repository's own configuration (``.git/config`` and the files it includes) can name programs that git starts
by itself: an fsmonitor hook, hooks, filter drivers (``clean``, ``smudge``, ``process``) that ``git status``
runs on changed files, diff drivers and textconv, merge drivers, credential helpers, an ssh command, a proxy, and
transports that a partial clone would start to fetch a missing object. Every call here:

- passes overrides (as ``GIT_CONFIG_COUNT`` variables, which win over every configuration file as ``-c`` does)
  for the fixed names (``core.fsmonitor``, ``core.hooksPath``, ``diff.external``, ``credential.helper``,
  ``core.sshCommand``, ``protocol.allow`` ...);
- reads the repository's configuration first (reading runs nothing) and empties every per-driver program it
  declares (``filter.<name>.clean`` and the like), since those names cannot be known in advance;
- runs with pathspecs taken literally, no replace objects, no optional locks, no lazy fetch and no prompt, with
  no standard input and a time limit;
- refuses a repository whose configuration file, or a file it includes, is a FIFO or a device, on which git
  would wait forever.
"""

from __future__ import annotations

import os
import re
import shutil
import stat
import subprocess
from collections.abc import Mapping
from pathlib import Path

from scaffold.untrusted.read import UnreadableInput, read_text
from scaffold.untrusted.text import printable

_FIXED_OVERRIDES = (
    ("core.fsmonitor", "false"),
    ("core.hooksPath", os.devnull),
    ("core.sshCommand", ""),
    ("core.gitProxy", ""),
    ("core.askPass", ""),
    ("core.editor", ":"),
    ("core.pager", "cat"),
    ("core.alternateRefsCommand", ""),
    ("diff.external", ""),
    ("credential.helper", ""),
    ("gpg.program", ""),
    ("sequence.editor", ":"),
    ("uploadpack.packObjectsHook", ""),
    ("protocol.allow", "never"),
    ("submodule.recurse", "false"),
    ("status.submoduleSummary", "false"),
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
    limit: int | None = None,
) -> bytes:
    """Run ``git -C folder args`` with every configurable program switched off; raises GitError on failure, and
    when the output would be longer than ``limit`` bytes (git is stopped; a hostile tree cannot flood memory)."""
    git = git_executable()
    check_configuration(folder)
    overrides = [*_FIXED_OVERRIDES, *_driver_overrides(git, folder)]
    variables = environment({**_as_environment(overrides), **(env or {})})
    command = [git, "-C", os.fspath(folder), *args]
    return _run(command, stdin, variables) if limit is None else _run_limited(command, variables, limit)


def _as_environment(overrides: list[tuple[str, str]]) -> dict[str, str]:
    """Configuration overrides as ``GIT_CONFIG_COUNT`` variables: like ``-c``, they win over every configuration
    file, and unlike ``-c`` they can name a key that holds ``=`` (a filter called ``a=b``)."""
    count = os.environ.get("GIT_CONFIG_COUNT", "")
    inherited = int(count) if count.isdigit() else 0  # the user's own overrides stay; ours come after them
    variables = {"GIT_CONFIG_COUNT": str(inherited + len(overrides))}
    for number, (key, value) in enumerate(overrides, start=inherited):
        variables[f"GIT_CONFIG_KEY_{number}"] = key
        variables[f"GIT_CONFIG_VALUE_{number}"] = value
    return variables


def _driver_overrides(git: str, folder: Path) -> list[tuple[str, str]]:
    """An empty value for every program a driver section of the repository's configuration declares."""
    try:
        listing = [git, "-C", os.fspath(folder), "config", "--list", "--includes", "-z", "--name-only"]
        names = _run(listing, None, environment(_as_environment(list(_FIXED_OVERRIDES))))
    except GitError:
        return []  # not a repository yet, or no configuration: nothing to neutralise
    overrides: list[tuple[str, str]] = []
    for raw in names.split(b"\0"):
        name = os.fsdecode(raw.strip())
        match = _DRIVER_PROGRAM.fullmatch(name.lower()) if name else None
        if match is None:
            continue
        overrides.append((name, ""))
        if match.group("filter") is not None:
            overrides.append((f"filter.{match.group('filter')}.required", "false"))
    return overrides


def check_configuration(folder: Path) -> None:
    """Refuse a repository whose git configuration git would block on: a configuration file, or a file it
    includes, that exists but is not a regular file (a FIFO, a device). git itself would wait forever."""
    for config in _configuration_files(folder):
        _regular_or_absent(config, "the repository's git configuration")
        try:
            text = read_text(config, limit=_MAX_CONFIG_BYTES)
        except UnreadableInput:
            continue
        for match in _INCLUDE_PATH.finditer(text):
            value = match.group(1).strip().strip('"')
            try:
                target = Path(value).expanduser()
            except RuntimeError:  # "~user" for a user that does not exist
                continue
            _regular_or_absent(target if target.is_absolute() else config.parent / target, f"an include of {config}")


def _configuration_files(folder: Path) -> list[Path]:
    """The repository's own configuration files, found the way git finds its directory (a ``.git`` folder, or a
    ``.git`` file naming it), without running git."""
    try:
        current = folder.resolve()
    except (OSError, RuntimeError):
        return []
    for candidate in (current, *current.parents):
        dot_git = candidate / ".git"
        try:
            if dot_git.is_dir():
                git_dir = dot_git
            elif dot_git.is_file():
                line = read_text(dot_git, limit=4096).strip()
                if not line.startswith("gitdir:"):
                    return []
                git_dir = Path(line.removeprefix("gitdir:").strip())
                git_dir = git_dir if git_dir.is_absolute() else candidate / git_dir
            else:
                continue
            files = [git_dir / "config", git_dir / "config.worktree"]
            common = git_dir / "commondir"
            if common.is_file():
                shared = Path(read_text(common, limit=4096).strip())
                files.append((shared if shared.is_absolute() else git_dir / shared) / "config")
            return files
        except (OSError, UnreadableInput):
            return []
    return []


def _regular_or_absent(path: Path, what: str) -> None:
    try:
        mode = path.stat().st_mode
    except OSError:
        return
    if not stat.S_ISREG(mode):
        raise GitError(f"{what} names {path}, which is not a regular file; git would wait on it")


_MAX_CONFIG_BYTES = 1024 * 1024
_INCLUDE_PATH = re.compile(r"^[ \t]*path[ \t]*=[ \t]*([^\n]*)$", re.MULTILINE | re.IGNORECASE)
TIMEOUT_SECONDS = 120
"""The longest a git call may take; a repository that makes git wait longer is refused, never waited on."""


def _run_limited(command: list[str], env: Mapping[str, str], limit: int) -> bytes:
    """Like ``_run`` without input, reading at most ``limit`` bytes of output before git is stopped."""
    try:
        process = subprocess.Popen(
            command, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=dict(env)
        )
    except OSError as error:
        raise GitError(f"git could not be started: {error.strerror or error}") from None
    assert process.stdout is not None  # noqa: S101 (stdout=PIPE above)
    with process:
        output = process.stdout.read(limit + 1)
        if len(output) > limit:
            process.kill()
            raise GitError(f"git {command[3]} gave more than {limit} bytes; the repository was not read")
        try:
            returncode = process.wait(timeout=TIMEOUT_SECONDS)
        except subprocess.TimeoutExpired:
            process.kill()
            raise GitError(f"git did not finish within {TIMEOUT_SECONDS} s; the repository was not read") from None
    if returncode != 0:
        raise GitError(f"git {command[3]} failed")
    return output


def _run(command: list[str], stdin: bytes | None, env: Mapping[str, str]) -> bytes:
    try:
        result = subprocess.run(
            command,
            input=stdin,
            stdin=None if stdin is not None else subprocess.DEVNULL,
            capture_output=True,
            check=False,
            env=dict(env),
            timeout=TIMEOUT_SECONDS,
        )
    except subprocess.TimeoutExpired:
        raise GitError(f"git did not finish within {TIMEOUT_SECONDS} s; the repository was not read") from None
    except OSError as error:
        raise GitError(f"git could not be started: {error.strerror or error}") from None
    if result.returncode != 0:
        lines = result.stderr.decode(errors="replace").strip().splitlines()
        raise GitError(printable(lines[0], 300) if lines else f"git {command[-1]} failed")
    return result.stdout


def git_path(output: bytes) -> Path:
    """A path git printed, decoded as the file system encodes names (a non-UTF-8 name survives)."""
    return Path(os.fsdecode(output.rstrip(b"\n")))


def repository_root(folder: Path) -> Path | None:
    """The top of the git work tree holding ``folder``, or None when it is not in one (or git is missing)."""
    try:
        return git_path(run_git(folder, "rev-parse", "--show-toplevel")).resolve()
    except (GitError, OSError, RuntimeError):
        return None


def git_dirs(folder: Path) -> tuple[Path, ...]:
    """The resolved git directory and common directory of the repository holding ``folder`` (they differ in a
    linked worktree), wherever they are: a ``.git`` file can place them under any name. Empty outside git."""
    if repository_root(folder) is None:
        return ()
    found: list[Path] = []
    for option in ("--absolute-git-dir", "--git-common-dir"):
        try:
            path = git_path(run_git(folder, "rev-parse", option))
            found.append((path if path.is_absolute() else folder / path).resolve())
        except (GitError, OSError, RuntimeError):
            continue
    return tuple(dict.fromkeys(found))
