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
import tempfile
import threading
from collections import deque
from collections.abc import Mapping, Sequence
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


class RefusedRepositoryError(GitError):
    """A repository git would block on (a FIFO or device where git reads, too many includes): refused before git
    runs. Unlike a folder outside any repository, this is bad input."""


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
    config: Sequence[tuple[str, str]] = (),
    timeout: float | None = None,
) -> bytes:
    """Run ``git -C folder args`` with every configurable program switched off; raises GitError on failure, and
    when the output would be longer than ``limit`` bytes (git is stopped; a hostile tree cannot flood memory).
    ``config`` adds overrides after the fixed ones (``("protocol.https.allow", "always")`` lets one call use one
    transport); ``timeout`` replaces ``TIMEOUT_SECONDS`` for this call."""
    git = git_executable()
    named = (env or {}).get("GIT_DIR")
    read = _configuration_files(folder, None if named is None else folder / named)
    overrides = [*_FIXED_OVERRIDES, *_remembered_driver_overrides(git, folder, read), *config]
    variables = environment({**_as_environment(overrides), **(env or {})})
    command = [git, "-C", os.fspath(folder), *args]
    seconds = TIMEOUT_SECONDS if timeout is None else timeout
    if limit is None:
        return _run(command, stdin, variables, seconds)
    return _run_limited(command, variables, limit, seconds)


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


_Fingerprint = tuple[tuple[str, tuple[int, int, int, int] | None], ...]
_DRIVERS: dict[tuple[str, str, _Fingerprint], list[tuple[str, str]]] = {}
_MAX_REMEMBERED = 256


def _remembered_driver_overrides(git: str, folder: Path, read: _Fingerprint | None) -> list[tuple[str, str]]:
    """``_driver_overrides``, listed once per repository while none of the configuration files git reads for it
    changes (the repository's files and their includes, as ``check_configuration`` found them, and the user's and
    the system's files): a run that calls git dozens of times in one repository lists its configuration once."""
    if read is None:  # outside a repository, or git would find it some other way: always ask
        return _driver_overrides(git, folder)
    key = (git, os.fspath(folder), read + _user_configuration())
    remembered = _DRIVERS.get(key)
    if remembered is None:
        if len(_DRIVERS) >= _MAX_REMEMBERED:
            _DRIVERS.clear()
        remembered = _DRIVERS[key] = _driver_overrides(git, folder)
    return list(remembered)


def _user_configuration() -> _Fingerprint:
    """The state of the configuration files outside the repository that ``git config --list`` also reads."""
    home = Path(os.environ.get("HOME", ""))
    xdg = Path(os.environ.get("XDG_CONFIG_HOME") or home / ".config")
    files = [
        str(os.environ.get("GIT_CONFIG_GLOBAL") or home / ".gitconfig"),
        str(xdg / "git" / "config"),
        os.environ.get("GIT_CONFIG_SYSTEM") or "/etc/gitconfig",
        "nosystem=" + os.environ.get("GIT_CONFIG_NOSYSTEM", ""),
    ]
    return tuple((name, _state(Path(name))) for name in files)


def _state(path: Path) -> tuple[int, int, int, int] | None:
    try:
        found = path.stat()
    except (OSError, ValueError):
        return None
    return (found.st_ino, found.st_size, found.st_mtime_ns, found.st_ctime_ns)


def _driver_overrides(git: str, folder: Path) -> list[tuple[str, str]]:
    """An empty value for every program a driver section of the repository's configuration declares."""
    try:
        listing = [git, "-C", os.fspath(folder), "config", "--list", "--includes", "-z", "--name-only"]
        names = _run(listing, None, environment(_as_environment(list(_FIXED_OVERRIDES))), TIMEOUT_SECONDS)
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


def check_configuration(folder: Path, git_dir: Path | None = None) -> None:
    """Refuse a repository git would block on: a configuration file, a file it includes (at any depth), or a file
    git reads on most calls (``HEAD``, ``commondir``, ``index``, ``packed-refs`` ...) that exists but is not a regular
    file (a FIFO, a device). git itself would wait on it until its time limit. ``git_dir`` is the git directory when
    the caller names it (``GIT_DIR``); otherwise it is found from ``folder`` the way git finds it."""
    _configuration_files(folder, git_dir)


def _configuration_files(folder: Path, git_dir: Path | None) -> _Fingerprint | None:
    """``check_configuration``, returning the state of every configuration file it read (None outside git)."""
    found = _git_directories(folder) if git_dir is None else _with_common_dir(git_dir)
    if found is None:
        return None
    own, common = found
    for name in _STATE_FILES:
        _regular_or_absent(own / name, "the repository's git directory")
    for name in _SHARED_STATE_FILES:
        _regular_or_absent(common / name, "the repository's git directory")
    return ((str(own), None), *_check_includes([own / "config", own / "config.worktree", common / "config"]))


