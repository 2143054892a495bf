"""Run ``scaffold fleet status`` and ``scaffold fleet upgrade`` on a fleet built by make_fleet.py, kill the upgrade
in the middle, resume it, and check every repository against DIR/expected.json.

    python benchmarks/fleet/run_fleet.py DIR [--jobs N] [--kill-after K] [--kill-workers] [--results FILE]

1. ``fleet status --from DIR/repos.txt --pack PACK@v1.1.0 --format json`` (timed): every repository is in the
   report once, with the expected state, and weaker controls exactly where the generator weakened one.
2. ``fleet upgrade ... --branch scaffold/kit-v1.1.0`` started in its own process group, which gets SIGKILL once K
   repositories have a result in the ``results`` table of DIR/fleet.sqlite3 (``--kill-workers`` also kills the
   workers, which run in groups of their own: a crash of the whole machine rather than of the command).
3. The same upgrade with ``--resume``. Then: every repository is in the report once with the expected outcome; an
   upgraded one has its branch, one commit on top of its HEAD whose files ``scaffold diff`` finds complete against
   v1.1.0 (nothing pending, weaker or missing; customised only where the generator customised); every other one has
   no branch; a branch that existed when the run was killed still names the same commit; HEAD, the other refs, the
   git configuration and the working tree of every repository are as they were; no git work tree is left behind;
   and no hostile repository made git run one of its programs (DIR/markers is empty).

Prints a JSON summary as its last line (also written to DIR/summary.json), writes a Markdown table of the timings
(DIR/RESULTS.md, or ``--results FILE``), and exits 0 when every check passed, 1 otherwise.
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import io
import json
import os
import platform
import signal
import sqlite3
import stat
import subprocess
import sys
import tarfile
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from scaffold import api
from scaffold.untrusted.git import GitError, run_git

COMMAND_TIMEOUT_SECONDS = 3600
POLL_SECONDS = 0.05
GIT_IDENTITY = {
    "GIT_AUTHOR_NAME": "Fleet Benchmark",
    "GIT_AUTHOR_EMAIL": "fleet@example.com",
    "GIT_COMMITTER_NAME": "Fleet Benchmark",
    "GIT_COMMITTER_EMAIL": "fleet@example.com",
}


@dataclass(frozen=True)
class FleetFiles:
    """What make_fleet.py wrote in DIR."""

    folder: Path
    pack_url: str
    new: str
    branch: str
    markers: Path
    config: Path
    expected: dict[str, dict[str, Any]]

    @classmethod
    def load(cls, folder: Path) -> FleetFiles:
        folder = folder.resolve()
        about = json.loads((folder / "fleet.json").read_text(encoding="utf-8"))
        expected = json.loads((folder / "expected.json").read_text(encoding="utf-8"))
        return cls(
            folder,
            about["pack_url"],
            about["new"],
            about["branch"],
            Path(about["markers"]),
            Path(about["config"]),
            expected,
        )

    @property
    def repos_file(self) -> Path:
        return self.folder / "repos.txt"

    @property
    def db(self) -> Path:
        return self.folder / "fleet.sqlite3"

    @property
    def pack_spec(self) -> str:
        return f"{self.pack_url}@{self.new}"


@dataclass
class Outcome:
    """What a run found: timings, the problems (empty when every check passed) and some counts."""

    repositories: int
    jobs: int
    status_seconds: float = 0.0
    upgrade_killed_seconds: float = 0.0
    upgrade_resume_seconds: float = 0.0
    killed_after: int | None = None
    finished_at_kill: int = 0
    workers_at_kill: int = 0
    branches_at_kill: int = 0
    status_states: dict[str, int] = field(default_factory=dict)
    upgrade_states: dict[str, int] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)

    @property
    def upgrade_seconds(self) -> float:
        return self.upgrade_killed_seconds + self.upgrade_resume_seconds

    def as_json(self) -> dict[str, Any]:
        return {
            "ok": not self.problems,
            "repositories": self.repositories,
            "jobs": self.jobs,
            "status_seconds": round(self.status_seconds, 3),
            "upgrade_seconds": round(self.upgrade_seconds, 3),
            "upgrade_killed_seconds": round(self.upgrade_killed_seconds, 3),
            "upgrade_resume_seconds": round(self.upgrade_resume_seconds, 3),
            "killed_after": self.killed_after,
            "finished_at_kill": self.finished_at_kill,
            "workers_at_kill": self.workers_at_kill,
            "branches_at_kill": self.branches_at_kill,
            "status_states": self.status_states,
            "upgrade_states": self.upgrade_states,
            "problems": self.problems,
        }


# Running scaffold ---------------------------------------------------------------------------------------------------


def scaffold_environment(fleet: FleetFiles) -> dict[str, str]:
    """An empty scaffold config, the fleet's own cache and data folders, and no user git configuration."""
    return {
        **os.environ,
        **GIT_IDENTITY,
        "GIT_CONFIG_GLOBAL": os.devnull,
        "GIT_CONFIG_NOSYSTEM": "1",
        "SCAFFOLD_CONFIG": str(fleet.config),
        "XDG_CACHE_HOME": str(fleet.folder / "cache"),
        "XDG_DATA_HOME": str(fleet.folder / "data"),
    }


