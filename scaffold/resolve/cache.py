"""The on-disk cache of live lookups: ``<cache dir>/pins.json``, one entry per (kind, URL, ref).

Only live lookups write it, atomically (a temporary file renamed over the old one), so a reader never sees half a
file. Offline runs answer from it before the shipped table, and live runs read it to notice a tag that moved since.
Reading it is reading untrusted input: a regular file only, at most ``MAX_BYTES``, and a strict schema (kinds,
SHA and digest patterns, ISO times with a zone, printable bounded strings). A file that breaks a rule is a
UsageError naming the file, the field and the rule; a cache that cannot be written is skipped, never fatal.

The file::

    {"schema": 1, "pins": [{"kind": "git", "url": "https://github.com/actions/checkout", "ref": "v4",
      "value": "<40-hex sha>", "version": "v4.3.1", "source": "git ls-remote ...", "at": "2026-12-07T20:41:00Z"}]}
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from scaffold.errors import UsageError
from scaffold.resolve.model import Origin, Pinned
from scaffold.untrusted.read import UnreadableInput, read_text
from scaffold.untrusted.text import printable, shown

FILE_NAME = "pins.json"
SCHEMA = 1
MAX_BYTES = 8 * 1024 * 1024
MAX_ENTRIES = 50_000
KINDS = {"git": re.compile(r"[0-9a-f]{40}"), "image": re.compile(r"sha256:[0-9a-f]{64}")}
_RULES = {"git": "a 40-character lower-case commit SHA", "image": "a sha256: digest (64 lower-case hex)"}
_FIELDS = ("kind", "url", "ref", "value", "version", "source", "at")
_LENGTHS = {"kind": 16, "url": 2048, "ref": 255, "value": 80, "version": 255, "source": 1024, "at": 40}
_TIME = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,6})?)?(?:Z|[+-]\d{2}:\d{2})")

Key = tuple[str, str, str]


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
        at = self.at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        return {
            "kind": self.kind,
            "url": self.url,
            "ref": self.ref,
            "value": self.value,
            "version": self.version,
            "source": self.source,
            "at": at,
        }


class PinCache:
    """The cache file's entries, read once (``load``), and kept up to date in memory and on disk by ``record``."""

    def __init__(self, path: Path, entries: dict[Key, Entry] | None = None) -> None:
        self.path = path
        self._entries: dict[Key, Entry] = dict(entries or {})

    @classmethod
    def load(cls, cache_dir: Path) -> PinCache:
        """The cache in ``cache_dir`` (empty when there is no file yet); UsageError when the file is bad."""
        path = cache_dir / FILE_NAME
        return cls(path, read_entries(path))

    def get(self, kind: str, url: str, ref: str) -> Entry | None:
        return self._entries.get((kind, url, ref))

    def record(self, kind: str, url: str, ref: str, pinned: Pinned) -> bool:
        """Remember ``pinned`` for (kind, url, ref) and write the file; False when it could not be written (the
        lookup still stands). Entries other runs wrote meanwhile are kept."""
        entry = Entry(kind, url, ref, pinned.value, pinned.version, pinned.source, pinned.at or datetime.now(UTC))
        problem = _entry_problem(entry.as_json())
        if problem is not None:
            return False  # a value the file could not hold: not cached, and never written half-valid
        self._entries[entry.key] = entry
        try:
            on_disk = read_entries(self.path)
        except UsageError:
            on_disk = {}  # a damaged file is replaced by what this run knows
        merged = {**on_disk, **self._entries}
        return _write(self.path, merged)


def read_entries(path: Path) -> dict[Key, Entry]:
    """The entries of the cache file at ``path``; {} when it does not exist, UsageError when it is bad."""
    shown_path = printable(str(path), 200)
    if not os.path.lexists(path):
        return {}
    try:
        text = read_text(path, limit=MAX_BYTES)
    except UnreadableInput as error:
        raise UsageError(f"pin cache {shown_path}: {error}; delete it to start afresh") from None
    try:
        data = json.loads(text)
    except (ValueError, RecursionError) as error:
        where = f" (line {error.lineno})" if isinstance(error, json.JSONDecodeError) else ""
        raise UsageError(f"pin cache {shown_path}: is not valid JSON{where}; delete it to start afresh") from None
    return _entries(data, shown_path)


def _entries(data: Any, shown_path: str) -> dict[Key, Entry]:
    def bad(field: str, rule: str) -> UsageError:
        return UsageError(f"pin cache {shown_path}: {field}: {rule}; delete it to start afresh")

    if not isinstance(data, dict) or set(data) != {"schema", "pins"}:
        raise bad("(top level)", "must be an object with exactly 'schema' and 'pins'")
    if data["schema"] != SCHEMA or isinstance(data["schema"], bool):
        raise bad("schema", f"must be {SCHEMA}")
    pins = data["pins"]
    if not isinstance(pins, list):
        raise bad("pins", "must be a list")
    if len(pins) > MAX_ENTRIES:
        raise bad("pins", f"holds more than {MAX_ENTRIES} entries")
    found: dict[Key, Entry] = {}
    for number, item in enumerate(pins):
        if not isinstance(item, dict):
            raise bad(f"pins[{number}]", "must be an object")
        problem = _entry_problem(item)
        if problem is not None:
            field, rule = problem
            raise bad(f"pins[{number}].{field}" if field else f"pins[{number}]", rule)
        at = _parse_time(item["at"])
        if at is None:  # checked above; kept for the type checker
            raise bad(f"pins[{number}].at", "must be an ISO 8601 time with a zone")
        entry = Entry(item["kind"], item["url"], item["ref"], item["value"], item["version"], item["source"], at)
        found[entry.key] = entry
    return found


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


def _write(path: Path, entries: dict[Key, Entry]) -> bool:
    """Write the file atomically; False when the folder or the file cannot be written."""
    ordered = sorted(entries.values(), key=lambda entry: entry.key)
    body = json.dumps({"schema": SCHEMA, "pins": [entry.as_json() for entry in ordered]}, indent=1) + "\n"
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
