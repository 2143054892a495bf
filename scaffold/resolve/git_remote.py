"""Talking to a remote git repository named by a URL nobody vetted: which URLs may be read, what its tags and
branches point to now, and a local mirror of its branches and tags to read dates and history from.

- Only ``https://`` URLs, plus ``http://`` and ``git://`` to a loopback host (a local fake in tests, a proxy on
  the machine). ``file://``, ``ext::`` (which runs a command), ssh and scp-like addresses, a leading ``-``, control
  characters and credentials in the URL are refused before git runs. Each git call allows the one transport its URL
  needs and no other.
- git runs through ``scaffold.untrusted.git``: no configured program, no credential helper, no prompt, a time limit
  on every call and a cap on what it may print.
- The mirror (``<cache>/git/<sha256 of the URL>``) holds branches and tags only, never ``refs/pull/*``, fetched
  without trees where the server allows (``--filter=tree:0``). Whether a commit is in the repository's history is
  read from the commits reachable from those refs (``rev-list``), never by asking for the commit itself: git would
  fetch a missing object from the server, and GitHub serves a fork's commits through the parent repository.
- A tag is peeled through every level (a tag of a tag of a commit is that commit), and what it finally names is
  checked to be a commit: a tag of a tree or a blob, or of an object the server did not send, names no commit.
  Without a cooldown only the tag asked about is fetched (``tag``), which is cheap without trees.
- A failure says whether the remote could not be reached at all (no connection, no name, a time limit:
  ``RemoteError.transport``) or answered with something unusable (a protocol error, a missing object, a flood):
  only the first lets a caller fall back to what it recorded earlier.
"""

from __future__ import annotations

import hashlib
import re
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TypeVar

from scaffold.resolve.releases import Release
from scaffold.resolve.urls import url_problem
from scaffold.untrusted.git import GitError, run_git
from scaffold.untrusted.text import printable

TIMEOUT_SECONDS = 60.0
"""The default limit on one git call against a remote; past it the remote is reported as unreachable."""
LISTING_LIMIT = 16 * 1024 * 1024
HISTORY_LIMIT = 64 * 1024 * 1024
_SHA = re.compile(rb"[0-9a-f]{40}")
_MAX_URL = 2048
_T = TypeVar("_T")
_TRANSPORT = re.compile(
    r"unable to connect|could not resolve|failed to connect|connection refused|connection timed out|timed out"
    r"|network is unreachable|no route to host|name or service not known|temporary failure in name resolution"
    r"|connection reset|did not finish within|returned error: (?:5\d\d|429)",
    re.IGNORECASE,
)
_OBJECT_KINDS = frozenset({"commit", "tree", "blob", "tag"})


class RemoteError(Exception):
    """The remote could not be read; the message is one printable line (git's own error when it gave one).
    ``transport`` is True when it could not be reached at all (refused or dropped connection, unknown name, time
    limit), False when it answered with something unusable."""

    def __init__(self, message: str, *, transport: bool = False) -> None:
        super().__init__(message)
        self.transport = transport


def is_transport_failure(message: str) -> bool:
    """Whether git's error line says the remote was never reached (as opposed to reached and answering badly)."""
    return _TRANSPORT.search(message) is not None


@dataclass(frozen=True)
class Listing:
    """What ``git ls-remote`` says the remote's tags (peeled to their commit) and branches point to now."""

    tags: dict[str, str]
    heads: dict[str, str]

    def releases(self) -> dict[str, Release]:
        """The tags as releases without dates (``ls-remote`` gives none)."""
        return {name: Release(name, commit) for name, commit in self.tags.items()}


def parse_listing(output: bytes) -> Listing:
    """``<sha>\\t<ref>`` lines; a ``^{}`` line gives the commit an annotated tag points to and wins over it."""
    tags: dict[str, str] = {}
    peeled: dict[str, str] = {}
    heads: dict[str, str] = {}
    for line in output.splitlines():
        sha, _, name = line.partition(b"\t")
        if not _SHA.fullmatch(sha):
            continue
        text = name.decode("utf-8", "replace")
        commit = sha.decode()
        if text.startswith("refs/tags/") and text.endswith("^{}"):
            peeled[text.removeprefix("refs/tags/").removesuffix("^{}")] = commit
        elif text.startswith("refs/tags/"):
            tags[text.removeprefix("refs/tags/")] = commit
        elif text.startswith("refs/heads/"):
            heads[text.removeprefix("refs/heads/")] = commit
    return Listing({name: peeled.get(name, commit) for name, commit in tags.items()}, heads)