def _check_includes(configs: list[Path]) -> _Fingerprint:
    """Each configuration file and every file it includes, breadth first: at most ``_MAX_CONFIG_FILES`` files and
    ``_MAX_INCLUDE_DEPTH`` levels (git itself stops at 10), whatever loops the includes make. Returns the state of
    each file visited."""
    queue: deque[tuple[Path, int, str]] = deque((config, 0, "the repository's git configuration") for config in configs)
    seen: set[str] = set()
    states: list[tuple[str, tuple[int, int, int, int] | None]] = []
    while queue:
        config, depth, what = queue.popleft()
        _regular_or_absent(config, what)
        key = str(config.absolute())
        if key in seen:
            continue
        seen.add(key)
        states.append((key, _state(config)))
        if len(seen) > _MAX_CONFIG_FILES:
            raise RefusedRepositoryError(
                f"the repository's git configuration includes more than {_MAX_CONFIG_FILES} files"
            )
        if depth >= _MAX_INCLUDE_DEPTH:
            continue
        try:
            text = read_text(config, limit=_MAX_CONFIG_BYTES)
        except UnreadableInput:
            continue
        for value in _include_paths(text):
            try:
                target = Path(value).expanduser()
            except RuntimeError:  # "~user" for a user that does not exist
                continue
            queue.append(
                (target if target.is_absolute() else config.parent / target, depth + 1, f"an include of {config}")
            )
    return tuple(states)


def _include_paths(text: str) -> list[str]:
    """The value of every ``path`` key in the text, whatever its section (more than git follows, never fewer)."""
    joined = text.replace("\\\r\n", "").replace("\\\n", "")  # a backslash at a line's end continues the value
    return [value for match in _INCLUDE_PATH.finditer(joined) if (value := _config_value(match.group(1)))]


def _config_value(raw: str) -> str:
    """A configuration value as git reads it: quotes removed, escapes resolved, a comment (``;`` or ``#`` outside
    quotes) and the whitespace around the value dropped."""
    value: list[str] = []
    kept = 0  # the length up to the last character that trailing-space trimming must keep
    quoted = False
    characters = iter(raw.strip())
    for character in characters:
        if character == '"':
            quoted = not quoted
            kept = len(value)
            continue
        if character == "\\":
            escaped = next(characters, "")
            value.append({"n": "\n", "t": "\t", "b": "\b"}.get(escaped, escaped))
            kept = len(value)
            continue
        if character in ";#" and not quoted:
            break
        value.append(character)
        if quoted or not character.isspace():
            kept = len(value)
    return "".join(value[:kept])


def gitdir_file_target(dot_git: Path) -> Path:
    """The git directory a ``.git`` file names (a linked worktree's or a submodule's), not resolved: its single
    ``gitdir:`` line, relative to the folder holding the file. Raises UnreadableInput when the file cannot be read,
    ValueError when it holds anything else."""
    line = read_text(dot_git, limit=4096).strip()
    if not line.startswith("gitdir:") or "\n" in line:
        raise ValueError("is a file without a single 'gitdir:' line")
    named = Path(line.removeprefix("gitdir:").strip())
    return named if named.is_absolute() else dot_git.parent / named


def _git_directories(folder: Path) -> tuple[Path, Path] | None:
    """The repository's git directory and common directory, found the way git finds them (a ``.git`` folder, or a
    ``.git`` file naming one), without running git; None outside a repository or when they cannot be read."""
    try:
        current = folder.resolve()
    except (OSError, RuntimeError):
        return None
    for candidate in (current, *current.parents):
        dot_git = candidate / ".git"
        try:
            if dot_git.is_dir():
                return _with_common_dir(dot_git)
            if not dot_git.is_file():
                continue
            return _with_common_dir(gitdir_file_target(dot_git))
        except (OSError, UnreadableInput, ValueError):
            return None
    return None


def _with_common_dir(git_dir: Path) -> tuple[Path, Path] | None:
    """``git_dir`` and the common directory its ``commondir`` file names (itself when there is none)."""
    common = git_dir / "commondir"
    _regular_or_absent(common, "the repository's git directory")
    try:
        if not common.is_file():
            return git_dir, git_dir
        shared = Path(read_text(common, limit=4096).strip())
    except (OSError, UnreadableInput):
        return None
    return git_dir, shared if shared.is_absolute() else git_dir / shared


