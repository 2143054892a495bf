"""The fleet's SQLite history: results kept as they finish, resumption, the trend's points."""

from __future__ import annotations

from pathlib import Path

import pytest

from scaffold.errors import UsageError
from scaffold.fleet.history import History
from scaffold.fleet.model import Counts, RepoResult
from scaffold.fleet.report import summarise


def _result(target: str, state: str, high: int = 0) -> RepoResult:
    return RepoResult(target=target, name=target, state=state, findings=Counts(high=high))


def test_results_survive_a_run_that_never_finished(tmp_path: Path) -> None:
    db = tmp_path / "fleet.sqlite3"
    history = History(db)
    run = history.start("upgrade", {"command": "upgrade"}, [{"spec": "/a", "remote": False}], "1.0")
    history.record(run, "/a", _result("/a", "upgraded"))
    history.close()  # the process dies here
    reopened = History(db)
    interrupted = reopened.interrupted("upgrade")
    assert interrupted.id == run.id and interrupted.targets == [{"spec": "/a", "remote": False}]
    assert reopened.results(interrupted) == {"/a": _result("/a", "upgraded")}
    reopened.finish(interrupted, summarise("upgrade", reopened.results(interrupted).values()))
    with pytest.raises(UsageError, match="no interrupted 'fleet upgrade' run"):
        reopened.interrupted("upgrade")


def test_points_are_the_finished_runs_of_one_command_oldest_first(tmp_path: Path) -> None:
    history = History(tmp_path / "fleet.sqlite3")
    for high in (3, 1):
        run = history.start("status", {}, [], "1.0")
        results = [_result("/a", "drift", high), _result("/b", "current")]
        history.finish(run, summarise("status", results))
    history.start("status", {}, [], "1.0")  # unfinished: not a point
    history.finish(history.start("upgrade", {}, [], "1.0"), summarise("upgrade", []))
    points = history.points("status", until=10)
    assert [(p.run, p.findings.high, p.states["drift"]) for p in points] == [(1, 3, 1), (2, 1, 1)]


def test_an_unreadable_row_is_run_again_not_trusted(tmp_path: Path) -> None:
    history = History(tmp_path / "fleet.sqlite3")
    run = history.start("status", {}, [], "1.0")
    history.db.execute("INSERT INTO results VALUES (?, ?, ?, ?, ?)", (run.id, "/x", "current", "now", '{"bad": 1}'))
    assert history.results(run) == {}


def test_a_database_of_another_program_is_left_alone(tmp_path: Path) -> None:
    import sqlite3

    other = tmp_path / "app.db"
    with sqlite3.connect(other) as db:
        db.execute("CREATE TABLE runs (id INTEGER)")
    with pytest.raises(UsageError, match="not a scaffold fleet database"):
        History(other)
