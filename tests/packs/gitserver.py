"""Real pack repositories for the tests: bare repositories built from a dict of files, tags (optionally signed
with an ssh-keygen key), a ``git daemon`` serving them on 127.0.0.1, and allowed-signers files.

Trees are written with git's plumbing (``hash-object --literally``), not with ``git add``, so a test can build the
trees a hostile pack author would: a symlink, a submodule, a ``..`` or ``.GIT`` path that ``git add`` refuses.

A missing ``git daemon`` or ``ssh-keygen`` skips the test with the reason, except under CI=true, where it fails.
On Debian, ``git daemon`` is in the ``git`` package and ``ssh-keygen`` in ``openssh-client``.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import threading
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

import pytest

GIT_TEST_ENV = {
    "GIT_AUTHOR_NAME": "Pack Author",
    "GIT_AUTHOR_EMAIL": "author@example.com",
    "GIT_COMMITTER_NAME": "Pack Author",
    "GIT_COMMITTER_EMAIL": "author@example.com",
    "GIT_AUTHOR_DATE": "2025-01-01T00:00:00Z",
    "GIT_COMMITTER_DATE": "2025-01-01T00:00:00Z",
    "GIT_CONFIG_GLOBAL": os.devnull,
    "GIT_CONFIG_NOSYSTEM": "1",
}
STARTUP_SECONDS = 20


def _missing(message: str) -> None:
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"{message} (CI=true: a missing tool fails the run)")
    pytest.skip(message)


def require_git() -> str:
    git = shutil.which("git")
    if git is None:
        _missing("git is not installed (Debian package: git)")
    assert git is not None
    return git


def require_git_daemon() -> str:
    """The git that has a ``git daemon`` (a separate program in git's exec path)."""
    git = require_git()
    exec_path = subprocess.run([git, "--exec-path"], capture_output=True, text=True, check=False).stdout.strip()
    daemon = Path(exec_path) / "git-daemon"
    if not (daemon.is_file() and os.access(daemon, os.X_OK)):
        _missing(f"git daemon is not installed ({daemon} is missing; Debian package: git)")
    return git


def require_ssh_keygen() -> str:
    keygen = shutil.which("ssh-keygen")
    if keygen is None:
        _missing("ssh-keygen is not installed (Debian package: openssh-client)")
    assert keygen is not None
    return keygen


@pytest.fixture
def isolated_git(monkeypatch: pytest.MonkeyPatch) -> None:
    """The tester's own git configuration stays out: git under test reads no global or system file."""
    require_git()
    for key, value in GIT_TEST_ENV.items():
        monkeypatch.setenv(key, value)


def git(repo: Path, *args: str, stdin: bytes | None = None) -> str:
    """Run ``git --git-dir=repo`` (a bare repository) with the test identity; AssertionError when it fails."""
    result = subprocess.run(
        [require_git(), f"--git-dir={repo}", *args],
        input=stdin,
        capture_output=True,
        check=False,
        env={**os.environ, **GIT_TEST_ENV},
        timeout=120,
    )
    if result.returncode != 0:
        raise AssertionError(f"git {' '.join(args)} failed: {result.stderr.decode(errors='replace')}")
    return result.stdout.decode(errors="replace").strip()


# Repositories ------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Link:
    """A symlink entry (mode 120000) pointing at ``target``."""

    target: str


@dataclass(frozen=True)
class Submodule:
    """A submodule entry (mode 160000) pinned at ``commit``."""

    commit: str = "0123456789abcdef0123456789abcdef01234567"


@dataclass(frozen=True)
class Executable:
    """A regular file with mode 100755."""

    content: str


Entry = str | bytes | Link | Submodule | Executable


class PackRepo:
    """A bare repository holding a pack; commits go on ``main``."""

    def __init__(self, bare: Path) -> None:
        self.bare = bare
        self._blobs: dict[bytes, str] = {}

    @classmethod
    def create(cls, bare: Path) -> PackRepo:
        bare.parent.mkdir(parents=True, exist_ok=True)
        subprocess.run(
            [require_git(), "init", "--quiet", "--bare", "--initial-branch=main", str(bare)],
            check=True,
            env={**os.environ, **GIT_TEST_ENV},
        )
        return cls(bare)

    @property
    def file_url(self) -> str:
        return self.bare.resolve().as_uri()

    def commit(self, files: Mapping[str, Entry], message: str = "pack", branch: str = "main") -> str:
        """Commit exactly ``files`` (paths split on '/', written as given, unchecked) on top of ``branch``."""
        tree = self._tree({tuple(path.split("/")): entry for path, entry in files.items()})
        parent = self._head(branch)
        commit = git(self.bare, "commit-tree", tree, *(["-p", parent] if parent else []), "-m", message)
        git(self.bare, "update-ref", f"refs/heads/{branch}", commit)
        return commit

    def tag(self, name: str, commit: str | None = None, *, key: Path | None = None, annotated: bool = True) -> None:
        """Tag ``commit`` (default: main): annotated, signed with the ssh private ``key`` when given, or
        lightweight when ``annotated`` is False."""
        target = commit or self._head("main")
        assert target is not None, "commit something before tagging"
        if key is not None:
            signing = ["-c", "gpg.format=ssh", "-c", f"user.signingkey={key}"]
            git(self.bare, *signing, "tag", "-s", "-m", f"release {name}", name, target)
        elif annotated:
            git(self.bare, "tag", "-a", "-m", f"release {name}", name, target)
        else:
            git(self.bare, "tag", name, target)

    def copy_ref(self, source: str, destination: str) -> None:
        """Point ``destination`` at the object ``source`` names (a tag moved under another name)."""
        git(self.bare, "update-ref", destination, git(self.bare, "rev-parse", source))

    def branch(self, name: str, commit: str) -> None:
        git(self.bare, "update-ref", f"refs/heads/{name}", commit)

    def _head(self, branch: str) -> str | None:
        try:
            return git(self.bare, "rev-parse", "--verify", "--quiet", f"refs/heads/{branch}")
        except AssertionError:
            return None

    def _blob(self, content: bytes) -> str:
        if content not in self._blobs:
            self._blobs[content] = git(self.bare, "hash-object", "-w", "--stdin", stdin=content)
        return self._blobs[content]

    def _tree(self, entries: Mapping[tuple[str, ...], Entry]) -> str:
        here: dict[str, tuple[str, str]] = {}
        below: dict[str, dict[tuple[str, ...], Entry]] = {}
        for parts, entry in entries.items():
            if len(parts) > 1:
                below.setdefault(parts[0], {})[parts[1:]] = entry
            else:
                here[parts[0]] = self._entry(entry)
        for name, children in below.items():
            here[name] = ("40000", self._tree(children))
        records = sorted(here.items(), key=lambda item: item[0] + ("/" if item[1][0] == "40000" else ""))
        raw = b"".join(
            f"{mode} ".encode() + os.fsencode(name) + b"\0" + bytes.fromhex(oid) for name, (mode, oid) in records
        )
        return git(self.bare, "hash-object", "-t", "tree", "-w", "--literally", "--stdin", stdin=raw)

    def _entry(self, entry: Entry) -> tuple[str, str]:
        if isinstance(entry, Link):
            return "120000", self._blob(os.fsencode(entry.target))
        if isinstance(entry, Submodule):
            return "160000", entry.commit
        if isinstance(entry, Executable):
            return "100755", self._blob(entry.content.encode())
        return "100644", self._blob(entry.encode() if isinstance(entry, str) else entry)


def clone(repo: PackRepo, work: Path) -> Path:
    """A work tree cloned from ``repo``."""
    subprocess.run(
        [require_git(), "clone", "--quiet", str(repo.bare), str(work)],
        check=True,
        capture_output=True,
        env={**os.environ, **GIT_TEST_ENV},
        timeout=120,
    )
    return work


def pack_repo(folder: Path, files: Mapping[str, Entry], *, tags: tuple[str, ...] = (), name: str = "pack") -> PackRepo:
    """A bare repository ``folder/<name>.git`` with ``files`` committed on main and each of ``tags`` on it."""
    repo = PackRepo.create(folder / f"{name}.git")
    repo.commit(files)
    for tag in tags:
        repo.tag(tag)
    return repo


# git daemon --------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Daemon:
    """A running ``git daemon``; ``url('acme.git')`` is the git:// URL of ``<base>/acme.git``."""

    port: int
    process: subprocess.Popen[bytes]

    def url(self, name: str) -> str:
        return f"git://127.0.0.1:{self.port}/{name}"


@contextlib.contextmanager
def git_daemon(base: Path) -> Iterator[Daemon]:
    """``git daemon`` serving every repository under ``base`` on 127.0.0.1 at a free port, ready to accept when
    this yields, and stopped (with every child it forked) when the block exits, whatever happens inside it."""
    git = require_git_daemon()
    log = base.parent / f"{base.name}-daemon.log"
    for _attempt in range(5):
        port = _free_port()
        with log.open("wb") as output:
            process = subprocess.Popen(
                [
                    git,
                    "daemon",
                    "--export-all",
                    f"--base-path={base}",
                    "--reuseaddr",
                    "--listen=127.0.0.1",
                    f"--port={port}",
                    "--informative-errors",
                ],
                stdin=subprocess.DEVNULL,
                stdout=output,
                stderr=output,
                env={**os.environ, **GIT_TEST_ENV},
                start_new_session=True,
            )
        try:
            if _accepting(port, process):
                yield Daemon(port, process)
                return
        finally:
            stop(process)
    raise AssertionError(f"git daemon did not start: {log.read_text(errors='replace')[-2000:]}")


@pytest.fixture(name="daemon")
def daemon_fixture(tmp_path: Path) -> Iterator[tuple[Daemon, Path]]:
    """``daemon``: a git daemon and the folder it serves (empty: put bare repositories in it). Import
    ``daemon_fixture`` into a test module to use it."""
    base = tmp_path / "served"
    base.mkdir()
    with git_daemon(base) as running:
        yield running, base


def stop(process: subprocess.Popen[bytes]) -> None:
    """End a process started in its own session, and everything in its process group."""
    for sig, grace in ((signal.SIGTERM, 5), (signal.SIGKILL, 30)):
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(process.pid, sig)
        try:
            process.wait(timeout=grace)
            break
        except subprocess.TimeoutExpired:
            continue
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, signal.SIGKILL)  # forked children still alive after the daemon itself ended


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _accepting(port: int, process: subprocess.Popen[bytes]) -> bool:
    """Wait until the port accepts a connection; False when the daemon exited first (the port was taken)."""
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            return False
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=1):
            return True
        time.sleep(0.05)
    return False


