"""The pin source fixes ask, and the offline floor every source falls back to: the shipped tables.

A harden run sets its source with ``using(source)``; a fix calls ``current().action(...)``. The default is
``TableSource()``, so code that never sets a source (audit, tests of one rule) never reaches the network.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Protocol

from scaffold.resolve.model import Origin, Pinned, Refused, Resolution


class PinSource(Protocol):
    def action(self, repo: str, ref: str) -> Resolution:
        """``owner/repo`` at ``ref`` (a tag such as ``v4`` or ``v4.2.1``) on the action forge."""
        ...

    def git(self, url: str, ref: str) -> Resolution:
        """A git repository named by URL (a pre-commit ``repo:``, a GitLab project, a Jenkins library remote)."""
        ...

    def project(self, path: str, ref: str) -> Resolution:
        """A GitLab project (``group/sub/project``, an ``include: project:``) at ``ref`` on the GitLab server."""
        ...

    def image(self, reference: str) -> Resolution:
        """``[registry/]name:tag`` to the digest of its index (or its only manifest)."""
        ...


class TableSource:
    """The shipped tables only: ``scaffold/data/action-refs.yml`` and ``scaffold/pins.yml``."""

    def action(self, repo: str, ref: str) -> Resolution:
        from scaffold.rules.fixes import action_refs

        found = action_refs.lookup(repo, ref)
        if found is None:
            return Refused(f"no verified commit for {repo}@{ref} in scaffold's table (--online resolves it live)")
        return Pinned(found.sha, found.version, Origin.TABLE, found.verified)

    def git(self, url: str, ref: str) -> Resolution:
        from scaffold.kit.pins import load_pins

        wanted = _repo_key(url)
        for hook in load_pins().hooks.values():
            if _repo_key(hook.repo) == wanted and hook.version == ref:
                return Pinned(hook.sha, hook.version, Origin.TABLE, hook.verified)
        return Refused(f"no verified commit for {url} at {ref} in scaffold's table (--online resolves it live)")

    def project(self, path: str, ref: str) -> Resolution:
        why = "in scaffold's table (--online resolves it live)"
        return Refused(f"no verified commit for project {path} at {ref} {why}")

    def image(self, reference: str) -> Resolution:
        from scaffold.rules.fixes import image_pins

        pin = image_pins.lookup(reference)
        if pin is None:
            return Refused(f"no verified digest for {reference} in scaffold's table (--online resolves it live)")
        return Pinned(pin.digest, pin.tag, Origin.TABLE, pin.verified)


def _repo_key(url: str) -> str:
    """``github.com/owner/repo`` for any spelling of a repository URL (scheme, ``.git`` and case dropped)."""
    text = url.strip().lower().removesuffix("/").removesuffix(".git")
    return text.split("://", 1)[-1]


_current: ContextVar[PinSource | None] = ContextVar("scaffold_pin_source", default=None)
_TABLE = TableSource()


def current() -> PinSource:
    """The pin source of this run (the shipped tables unless ``using`` set another)."""
    return _current.get() or _TABLE


@contextmanager
def using(source: PinSource) -> Iterator[PinSource]:
    """Make ``source`` the pin source for the code run inside the ``with`` block."""
    token = _current.set(source)
    try:
        yield source
    finally:
        _current.reset(token)
