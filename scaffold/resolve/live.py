"""The pin sources a run uses: ``LiveSource`` asks the remotes (only when the user turned live resolution on), and
``CachedSource`` answers offline from the cache of earlier live lookups, then from the shipped tables.

What a live lookup of ``ref`` in a git repository does:

- a full commit SHA is taken only when it is in the history of a branch or tag of that repository (an impostor
  commit from a fork is refused) and not on the advisory list;
- a tag is resolved to the commit it points to now (``git ls-remote``), judged by ``releases.choose`` (cooldown,
  advisory list, moved since the cache or the table recorded it), and cached;
- a branch, an unknown ref, a URL scaffold will not read, or a remote that fails, is refused with the reason.

Each remote is listed and fetched at most once per source (one run); every pin says where it came from.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import replace
from datetime import UTC, timedelta

from scaffold.resolve import releases
from scaffold.resolve.advisories import by_commit
from scaffold.resolve.cache import PinCache
from scaffold.resolve.git_remote import TIMEOUT_SECONDS, Listing, Remote, RemoteError
from scaffold.resolve.model import Origin, Pinned, Refused, Resolution, Settings
from scaffold.resolve.releases import Policy, Recorded, Release
from scaffold.resolve.source import PinSource, TableSource
from scaffold.resolve.urls import url_problem
from scaffold.untrusted.text import printable, shown

_OWNER = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})")
_REPO = re.compile(r"[A-Za-z0-9._-]{1,100}")
_SEGMENT = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,254}")
_REF = re.compile(r"[A-Za-z0-9_+][A-Za-z0-9._+/@-]{0,254}")
_SHORT_SHA = re.compile(r"[0-9a-f]{7,39}")

TableLookup = Callable[[str], Resolution]
"""The shipped table's answer for one tag of the repository being resolved."""


