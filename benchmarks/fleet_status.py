"""``scaffold fleet status`` on the fleet benchmark's repositories (benchmarks/fleet), in seconds per repository.

    python -m benchmarks.fleet_status [--repositories N] [--fleet DIR] [--jobs J] [--runs R] [--small] [--out FILE]

The fleet is built by benchmarks/fleet/make_fleet.py (default 500 repositories, seed 0), in DIR when --fleet names
an empty or new folder, or reused when DIR already holds a built fleet. The command is run_fleet.py's status step;
after the runs, its report must list every repository once, with the state the generator expects.
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from benchmarks import harness
from benchmarks.fleet import make_fleet, run_fleet

KEY = "fleet_status"
REPOSITORIES = 500
SMALL_REPOSITORIES = 4


@dataclass
class FleetTiming:
    repositories: int
    jobs: int
    timing: harness.Timing
    checks: list[str] = field(default_factory=list)

    @property
    def per_repository(self) -> float:
        return self.timing.median / self.repositories

    @property
    def markdown(self) -> str:
        return (
            "| repositories | jobs | fleet status (median) | per repository |\n|---:|---:|---:|---:|\n"
            f"| {harness.count(self.repositories)} | {self.jobs} | {harness.seconds(self.timing.median)} "
            f"| {harness.seconds(self.per_repository)} |\n"
        )

    def as_json(self) -> dict[str, Any]:
        return {
            "key": KEY,
            "repositories": self.repositories,
            "jobs": self.jobs,
            "median": self.timing.median,
            "per_repository": self.per_repository,
            "runs": self.timing.runs,
            "markdown": self.markdown,
            "checks": self.checks,
        }


def fleet_folder(options: argparse.Namespace, folder: Path) -> Path:
    """The fleet: the one at --fleet when it is built, else a new one there (or in the work folder)."""
    where = options.fleet or folder / "fleet"
    if (where / "fleet.json").is_file():
        return where
    size = options.repositories or (SMALL_REPOSITORIES if options.small else REPOSITORIES)
    make_fleet.build_fleet(size, where)
    return where


def status_side(fleet: run_fleet.FleetFiles, jobs: int) -> tuple[harness.Side, dict[str, str], Path]:
    """The status command, its environment and the report it writes."""
    report = fleet.folder / "status.json"
    command = run_fleet.fleet_command(fleet, "status", jobs, "--output", str(report))
    code = 0 if all(item["status"] == "current" for item in fleet.expected.values()) else 1
    return harness.Side("fleet status", command, None, (code,)), run_fleet.scaffold_environment(fleet), report


def measure(options: argparse.Namespace, folder: Path) -> FleetTiming:
    fleet = run_fleet.FleetFiles.load(fleet_folder(options, folder))
    side, env, report = status_side(fleet, options.jobs)
    runs, warmup = harness.runs_and_warmup(options, 1, 0, small_runs=1)
    (timing,) = harness.hyperfine([side], env, runs, warmup, folder)
    problems: list[str] = []
    run_fleet.check_status(fleet, run_fleet.read_report(report, problems, "status"), problems)
    if problems:
        raise harness.BenchmarkError("; ".join(problems[:5]))
    result = FleetTiming(len(fleet.expected), options.jobs, timing)
    result.checks.append(f"fleet status reported each of the {len(fleet.expected)} repositories as expected")
    return result


def main(argv: list[str] | None = None) -> int:
    parser = harness.parser(__doc__)
    parser.add_argument("--repositories", type=int, default=None, help=f"fleet size (default {REPOSITORIES})")
    parser.add_argument("--fleet", type=Path, default=None, help="where the fleet is, or is built")
    parser.add_argument("--jobs", type=int, default=2, help="fleet status --jobs (default 2)")
    return harness.main(measure, parser.parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
