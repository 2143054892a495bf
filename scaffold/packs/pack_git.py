"""Running the system's git to fetch a pack: only the transports a pack may use, never a prompt, never a hang.

A pack is fetched into a fresh bare repository that scaffold creates itself, so the repository's own configuration
is scaffold's, not the pack author's. The user's global configuration stays in effect: a private pack over https
may need the user's credential helper, over ssh the user's keys and ``core.sshCommand``. What every call adds:

- ``GIT_ALLOW_PROTOCOL=file:git:http:https:ssh``: git refuses every other transport, ``ext::`` (which runs a
  command) and ``fd::`` included, even when the URL came through a redirect or a submodule;
- no terminal: git runs in a new session without a controlling terminal and with no standard input, and
  ``GIT_TERMINAL_PROMPT=0``, so neither git nor ssh can stop to ask for a password or a host key;
- a time limit, after which the whole process group (git and the ssh or helper it started) is killed;
- a cap on the bytes read from git's output, so a hostile server cannot flood memory with ref names;
- environment variables that would point git at another repository (``GIT_DIR`` and the like) are removed.
"""

from __future__ import annotations

import contextlib
import os
import selectors
import signal
import subprocess
import time
from pathlib import Path

from scaffold.untrusted.git import GitError, git_executable
from scaffold.untrusted.text import printable

TIMEOUT_SECONDS = 120
"""The longest one git call may take while fetching a pack; past it git is killed and the pack refused."""
ALLOWED_PROTOCOLS = "file:git:http:https:ssh"
DEFAULT_OUTPUT_LIMIT = 10 * 1024 * 1024
_STDERR_LIMIT = 64 * 1024
_POLL_SECONDS = 0.2
_SAFE_ENVIRONMENT = {
    "GIT_ALLOW_PROTOCOL": ALLOWED_PROTOCOLS,
    "GIT_TERMINAL_PROMPT": "0",
    "GCM_INTERACTIVE": "never",
    "GIT_PAGER": "cat",
    "GIT_EDITOR": ":",
    "GIT_NO_REPLACE_OBJECTS": "1",
    "GIT_NO_LAZY_FETCH": "1",
    "LC_ALL": "C",
    "LANGUAGE": "C",
}
_REPOSITORY_VARIABLES = (
    "GIT_DIR",
    "GIT_WORK_TREE",
    "GIT_INDEX_FILE",
    "GIT_OBJECT_DIRECTORY",
    "GIT_ALTERNATE_OBJECT_DIRECTORIES",
    "GIT_COMMON_DIR",
    "GIT_NAMESPACE",
    "GIT_CEILING_DIRECTORIES",
    "GIT_DISCOVERY_ACROSS_FILESYSTEM",
    "GIT_QUARANTINE_PATH",
    "GIT_REPLACE_REF_BASE",
    "GIT_SHALLOW_FILE",
    "GIT_EXEC_PATH",
)


_SESSION = {"own": True}


def keep_in_process_group() -> None:
    """Start git in the caller's process group from now on, not in a new session. For a process that is itself a
    session without a terminal (a fleet worker): stopping its group then stops the git it started too."""
    _SESSION["own"] = False


class PackGitError(GitError):
    """git failed, took too long or printed too much; the message is one printable line, ``stderr`` all git said
    (at most 64 KiB, undecoded)."""

    def __init__(self, message: str, stderr: bytes = b"") -> None:
        super().__init__(message)
        self.stderr = stderr


class OutputTooLarge(PackGitError):  # noqa: N818 (a reason, like the other git errors)
    """git printed more than the caller's cap; git was stopped."""


def pack_git_environment() -> dict[str, str]:
    """The environment of a git call that fetches or reads a pack."""
    inherited = {key: value for key, value in os.environ.items() if key not in _REPOSITORY_VARIABLES}
    return {**inherited, **_SAFE_ENVIRONMENT}


