"""The on-disk cache of live lookups: ``<cache dir>/pins.json``, one entry per (kind, URL, ref), plus what live runs
saw of each remote's tags and the tags they refused as moved.

Only live lookups write it, atomically (a temporary file renamed over the old one), so a reader never sees half a
file. Offline runs answer from it before the shipped table, and live runs read it to notice a tag that moved since.
Reading it is reading untrusted input: a regular file only, at most ``MAX_BYTES``, and a strict schema (kinds,
SHA and digest patterns, ISO times with a zone, printable bounded strings). A file that breaks a rule is a
UsageError naming the file, the field and the rule; a cache that cannot be written is skipped, never fatal.

Writes are batched: ``record``, ``observe`` and the moved markers change the cache in memory, and ``flush`` writes
them once, merged with what other runs wrote meanwhile. A run calls ``flush`` when it ends; as a safety net the
cache is also flushed when it is let go (garbage collected, or at interpreter exit), and before another
``PinCache.load`` of the same folder in the same process reads the file. A run killed outright loses its writes,
which costs only a later lookup.

The file (``seen`` and ``moved`` are optional)::

    {"schema": 1,
     "pins": [{"kind": "git", "url": "https://github.com/actions/checkout", "ref": "v4",
               "value": "<40-hex sha>", "version": "v4.3.1", "source": "git ls-remote ...",
               "at": "2026-12-07T20:41:00Z"}],
     "seen": [{"url": "https://github.com/actions/checkout", "since": "2026-12-01T08:00:00Z",
               "tags": {"v4.3.1": "<40-hex sha> 2026-12-01T08:00:00Z"}}],
     "moved": [{"url": "https://github.com/actions/checkout", "ref": "v4.3.1", "from": "<40-hex sha>",
                "to": "<40-hex sha>", "at": "2026-12-07T20:41:00Z"}]}

``seen`` keeps, per remote, when scaffold first listed it (``since``) and when it first saw each tag at its
commit: a tag that appears (or moves) after ``since`` is no older, for the cooldown, than that first sighting,
whatever date the upstream wrote into it. Tags seen in the first listing of a remote tell nothing (they were all
"first seen" then), so they are judged by their own dates: scaffold cannot know how long a tag existed before it
first looked.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import tempfile
import weakref
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from scaffold.errors import UsageError
from scaffold.resolve.model import Origin, Pinned
from scaffold.untrusted.read import UnreadableInput, read_text
from scaffold.untrusted.text import printable, shown

FILE_NAME = "pins.json"
SCHEMA = 1
MAX_BYTES = 16 * 1024 * 1024
MAX_ENTRIES = 50_000
MAX_SEEN_TAGS = 20_000
"""Tags remembered per remote (the first in name order); a tag beyond is judged by its own date."""
MAX_SEEN_TOTAL = 60_000
"""Tags remembered over all remotes; past it, the remotes first listed longest ago are forgotten when writing."""
KINDS = {"git": re.compile(r"[0-9a-f]{40}"), "image": re.compile(r"sha256:[0-9a-f]{64}")}
_RULES = {"git": "a 40-character lower-case commit SHA", "image": "a sha256: digest (64 lower-case hex)"}
_FIELDS = ("kind", "url", "ref", "value", "version", "source", "at")
_LENGTHS = {"kind": 16, "url": 2048, "ref": 255, "value": 80, "version": 255, "source": 1024, "at": 40}
_TIME = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,6})?)?(?:Z|[+-]\d{2}:\d{2})")
_COMMIT = KINDS["git"]
_SIGHTING = re.compile(r"(?P<commit>[0-9a-f]{40}) (?P<at>\S{1,40})")
_MOVED_FIELDS = ("url", "ref", "from", "to", "at")
_SEEN_FIELDS = ("url", "since", "tags")

Key = tuple[str, str, str]
MovedKey = tuple[str, str]
_Bad = Callable[[str, str], UsageError]


@dataclass(frozen=True)
class Entry:
    """One cached lookup: ``value`` (a commit SHA or an image digest) for ``ref`` of ``url``, found at ``at``."""

    kind: str
    url: str
    ref: str
    value: str
    version: str
    source: str
    at: datetime

    @property
    def key(self) -> Key:
        return (self.kind, self.url, self.ref)

    def pinned(self) -> Pinned:
        return Pinned(self.value, self.version, Origin.CACHE, self.source, self.at)

    def as_json(self) -> dict[str, str]:
        at = _time(self.at)
        return {
            "kind": self.kind,
            "url": self.url,
            "ref": self.ref,
            "value": self.value,
            "version": self.version,
            "source": self.source,
            "at": at,
        }


@dataclass(frozen=True)
class Sighting:
    """A tag of a remote at ``commit``, first seen by scaffold at ``first_seen``."""

    commit: str
    first_seen: datetime


@dataclass(frozen=True)
class Seen:
    """The tags of one remote as live runs saw them: ``since`` is when scaffold first listed the remote."""

    since: datetime
    tags: Mapping[str, Sighting]

    def news(self, name: str, commit: str) -> datetime | None:
        """When scaffold first saw tag ``name`` at ``commit``, if that was after the remote's first listing (before
        then, a first sighting says nothing about the tag's age); else None."""
        sighting = self.tags.get(name)
        if sighting is None or sighting.commit != commit or sighting.first_seen <= self.since:
            return None
        return sighting.first_seen