def fleet_command(fleet: FleetFiles, command: str, jobs: int, *extra: str) -> list[str]:
    base = [sys.executable, "-m", "scaffold", "fleet", command, "--from", str(fleet.repos_file)]
    base += ["--pack", fleet.pack_spec, "--jobs", str(jobs), "--format", "json", "--db", str(fleet.db)]
    if command == "upgrade":
        base += ["--branch", fleet.branch]
    return [*base, *extra]


def resume_command(fleet: FleetFiles, command: str, jobs: int, *extra: str) -> list[str]:
    """``--resume`` takes the interrupted run's repositories and options from the database."""
    base = [sys.executable, "-m", "scaffold", "fleet", command, "--resume", "--db", str(fleet.db)]
    return [*base, "--jobs", str(jobs), "--format", "json", *extra]


@dataclass(frozen=True)
class Finished:
    code: int
    seconds: float
    stderr: str


def run_command(command: list[str], env: dict[str, str], timeout: float = COMMAND_TIMEOUT_SECONDS) -> Finished:
    started = time.monotonic()
    result = subprocess.run(
        command,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        timeout=timeout,
        check=False,
    )
    return Finished(result.returncode, time.monotonic() - started, result.stderr.decode("utf-8", "replace"))


def finished_results(db: Path, command: str) -> int:
    """How many repositories have a result in the newest run of ``command`` (0 while the database is not there)."""
    if not db.exists():
        return 0
    try:
        with contextlib.closing(sqlite3.connect(f"{db.as_uri()}?mode=ro", uri=True, timeout=5)) as connection:
            row = connection.execute(
                "SELECT count(*) FROM results WHERE run = (SELECT max(id) FROM runs WHERE command = ?)", (command,)
            ).fetchone()
    except sqlite3.Error:
        return 0
    return int(row[0]) if row else 0


def result_rows(db: Path, command: str) -> dict[str, tuple[str, str, str]]:
    """Each repository's row (state, finished, data) in the newest run of ``command``."""
    if not db.exists():
        return {}
    with contextlib.closing(sqlite3.connect(f"{db.as_uri()}?mode=ro", uri=True, timeout=5)) as connection:
        rows = connection.execute(
            "SELECT target, state, finished, data FROM results "
            "WHERE run = (SELECT max(id) FROM runs WHERE command = ?)",
            (command,),
        ).fetchall()
    return {str(target): (str(state), str(finished), str(data)) for target, state, finished, data in rows}


@dataclass(frozen=True)
class Killed:
    code: int | None
    """The command's exit code when it finished before the kill, else None."""
    seconds: float
    finished: int
    workers: int
    """Worker processes alive at the kill."""


