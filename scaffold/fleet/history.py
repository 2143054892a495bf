"""The fleet's history: every run and every repository's result, in a local SQLite database.

A result is committed as soon as its repository finishes, so a run that is killed keeps what it finished and
``--resume`` runs only the rest. Finished runs keep their summary, from which ``fleet status`` shows the trend since
the previous run and the report charts posture over time."""

from __future__ import annotations

import datetime
import json
import os
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from scaffold.errors import UsageError
from scaffold.fleet.model import HistoryPoint, RepoResult, RunSummary
from scaffold.untrusted.text import printable

APPLICATION_ID = 0x5CAF_F1EE  # marks the file as scaffold's fleet database
SCHEMA_VERSION = 1
HISTORY_RUNS = 100
"""Finished runs shown in a report's history chart (the newest)."""

_SCHEMA = """
CREATE TABLE IF NOT EXISTS runs (
    id INTEGER PRIMARY KEY,
    command TEXT NOT NULL,
    started TEXT NOT NULL,
    finished TEXT,
    options TEXT NOT NULL,
    targets TEXT NOT NULL,
    scaffold_version TEXT NOT NULL,
    summary TEXT
);
CREATE TABLE IF NOT EXISTS results (
    run INTEGER NOT NULL REFERENCES runs(id),
    target TEXT NOT NULL,
    state TEXT NOT NULL,
    finished TEXT NOT NULL,
    data TEXT NOT NULL,
    PRIMARY KEY (run, target)
);
"""


def now() -> str:
    return datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def default_path() -> Path:
    """``$XDG_DATA_HOME/scaffold/fleet.sqlite3`` (``~/.local/share`` when the variable is unset)."""
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "scaffold" / "fleet.sqlite3"


@dataclass(frozen=True)
class Run:
    id: int
    command: str
    started: str
    options: dict[str, Any]
    targets: list[dict[str, Any]]


class History:
    """One open database; ``None`` as the path keeps everything in memory (``--no-history``)."""

    def __init__(self, path: Path | None) -> None:
        self.path = path
        where = ":memory:" if path is None else str(path)
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
        try:
            self.db = sqlite3.connect(where, timeout=30, isolation_level=None)
            self._prepare()
        except sqlite3.Error as error:
            raise UsageError(f"--db {printable(where, 200)}: not a scaffold fleet database ({error})") from None

    def _prepare(self) -> None:
        db = self.db
        application = db.execute("PRAGMA application_id").fetchone()[0]
        tables = db.execute("SELECT count(*) FROM sqlite_master").fetchone()[0]
        if application != APPLICATION_ID and tables:
            raise sqlite3.DatabaseError("it holds other tables")
        if tables and db.execute("PRAGMA user_version").fetchone()[0] != SCHEMA_VERSION:
            raise sqlite3.DatabaseError(f"its schema version is not {SCHEMA_VERSION}")
        db.execute("PRAGMA synchronous = FULL")
        db.executescript(f"BEGIN; {_SCHEMA} COMMIT;")
        db.execute(f"PRAGMA application_id = {APPLICATION_ID}")
        db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")

    def close(self) -> None:
        self.db.close()

    def start(self, command: str, options: dict[str, Any], targets: Sequence[dict[str, Any]], version: str) -> Run:
        started = now()
        cursor = self.db.execute(
            "INSERT INTO runs (command, started, options, targets, scaffold_version) VALUES (?, ?, ?, ?, ?)",
            (command, started, json.dumps(options), json.dumps(list(targets)), version),
        )
        return Run(int(cursor.lastrowid or 0), command, started, options, list(targets))

    def interrupted(self, command: str) -> Run:
        """The newest run of ``command`` that did not finish, for ``--resume``."""
        row = self.db.execute(
            "SELECT id, started, options, targets FROM runs WHERE command = ? AND finished IS NULL "
            "ORDER BY id DESC LIMIT 1",
            (command,),
        ).fetchone()
        if row is None:
            where = self.path or "memory"
            raise UsageError(f"--resume: no interrupted 'fleet {command}' run in {printable(str(where), 200)}")
        try:
            return Run(int(row[0]), command, str(row[1]), json.loads(row[2]), json.loads(row[3]))
        except (ValueError, TypeError) as error:
            raise UsageError(f"--db: run {row[0]} is unreadable ({error})") from None

    def record(self, run: Run, target: str, result: RepoResult) -> None:
        self.db.execute(
            "INSERT OR REPLACE INTO results (run, target, state, finished, data) VALUES (?, ?, ?, ?, ?)",
            (run.id, target, result.state, now(), result.model_dump_json()),
        )

    def results(self, run: Run) -> dict[str, RepoResult]:
        """The results a run has so far, by target: only for the run's own targets, each the result of the target of
        its row. The database is a file like any other: a row that breaks either rule, or does not read, is run
        again rather than trusted."""
        wanted = {str(item.get("spec")) for item in run.targets if isinstance(item, dict)}
        found = {}
        for target, data in self.db.execute("SELECT target, data FROM results WHERE run = ?", (run.id,)):
            try:
                result = RepoResult.model_validate_json(data)
            except ValidationError:
                continue
            if str(target) in wanted and result.target == target:
                found[str(target)] = result
        return found

    def finish(self, run: Run, summary: RunSummary) -> str:
        finished = now()
        self.db.execute(
            "UPDATE runs SET finished = ?, summary = ? WHERE id = ?", (finished, summary.model_dump_json(), run.id)
        )
        return finished

    def points(self, command: str, until: int) -> list[HistoryPoint]:
        """The summaries of finished runs of ``command`` up to run ``until``, oldest first."""
        rows = self.db.execute(
            "SELECT id, finished, summary FROM runs WHERE command = ? AND finished IS NOT NULL AND id <= ? "
            "ORDER BY id DESC LIMIT ?",
            (command, until, HISTORY_RUNS),
        ).fetchall()
        points = []
        for run, finished, data in reversed(rows):
            try:
                summary = RunSummary.model_validate_json(data)
            except ValidationError:
                continue
            points.append(
                HistoryPoint(
                    run=int(run),
                    finished=str(finished),
                    repositories=summary.repositories,
                    states=summary.states,
                    findings=summary.findings,
                    weaker=summary.weaker,
                )
            )
        return points
