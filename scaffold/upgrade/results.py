"""What ``scaffold diff`` and ``scaffold upgrade`` return: the results the reports read."""

from __future__ import annotations

from dataclasses import dataclass, field

from scaffold.upgrade.plan import Outcome, Status
from scaffold.upgrade.posture import Weakening


@dataclass(frozen=True)
class DiffEntry:
    path: str
    status: str  # "unchanged", "differs", "missing" (in the kit, not in the repo) or "left-kit"
    current: str | None
    rendered: str | None


@dataclass(frozen=True)
class Pending:
    """A change ``scaffold upgrade`` would make: to a file (its upgrade status) or to the record (``record``)."""

    path: str
    status: str
    note: str


@dataclass(frozen=True)
class DiffResult:
    entries: list[DiffEntry]  # byte for byte against the kit render (what --strict gates on)
    pack_version: str
    recorded_pack_version: str
    pending: list[Pending] = field(default_factory=list)
    weaker: list[Weakening] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)  # kit files deleted, not listed under removed:
    customised: list[str] = field(default_factory=list)  # edits an upgrade keeps as they are
    removed: list[str] = field(default_factory=list)  # kit files deleted and listed under removed:
    strict: bool = False

    @property
    def drifted(self) -> list[DiffEntry]:
        return [entry for entry in self.entries if entry.status != "unchanged"]

    @property
    def drift(self) -> bool:
        """The gate's verdict: anything pending, weaker or missing; with ``strict``, any byte of difference."""
        if self.strict:
            return bool(self.drifted)
        return bool(self.pending or self.weaker or self.missing)


@dataclass(frozen=True)
class UpgradeResult:
    outcomes: list[Outcome]
    weakenings: list[Weakening]
    written: bool
    finished_interrupted: list[str] | None
    from_version: str
    to_version: str
    base_sources: dict[str, str]

    @property
    def conflicts(self) -> list[Outcome]:
        return [outcome for outcome in self.outcomes if outcome.status is Status.CONFLICT]

    @property
    def blocked(self) -> bool:
        """True when weakenings stopped the upgrade (nothing was written)."""
        return bool(self.weakenings) and not self.written
