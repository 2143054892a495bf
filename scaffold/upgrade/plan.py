"""Decide what an upgrade does to each file: keep it, update it, merge it, or leave it for the user.

The rules, per path of the old record and the new render:
- untouched (hash matches the record): updated to the new render, or removed if it left the kit (only when this
  pack's manifest can render that path: neither the record nor a stored base, which a fetch can bring from anyone,
  ever makes a file deletable);
- changed by the user: three-way merged against the exact previous render, or kept if it left the kit;
- deleted by the user: stays deleted;
- new in the kit: created, unless a file of that name already exists (then merged two-way, as a conflict), or
  ``.scaffold.yml``'s ``removed:`` lists it or its folder (then it stays absent).
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from pathlib import Path

from scaffold.errors import UsageError
from scaffold.kit.record import RECORD_PATH, file_hash
from scaffold.kit.writer import RootCheck, read_existing
from scaffold.upgrade.base import BaseFinder
from scaffold.upgrade.line_merge import Conflict, Labels, Merged, merge_lines
from scaffold.upgrade.merge import merge_file


class Status(enum.Enum):
    UNCHANGED = "unchanged"
    UPDATED = "updated"
    MERGED = "merged"
    CONFLICT = "conflict"
    KEPT_DELETED = "kept-deleted"
    REMOVED = "removed"
    KEPT = "kept"
    NEW = "new"


@dataclass(frozen=True)
class Outcome:
    """One file's fate. ``text`` is what the file will hold (None: absent), ``current`` what it holds now."""

    path: str
    status: Status
    current: str | None
    text: str | None
    conflicts: int = 0
    note: str = ""
    reject: str | None = None

    @property
    def writes(self) -> bool:
        return self.text is not None and self.text != self.current


def has_conflict_markers(text: str) -> bool:
    """True when a line starting with ``<<<<<<< `` is followed, on a later line, by one starting with ``>>>>>>> ``
    (git's markers, any length from 7). One pass over the lines: linear in the text."""
    opened = False
    for line in text.split("\n"):
        if not opened:
            opened = _marker(line, "<")
        elif _marker(line, ">"):
            return True
    return False


def _marker(line: str, char: str) -> bool:
    run = len(line) - len(line.lstrip(char))
    return run >= 7 and line[run : run + 1] == " "


def read_current(kit: Path, path: str, *, reading: bool = False, checked: RootCheck | None = None) -> str | None:
    """The repository's text of a kit file, byte-exact (line endings kept), or None when it does not exist.
    ``reading``: the command only reads (diff), and its refusals say so. ``checked``: see ``safe_target``."""
    data = read_existing(kit, path, reading=reading, checked=checked)
    if data is None:
        return None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise UsageError(f"{kit}: {path}: is not UTF-8 text; scaffold cannot merge it") from None


@dataclass(frozen=True)
class Planner:
    kit: Path
    recorded: Mapping[str, str]
    theirs: Mapping[str, str]
    finder: BaseFinder
    labels: Labels
    rejects: bool
    may_delete: Callable[[str], bool] = lambda path: False
    removed: Callable[[str], bool] = lambda path: False  # listed under removed: in .scaffold.yml
    reading: bool = False  # the command only reads (diff)

    def plan(self) -> list[Outcome]:
        paths = sorted((set(self.recorded) | set(self.theirs)) - {RECORD_PATH})
        checked = RootCheck(self.kit)
        return [
            self._outcome(path, read_current(self.kit, path, reading=self.reading, checked=checked)) for path in paths
        ]

    def _outcome(self, path: str, current: str | None) -> Outcome:
        new = self.theirs.get(path)
        recorded = self.recorded.get(path)
        untouched = current is not None and file_hash(current) == recorded
        if new is None:
            if current is None:
                return Outcome(path, Status.REMOVED, None, None, note="left the kit; already gone")
            if untouched and self.may_delete(path):
                return Outcome(path, Status.REMOVED, current, None, note="left the kit")
            if untouched:
                return Outcome(
                    path, Status.KEPT, current, current, note="left the kit; kept: not a path this kit can render"
                )
            return Outcome(path, Status.KEPT, current, current, note="left the kit; kept because you changed it")
        if current is None:
            if self.removed(path):
                return Outcome(path, Status.KEPT_DELETED, None, None, note="removed in .scaffold.yml; it stays deleted")
            if recorded is None:
                return Outcome(path, Status.NEW, None, new)
            return Outcome(path, Status.KEPT_DELETED, None, None, note="you deleted it; it stays deleted")
        if current == new:
            return Outcome(path, Status.UNCHANGED, current, current)
        if untouched:
            return Outcome(path, Status.UPDATED, current, new)
        if has_conflict_markers(current):
            return Outcome(path, Status.CONFLICT, current, current, 1, "unresolved conflict markers: resolve them")
        if recorded is None:
            return self._merged(path, current, merge_lines("", current, new), "exists; the kit now has its own")
        base = self.finder.find(path)
        if base is None:
            return self._merged(
                path, current, Merged((Conflict(current, "", new),)), "the previous render could not be found"
            )
        return self._merged(path, current, merge_file(path, base=base, ours=current, theirs=new), "")

    def _merged(self, path: str, current: str, merged: Merged, note: str) -> Outcome:
        if not merged.conflicts:
            text = merged.text_without_conflicts()
            status = Status.UNCHANGED if text == current else Status.MERGED
            return Outcome(path, status, current, text, note="your edits are kept" if status is Status.MERGED else "")
        if self.rejects:
            # A .rej names the file its hunks apply to (yours: the line numbers are your file's) and the kit's side.
            kept, reject = merged.ours_with_rejects(path, replace(self.labels, base=self.labels.ours))
            return Outcome(path, Status.CONFLICT, current, kept, merged.conflicts, note or "see .rej", reject)
        return Outcome(path, Status.CONFLICT, current, merged.text(self.labels), merged.conflicts, note)
