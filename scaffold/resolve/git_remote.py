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


class RemoteError(Exception):
    """The remote could not be read; the message is one printable line (git's own error when it gave one)."""


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
        except (GitError, OSError) as error:
            return RemoteError(printable(str(error).splitlines()[0] if str(error) else type(error).__name__, 300))

    def _list(self) -> Listing:
        self._prepare_mirror()
        output = self._git("ls-remote", "--tags", "--heads", self.url, limit=LISTING_LIMIT, network=True)
        return parse_listing(output)

    def _fetch_releases(self) -> dict[str, Release]:
        self._fetch()
        fields = "%(refname)%00%(objectname)%00%(*objectname)%00%(creatordate:unix)"
        output = self._git("for-each-ref", f"--format={fields}", "refs/tags/", limit=LISTING_LIMIT)
        found: dict[str, Release] = {}
        for line in output.splitlines():
            parts = line.split(b"\0")
            if len(parts) != 4 or not parts[0].startswith(b"refs/tags/"):
                continue
            name = parts[0].removeprefix(b"refs/tags/").decode("utf-8", "replace")
            commit = (parts[2] or parts[1]).decode()
            found[name] = Release(name, commit, _date(parts[3]))
        return found

    def _read_history(self) -> frozenset[str]:
        self._fetch()
        output = self._git("rev-list", "--branches", "--tags", limit=HISTORY_LIMIT)
        return frozenset(line.decode() for line in output.splitlines() if _SHA.fullmatch(line))

    def _fetch(self) -> None:
        if self._fetched:
            return
        self._prepare_mirror()
        self._git(
            "fetch",
            "--quiet",
            "--prune",
            "--no-tags",
            "--no-write-fetch-head",
            "--no-recurse-submodules",
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

    def _git(self, *args: str, limit: int, network: bool = False) -> bytes:
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
        return run_git(
            self.mirror.parent,
            *args,
            env={"GIT_DIR": str(self.mirror)},
            limit=limit,
            config=config,
            timeout=self.timeout,
        )


def _date(raw: bytes) -> datetime | None:
    try:
        return datetime.fromtimestamp(int(raw), UTC)
    except (ValueError, OverflowError, OSError):
        return None