@dataclass(frozen=True)
class Moved:
    """A live run refused ``ref`` of ``url`` because it moved from the recorded commit ``before`` to ``after``."""

    url: str
    ref: str
    before: str
    after: str
    at: datetime


@dataclass
class Contents:
    """Everything the file holds."""

    pins: dict[Key, Entry] = field(default_factory=dict)
    seen: dict[str, Seen] = field(default_factory=dict)
    moved: dict[MovedKey, Moved] = field(default_factory=dict)


class _Store:
    """The state of one PinCache, apart from it so that its finalizer can flush it after the cache is gone."""

    def __init__(self, path: Path, contents: Contents) -> None:
        self.path = path
        self.contents = contents
        self.pins: set[Key] = set()
        self.seen: set[str] = set()
        self.moved: set[MovedKey] = set()

    @property
    def pending(self) -> bool:
        return bool(self.pins or self.seen or self.moved)

    def flush(self) -> bool:
        if not self.pending:
            return True
        try:
            base = read_contents(self.path)
        except UsageError:
            base = self.contents  # a damaged file is replaced by what this run knows
        mine = self.contents
        merged = Contents(
            {**base.pins, **{key: mine.pins[key] for key in self.pins}},
            {**base.seen, **{url: mine.seen[url] for url in self.seen}},
            dict(base.moved),
        )
        for key in self.moved:
            if key in mine.moved:
                merged.moved[key] = mine.moved[key]
            else:
                merged.moved.pop(key, None)
        _trim_seen(merged.seen)
        if not _write(self.path, merged):
            return False
        self.contents = merged
        self.pins.clear()
        self.seen.clear()
        self.moved.clear()
        return True


_OPEN: weakref.WeakSet[PinCache] = weakref.WeakSet()