class Remote:
    """One remote repository, read at most once per run: its listing, one fetch into the mirror, the dates of its
    tags and the commits reachable from its branches and tags. A failure is kept and raised again."""

    def __init__(self, url: str, cache_dir: Path, *, timeout: float = TIMEOUT_SECONDS) -> None:
        problem = url_problem(url)
        if problem is not None:
            raise ValueError(problem)
        self.url = url
        self.mirror = cache_dir / "git" / hashlib.sha256(url.encode()).hexdigest()
        self.timeout = timeout
        self._scheme = url.split("://", 1)[0].lower()
        self._listing: Listing | RemoteError | None = None
        self._releases: dict[str, Release] | RemoteError | None = None
        self._history: frozenset[str] | RemoteError | None = None
        self._single: dict[str, Release | RemoteError] = {}
        self._prepared = False
        self._fetched = False

    def listing(self) -> Listing:
        if self._listing is None:
            self._listing = self._attempt(self._list)
        if isinstance(self._listing, RemoteError):
            raise self._listing
        return self._listing

    def releases(self) -> dict[str, Release]:
        """Every tag with its commit and date, read from the mirror after fetching branches and tags."""
        if self._releases is None:
            self._releases = self._attempt(self._fetch_releases)
        if isinstance(self._releases, RemoteError):
            raise self._releases
        return self._releases

    def tag(self, name: str) -> Release:
        """The tag ``name`` alone, peeled and typed, without its date: fetched by itself (with no trees) unless every
        tag was fetched already. ``name`` must be a valid tag name the caller checked; RemoteError when the fetch
        fails (a tag whose object the server cannot send is one) or the mirror lacks the tag after it."""
        if self._releases is not None and not isinstance(self._releases, RemoteError) and name in self._releases:
            return self._releases[name]
        if name not in self._single:
            self._single[name] = self._attempt(lambda: self._fetch_tag(name))
        found = self._single[name]
        if isinstance(found, RemoteError):
            raise found
        return found

    def reachable(self, commit: str) -> bool:
        """Whether ``commit`` is in the history of a branch or tag of the remote (after one fetch)."""
        if self._history is None:
            self._history = self._attempt(self._read_history)
        if isinstance(self._history, RemoteError):
            raise self._history
        return commit in self._history

    def _attempt(self, step: Callable[[], _T]) -> _T | RemoteError:
        try:
            return step()
        except RemoteError as error:
            return error
        except GitError as error:
            line = printable(str(error).splitlines()[0] if str(error) else type(error).__name__, 300)
            return RemoteError(line, transport=is_transport_failure(line))
        except OSError as error:
            return RemoteError(printable(str(error).splitlines()[0] if str(error) else type(error).__name__, 300))

    def _list(self) -> Listing:
        self._prepare_mirror()
        output = self._git("ls-remote", "--tags", "--heads", self.url, limit=LISTING_LIMIT, network=True)
        return parse_listing(output)

    def _fetch_releases(self) -> dict[str, Release]:
        self._fetch()
        fields = "%(refname)%00%(creatordate:unix)"
        output = self._git("for-each-ref", f"--format={fields}", "refs/tags/", limit=LISTING_LIMIT)
        dated: list[tuple[bytes, datetime | None]] = []
        for line in output.splitlines():
            parts = line.split(b"\0")
            if len(parts) == 2 and parts[0].startswith(b"refs/tags/"):
                dated.append((parts[0], _date(parts[1])))
        peeled = self._peel([ref for ref, _ in dated])
        found: dict[str, Release] = {}
        for (ref, created), (target, kind) in zip(dated, peeled, strict=True):
            name = ref.removeprefix(b"refs/tags/").decode("utf-8", "replace")
            found[name] = Release(name, target, created, kind)
        return found

    def _fetch_tag(self, name: str) -> Release:
        self._prepare_mirror()
        ref = f"refs/tags/{name}"
        self._git(*_FETCH, "origin", f"+{ref}:{ref}", limit=1024 * 1024, network=True)
        ((target, kind),) = self._peel([ref.encode()])
        return Release(name, target, None, kind)

    def _peel(self, refs: list[bytes]) -> list[tuple[str, str]]:
        """(object, type) each ref names once peeled through every tag (``^{}``); type ``missing`` for an object
        the mirror does not hold. Nothing is fetched for a missing object (lazy fetching is off)."""
        if not refs:
            return []
        stdin = b"".join(ref + b"^{}\n" for ref in refs)
        output = self._git("cat-file", "--batch-check=%(objectname) %(objecttype)", limit=0, stdin=stdin)
        lines = output.splitlines()
        if len(lines) != len(refs):
            raise RemoteError("the mirror's tags could not be read")
        peeled: list[tuple[str, str]] = []
        for line in lines:
            target, _, kind = line.rpartition(b" ")
            text = kind.decode("ascii", "replace")
            if text in _OBJECT_KINDS and _SHA.fullmatch(target):
                peeled.append((target.decode(), text))
            else:  # "<ref>^{} missing", or an answer not understood: names no commit scaffold can vouch for
                peeled.append(("0" * 40, "missing"))
        return peeled

    def _read_history(self) -> frozenset[str]:
        self._fetch()
        output = self._git("rev-list", "--branches", "--tags", limit=HISTORY_LIMIT)
        return frozenset(line.decode() for line in output.splitlines() if _SHA.fullmatch(line))

    def _fetch(self) -> None:
        if self._fetched:
            return
        self._prepare_mirror()
        self._git(
            *_FETCH,
            "--prune",
            "origin",
            "+refs/heads/*:refs/heads/*",
            "+refs/tags/*:refs/tags/*",
            limit=1024 * 1024,
            network=True,
        )
        self._fetched = True

    def _prepare_mirror(self) -> None:
        """A bare repository for this URL, with ``origin`` set to it and fetching without trees; one left broken by
        an interrupted run, or set to another URL, is made again."""
        if self._prepared:
            return
        if (self.mirror / "HEAD").is_file():
            try:
                if self._git("config", "--get", "remote.origin.url", limit=_MAX_URL + 1).rstrip(b"\n") == (
                    self.url.encode()
                ):
                    self._prepared = True
                    return
            except GitError:
                pass
        shutil.rmtree(self.mirror, ignore_errors=True)
        self.mirror.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        self._git("init", "--quiet", "--bare", str(self.mirror), limit=64 * 1024)
        for key, value in (
            ("core.repositoryformatversion", "1"),
            ("extensions.partialClone", "origin"),
            ("remote.origin.promisor", "true"),
            ("remote.origin.partialCloneFilter", "tree:0"),
            ("remote.origin.url", self.url),
        ):
            self._git("config", key, value, limit=64 * 1024)
        self._prepared = True

    def _git(self, *args: str, limit: int, network: bool = False, stdin: bytes | None = None) -> bytes:
        """git in the mirror; ``limit`` caps the output, except with ``stdin``, whose answer is one line per line
        given (``cat-file --batch-check``), bounded by the input itself."""
        config: list[tuple[str, str]] = [("gc.auto", "0"), ("maintenance.auto", "false")]
        if network:
            seconds = str(max(1, int(self.timeout)))
            config += [
                (f"protocol.{self._scheme}.allow", "always"),
                ("http.lowSpeedLimit", "1"),  # a silent https server: curl gives up by itself, even after git is gone
                ("http.lowSpeedTime", seconds),
                ("fetch.recurseSubmodules", "false"),
                ("transfer.credentialsInUrl", "die"),
            ]
        env = {"GIT_DIR": str(self.mirror)}
        if stdin is not None:
            return run_git(self.mirror.parent, *args, stdin=stdin, env=env, config=config, timeout=self.timeout)
        return run_git(self.mirror.parent, *args, env=env, limit=limit, config=config, timeout=self.timeout)


_FETCH = ("fetch", "--quiet", "--no-tags", "--no-write-fetch-head", "--no-recurse-submodules")


def _date(raw: bytes) -> datetime | None:
    try:
        return datetime.fromtimestamp(int(raw), UTC)
    except (ValueError, OverflowError, OSError):
        return None
