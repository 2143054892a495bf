"""Deterministic pin sources for harden's tests: a table of answers given by the test, the shipped tables for the rest.

They stand in for the live resolvers (tested elsewhere against loopback servers), not for the fixes under test:
the fixes ask them exactly as they ask the real sources, through ``scaffold.resolve.source.using``.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field

from scaffold.resolve.model import Origin, Pinned, Refused, Resolution
from scaffold.resolve.source import TableSource

Key = tuple[str, str, str]
"""(``action``, ``git``, ``project`` or ``image``; the repository, URL, project path or image; the ref or ``""``)."""


def commit(ref: str, version: str, origin: str = "git ls-remote (test answer)", note: str = "") -> Pinned:
    """A made-up commit for ``ref``: forty hex digits derived from its name, never written outside a test."""
    return Pinned(hashlib.sha256(ref.encode()).hexdigest()[:40], version, Origin.LIVE, origin, note=note)


def digest(reference: str, version: str, origin: str = "registry HEAD (test answer)", note: str = "") -> Pinned:
    """A made-up image digest for ``reference``."""
    value = "sha256:" + hashlib.sha256(reference.encode()).hexdigest()
    return Pinned(value, version, Origin.LIVE, origin, note=note)


@dataclass
class AnswerSource:
    """Answers what ``answers`` holds; asks the shipped tables about anything else. ``asked`` records each question."""

    answers: Mapping[Key, Resolution]
    asked: list[Key] = field(default_factory=list)

    def _answer(self, key: Key) -> Resolution | None:
        self.asked.append(key)
        return self.answers.get(key)

    def action(self, repo: str, ref: str) -> Resolution:
        return self._answer(("action", repo, ref)) or TableSource().action(repo, ref)

    def git(self, url: str, ref: str) -> Resolution:
        return self._answer(("git", url, ref)) or TableSource().git(url, ref)

    def project(self, path: str, ref: str) -> Resolution:
        return self._answer(("project", path, ref)) or TableSource().project(path, ref)

    def image(self, reference: str) -> Resolution:
        return self._answer(("image", reference, "")) or TableSource().image(reference)


@dataclass
class EverythingSource:
    """Pins whatever it is asked about with made-up values (for proofs that never write them anywhere)."""

    asked: list[Key] = field(default_factory=list)

    def action(self, repo: str, ref: str) -> Resolution:
        self.asked.append(("action", repo, ref))
        return commit(f"{repo}@{ref}", ref)

    def git(self, url: str, ref: str) -> Resolution:
        self.asked.append(("git", url, ref))
        return commit(f"{url}@{ref}", ref)

    def project(self, path: str, ref: str) -> Resolution:
        self.asked.append(("project", path, ref))
        return commit(f"{path}@{ref}", ref)

    def image(self, reference: str) -> Resolution:
        self.asked.append(("image", reference, ""))
        return digest(reference, reference.rpartition(":")[2] if ":" in reference.rpartition("/")[2] else "latest")


@dataclass
class RefusingSource:
    """Refuses everything with the same reason."""

    reason: str = "tag v1.2.0 moved since the last lookup"

    def action(self, repo: str, ref: str) -> Resolution:
        return Refused(self.reason)

    def git(self, url: str, ref: str) -> Resolution:
        return Refused(self.reason)

    def project(self, path: str, ref: str) -> Resolution:
        return Refused(self.reason)

    def image(self, reference: str) -> Resolution:
        return Refused(self.reason)