class PinCache:
    """The cache file, read once (``load``), changed in memory by ``record``, ``observe`` and the moved markers,
    and written by ``flush`` (also when the cache is let go, and before another load of the same folder)."""

    def __init__(self, path: Path, entries: dict[Key, Entry] | None = None, contents: Contents | None = None) -> None:
        self.path = path
        self._store = _Store(path, contents or Contents(dict(entries or {})))
        weakref.finalize(self, self._store.flush)
        _OPEN.add(self)

    @classmethod
    def load(cls, cache_dir: Path) -> PinCache:
        """The cache in ``cache_dir`` (empty when there is no file yet); UsageError when the file is bad. What other
        caches of the same folder in this process still hold is written first."""
        path = cache_dir / FILE_NAME
        for other in list(_OPEN):
            if other.path == path:
                other.flush()
        return cls(path, contents=read_contents(path))

    @property
    def pending(self) -> bool:
        """Whether changes wait to be written."""
        return self._store.pending

    def flush(self) -> bool:
        """Write what changed since the last flush, merged with what other runs wrote meanwhile; False when the
        file could not be written (the run still knows it all). True when there was nothing to write."""
        return self._store.flush()

    def get(self, kind: str, url: str, ref: str) -> Entry | None:
        return self._store.contents.pins.get((kind, url, ref))

    def record(self, kind: str, url: str, ref: str, pinned: Pinned) -> bool:
        """Remember ``pinned`` for (kind, url, ref), to be written by the next flush; False when the file could not
        hold it (a malformed value: it is not cached, and the lookup still stands)."""
        entry = Entry(kind, url, ref, pinned.value, pinned.version, pinned.source, pinned.at or datetime.now(UTC))
        if _entry_problem(entry.as_json()) is not None:
            return False  # never written half-valid
        self._store.contents.pins[entry.key] = entry
        self._store.pins.add(entry.key)
        return True

    # What live runs saw of each remote's tags -------------------------------------------------------------------

    def seen(self, url: str) -> Seen | None:
        return self._store.contents.seen.get(url)

    def observe(self, url: str, tags: Mapping[str, str], now: datetime) -> Seen:
        """Note the tags (name -> commit) a live run just listed for ``url`` at ``now``: a tag new since the last
        listing, or at another commit, is first seen now. The first listing of a remote sets ``since``."""
        now = now.astimezone(UTC).replace(microsecond=0)
        known = self.seen(url)
        names = sorted(name for name in tags if _tag_name_problem(name) is None and _COMMIT.fullmatch(tags[name]))
        names = names[:MAX_SEEN_TAGS]
        if known is None:
            found = Seen(now, {name: Sighting(tags[name], now) for name in names})
        else:
            sightings: dict[str, Sighting] = {}
            for name in names:
                earlier = known.tags.get(name)
                sightings[name] = earlier if earlier and earlier.commit == tags[name] else Sighting(tags[name], now)
            if sightings == known.tags:
                return known
            found = Seen(known.since, sightings)
        if _url_problem(url) is None:
            self._store.contents.seen[url] = found
            self._store.seen.add(url)
        return found

    # Tags a live run refused as moved ------------------------------------------------------------------------------

    def moved(self, url: str, ref: str) -> Moved | None:
        return self._store.contents.moved.get((url, ref))

    def mark_moved(self, url: str, ref: str, before: str, after: str, at: datetime) -> None:
        """Remember that ``ref`` of ``url`` moved from ``before`` to ``after``: offline runs refuse it too."""
        marker = Moved(url, ref, before, after, at.astimezone(UTC).replace(microsecond=0))
        if _moved_problem(_moved_json(marker)) is None and self.moved(url, ref) != marker:
            self._store.contents.moved[(url, ref)] = marker
            self._store.moved.add((url, ref))

    def clear_moved(self, url: str, ref: str) -> None:
        """A live run found ``ref`` where it was recorded again: the marker goes."""
        if self._store.contents.moved.pop((url, ref), None) is not None:
            self._store.moved.add((url, ref))


def read_entries(path: Path) -> dict[Key, Entry]:
    """The pin entries of the cache file at ``path``; {} when it does not exist, UsageError when it is bad."""
    return read_contents(path).pins


def read_contents(path: Path) -> Contents:
    """Everything the cache file at ``path`` holds; empty when it does not exist, UsageError when it is bad."""
    shown_path = printable(str(path), 200)
    if not os.path.lexists(path):
        return Contents()
    try:
        text = read_text(path, limit=MAX_BYTES)
    except UnreadableInput as error:
        raise UsageError(f"pin cache {shown_path}: {error}; delete it to start afresh") from None
    try:
        data = json.loads(text)
    except (ValueError, RecursionError) as error:
        where = f" (line {error.lineno})" if isinstance(error, json.JSONDecodeError) else ""
        raise UsageError(f"pin cache {shown_path}: is not valid JSON{where}; delete it to start afresh") from None
    return _contents(data, shown_path)


def _contents(data: Any, shown_path: str) -> Contents:
    def bad(where: str, rule: str) -> UsageError:
        return UsageError(f"pin cache {shown_path}: {where}: {rule}; delete it to start afresh")

    if not isinstance(data, dict) or not {"schema", "pins"} <= set(data) <= {"schema", "pins", "seen", "moved"}:
        raise bad("(top level)", "must be an object with exactly 'schema' and 'pins', and optionally 'seen', 'moved'")
    return Contents(_entries(data, bad), _seen(data.get("seen", []), bad), _moved(data.get("moved", []), bad))