def _regular_or_absent(path: Path, what: str) -> None:
    try:
        mode = path.stat().st_mode
    except OSError:
        return
    if not stat.S_ISREG(mode):
        raise RefusedRepositoryError(f"{what} names {path}, which is not a regular file; git would wait on it")


_MAX_CONFIG_BYTES = 1024 * 1024
_MAX_CONFIG_FILES = 64
_MAX_INCLUDE_DEPTH = 16
_INCLUDE_PATH = re.compile(r"(?:^|\])[ \t]*path[ \t]*=([^\n]*)$", re.MULTILINE | re.IGNORECASE)
# Files git reads on most calls, in the git directory of the work tree and in the directory it shares (one and the
# same outside a linked worktree): a FIFO there would block every call.
_STATE_FILES = ("HEAD", "index", "commondir")
_SHARED_STATE_FILES = (
    "HEAD",
    "packed-refs",
    "shallow",
    "info/exclude",
    "info/attributes",
    "info/grafts",
    "objects/info/alternates",
)
TIMEOUT_SECONDS = 120
"""The longest a git call may take; a repository that makes git wait longer is refused, never waited on."""


def _run_limited(command: list[str], env: Mapping[str, str], limit: int, seconds: float) -> bytes:
    """Like ``_run`` without input, reading at most ``limit`` bytes of output before git is stopped."""
    with tempfile.TemporaryFile() as errors:  # a file, not a pipe: git never blocks on what it says there
        try:
            process = subprocess.Popen(
                command, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=errors, env=dict(env)
            )
        except OSError as error:
            raise GitError(f"git could not be started: {error.strerror or error}") from None
        output, returncode = _read_limited(process, command, limit, seconds)
        if returncode != 0:
            errors.seek(0)
            lines = [line.strip() for line in errors.read(64 * 1024).decode(errors="replace").splitlines()]
            said = [line for line in lines if line.startswith(("fatal:", "error:"))] or [line for line in lines if line]
            raise GitError(printable(said[0], 300) if said else f"git {command[3]} failed")
        return output


def _read_limited(
    process: subprocess.Popen[bytes], command: list[str], limit: int, seconds: float
) -> tuple[bytes, int]:
    """git's output (at most ``limit`` bytes) and exit code; GitError when it prints more or runs past ``seconds``."""
    assert process.stdout is not None  # noqa: S101 (stdout=PIPE above)
    stopped = threading.Event()

    def stop() -> None:  # the read below waits for git: git is stopped at the time limit, which ends the read
        stopped.set()
        process.kill()

    timer = threading.Timer(seconds, stop)
    timer.daemon = True
    with process:
        timer.start()
        try:
            output = process.stdout.read(limit + 1)
            if len(output) > limit:
                process.kill()
                raise GitError(f"git {command[3]} gave more than {limit} bytes; the repository was not read")
            try:
                returncode = process.wait(timeout=seconds)
            except subprocess.TimeoutExpired:
                process.kill()
                stopped.set()
        finally:
            timer.cancel()
        if stopped.is_set():
            raise GitError(f"git did not finish within {seconds:g} s; the repository was not read")
    return output, returncode


def _run(command: list[str], stdin: bytes | None, env: Mapping[str, str], seconds: float) -> bytes:
    try:
        result = subprocess.run(
            command,
            input=stdin,
            stdin=None if stdin is not None else subprocess.DEVNULL,
            capture_output=True,
            check=False,
            env=dict(env),
            timeout=seconds,
        )
    except subprocess.TimeoutExpired:
        raise GitError(f"git did not finish within {seconds:g} s; the repository was not read") from None
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
    linked worktree), wherever they are: a ``.git`` file can place them under any name. Empty outside git.

    Inside git, one call usually names both; when it fails, or a path holds a line break, each is asked alone."""
    if repository_root(folder) is None:
        return ()
    try:
        lines = run_git(folder, "rev-parse", "--absolute-git-dir", "--git-common-dir").split(b"\n")
        if len(lines) == 3 and not lines[2]:  # two paths, each ended by a line break: neither holds one
            paths = [git_path(line) for line in lines[:2]]
            return tuple(dict.fromkeys((path if path.is_absolute() else folder / path).resolve() for path in paths))
    except (GitError, OSError, RuntimeError):
        pass
    found: list[Path] = []
    for option in ("--absolute-git-dir", "--git-common-dir"):
        try:
            path = git_path(run_git(folder, "rev-parse", option))
            found.append((path if path.is_absolute() else folder / path).resolve())
        except (GitError, OSError, RuntimeError):
            continue
    return tuple(dict.fromkeys(found))
