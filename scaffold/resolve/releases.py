"""Choosing a release from what a remote says about its tags: version parsing, the cooldown, the advisory list,
stepping back to an earlier release, and moved tags. Pure functions over data, no I/O.

A *version prefix* (``v4``, ``v4.2``, ``4``) names a series and moves by design; a *full version* (``v4.2.1``) and
any other tag (``release-1``) name one release and must never move. When the release a prefix points at is too
young or on the advisory list, the newest earlier full version of the same series that passes is taken instead, and
the note says why; an exact tag that fails is refused.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from scaffold.resolve.model import Refused

_VERSION = re.compile(r"(?P<v>v?)(?P<parts>\d{1,9}(?:\.\d{1,9}){0,2})")
_SHA = re.compile(r"[0-9a-f]{40}")
FULL_PARTS = 3

Version = tuple[int, ...]


COMMIT = "commit"


@dataclass(frozen=True)
class Release:
    """One tag of the remote: the object it points to, peeled through every tag (``commit`` when ``kind`` says so),
    and when it was made (the tagger date of an annotated tag, the committer date of a lightweight one), None when
    the date could not be read.

    ``kind`` is the peeled object's type (``commit``, ``tree``, ``blob``, or ``missing`` when the server did not
    send it); only a commit can be pinned. ``first_seen`` is when scaffold first saw the tag at this commit, given
    only when that is news (the tag appeared after scaffold first listed the remote): the upstream writes its own
    dates, so a release pushed today but dated a month ago is as young as the day scaffold first saw it."""

    name: str
    commit: str
    created: datetime | None = None
    kind: str = COMMIT
    first_seen: datetime | None = None


@dataclass(frozen=True)
class Recorded:
    """The commit an exact tag pointed to when scaffold last saw it, and where that was (``it was cached at ...``)."""

    commit: str
    where: str


@dataclass(frozen=True)
class Policy:
    """What a release must pass: older than ``cooldown`` at ``now``, its commit not in ``advisories`` (commit SHA to
    advisory id), and not moved away from the commit ``recorded`` for its name."""

    now: datetime
    cooldown: timedelta
    advisories: Mapping[str, str] = field(default_factory=dict)
    recorded: Mapping[str, Recorded] = field(default_factory=dict)


@dataclass(frozen=True)
class Chosen:
    """The commit to pin, the version for its comment, and a note when it is not the release asked for."""

    commit: str
    version: str
    note: str = ""


def parse_version(name: str) -> Version | None:
    """``v4.2.1`` -> (4, 2, 1), ``4`` -> (4,); None for anything else (``v4.2.1-rc.1``, ``release-1``, ``main``)."""
    match = _VERSION.fullmatch(name)
    return None if match is None else tuple(int(part) for part in match.group("parts").split("."))


def is_full_version(name: str) -> bool:
    version = parse_version(name)
    return version is not None and len(version) == FULL_PARTS


def is_version_prefix(name: str) -> bool:
    """``v4``, ``v4.2``, ``4``: a series whose tag moves with each release, by design."""
    version = parse_version(name)
    return version is not None and len(version) < FULL_PARTS


def is_full_sha(ref: str) -> bool:
    return _SHA.fullmatch(ref) is not None


def under(prefix: str, name: str) -> bool:
    """Whether the full version ``name`` belongs to the series ``prefix`` (same ``v`` spelling; ``""`` is every
    full version)."""
    version = parse_version(name)
    if version is None or len(version) != FULL_PARTS:
        return False
    if not prefix:
        return True
    wanted = parse_version(prefix)
    return wanted is not None and name.startswith("v") == prefix.startswith("v") and version[: len(wanted)] == wanted


def most_specific(commit: str, tags: Iterable[Release]) -> str | None:
    """The version tag on ``commit`` with the most parts (the highest of those): ``v4.2.1`` over ``v4.2`` over
    ``v4``; None when no version tag points there."""
    best: tuple[int, Version, str] | None = None
    for tag in tags:
        version = parse_version(tag.name)
        if tag.commit != commit or version is None:
            continue
        key = (len(version), version, tag.name)
        if best is None or key > best:
            best = key
    return None if best is None else best[2]


def version_index(tags: Iterable[Release]) -> dict[str, str]:
    """Commit -> ``most_specific`` version tag on it, for every commit at once (one pass over the tags)."""
    best: dict[str, tuple[int, Version, str]] = {}
    for tag in tags:
        version = parse_version(tag.name)
        if version is None:
            continue
        key = (len(version), version, tag.name)
        if tag.commit not in best or key > best[tag.commit]:
            best[tag.commit] = key
    return {commit: key[2] for commit, key in best.items()}


def not_a_commit(release: Release) -> str | None:
    """Why ``release`` names no commit (a tag of a tree, a blob, or an object the server did not send), or None."""
    if release.kind == COMMIT:
        return None
    if release.kind == "missing":
        return f"tag {release.name} is not a commit (the object it names was not sent by the server)"
    return f"tag {release.name} points to a {release.kind}, not a commit"


def moved(name: str, commit: str, policy: Policy) -> str | None:
    """Why the exact tag ``name`` cannot be trusted because it points elsewhere than recorded, or None. A version
    prefix moves by design and is never reported."""
    if is_version_prefix(name):
        return None
    earlier = policy.recorded.get(name)
    if earlier is None or earlier.commit == commit:
        return None
    return f"tag {name} moved from {earlier.commit[:7]} to {commit[:7]} since {earlier.where}"


def objection(release: Release, policy: Policy) -> str | None:
    """Why ``release`` may not be taken (moved, on the advisory list, too young, of unknown age), or None."""
    why = not_a_commit(release) or moved(release.name, release.commit, policy)
    if why is not None:
        return why
    advisory = policy.advisories.get(release.commit)
    if advisory is not None:
        return f"{release.name} ({release.commit[:7]}) is on the advisory list ({advisory})"
    if policy.cooldown <= timedelta(0):
        return None
    if release.created is None:
        return f"the date of {release.name} could not be read"
    age = policy.now - release.created
    if age < timedelta(0):
        return f"{release.name} is dated in the future ({release.created:%Y-%m-%d})"
    if release.first_seen is not None and release.first_seen > release.created:
        seen = max(policy.now - release.first_seen, timedelta(0))
        if seen < policy.cooldown:
            return (
                f"{release.name} was first seen by scaffold {_span(seen)} ago, though dated "
                f"{release.created:%Y-%m-%d} (cooldown {_span(policy.cooldown)})"
            )
    if age < policy.cooldown:
        return f"{release.name} is {_span(age)} old (cooldown {_span(policy.cooldown)})"
    return None


def choose(
    ref: str, tags: Mapping[str, Release], policy: Policy, *, index: Mapping[str, str] | None = None
) -> Chosen | Refused:
    """The commit for the tag ``ref`` (which must be in ``tags``).

    A tag that names no commit is refused. The release judged is the most specific version tag on the commit
    ``ref`` points to (``v4`` is judged as the ``v4.3.0`` it stands for), else ``ref`` itself. An exact tag that
    moved, or a release that fails the policy, is refused for an exact tag; a version prefix steps back to its newest
    earlier full version that passes. ``index`` is ``version_index(tags.values())`` when the caller keeps one.
    """
    asked = tags[ref]
    not_commit = not_a_commit(asked)
    if not_commit is not None:
        return Refused(f"{not_commit}; not pinned")
    if not is_version_prefix(ref):
        why = moved(ref, asked.commit, policy)
        if why is not None:
            return Refused(f"{why}; not pinned: check the upstream")
    found = index.get(asked.commit) if index is not None else most_specific(asked.commit, tags.values())
    version = found or ref
    judged = tags.get(version, asked)
    why = objection(judged, policy)
    if why is None:
        return Chosen(asked.commit, version)
    if not is_version_prefix(ref):
        return Refused(f"{why}; not pinned: pin an earlier release, or wait")
    ceiling = parse_version(version) if is_full_version(version) else None
    earlier = _first_acceptable(ref, tags, policy, below=ceiling, skip=asked.commit)
    if earlier is None:
        return Refused(f"{why}, and no earlier {ref} release passes the cooldown and the advisory list")
    return Chosen(earlier.commit, earlier.name, f"{why}; took {earlier.name}")


def newest(prefix: str, tags: Mapping[str, Release], policy: Policy) -> Chosen | Refused:
    """The newest full version under ``prefix`` (``""``: any) that passes the policy; the note names the newest one
    when it was passed over."""
    candidates = _candidates(prefix, tags, below=None)
    if not candidates:
        series = f"{prefix} " if prefix else ""
        return Refused(f"no {series}release tag (vX.Y.Z) found")
    first_why = objection(candidates[0], policy)
    if first_why is None:
        return Chosen(candidates[0].commit, candidates[0].name)
    earlier = _first_acceptable(prefix, tags, policy, below=parse_version(candidates[0].name), skip=None)
    if earlier is None:
        return Refused(f"{first_why}, and no earlier release passes the cooldown and the advisory list")
    return Chosen(earlier.commit, earlier.name, f"{first_why}; took {earlier.name}")


def _candidates(prefix: str, tags: Mapping[str, Release], below: Version | None) -> list[Release]:
    """Full versions under ``prefix``, lower than ``below`` when given, newest first."""
    found = []
    for tag in tags.values():
        version = parse_version(tag.name)
        if version is None or not under(prefix, tag.name) or (below is not None and version >= below):
            continue
        found.append((version, tag))
    found.sort(key=lambda item: item[0], reverse=True)
    return [tag for _, tag in found]


def _first_acceptable(
    prefix: str, tags: Mapping[str, Release], policy: Policy, *, below: Version | None, skip: str | None
) -> Release | None:
    for candidate in _candidates(prefix, tags, below):
        if candidate.commit != skip and objection(candidate, policy) is None:
            return candidate
    return None


def _span(length: timedelta) -> str:
    """``2 days``, ``1 day``, ``5 hours``, ``12 minutes``."""
    seconds = int(length.total_seconds())
    for unit, size in (("day", 86400), ("hour", 3600), ("minute", 60)):
        if seconds >= size:
            count = seconds // size
            return f"{count} {unit}{'s' if count != 1 else ''}"
    return f"{seconds} seconds"