def _entries(data: dict[str, Any], bad: _Bad) -> dict[Key, Entry]:
    if data["schema"] != SCHEMA or isinstance(data["schema"], bool):
        raise bad("schema", f"must be {SCHEMA}")
    pins = data["pins"]
    if not isinstance(pins, list):
        raise bad("pins", "must be a list")
    if len(pins) > MAX_ENTRIES:
        raise bad("pins", f"holds more than {MAX_ENTRIES} entries")
    found: dict[Key, Entry] = {}
    for item, at in _checked(pins, "pins", _entry_problem, bad):
        entry = Entry(item["kind"], item["url"], item["ref"], item["value"], item["version"], item["source"], at)
        found[entry.key] = entry
    return found


def _checked(
    items: list[Any], section: str, problem: Callable[[dict[str, Any]], tuple[str, str] | None], bad: _Bad
) -> Iterator[tuple[dict[str, Any], datetime]]:
    """Each item of a list section with its time, once ``problem`` finds nothing wrong with it."""
    for number, item in enumerate(items):
        if not isinstance(item, dict):
            raise bad(f"{section}[{number}]", "must be an object")
        found = problem(item)
        if found is not None:
            name, rule = found
            raise bad(f"{section}[{number}].{name}" if name else f"{section}[{number}]", rule)
        at = _parse_time(item["at"])
        if at is None:  # checked by ``problem``; kept for the type checker
            raise bad(f"{section}[{number}].at", "must be an ISO 8601 time with a zone")
        yield item, at


def _seen(data: Any, bad: _Bad) -> dict[str, Seen]:
    if not isinstance(data, list):
        raise bad("seen", "must be a list")
    found: dict[str, Seen] = {}
    total = 0
    for number, item in enumerate(data):
        where = f"seen[{number}]"
        if not isinstance(item, dict) or set(item) != set(_SEEN_FIELDS):
            raise bad(where, f"must be an object with exactly the fields {', '.join(_SEEN_FIELDS)}")
        problem = _url_problem(item["url"])
        if problem is not None:
            raise bad(f"{where}.url", problem)
        since = _parse_time(item["since"]) if isinstance(item["since"], str) else None
        if since is None:
            raise bad(f"{where}.since", "must be an ISO 8601 time with a zone")
        tags = item["tags"]
        if not isinstance(tags, dict):
            raise bad(f"{where}.tags", "must be an object")
        total += len(tags)
        if len(tags) > MAX_SEEN_TAGS or total > MAX_SEEN_TOTAL:
            raise bad(f"{where}.tags", f"holds more than {min(MAX_SEEN_TAGS, MAX_SEEN_TOTAL)} tags")
        sightings: dict[str, Sighting] = {}
        for name, value in tags.items():
            problem = _tag_name_problem(name)
            if problem is not None:
                raise bad(f"{where}.tags", problem)
            match = _SIGHTING.fullmatch(value) if isinstance(value, str) else None
            first_seen = _parse_time(match.group("at")) if match is not None else None
            if match is None or first_seen is None:
                raise bad(f"{where}.tags[{shown(name, 60)}]", "must be '<40-hex commit> <ISO 8601 time with a zone>'")
            sightings[name] = Sighting(match.group("commit"), first_seen)
        found[item["url"]] = Seen(since, sightings)
    return found


def _moved(data: Any, bad: _Bad) -> dict[MovedKey, Moved]:
    if not isinstance(data, list):
        raise bad("moved", "must be a list")
    if len(data) > MAX_ENTRIES:
        raise bad("moved", f"holds more than {MAX_ENTRIES} entries")
    found: dict[MovedKey, Moved] = {}
    for item, at in _checked(data, "moved", _moved_problem, bad):
        found[(item["url"], item["ref"])] = Moved(item["url"], item["ref"], item["from"], item["to"], at)
    return found


