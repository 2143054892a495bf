"""A ``fleet upgrade`` killed in the middle and resumed: nothing is lost, nothing is half-upgraded, and what had
finished is not done again.

The command runs in its own process group, which gets SIGKILL while an upgrade is under way in one of the
repositories (it has a git work tree), after some repositories have a result in the history database. Then
``fleet upgrade --resume`` finishes the run. Three kills: the command's group only (its workers, in groups of their
own, are orphaned and finish by themselves); the command with every worker (a crash of the whole machine); and the
same crash while git is adding a work tree, which leaves that work tree locked ("initializing").
"""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Mapping
from pathlib import Path

import pytest

from benchmarks.fleet import run_fleet
from benchmarks.fleet.make_fleet import build_fleet
from scaffold.fleet.targets import Target
from tests.packs.gitserver import require_git

KILL_AFTER = 3
SECONDS = 600
"""A hang guard for the resumed command, far above a normal run (the killed one is killed)."""


@pytest.fixture
def fleet(tmp_path: Path) -> run_fleet.FleetFiles:
    """Ten repositories that upgrade (untouched or customised), with one whose upgrade conflicts."""
    require_git()
    built = build_fleet(10, tmp_path / "fleet", seed=3, kinds=["behind", "customised", "conflicting"])
    outcomes = [item.upgrade for item in built.expected.values()]
    assert outcomes.count("conflicts") == 1
    return run_fleet.FleetFiles.load(built.folder)


@pytest.mark.parametrize(
    ("workers", "moment"),
    [(False, "upgrading"), (True, "upgrading"), (True, "adding-work-tree")],
    ids=["command-group", "command-and-workers", "command-and-workers-during-worktree-add"],
)
def test_a_killed_upgrade_resumes_without_losing_or_redoing_a_repository(
    fleet: run_fleet.FleetFiles, workers: bool, moment: str
) -> None:
    env = run_fleet.scaffold_environment(fleet)
    report = fleet.folder / "upgrade.json"
    before = run_fleet.snapshot_fleet(fleet)
    repos = [Path(target) for target in fleet.expected]

    command = run_fleet.fleet_command(fleet, "upgrade", 2, "--output", str(report))
    killed = run_fleet.run_and_kill(
        command, env, fleet.db, KILL_AFTER, workers=workers, busy=lambda: run_fleet.mid_upgrade(repos), timeout=SECONDS
    )
    if moment == "adding-work-tree":
        # A crash while git adds a work tree leaves it locked ("initializing"), which `git worktree remove --force`
        # alone refuses. Catching that moment with a kill is a race a loaded machine loses, so git itself puts an
        # unfinished repository's work tree, at the path its worker uses, in exactly that state.
        unfinished = _unfinished(fleet, run_fleet.result_rows(fleet.db, "upgrade"))
        tree = fleet.folder / "cache" / "scaffold" / "fleet" / "work" / "trees" / Target(str(unfinished)).key
        state = _work_tree_state(unfinished, tree)
        if state is None:  # the kill came before git registered it (a bare folder, or nothing yet)
            shutil.rmtree(tree, ignore_errors=True)
            _git(unfinished, "worktree", "add", "--detach", "--quiet", str(tree), "HEAD")
        if state != "locked":  # the kill may have come while git itself held it locked: already the state wanted
            _git(unfinished, "worktree", "lock", "--reason", "initializing", str(tree))
        assert run_fleet.adding_work_tree(repos)
    assert killed.code is None, "the upgrade finished before it could be killed"
    assert killed.workers >= 1, "no upgrade was under way at the kill"
    assert not report.exists(), "a killed run wrote a report"
    at_kill = run_fleet.result_rows(fleet.db, "upgrade")
    assert KILL_AFTER <= len(at_kill) < len(fleet.expected)
    branches_at_kill = run_fleet.branches(fleet)
    finished_upgraded = {target for target, row in at_kill.items() if row[0] == "upgraded"}
    assert finished_upgraded, "no repository had finished its upgrade at the kill"
    assert finished_upgraded <= branches_at_kill.keys()

    resumed = run_fleet.run_command(
        run_fleet.resume_command(fleet, "upgrade", 2, "--output", str(report)), env, SECONDS
    )
    assert resumed.code == 1, resumed.stderr  # the conflicting repository: reported, no branch

    problems: list[str] = []
    found = run_fleet.read_report(report, problems, "upgrade")
    assert sorted(found) == sorted(fleet.expected)
    run_fleet.check_upgrade(fleet, found, before, branches_at_kill, problems)
    run_fleet.check_not_redone(at_kill, run_fleet.result_rows(fleet.db, "upgrade"), problems)
    assert problems == []
    for target in finished_upgraded:
        assert found[target]["upgrade"]["commit"] == json.loads(at_kill[target][2])["upgrade"]["commit"]

    again = run_fleet.run_command(run_fleet.resume_command(fleet, "upgrade", 2), env, SECONDS)
    assert again.code == 2, "the resumed run was not marked finished"
    assert "--resume: no interrupted 'fleet upgrade' run" in again.stderr


def _unfinished(fleet: run_fleet.FleetFiles, rows: Mapping[str, object]) -> Path:
    """A repository the killed run had not finished (it will be upgraded on resume)."""
    waiting = [
        target for target, outcome in fleet.expected.items() if target not in rows and outcome["upgrade"] == "upgraded"
    ]
    assert waiting, "every repository that upgrades had finished at the kill"
    return Path(sorted(waiting)[0])


def _git(repo: Path, *args: str) -> None:
    subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True)


def _work_tree_state(repo: Path, tree: Path) -> str | None:
    """How git lists a work tree at ``tree``: locked, registered (unlocked), or None when it does not list it."""
    listing = subprocess.run(
        ["git", "-C", str(repo), "worktree", "list", "--porcelain"], check=True, capture_output=True, text=True
    ).stdout
    for block in listing.split("\n\n"):
        lines = block.splitlines()
        if lines and Path(lines[0].removeprefix("worktree ")).resolve() == tree.resolve():
            return "locked" if any(line.startswith("locked") for line in lines) else "registered"
    return None