class LiveSource:
    """Resolve refs against the remotes themselves: git repositories over https (or loopback http/git), images
    through the registries (``scaffold.resolve.oci``). ``advisories`` (commit SHA -> advisory id) replaces the
    shipped advisory list; ``timeout`` bounds each git call."""

    def __init__(
        self,
        settings: Settings,
        *,
        advisories: Mapping[str, str] | None = None,
        timeout: float = TIMEOUT_SECONDS,
        cache: PinCache | None = None,
    ) -> None:
        self.settings = settings
        self.timeout = timeout
        self._advisories = dict(by_commit() if advisories is None else advisories)
        self._cache = PinCache.load(settings.cache_dir) if cache is None else cache
        self._table = TableSource()
        self._floor = CachedSource(settings, advisories=self._advisories, cache=self._cache, table=self._table)
        self._remotes: dict[str, Remote] = {}

    # The PinSource protocol -----------------------------------------------------------------------------------------

    def action(self, repo: str, ref: str) -> Resolution:
        problem = action_problem(repo)
        if problem is not None:
            return Refused(problem)
        found = self._resolve(action_url(self.settings, repo), ref, lambda tag: self._table.action(repo, tag))
        return _or_floor(found, lambda: self._floor.action(repo, ref))

    def git(self, url: str, ref: str) -> Resolution:
        found = self._resolve(url.removesuffix("/"), ref, lambda tag: self._table.git(url, tag))
        return _or_floor(found, lambda: self._floor.git(url, ref))

    def project(self, path: str, ref: str) -> Resolution:
        problem = project_problem(path)
        if problem is not None:
            return Refused(problem)
        found = self._resolve(project_url(self.settings, path), ref, lambda tag: self._table.project(path, tag))
        return _or_floor(found, lambda: self._floor.project(path, ref))

    def image(self, reference: str) -> Resolution:
        from scaffold.resolve.oci import resolve_image

        found = resolve_image(reference, self.settings, timeout=self.timeout)
        if isinstance(found, Pinned) and found.origin is Origin.LIVE:
            self._cache.record("image", reference, "", found)
        return _or_floor(found, lambda: self._floor.image(reference))

    # For ``scaffold pins update`` -----------------------------------------------------------------------------------

    def newest_release(self, url: str, prefix: str) -> Resolution:
        """The newest full-version tag of ``url`` under ``prefix`` (``v4``; ``""`` for any) that is older than the
        cooldown, not on the advisory list and not moved; the note says which newer release was passed over."""
        url = url.removesuffix("/")
        problem = url_problem(url)
        if problem is not None:
            return Refused(f"{printable(url, 200)}: {problem}")
        if prefix and releases.parse_version(prefix) is None:
            return Refused(f"{shown(prefix)} is not a version prefix (v4, v4.2, 4)")
        try:
            tags = self._remote(url).releases()
        except RemoteError as error:
            return Refused(f"could not reach {url}: {error}", unreachable=True)
        chosen = releases.newest(prefix, tags, self._policy(url, tags, None))
        if isinstance(chosen, Refused):
            return Refused(f"{url}: {chosen.reason}")
        return self._pinned(url, chosen.version, chosen)

    # Resolution -----------------------------------------------------------------------------------------------------

    def _resolve(self, url: str, ref: str, table: TableLookup | None) -> Resolution:
        problem = url_problem(url)
        if problem is not None:
            return Refused(f"{printable(url, 200)}: {problem}")
        problem = ref_problem(ref)
        if problem is not None:
            return Refused(problem)
        if releases.is_full_sha(ref) and ref in self._advisories:
            return Refused(f"{ref} is on the advisory list ({self._advisories[ref]}); not pinned")
        remote = self._remote(url)
        try:
            listing = remote.listing()
            if releases.is_full_sha(ref):
                return self._commit(remote, listing, ref)
            if ref not in listing.tags:
                return _missing(url, ref, listing)
            tags = remote.releases() if self.settings.cooldown > timedelta(0) else listing.releases()
        except RemoteError as error:
            return Refused(f"could not reach {url}: {error}", unreachable=True)
        if ref not in tags or tags[ref].commit != listing.tags[ref]:
            return Refused(f"tag {ref} of {url} changed while it was read; try again")
        chosen = releases.choose(ref, tags, self._policy(url, tags, table))
        if isinstance(chosen, Refused):
            return chosen
        return self._pinned(url, ref, chosen)

    def _commit(self, remote: Remote, listing: Listing, sha: str) -> Resolution:
        """A ref that is a full SHA (not advised): taken when it is in the history of a branch or tag."""
        tips = {*listing.tags.values(), *listing.heads.values()}
        if sha not in tips and not remote.reachable(sha):
            return Refused(
                f"impostor commit: {sha} is not in the history of any branch or tag of {remote.url} "
                "(it may come from a fork)"
            )
        version = releases.most_specific(sha, listing.releases().values()) or sha
        source = f"git ls-remote {remote.url}" if sha in tips else f"git fetch {remote.url} (branches and tags)"
        return Pinned(sha, version, Origin.LIVE, source, self.settings.now)

    def _policy(self, url: str, tags: Mapping[str, Release], table: TableLookup | None) -> Policy:
        return Policy(self.settings.now, self.settings.cooldown, self._advisories, self._recorded(url, tags, table))

    def _recorded(self, url: str, tags: Mapping[str, Release], table: TableLookup | None) -> dict[str, Recorded]:
        """For each exact tag, the commit the cache or the shipped table recorded for it, preferring one that
        differs from where the tag points now (that is a moved tag)."""
        found: dict[str, Recorded] = {}
        for name, release in tags.items():
            if releases.is_version_prefix(name):
                continue
            for earlier in _records(self._cache, url, name, table):
                found[name] = earlier
                if earlier.commit != release.commit:
                    break
        return found

    def _pinned(self, url: str, ref: str, chosen: releases.Chosen) -> Pinned:
        pinned = Pinned(
            chosen.commit, chosen.version, Origin.LIVE, f"git ls-remote {url}", self.settings.now, chosen.note
        )
        self._cache.record("git", url, ref, pinned)
        if chosen.version != ref and not releases.is_version_prefix(chosen.version):
            self._cache.record("git", url, chosen.version, pinned)  # the exact tag too: a later move is noticed
        return pinned

    def _remote(self, url: str) -> Remote:
        if url not in self._remotes:
            self._remotes[url] = Remote(url, self.settings.cache_dir, timeout=self.timeout)
        return self._remotes[url]