def run_and_kill(
    command: list[str],
    env: dict[str, str],
    db: Path,
    after: int,
    *,
    workers: bool = False,
    busy: Callable[[], bool] | None = None,
    timeout: float = COMMAND_TIMEOUT_SECONDS,
    poll: float = POLL_SECONDS,
) -> Killed:
    """Start ``command`` in a process group of its own and SIGKILL the group once ``after`` repositories have a
    result and ``busy()`` is true (see ``mid_upgrade`` and ``adding_work_tree``), checking every ``poll`` seconds.
    With ``workers``, the worker processes it started (each in a group of its own) are killed as well."""
    started = time.monotonic()
    process = subprocess.Popen(
        command, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        start_new_session=True,
    )  # fmt: skip
    try:
        deadline = started + timeout
        while process.poll() is None and time.monotonic() < deadline:
            if (busy is None or busy()) and finished_results(db, "upgrade") >= after:
                children = descendants(process.pid)
                alive = _workers(children)
                os.killpg(process.pid, signal.SIGKILL)
                for child in children if workers else []:
                    with contextlib.suppress(ProcessLookupError, PermissionError):
                        os.killpg(child, signal.SIGKILL)
                process.wait()
                if workers:
                    wait_gone(children)
                seconds = time.monotonic() - started
                return Killed(None, seconds, finished_results(db, "upgrade"), alive)
            time.sleep(poll)
        process.wait(timeout=max(deadline - time.monotonic(), 1))
        return Killed(process.returncode, time.monotonic() - started, finished_results(db, "upgrade"), 0)
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def mid_upgrade(repos: list[Path]) -> bool:
    """Whether one of ``repos`` has a git work tree besides its own: an upgrade is under way in it."""
    for repo in repos:
        with contextlib.suppress(OSError):
            if any((repo / ".git" / "worktrees").iterdir()):
                return True
    return False


def adding_work_tree(repos: list[Path]) -> bool:
    """Whether git is adding a work tree to one of ``repos`` right now (its admin folder is locked, "initializing")."""
    for repo in repos:
        with contextlib.suppress(OSError):
            if any((tree / "locked").exists() for tree in (repo / ".git" / "worktrees").iterdir()):
                return True
    return False


def _workers(pids: list[int]) -> int:
    count = 0
    for pid in pids:
        with contextlib.suppress(OSError):
            if b"scaffold.fleet.worker" in Path(f"/proc/{pid}/cmdline").read_bytes():
                count += 1
    return count


def descendants(pid: int) -> list[int]:
    """Every process below ``pid``, from /proc (Linux)."""
    parents: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        parents.setdefault(int(fields[1]), []).append(int(entry.name))
    found: list[int] = []
    todo = [pid]
    while todo:
        for child in parents.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


