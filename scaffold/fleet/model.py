"""The shape of a fleet report: one result per repository, a summary, and the history of earlier runs.

The same models check what a worker prints and what ``fleet merge`` reads from shard files, so a crashed worker or a
hand-edited shard is refused field by field (exit 2 naming the field) instead of reaching the report."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

SCHEMA = "scaffold-fleet-report/1"
SEVERITIES = ("high", "medium", "low")
STATUS_STATES = ("current", "behind", "drift", "not-scaffold", "error")
UPGRADE_STATES = ("upgraded", "current", "conflicts", "blocked", "error")
MAX_DETAIL = 500
"""Findings listed per repository in a report (the counts cover all of them)."""

_Text = Field(max_length=20_000)


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


class PackInfo(_Strict):
    name: str | None = Field(default=None, max_length=200)
    version: str | None = Field(default=None, max_length=200)
    latest: str | None = Field(default=None, max_length=200)
    source: str | None = Field(default=None, max_length=4000)


class FileNote(_Strict):
    path: str = Field(max_length=4000)
    status: str = Field(max_length=40)
    note: str = _Text


class Weaker(_Strict):
    path: str = Field(max_length=4000)
    line: int = Field(ge=0)
    rule: str = Field(max_length=200)
    control: str = Field(max_length=200)
    message: str = _Text


class FindingItem(_Strict):
    path: str = Field(max_length=4000)
    line: int = Field(ge=0)
    column: int = Field(ge=0)
    rule: str = Field(max_length=200)
    severity: Literal["high", "medium", "low"]
    message: str = _Text


class Counts(_Strict):
    high: int = Field(default=0, ge=0)
    medium: int = Field(default=0, ge=0)
    low: int = Field(default=0, ge=0)


class UpgradedFile(_Strict):
    path: str = Field(max_length=4000)
    status: str = Field(max_length=40)
    conflicts: int = Field(default=0, ge=0)


class UpgradeInfo(_Strict):
    outcome: Literal["upgraded", "current", "conflicts", "blocked", "error"]
    branch: str | None = Field(default=None, max_length=300)
    commit: str | None = Field(default=None, pattern=r"^[0-9a-f]{40,64}$")
    pushed: bool = False
    from_version: str | None = Field(default=None, max_length=300)
    to_version: str | None = Field(default=None, max_length=300)
    files: list[UpgradedFile] = Field(default_factory=list, max_length=5000)
    conflicts: list[str] = Field(default_factory=list, max_length=5000)
    blocked: list[Weaker] = Field(default_factory=list, max_length=5000)
    description: str = Field(default="", max_length=200_000)
    pr_command: str | None = Field(default=None, max_length=20_000)
    pr_url: str | None = Field(default=None, max_length=2000)


class RepoResult(_Strict):
    target: str = Field(max_length=4000)
    name: str = Field(max_length=4000)
    path: str | None = Field(default=None, max_length=4000)
    state: Literal["current", "behind", "drift", "not-scaffold", "error", "upgraded", "conflicts", "blocked"]
    pack: PackInfo = Field(default_factory=PackInfo)
    behind: bool = False
    drift: bool = False
    pending: list[FileNote] = Field(default_factory=list, max_length=5000)
    missing: list[str] = Field(default_factory=list, max_length=5000)
    customised: list[str] = Field(default_factory=list, max_length=5000)
    removed: list[str] = Field(default_factory=list, max_length=5000)
    weaker: list[Weaker] = Field(default_factory=list, max_length=5000)
    findings: Counts = Field(default_factory=Counts)
    findings_detail: list[FindingItem] = Field(default_factory=list, max_length=MAX_DETAIL)
    audit_errors: list[str] = Field(default_factory=list, max_length=5000)
    error: str | None = Field(default=None, max_length=2000)
    seconds: float = Field(default=0.0, ge=0, allow_inf_nan=False)
    upgrade: UpgradeInfo | None = None

    @property
    def ok(self) -> bool:
        """Nothing to do for this repository."""
        return self.state in ("current", "upgraded")


class RunSummary(_Strict):
    repositories: int = Field(ge=0)
    states: dict[str, int]
    findings: Counts
    weaker: int = Field(ge=0)
    versions: dict[str, int] = Field(default_factory=dict)


class HistoryPoint(_Strict):
    run: int = Field(ge=0)
    finished: str = Field(max_length=40)
    repositories: int = Field(ge=0)
    states: dict[str, int]
    findings: Counts
    weaker: int = Field(ge=0)


class Trend(_Strict):
    run: int = Field(ge=0)
    finished: str = Field(max_length=40)
    states: dict[str, int]
    findings: dict[str, int]
    weaker: int


class Report(_Strict):
    schema_: Literal["scaffold-fleet-report/1"] = Field(alias="schema", default="scaffold-fleet-report/1")
    command: Literal["status", "upgrade"]
    generated: str = Field(max_length=40)
    scaffold_version: str = Field(max_length=100)
    shard: str | None = Field(default=None, max_length=40)
    summary: RunSummary
    history: list[HistoryPoint] = Field(default_factory=list, max_length=10_000)
    trend: Trend | None = None
    repositories: list[RepoResult] = Field(max_length=1_000_000)

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True, populate_by_name=True)

    @model_validator(mode="after")
    def _states_of_the_command(self) -> Report:
        allowed = states_for(self.command)
        for number, result in enumerate(self.repositories):
            if result.state not in allowed:
                raise ValueError(f"repositories.{number}.state: {result.state!r} is not a '{self.command}' state")
        return self


def states_for(command: str) -> tuple[str, ...]:
    return UPGRADE_STATES if command == "upgrade" else STATUS_STATES