class CachedSource:
    """Offline: the cache of earlier live lookups first, then the shipped tables; never the network. A pin whose
    commit is on the advisory list is refused whichever of the two gave it."""

    def __init__(
        self,
        settings: Settings,
        *,
        advisories: Mapping[str, str] | None = None,
        cache: PinCache | None = None,
        table: PinSource | None = None,
    ) -> None:
        self.settings = settings
        self._advisories = dict(by_commit() if advisories is None else advisories)
        self._cache = PinCache.load(settings.cache_dir) if cache is None else cache
        self._table = TableSource() if table is None else table

    def action(self, repo: str, ref: str) -> Resolution:
        url = action_url(self.settings, repo) if action_problem(repo) is None else None
        return self._checked(self._cached("git", url, ref) or self._table.action(repo, ref))

    def git(self, url: str, ref: str) -> Resolution:
        return self._checked(self._cached("git", url.removesuffix("/"), ref) or self._table.git(url, ref))

    def project(self, path: str, ref: str) -> Resolution:
        url = project_url(self.settings, path) if project_problem(path) is None else None
        return self._checked(self._cached("git", url, ref) or self._table.project(path, ref))

    def image(self, reference: str) -> Resolution:
        return self._checked(self._cached("image", reference, "") or self._table.image(reference))

    def _cached(self, kind: str, url: str | None, ref: str) -> Pinned | None:
        entry = None if url is None else self._cache.get(kind, url, ref)
        return None if entry is None else entry.pinned()

    def _checked(self, found: Resolution) -> Resolution:
        if isinstance(found, Pinned) and found.value in self._advisories:
            advisory = self._advisories[found.value]
            return Refused(f"{found.value} ({found.version}) is on the advisory list ({advisory}); not pinned")
        return found


def source_for(settings: Settings, *, advisories: Mapping[str, str] | None = None) -> PinSource:
    """The pin source of a run: ``LiveSource`` when the user turned live resolution on, else ``CachedSource``.
    Reads the cache file now, so a damaged one is reported (UsageError) before any work is done."""
    cache = PinCache.load(settings.cache_dir)
    if settings.online:
        return LiveSource(settings, advisories=advisories, cache=cache)
    return CachedSource(settings, advisories=advisories, cache=cache)


def _or_floor(found: Resolution, floor: Callable[[], Resolution]) -> Resolution:
    """``found``, or when the remote could not be asked, what the cache or the shipped table vouches for, with a
    note saying so (the pin is the recorded one, not necessarily where the tag points now)."""
    if not isinstance(found, Refused) or not found.unreachable:
        return found
    fallback = floor()
    if not isinstance(fallback, Pinned):
        return found
    said = f"the live lookup failed ({found.reason}); pinned from the {fallback.origin.value}"
    return replace(fallback, note=f"{fallback.note}; {said}" if fallback.note else said)


# Names and URLs -----------------------------------------------------------------------------------------------------


def action_url(settings: Settings, repo: str) -> str:
    """Where the action ``owner/repo`` lives: ``{action_forge}/owner/repo`` (lower-cased: forges ignore case)."""
    return f"{settings.action_forge.rstrip('/')}/{repo.lower()}"


def project_url(settings: Settings, path: str) -> str:
    """Where the GitLab project ``group/sub/project`` lives: ``{gitlab_url}/group/sub/project.git``."""
    return f"{settings.gitlab_url.rstrip('/')}/{path.removesuffix('.git')}.git"


def action_problem(repo: str) -> str | None:
    owner, _, name = repo.partition("/")
    if not (_OWNER.fullmatch(owner) and _REPO.fullmatch(name) and name not in (".", "..")):
        return f"'{shown(repo)}' is not an action repository (owner/repo)"
    return None


def project_problem(path: str) -> str | None:
    segments = path.removesuffix(".git").split("/")
    if len(path) > 255 or len(segments) < 2 or not all(_SEGMENT.fullmatch(part) for part in segments):
        return f"'{shown(path)}' is not a GitLab project path (group/project)"
    return None


def ref_problem(ref: str) -> str | None:
    if not _REF.fullmatch(ref) or ".." in ref or "@{" in ref or ref.endswith((".", "/", ".lock")):
        return f"'{shown(ref)}' is not a tag name or commit SHA"
    return None


def _missing(url: str, ref: str, listing: Listing) -> Refused:
    if ref in listing.heads:
        return Refused(f"{ref} is a branch; pin a release tag")
    if _SHORT_SHA.fullmatch(ref):
        return Refused(f"{ref} is not a tag of {url}; a commit must be named by its full 40-character SHA")
    return Refused(f"no tag {ref} in {url}")


def _records(cache: PinCache, url: str, name: str, table: TableLookup | None) -> Iterable[Recorded]:
    entry = cache.get("git", url, name)
    if entry is not None:
        yield Recorded(entry.value, f"it was cached at {entry.at.astimezone(UTC):%Y-%m-%dT%H:%MZ}")
    if table is not None:
        known = table(name)
        if isinstance(known, Pinned):
            yield Recorded(known.value, "scaffold's table recorded it")
