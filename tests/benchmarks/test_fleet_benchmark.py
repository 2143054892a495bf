"""The fleet benchmark at a small size: benchmarks/fleet/make_fleet.py builds 16 repositories (every kind at least
once) and benchmarks/fleet/run_fleet.py runs ``fleet status`` and a killed-then-resumed ``fleet upgrade`` on them
with two jobs, checking every repository. No timing is asserted; the script's exit code and JSON summary are.

The checks themselves are tested too, on the same fleet: each one reports a problem when the thing it guards goes
wrong, and the hostile repository's traps do fire under a plain git, so their markers being absent means something.
"""

from __future__ import annotations

import copy
import dataclasses
import json
import os
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

from benchmarks.fleet import run_fleet
from benchmarks.fleet.make_fleet import KIND_BY_NAME, build_fleet
from tests.packs.gitserver import require_git

ROOT = Path(__file__).resolve().parents[2]
MAKE = ROOT / "benchmarks" / "fleet" / "make_fleet.py"
RUN = ROOT / "benchmarks" / "fleet" / "run_fleet.py"
SIZE = 16
SECONDS = 900
"""A hang guard for each script, far above a normal run."""


@dataclasses.dataclass(frozen=True)
class Ran:
    folder: Path
    code: int
    summary: dict[str, object]
    stderr: str


@pytest.fixture(scope="module")
def ran(tmp_path_factory: pytest.TempPathFactory) -> Ran:
    """make_fleet.py 16 DIR, then run_fleet.py DIR --jobs 2 --kill-after 5, each as a user runs it."""
    require_git()
    folder = tmp_path_factory.mktemp("bench") / "fleet"
    made = subprocess.run(
        [sys.executable, str(MAKE), str(SIZE), str(folder)], capture_output=True, text=True, timeout=SECONDS
    )
    assert made.returncode == 0, made.stderr
    done = subprocess.run(
        [sys.executable, str(RUN), str(folder), "--jobs", "2", "--kill-after", "5"],
        capture_output=True,
        text=True,
        timeout=SECONDS,
    )
    summary = json.loads(done.stdout.strip().splitlines()[-1])
    return Ran(folder, done.returncode, summary, done.stderr)


def _expected(folder: Path) -> dict[str, dict[str, object]]:
    loaded: dict[str, dict[str, object]] = json.loads((folder / "expected.json").read_text(encoding="utf-8"))
    return loaded


def test_the_fleet_holds_every_kind_with_its_manifests(ran: Ran) -> None:
    expected = _expected(ran.folder)
    assert len(expected) == SIZE
    assert {item["kind"] for item in expected.values()} == set(KIND_BY_NAME)
    listed = (ran.folder / "repos.txt").read_text(encoding="utf-8").split()
    assert sorted(listed) == sorted(expected)
    assert all((Path(path) / ".git").is_dir() for path in listed)
    tags = subprocess.run(["git", "-C", str(ran.folder / "pack"), "tag"], capture_output=True, text=True, check=True)
    assert tags.stdout.split() == ["v1.0.0", "v1.1.0"]


def test_every_check_passes_after_the_kill_and_the_resume(ran: Ran) -> None:
    assert ran.code == 0, ran.summary["problems"]
    assert ran.summary["ok"] is True
    assert ran.summary["problems"] == []
    assert ran.summary["repositories"] == SIZE
    assert ran.summary["jobs"] == 2
    killed_after = ran.summary["killed_after"]
    assert isinstance(killed_after, int)
    assert 5 <= killed_after < SIZE


def test_the_reports_count_each_state_as_expected(ran: Ran) -> None:
    expected = _expected(ran.folder).values()
    assert ran.summary["status_states"] == dict(Counter(str(item["status"]) for item in expected))
    assert ran.summary["upgrade_states"] == dict(Counter(str(item["upgrade"]) for item in expected))
    assert list((ran.folder / "markers").iterdir()) == []


def test_the_results_table_names_the_run_and_the_machine(ran: Ran) -> None:
    table = (ran.folder / "RESULTS.md").read_text(encoding="utf-8")
    assert table.startswith("| repositories | jobs | status total (s) |")
    row = table.splitlines()[2]
    assert row.startswith(f"| {SIZE} | 2 | ")
    assert "cores" in row
    assert "Python" in row


def test_a_wrong_status_is_reported(ran: Ran) -> None:
    fleet = run_fleet.FleetFiles.load(ran.folder)
    target = next(path for path, item in fleet.expected.items() if item["status"] == "behind")
    wrong = copy.deepcopy(fleet.expected)
    wrong[target]["status"] = "current"
    wrong["/nowhere/missing"] = {"status": "current", "upgrade": "current", "weaker": False, "customised": []}
    problems: list[str] = []
    found = run_fleet.read_report(ran.folder / "status.json", problems, "status")
    run_fleet.check_status(dataclasses.replace(fleet, expected=wrong), found, problems)
    assert any(target in problem and "expected current" in problem for problem in problems)
    assert any("/nowhere/missing is missing" in problem for problem in problems)


def test_a_redone_repository_a_moved_head_and_a_changed_file_are_reported(ran: Ran) -> None:
    fleet = run_fleet.FleetFiles.load(ran.folder)
    upgraded = next(path for path, item in fleet.expected.items() if item["upgrade"] == "upgraded")
    before = run_fleet.snapshot_fleet(fleet)
    before[upgraded] = dataclasses.replace(
        before[upgraded], head="0" * 40, tree={**before[upgraded].tree, "README.md": "another text"}
    )
    problems: list[str] = []
    found = run_fleet.read_report(ran.folder / "upgrade.json", problems, "upgrade")
    run_fleet.check_upgrade(fleet, found, before, {upgraded: "f" * 40}, problems)
    assert any(upgraded in problem and "was redone" in problem for problem in problems)
    assert any(upgraded in problem and "HEAD moved" in problem for problem in problems)
    assert any(upgraded in problem and "README.md" in problem for problem in problems)
    assert any(upgraded in problem and "is not one commit on top of HEAD" in problem for problem in problems)

    rows = run_fleet.result_rows(fleet.db, "upgrade")
    changed = {**rows, upgraded: ("upgraded", "2000-01-01T00:00:00Z", "{}")}
    redone: list[str] = []
    run_fleet.check_not_redone(rows, changed, redone)
    assert redone == [f"upgrade: {upgraded} finished before the kill, but --resume ran it again"]


def test_the_hostile_traps_fire_under_a_plain_git(tmp_path: Path) -> None:
    """The same repository, given to git without scaffold's protections, runs every program it names: so the empty
    markers folder after the benchmark is scaffold's doing, not a trap that never worked."""
    require_git()
    fleet = build_fleet(1, tmp_path / "fleet", kinds=["hostile-git"])
    repo = fleet.repos[0]
    env = {**os.environ, "GIT_AUTHOR_NAME": "a", "GIT_AUTHOR_EMAIL": "a@example.com"}
    env |= {"GIT_COMMITTER_NAME": "a", "GIT_COMMITTER_EMAIL": "a@example.com"}
    (repo / "README.md").write_text("changed\n", encoding="utf-8")
    for args in (["status"], ["diff"], ["add", "-A"], ["commit", "-qm", "x"], ["checkout", "-q", "-b", "other"]):
        subprocess.run(["git", "-C", str(repo), *args], capture_output=True, env=env, timeout=60, check=False)
    assert sorted(path.name for path in fleet.markers.iterdir()) == [
        "filter-clean",
        "filter-smudge",
        "fsmonitor",
        "hook",
        "textconv",
    ]