def port_is_closed(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1):
            return False
    except OSError:
        return True


@contextlib.contextmanager
def silent_server() -> Iterator[int]:
    """A TCP port on 127.0.0.1 that accepts connections and never says a word: a git server that hangs."""
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    held: list[socket.socket] = []
    done = threading.Event()

    def accept() -> None:
        listener.settimeout(0.2)
        while not done.is_set():
            with contextlib.suppress(OSError):
                held.append(listener.accept()[0])

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        yield listener.getsockname()[1]
    finally:
        done.set()
        thread.join(timeout=10)
        for connection in held:
            connection.close()
        listener.close()


# ssh keys ----------------------------------------------------------------------------------------------------------


def ssh_key(folder: Path, name: str) -> Path:
    """A new ed25519 key pair without a passphrase; returns the private key (the public one is beside it)."""
    keygen = require_ssh_keygen()
    folder.mkdir(parents=True, exist_ok=True)
    private = folder / name
    subprocess.run(
        [keygen, "-q", "-t", "ed25519", "-N", "", "-C", name, "-f", str(private)],
        check=True,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        timeout=60,
    )
    return private


def allowed_signers(path: Path, signers: Mapping[str, Path]) -> Path:
    """An allowed-signers file: each principal may sign git objects with the key pair at its private key path."""
    lines = []
    for principal, private in signers.items():
        kind, key = Path(f"{private}.pub").read_text().split()[:2]
        lines.append(f'{principal} namespaces="git" {kind} {key}\n')
    path.write_text("".join(lines))
    return path


# work trees --------------------------------------------------------------------------------------------------------


def git_in(work: Path, *args: str) -> None:
    """Run git in the work tree ``work`` with the test identity; CalledProcessError when it fails."""
    env = {**os.environ, **GIT_TEST_ENV}
    subprocess.run([require_git(), "-C", str(work), *args], check=True, capture_output=True, env=env, timeout=120)


def commit_all(work: Path, message: str) -> None:
    """Commit everything in the work tree ``work``."""
    git_in(work, "add", "-A")
    git_in(work, "commit", "-q", "-m", message)