def wait_gone(pids: list[int], seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    for pid in pids:
        while Path(f"/proc/{pid}").exists() and time.monotonic() < deadline:
            state = _proc_state(pid)
            if state in ("Z", None):
                break
            time.sleep(POLL_SECONDS)


def _proc_state(pid: int) -> str | None:
    try:
        return (Path(f"/proc/{pid}") / "stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return None


# What a repository looks like, before and after --------------------------------------------------------------------


@dataclass(frozen=True)
class RepoState:
    head: str
    head_ref: str
    refs: dict[str, str]
    config: str
    tree: dict[str, str]
    worktrees: tuple[str, ...]


def git_text(repo: Path, *args: str) -> str:
    """git in an untrusted repository, every program it could start switched off (scaffold's own runner)."""
    return run_git(repo, *args, limit=64 * 1024 * 1024).decode("utf-8", "replace").strip()


def repo_state(repo: Path) -> RepoState:
    head = _or_empty(repo, "rev-parse", "--verify", "--quiet", "HEAD")
    head_ref = _or_empty(repo, "symbolic-ref", "--quiet", "HEAD")
    refs: dict[str, str] = {}
    for line in _or_empty(repo, "for-each-ref", "--format=%(refname) %(objectname)").splitlines():
        name, _, sha = line.partition(" ")
        refs[name] = sha
    config = repo / ".git" / "config"
    worktrees = repo / ".git" / "worktrees"
    return RepoState(
        head,
        head_ref,
        refs,
        hashlib.sha256(config.read_bytes()).hexdigest() if config.is_file() else "",
        tree_snapshot(repo),
        tuple(sorted(path.name for path in worktrees.iterdir())) if worktrees.is_dir() else (),
    )


def _or_empty(repo: Path, *args: str) -> str:
    try:
        return git_text(repo, *args)
    except GitError:
        return ""


def tree_snapshot(root: Path) -> dict[str, str]:
    """Every entry of the working tree outside .git, without following symlinks or opening special files."""
    found: dict[str, str] = {}
    for folder, subfolders, names in os.walk(root, followlinks=False):
        if Path(folder) == root and ".git" in subfolders:
            subfolders.remove(".git")
        for name in subfolders + names:
            path = Path(folder) / name
            relative = path.relative_to(root).as_posix()
            mode = path.lstat().st_mode
            if stat.S_ISLNK(mode):
                found[relative] = "link:" + str(path.readlink())
            elif stat.S_ISDIR(mode):
                found[relative] = "dir"
            elif stat.S_ISREG(mode):
                found[relative] = hashlib.sha256(path.read_bytes()).hexdigest() + f":{stat.S_IMODE(mode):o}"
            else:
                found[relative] = f"special:{stat.S_IFMT(mode):o}"
    return found


def snapshot_fleet(fleet: FleetFiles) -> dict[str, RepoState]:
    return {target: repo_state(Path(target)) for target in fleet.expected}


# Checks -------------------------------------------------------------------------------------------------------------


def read_report(path: Path, problems: list[str], what: str) -> dict[str, dict[str, Any]]:
    """The report's repositories by target; a missing or repeated repository is a problem."""
    try:
        report = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        problems.append(f"{what}: no readable report at {path}: {error}")
        return {}
    by_target: dict[str, dict[str, Any]] = {}
    for item in report.get("repositories", []):
        if item["target"] in by_target:
            problems.append(f"{what}: {item['target']} is in the report twice")
        by_target[item["target"]] = item
    if report.get("summary", {}).get("repositories") != len(by_target):
        problems.append(f"{what}: the summary counts {report.get('summary', {}).get('repositories')} repositories")
    return by_target


def tally(found: dict[str, dict[str, Any]]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for item in found.values():
        counts[item["state"]] = counts.get(item["state"], 0) + 1
    return dict(sorted(counts.items()))


def check_status(fleet: FleetFiles, found: dict[str, dict[str, Any]], problems: list[str]) -> None:
    for target, expected in fleet.expected.items():
        item = found.get(target)
        if item is None:
            problems.append(f"status: {target} is missing from the report")
            continue
        if item["state"] != expected["status"]:
            problems.append(
                f"status: {target} is {item['state']}, expected {expected['status']} ({item.get('error') or ''})"
            )
        if item["state"] != "error" and bool(item.get("weaker")) != expected["weaker"]:
            problems.append(f"status: {target} weaker controls {item.get('weaker')}, expected: {expected['weaker']}")
    for target in found.keys() - fleet.expected.keys():
        problems.append(f"status: {target} is in the report but not in the fleet")


def check_upgrade(
    fleet: FleetFiles,
    found: dict[str, dict[str, Any]],
    before: dict[str, RepoState],
    at_kill: dict[str, str],
    problems: list[str],
) -> None:
    """Outcomes, branches, and the state of each repository after the resumed upgrade."""
    branch_ref = f"refs/heads/{fleet.branch}"
    with opened_pack(fleet) as pack:
        for target, expected in fleet.expected.items():
            repo = Path(target)
            after = repo_state(repo)
            _check_untouched(target, before[target], after, branch_ref, problems)
            item = found.get(target)
            if item is None:
                problems.append(f"upgrade: {target} is missing from the report")
                continue
            outcome = (item.get("upgrade") or {}).get("outcome")
            if item["state"] != expected["upgrade"] or outcome != expected["upgrade"]:
                problems.append(
                    f"upgrade: {target} is {item['state']}/{outcome}, expected {expected['upgrade']} "
                    f"({item.get('error') or ''})"
                )
            branch = after.refs.get(branch_ref)
            if expected["upgrade"] != "upgraded":
                if branch is not None:
                    problems.append(f"upgrade: {target} ({expected['upgrade']}) has a branch {fleet.branch}")
                continue
            if branch is None:
                problems.append(f"upgrade: {target} has no branch {fleet.branch}")
                continue
            if (item.get("upgrade") or {}).get("commit") != branch:
                problems.append(f"upgrade: {target}: the report's commit is not the branch's {branch}")
            if target in at_kill and at_kill[target] != branch:
                problems.append(f"upgrade: {target} was redone: its branch moved from {at_kill[target]} to {branch}")
            _check_branch(repo, fleet.branch, before[target].head, expected, pack, problems)
    for target in found.keys() - fleet.expected.keys():
        problems.append(f"upgrade: {target} is in the report but not in the fleet")


def _check_untouched(target: str, before: RepoState, after: RepoState, branch_ref: str, problems: list[str]) -> None:
    if (after.head, after.head_ref) != (before.head, before.head_ref):
        problems.append(f"{target}: HEAD moved from {before.head_ref} {before.head} to {after.head_ref} {after.head}")
    if _user_refs(after.refs, branch_ref) != _user_refs(before.refs, branch_ref):
        problems.append(f"{target}: refs other than the upgrade branch changed")
    if after.config != before.config:
        problems.append(f"{target}: .git/config changed")
    if after.tree != before.tree:
        changed = sorted(
            path for path in after.tree.keys() | before.tree.keys() if after.tree.get(path) != before.tree.get(path)
        )
        problems.append(f"{target}: the working tree changed: {', '.join(changed[:5])}")
    if after.worktrees:
        problems.append(f"{target}: git work trees left behind: {', '.join(after.worktrees)}")


def _user_refs(refs: dict[str, str], branch_ref: str) -> dict[str, str]:
    """The refs other than the upgrade branch and scaffold's own (``refs/scaffold/``: the stored merge base)."""
    return {name: sha for name, sha in refs.items() if name != branch_ref and not name.startswith("refs/scaffold/")}


@contextlib.contextmanager
def opened_pack(fleet: FleetFiles) -> Iterator[Any]:
    """The pack at the new tag, fetched once, for ``scaffold diff`` of every upgraded branch."""
    with (
        _environment({"SCAFFOLD_CONFIG": str(fleet.config)}),
        tempfile.TemporaryDirectory() as empty,
        api.repository_pack(path=Path(empty), spec=fleet.pack_spec) as pack,
    ):
        yield pack


@contextlib.contextmanager
def _environment(values: dict[str, str]) -> Iterator[None]:
    saved = {key: os.environ.get(key) for key in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def _check_branch(repo: Path, branch: str, head: str, expected: dict[str, Any], pack: Any, problems: list[str]) -> None:
    """One commit on top of HEAD, whose files ``scaffold diff`` against the new pack finds complete."""
    ref = f"refs/heads/{branch}"
    parents = git_text(repo, "rev-list", "--parents", "-n", "1", ref).split()[1:]
    if parents != [head]:
        problems.append(f"{repo}: {branch} is not one commit on top of HEAD {head} (parents {parents})")
        return
    archive = run_git(repo, "archive", "--format=tar", ref, limit=256 * 1024 * 1024)
    with tempfile.TemporaryDirectory() as folder:
        with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
            tar.extractall(folder, filter="data")
        try:
            result = api.diff(path=Path(folder), pack=pack)
        except Exception as error:  # any failure of diff on the branch is this repository's problem
            problems.append(f"{repo}: scaffold diff of {branch} failed: {error}")
            return
    leftovers = [item.path for item in result.pending] + [item.path for item in result.weaker] + result.missing
    if leftovers:
        problems.append(f"{repo}: {branch} is not complete: scaffold diff reports {', '.join(leftovers[:5])}")
    if sorted(result.customised) != sorted(expected["customised"]):
        problems.append(f"{repo}: {branch} customised {result.customised}, expected {expected['customised']}")


def check_not_redone(
    at_kill: dict[str, tuple[str, str, str]], after: dict[str, tuple[str, str, str]], problems: list[str]
) -> None:
    """A repository that had its result when the run was killed keeps that very result (it was not run again)."""
    for target, row in at_kill.items():
        if after.get(target) != row:
            problems.append(f"upgrade: {target} finished before the kill, but --resume ran it again")


def branches(fleet: FleetFiles) -> dict[str, str]:
    """The upgrade branch of each repository that has one, by target."""
    found = {}
    for target in fleet.expected:
        sha = _or_empty(Path(target), "rev-parse", "--verify", "--quiet", f"refs/heads/{fleet.branch}")
        if sha:
            found[target] = sha
    return found


# The benchmark ------------------------------------------------------------------------------------------------------


def run_benchmark(folder: Path, jobs: int = 2, kill_after: int | None = None, *, kill_workers: bool = False) -> Outcome:
    fleet = FleetFiles.load(folder)
    env = scaffold_environment(fleet)
    total = len(fleet.expected)
    outcome = Outcome(total, jobs)
    problems = outcome.problems
    before = snapshot_fleet(fleet)

    status_report = fleet.folder / "status.json"
    done = run_command(fleet_command(fleet, "status", jobs, "--output", str(status_report)), env)
    outcome.status_seconds = done.seconds
    want = 0 if all(item["status"] == "current" for item in fleet.expected.values()) else 1
    if done.code != want:
        problems.append(f"fleet status exited {done.code}, expected {want}: {done.stderr.strip()[-500:]}")
    found = read_report(status_report, problems, "status")
    check_status(fleet, found, problems)
    outcome.status_states = tally(found)

    upgrade_report = fleet.folder / "upgrade.json"
    upgrade = fleet_command(fleet, "upgrade", jobs, "--output", str(upgrade_report))
    after = total // 2 if kill_after is None else kill_after
    at_kill: dict[str, str] = {}
    if 0 < after < total:
        killed = run_and_kill(upgrade, env, fleet.db, after, workers=kill_workers)
        outcome.upgrade_killed_seconds = killed.seconds
        outcome.finished_at_kill = killed.finished
        outcome.workers_at_kill = killed.workers
        rows = result_rows(fleet.db, "upgrade")
        if killed.code is None:
            outcome.killed_after = killed.finished
            at_kill = branches(fleet)
            outcome.branches_at_kill = len(at_kill)
        else:
            problems.append(f"fleet upgrade finished (exit {killed.code}) before {after} repositories had a result")
        done = run_command(resume_command(fleet, "upgrade", jobs, "--output", str(upgrade_report)), env)
        outcome.upgrade_resume_seconds = done.seconds
        check_not_redone(rows, result_rows(fleet.db, "upgrade"), problems)
    else:
        done = run_command(upgrade, env)
        outcome.upgrade_resume_seconds = done.seconds
    want = 0 if all(item["upgrade"] in ("upgraded", "current") for item in fleet.expected.values()) else 1
    if done.code != want:
        problems.append(f"fleet upgrade exited {done.code}, expected {want}: {done.stderr.strip()[-500:]}")
    found = read_report(upgrade_report, problems, "upgrade")
    check_upgrade(fleet, found, before, at_kill, problems)
    outcome.upgrade_states = tally(found)

    markers = sorted(path.name for path in fleet.markers.iterdir())
    if markers:
        problems.append(f"a hostile repository made git run its programs: {', '.join(markers)}")
    return outcome


def machine() -> str:
    model = "unknown processor"
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    memory = ""
    with contextlib.suppress(OSError, ValueError, IndexError):
        kib = int(Path("/proc/meminfo").read_text().splitlines()[0].split()[1])
        memory = f", {kib / 1024 / 1024:.0f} GiB"
    git = subprocess.run(["git", "--version"], capture_output=True, text=True, check=False).stdout.strip()
    return f"{os.cpu_count()} cores {model}{memory}, {platform.system()}, Python {platform.python_version()}, {git}"


def markdown(outcome: Outcome) -> str:
    n = max(outcome.repositories, 1)
    killed = "no" if outcome.killed_after is None else f"after {outcome.killed_after}, then --resume"
    return (
        "| repositories | jobs | status total (s) | status per repository (s) | upgrade total (s) "
        "| upgrade per repository (s) | upgrade killed | machine |\n"
        "|---:|---:|---:|---:|---:|---:|---|---|\n"
        f"| {outcome.repositories} | {outcome.jobs} | {outcome.status_seconds:.1f} | {outcome.status_seconds / n:.3f} "
        f"| {outcome.upgrade_seconds:.1f} | {outcome.upgrade_seconds / n:.3f} | {killed} | {machine()} |\n"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Time and check scaffold fleet status and upgrade on a built fleet.")
    parser.add_argument("folder", type=Path, help="the folder make_fleet.py built")
    parser.add_argument("--jobs", type=int, default=2, help="parallel repositories (default 2)")
    parser.add_argument(
        "--kill-after", type=int, default=None, help="SIGKILL the upgrade once K repositories are done (default N/2)"
    )
    parser.add_argument("--kill-workers", action="store_true", help="kill the upgrade's worker processes too")
    parser.add_argument("--results", type=Path, default=None, help="the Markdown table (default DIR/RESULTS.md)")
    options = parser.parse_args(argv)
    outcome = run_benchmark(options.folder, options.jobs, options.kill_after, kill_workers=options.kill_workers)
    table = markdown(outcome)
    (options.results or options.folder / "RESULTS.md").write_text(table, encoding="utf-8")
    summary = json.dumps(outcome.as_json())
    (options.folder / "summary.json").write_text(summary + "\n", encoding="utf-8")
    for problem in outcome.problems:
        print(f"problem: {problem}", file=sys.stderr)
    print(table)
    print(summary)
    return 0 if not outcome.problems else 1


if __name__ == "__main__":
    sys.exit(main())