def _moved_problem(item: dict[str, Any]) -> tuple[str, str] | None:
    if set(item) != set(_MOVED_FIELDS):
        return "", f"must have exactly the fields {', '.join(_MOVED_FIELDS)}"
    for name in _MOVED_FIELDS:
        if not isinstance(item[name], str):
            return name, "must be a string"
    problem = _url_problem(item["url"])
    if problem is not None:
        return "url", problem
    problem = _tag_name_problem(item["ref"])
    if problem is not None:
        return "ref", problem
    for name in ("from", "to"):
        if not _COMMIT.fullmatch(item[name]):
            return name, _RULES["git"]
    if _parse_time(item["at"]) is None:
        return "at", "must be an ISO 8601 time with a zone (2026-12-07T20:41:00Z)"
    return None


def _url_problem(url: Any) -> str | None:
    if not isinstance(url, str) or not url:
        return "must be a non-empty string"
    if len(url) > _LENGTHS["url"]:
        return f"is longer than {_LENGTHS['url']} characters"
    if not url.isprintable():
        return "holds a control character"
    return None


def _tag_name_problem(name: str) -> str | None:
    if not name or len(name) > _LENGTHS["ref"]:
        return f"a tag name must be 1 to {_LENGTHS['ref']} characters"
    if not name.isprintable():
        return "a tag name holds a control character"
    return None


def _moved_json(marker: Moved) -> dict[str, str]:
    return {"url": marker.url, "ref": marker.ref, "from": marker.before, "to": marker.after, "at": _time(marker.at)}


def _seen_json(url: str, seen: Seen) -> dict[str, Any]:
    tags = {name: f"{seen.tags[name].commit} {_time(seen.tags[name].first_seen)}" for name in sorted(seen.tags)}
    return {"url": url, "since": _time(seen.since), "tags": tags}


def _time(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _trim_seen(seen: dict[str, Seen]) -> None:
    """Forget the remotes first listed longest ago until at most ``MAX_SEEN_TOTAL`` tags are remembered."""
    total = sum(len(item.tags) for item in seen.values())
    for url in sorted(seen, key=lambda name: seen[name].since):
        if total <= MAX_SEEN_TOTAL:
            return
        total -= len(seen.pop(url).tags)


def _entry_problem(item: dict[str, Any]) -> tuple[str, str] | None:
    """(field, rule) for the first field of a cache entry that breaks a rule, or None."""
    if set(item) != set(_FIELDS):
        return "", f"must have exactly the fields {', '.join(_FIELDS)}"
    for name in _FIELDS:
        value = item[name]
        if not isinstance(value, str):
            return name, "must be a string"
        if len(value) > _LENGTHS[name]:
            return name, f"is longer than {_LENGTHS[name]} characters"
        if not value.isprintable():
            return name, "holds a control character"
    kind = item["kind"]
    if kind not in KINDS:
        return "kind", f"must be one of {', '.join(sorted(KINDS))}, not '{shown(kind, 20)}'"
    if not KINDS[kind].fullmatch(item["value"]):
        return "value", f"must be {_RULES[kind]} for a {kind} pin"
    if not item["url"]:
        return "url", "must not be empty"
    if _parse_time(item["at"]) is None:
        return "at", "must be an ISO 8601 time with a zone (2026-12-07T20:41:00Z)"
    return None


def _parse_time(text: str) -> datetime | None:
    if not _TIME.fullmatch(text):
        return None
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None


def _write(path: Path, contents: Contents) -> bool:
    """Write the file atomically; False when the folder or the file cannot be written."""
    ordered = sorted(contents.pins.values(), key=lambda entry: entry.key)
    data: dict[str, Any] = {"schema": SCHEMA, "pins": [entry.as_json() for entry in ordered]}
    if contents.seen:
        data["seen"] = [_seen_json(url, contents.seen[url]) for url in sorted(contents.seen)]
    if contents.moved:
        data["moved"] = [_moved_json(contents.moved[key]) for key in sorted(contents.moved)]
    body = json.dumps(data, indent=1) + "\n"
    if len(body.encode()) > MAX_BYTES:
        return False
    temporary: str | None = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        handle, temporary = tempfile.mkstemp(prefix=".pins-", suffix=".json", dir=path.parent)
        with os.fdopen(handle, "w", encoding="utf-8") as output:
            output.write(body)
            output.flush()
            os.fsync(output.fileno())
        Path(temporary).replace(path)
        temporary = None
        return True
    except OSError:
        return False
    finally:
        if temporary is not None:
            with contextlib.suppress(OSError):
                Path(temporary).unlink()