def run_pack_git(
    *args: str,
    git_dir: Path | None = None,
    stdin: Path | None = None,
    limit: int = DEFAULT_OUTPUT_LIMIT,
    timeout: float | None = None,
    work_tree: Path | None = None,
) -> tuple[bytes, bytes]:
    """Run ``git [--git-dir=git_dir] [-C work_tree] args``; return its standard output and error. Raises
    PackGitError when git fails (with git's first error line), runs past ``timeout`` (default ``TIMEOUT_SECONDS``)
    or prints more than ``limit`` bytes (OutputTooLarge). ``stdin`` names a file to feed git; otherwise git reads
    nothing."""
    place = [f"--git-dir={os.fspath(git_dir)}"] if git_dir is not None else []
    place += ["-C", os.fspath(work_tree)] if work_tree is not None else []
    command = [git_executable(), *place, *args]
    seconds = TIMEOUT_SECONDS if timeout is None else timeout
    with open(os.devnull if stdin is None else stdin, "rb") as source:  # noqa: PTH123 (a descriptor for Popen)
        try:
            process = subprocess.Popen(
                command,
                stdin=source,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                env=pack_git_environment(),
                cwd=os.fspath(git_dir) if git_dir is not None else None,
                start_new_session=_SESSION["own"],
            )
        except OSError as error:
            raise PackGitError(f"git could not be started: {error.strerror or error}") from None
    with process:
        try:
            stdout, stderr = _communicate(process, args[0], limit, seconds)
        except BaseException:
            _kill_group(process)
            raise
    if process.returncode != 0:
        message = _first_error_line(stderr) or f"git {args[0]} failed (exit {process.returncode})"
        raise PackGitError(message, stderr)
    return stdout, stderr


def _communicate(process: subprocess.Popen[bytes], name: str, limit: int, seconds: float) -> tuple[bytes, bytes]:
    deadline = time.monotonic() + seconds
    late = f"git {name} did not finish within {seconds:g} s and was stopped"
    assert process.stdout is not None and process.stderr is not None  # noqa: S101 (both are pipes above)
    stdout, stderr = bytearray(), bytearray()
    with selectors.DefaultSelector() as selector:
        selector.register(process.stdout, selectors.EVENT_READ, stdout)
        selector.register(process.stderr, selectors.EVENT_READ, stderr)
        exited = False
        while selector.get_map():
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise PackGitError(late)
            ready = selector.select(0 if exited else min(remaining, _POLL_SECONDS))
            if exited and not ready:
                break  # git is gone and all it wrote is read; something it started still holds the pipe open
            for key, _events in ready:
                chunk = os.read(key.fd, 1 << 16)
                if not chunk:
                    selector.unregister(key.fileobj)
                elif key.data is stderr:
                    stderr += chunk[: max(0, _STDERR_LIMIT - len(stderr))]
                else:
                    stdout += chunk
                    if len(stdout) > limit:
                        raise OutputTooLarge(f"git {name} printed more than {limit} bytes and was stopped")
            exited = exited or process.poll() is not None
    try:
        process.wait(timeout=max(0.0, deadline - time.monotonic()))
    except subprocess.TimeoutExpired:
        raise PackGitError(late) from None
    return bytes(stdout), bytes(stderr)


def _kill_group(process: subprocess.Popen[bytes]) -> None:
    """Stop git and everything it started (ssh, a credential helper), then reap git."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        if _SESSION["own"]:
            os.killpg(process.pid, signal.SIGKILL)
        else:  # git shares its caller's group: stop git alone; the caller's own group ends what git started
            process.kill()
    process.wait()


def _first_error_line(stderr: bytes) -> str:
    """The line that says what went wrong: the first ``fatal:`` or ``error:`` line, else the first line."""
    lines = [line.strip() for line in stderr.decode("utf-8", "replace").splitlines() if line.strip()]
    chosen = next((line for line in lines if line.startswith(("fatal:", "error:"))), lines[0] if lines else "")
    return printable(chosen, 300)
