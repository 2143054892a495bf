"""The upgrade journal: which staged file goes where, and which file is deleted, each with the sha256 it must have.

The journal is read back after a crash, so it is untrusted input: every entry is checked (exact keys, types, a
plain kit path, a ``sha256:`` digest, the stage name its position gives it, no path twice, ``.scaffold.yml`` the
last write) before anything moves. A problem is a ``JournalError`` with one line naming the entry and the rule.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from scaffold.kit import kit_paths

VERSION = 1
RECORD_PATH = ".scaffold.yml"
MAX_ENTRIES = 20_000
_HASH = re.compile(r"sha256:[0-9a-f]{64}")


class JournalError(ValueError):
    """Why a journal cannot be replayed, in one line."""


@dataclass(frozen=True)
class Move:
    path: str
    stage: str
    sha256: str


@dataclass(frozen=True)
class Delete:
    path: str
    sha256: str


@dataclass(frozen=True)
class Journal:
    writes: tuple[Move, ...]
    deletes: tuple[Delete, ...]

    @property
    def record(self) -> Move | None:
        return next((move for move in self.writes if move.path == RECORD_PATH), None)

    @property
    def paths(self) -> set[str]:
        return {move.path for move in self.writes} | {delete.path for delete in self.deletes}

    def dumps(self) -> bytes:
        data = {
            "version": VERSION,
            "writes": [{"path": m.path, "stage": m.stage, "sha256": m.sha256} for m in self.writes],
            "deletes": [{"path": d.path, "sha256": d.sha256} for d in self.deletes],
        }
        return json.dumps(data, indent=1).encode("utf-8")


def stage_name(index: int) -> str:
    return f"{index}.stage"


def parse(text: str) -> Journal:
    """A checked journal from its JSON text; raises ``JournalError``."""
    try:
        data = json.loads(text, object_pairs_hook=_unique_keys)
    except RecursionError:
        raise JournalError("is nested too deeply") from None
    except ValueError as error:  # JSONDecodeError, an over-long integer, a duplicate key
        raise JournalError(f"is not valid JSON: {' '.join(str(error).split())[:100]}") from None
    _keys(data, {"version", "writes", "deletes"}, "the journal")
    if data["version"] != VERSION or isinstance(data["version"], bool):
        raise JournalError(f"version must be {VERSION}")
    writes, deletes = data["writes"], data["deletes"]
    if not isinstance(writes, list) or not isinstance(deletes, list):
        raise JournalError("writes and deletes must be lists")
    if len(writes) + len(deletes) > MAX_ENTRIES:
        raise JournalError(f"must have at most {MAX_ENTRIES} entries")
    moves = tuple(_move(index, entry) for index, entry in enumerate(writes))
    removals = tuple(_delete(index, entry) for index, entry in enumerate(deletes))
    paths = [move.path for move in moves] + [removal.path for removal in removals]
    if len(set(paths)) != len(paths):
        raise JournalError("names a path twice")
    if any(move.path == RECORD_PATH for move in moves[:-1]):
        raise JournalError(f"must write {RECORD_PATH} last")
    if any(removal.path == RECORD_PATH for removal in removals):
        raise JournalError(f"must not delete {RECORD_PATH}")
    return Journal(moves, removals)


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise ValueError(f"duplicate key {key[:40]!r}")
        result[key] = value
    return result


def _keys(entry: Any, expected: set[str], where: str) -> None:
    if not isinstance(entry, dict):
        raise JournalError(f"{where} must be an object with {', '.join(sorted(expected))}")
    if set(entry) != expected:
        extra = sorted(set(entry) - expected)
        missing = sorted(expected - set(entry))
        detail = f"has no {missing[0]}" if missing else f"has an unknown key {extra[0][:40]!r}"
        raise JournalError(f"{where} {detail}")


def _path(value: Any, where: str) -> str:
    reason = kit_paths.problem(value)
    if reason is not None:
        raise JournalError(f"{where}.path {reason}")
    assert isinstance(value, str)  # noqa: S101 - problem() returns a reason for anything else
    return value


def _digest(value: Any, where: str) -> str:
    if not isinstance(value, str) or not _HASH.fullmatch(value):
        raise JournalError(f"{where}.sha256 must be 'sha256:' and 64 lowercase hex digits")
    return value


def _move(index: int, entry: Any) -> Move:
    where = f"writes[{index}]"
    _keys(entry, {"path", "stage", "sha256"}, where)
    if entry["stage"] != stage_name(index):
        raise JournalError(f"{where}.stage must be {stage_name(index)!r} (a staged file inside the staging folder)")
    return Move(_path(entry["path"], where), stage_name(index), _digest(entry["sha256"], where))


def _delete(index: int, entry: Any) -> Delete:
    where = f"deletes[{index}]"
    _keys(entry, {"path", "sha256"}, where)
    return Delete(_path(entry["path"], where), _digest(entry["sha256"], where))
