"""The pin sources a run uses: ``LiveSource`` asks the remotes (only when the user turned live resolution on), and
``CachedSource`` answers offline from the cache of earlier live lookups, then from the shipped tables.

What a live lookup of ``ref`` in a git repository does:

- a full commit SHA is taken only when it is in the history of a branch or tag of that repository (an impostor
  commit from a fork is refused) and not on the advisory list;
- a tag is resolved to the commit it points to now (``git ls-remote``), checked in a fetched mirror to name a
  commit (peeled through every tag; with no cooldown only that tag is fetched), judged by ``releases.choose``
  (cooldown, advisory list, moved since the cache or the table recorded it), and cached;
- a tag's age is the later of its own date and when scaffold first saw it (the cache keeps, per remote, when each
  tag was first seen at its commit), so a release pushed today with an old date still waits out the cooldown;
- a tag refused as moved is marked in the cache, and offline runs refuse it too until a live run finds it back
  where it was recorded;
- a name that is both a tag and a branch, a branch, an unknown ref, a URL scaffold will not read, or a remote that
  fails, is refused with the reason. Only a remote that could not be reached at all (``unreachable``) lets the cache
  or the shipped table vouch for a pin instead; one that answered with bad data is refused.

Each remote is listed and fetched at most once per source (one run), and what is derived from all its tags (the
recorded commits, the version on each commit, the first sightings) is computed once; every pin says where it came
from. The cache is written when the run ends: ``resolving`` sets the source of a run and flushes it afterwards.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import replace
from datetime import UTC, timedelta

from scaffold.resolve import releases
from scaffold.resolve.advisories import by_commit
from scaffold.resolve.cache import PinCache, Seen
from scaffold.resolve.git_remote import TIMEOUT_SECONDS, Listing, Remote, RemoteError
from scaffold.resolve.model import Origin, Pinned, Refused, Resolution, Settings
from scaffold.resolve.releases import Policy, Recorded, Release
from scaffold.resolve.source import PinSource, TableSource, using
from scaffold.resolve.urls import url_host_problem
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
        self._seen: dict[str, Seen] = {}
        self._listed: dict[str, tuple[dict[str, Release], dict[str, str]]] = {}
        self._judged: dict[str, tuple[dict[str, Release], dict[str, str]]] = {}
        self._policies: dict[str, Policy] = {}

    def flush(self) -> bool:
        """Write what this run learnt to the cache (see ``resolving``); False when it could not be written."""
        return self._cache.flush()

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
        problem = url_host_problem(url, self.settings)
        if problem is not None:
            return Refused(f"{printable(url, 200)}: {problem}")
        if prefix and releases.parse_version(prefix) is None:
            return Refused(f"{shown(prefix)} is not a version prefix (v4, v4.2, 4)")
        try:
            tags, _ = self._dated(self._remote(url))
        except RemoteError as error:
            return _unreached(url, error)
        chosen = releases.newest(prefix, tags, self._policy(url, tags, None))
        if isinstance(chosen, Refused):
            return Refused(f"{url}: {chosen.reason}")
        return self._pinned(url, chosen.version, chosen)

    # Resolution -----------------------------------------------------------------------------------------------------

    def _resolve(self, url: str, ref: str, table: TableLookup | None) -> Resolution:
        problem = url_host_problem(url, self.settings)
        if problem is not None:
            return Refused(f"{printable(url, 200)}: {problem}")
        problem = ref_problem(ref)
        if problem is not None:
            return Refused(problem)
        if releases.is_full_sha(ref) and ref in self._advisories:
            return Refused(f"{ref} is on the advisory list ({self._advisories[ref]}); not pinned")
        remote = self._remote(url)
        dated = self.settings.cooldown > timedelta(0)
        try:
            listing = self._listing(remote)
            if releases.is_full_sha(ref):
                return self._commit(remote, listing, ref)
            if ref not in listing.tags:
                return _missing(url, ref, listing)
            if ref in listing.heads:
                return Refused(
                    f"{ref} is both a tag and a branch of {url}: a runner may take either, so no pin is safe; "
                    "rename one upstream, or pin a commit by hand"
                )
            tags, index = self._dated(remote) if dated else self._plain(remote)
            asked = tags.get(ref) if dated else remote.tag(ref)
        except RemoteError as error:
            return _unreached(url, error)
        not_commit = None if asked is None else releases.not_a_commit(asked)
        if asked is not None and not_commit is not None:
            undated = f"the date of {ref} could not be read, and " if dated and asked.created is None else ""
            return Refused(f"{undated}{not_commit} ({url}); not pinned")
        if asked is None or asked.commit != listing.tags[ref]:
            return Refused(f"tag {ref} of {url} changed while it was read; try again")
        policy = self._policy(url, tags, table)
        if not releases.is_version_prefix(ref):
            why = releases.moved(ref, asked.commit, policy)
            if why is not None:
                self._cache.mark_moved(url, ref, policy.recorded[ref].commit, asked.commit, self.settings.now)
                return Refused(f"{why}; not pinned: check the upstream")
            self._cache.clear_moved(url, ref)
        chosen = releases.choose(ref, tags, policy, index=index)
        if isinstance(chosen, Refused):
            return chosen
        if not dated and chosen.commit != asked.commit:
            unverified = self._verify(remote, chosen)
            if unverified is not None:
                return unverified
        return self._pinned(url, ref, chosen)

    def _verify(self, remote: Remote, chosen: releases.Chosen) -> Refused | None:
        """Without a cooldown only the tag asked about was fetched: an earlier release stepped back to is checked
        the same way before it is taken."""
        try:
            found = remote.tag(chosen.version)
        except RemoteError as error:
            return _unreached(remote.url, error)
        why = releases.not_a_commit(found)
        if why is not None:
            return Refused(f"{why} ({remote.url}); not pinned")
        if found.commit != chosen.commit:
            return Refused(f"tag {chosen.version} of {remote.url} changed while it was read; try again")
        return None

    def _listing(self, remote: Remote) -> Listing:
        """The remote's listing; the first time in a run, its tags are noted in the cache (first sightings)."""
        listing = remote.listing()
        if remote.url not in self._seen:
            self._seen[remote.url] = self._cache.observe(remote.url, listing.tags, self.settings.now)
        return listing

    def _plain(self, remote: Remote) -> tuple[dict[str, Release], dict[str, str]]:
        """The listed tags without dates, and the version on each commit: once per remote."""
        if remote.url not in self._listed:
            tags = self._listing(remote).releases()
            self._listed[remote.url] = (tags, releases.version_index(tags.values()))
        return self._listed[remote.url]

    def _dated(self, remote: Remote) -> tuple[dict[str, Release], dict[str, str]]:
        """Every tag fetched, dated, typed and with its first sighting when that is news; once per remote."""
        if remote.url not in self._judged:
            self._listing(remote)
            seen = self._seen[remote.url]
            tags = dict(remote.releases())
            for name, release in tags.items():
                news = seen.news(name, release.commit)
                if news is not None:
                    tags[name] = replace(release, first_seen=news)
            self._judged[remote.url] = (tags, releases.version_index(tags.values()))
        return self._judged[remote.url]

    def _commit(self, remote: Remote, listing: Listing, sha: str) -> Resolution:
        """A ref that is a full SHA (not advised): taken when it is in the history of a branch or tag."""
        tips = {*listing.tags.values(), *listing.heads.values()}
        if sha not in tips and not remote.reachable(sha):
            return Refused(
                f"impostor commit: {sha} is not in the history of any branch or tag of {remote.url} "
                "(it may come from a fork)"
            )
        version = self._plain(remote)[1].get(sha) or sha
        source = f"git ls-remote {remote.url}" if sha in tips else f"git fetch {remote.url} (branches and tags)"
        return Pinned(sha, version, Origin.LIVE, source, self.settings.now)

    def _policy(self, url: str, tags: Mapping[str, Release], table: TableLookup | None) -> Policy:
        """The policy for the tags of ``url``, computed once per remote and run (the first caller's table lookup
        serves every later one: they all name the same repository)."""
        if url not in self._policies:
            recorded = self._recorded(url, tags, table)
            self._policies[url] = Policy(self.settings.now, self.settings.cooldown, self._advisories, recorded)
        return self._policies[url]

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

    def flush(self) -> bool:
        """Nothing to write offline except what a live source sharing the cache learnt."""
        return self._cache.flush()

    def action(self, repo: str, ref: str) -> Resolution:
        url = action_url(self.settings, repo) if action_problem(repo) is None else None
        return self._unmoved(url, ref) or self._checked(self._cached("git", url, ref) or self._table.action(repo, ref))

    def git(self, url: str, ref: str) -> Resolution:
        url = url.removesuffix("/")
        return self._unmoved(url, ref) or self._checked(self._cached("git", url, ref) or self._table.git(url, ref))

    def project(self, path: str, ref: str) -> Resolution:
        url = project_url(self.settings, path) if project_problem(path) is None else None
        found = self._cached("git", url, ref) or self._table.project(path, ref)
        return self._unmoved(url, ref) or self._checked(found)

    def image(self, reference: str) -> Resolution:
        return self._checked(self._cached("image", reference, "") or self._table.image(reference))

    def _cached(self, kind: str, url: str | None, ref: str) -> Pinned | None:
        entry = None if url is None else self._cache.get(kind, url, ref)
        return None if entry is None else entry.pinned()

    def _unmoved(self, url: str | None, ref: str) -> Refused | None:
        """A refusal when a live run saw ``ref`` of ``url`` moved and no live run has found it back since."""
        marker = None if url is None else self._cache.moved(url, ref)
        if marker is None:
            return None
        when = f"{marker.at.astimezone(UTC):%Y-%m-%dT%H:%MZ}"
        return Refused(
            f"tag {ref} moved from {marker.before[:7]} to {marker.after[:7]} (a live run saw it at {when}); "
            "not pinned: check the upstream"
        )

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


@contextmanager
def resolving(settings: Settings, *, advisories: Mapping[str, str] | None = None) -> Iterator[PinSource]:
    """Make the pin source for ``settings`` (see ``source_for``) the source of the code inside the ``with`` block,
    and write what it learnt to the cache when the block ends, however it ends."""
    cache = PinCache.load(settings.cache_dir)
    source: LiveSource | CachedSource
    if settings.online:
        source = LiveSource(settings, advisories=advisories, cache=cache)
    else:
        source = CachedSource(settings, advisories=advisories, cache=cache)
    try:
        with using(source):
            yield source
    finally:
        cache.flush()


def _unreached(url: str, error: RemoteError) -> Refused:
    """A failed remote: ``unreachable`` only when it could not be reached at all, so that a server answering with
    bad data cannot make a recorded pin stand in for the live answer."""
    return Refused(f"could not reach {url}: {error}", unreachable=error.transport)


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
