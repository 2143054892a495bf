"""Peak memory of each benchmarked command, scaffold's and its peer's, and of ``fleet status``.

    python -m benchmarks.memory [--files N] [--fleet DIR] [--small] [--out FILE] [--workdir DIR]

Each row's inputs are built as its own script builds them, each command is run once (after its --prepare), and its
peak resident set size is read from the kernel (``wait4``'s ``ru_maxrss``): that of the largest process of the
command's process tree, not their sum, as GNU time (/usr/bin/time, Debian's ``time``) measures it. ``fleet status``
is measured when --fleet names a built fleet (see fleet_status.py).
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from benchmarks import audit_cold, audit_many, fleet_status, harden_all, harness, new_kit, upgrade_edit
from benchmarks.fleet import run_fleet

KEY = "memory"
Pair = tuple[harness.Side, harness.Side]


def peak_kib(side: harness.Side, env: dict[str, str], scratch: Path) -> int:
    """Run ``side`` once under GNU time, after its --prepare; the peak resident set size in KiB of its largest
    process. (Read in this Python with wait4, it would include this process's own size: a child's peak starts from
    its parent's at the fork.)"""
    if side.prepare:
        harness.run(side.prepare, env)
    report = scratch / "time.txt"
    command = [harness.tool("time"), "--format", "%M", "--output", str(report), *side.command]
    done = subprocess.run(command, cwd=side.cwd, env=env, stdin=subprocess.DEVNULL, capture_output=True, check=False)
    if done.returncode not in side.exit_codes:
        raise harness.BenchmarkError(f"{side.label} exited {done.returncode}: {' '.join(side.command)}")
    return int(report.read_text(encoding="utf-8").split()[-1])


@dataclass(frozen=True)
class Peak:
    work: str
    scaffold: int
    peer: str
    peer_kib: int | None


@dataclass
class Memory:
    peaks: list[Peak]
    checks: list[str] = field(default_factory=list)

    @property
    def markdown(self) -> str:
        lines = ["| work | scaffold peak RSS | peer | peer peak RSS |", "|---|---:|---|---:|"]
        for peak in self.peaks:
            theirs = "—" if peak.peer_kib is None else mib(peak.peer_kib)
            lines.append(f"| {peak.work} | {mib(peak.scaffold)} | {peak.peer} | {theirs} |")
        return "\n".join(lines) + "\n"

    def as_json(self) -> dict[str, Any]:
        peaks = [
            {"work": peak.work, "scaffold_kib": peak.scaffold, "peer": peak.peer, "peer_kib": peak.peer_kib}
            for peak in self.peaks
        ]
        return {"key": KEY, "peaks": peaks, "markdown": self.markdown, "checks": self.checks}


def mib(kib: int) -> str:
    return f"{kib / 1024:.1f} MiB"


def rows(files: int) -> list[tuple[str, Callable[[Path, dict[str, str]], Pair]]]:
    """Each row's work and how to build its two sides in a folder."""
    return [
        (f"audit {harness.count(files)} workflows", lambda folder, env: audit_many.build(folder, files, env)[0]),
        ("audit one small workflow (cold start)", lambda folder, env: audit_cold.build(folder, env)[0]),
        ("harden --fix=all, the corpus workflows", lambda folder, env: harden_all.build(folder, env)[0]),
        ("new, the default kit", lambda folder, env: new_kit.build(folder, env)[0]),
        ("upgrade, answer change + 3 user edits", lambda folder, env: upgrade_edit.build(folder, env)[0]),
    ]


def measure(options: argparse.Namespace, folder: Path) -> Memory:
    files = audit_many.files_option(options)
    peaks = []
    for number, (work, build) in enumerate(rows(files)):
        where = folder / f"row-{number}"
        where.mkdir()
        env = harness.environment(where)
        ours, theirs = build(where, env)
        peaks.append(Peak(work, peak_kib(ours, env, where), theirs.label, peak_kib(theirs, env, where)))
    memory = Memory(peaks)
    if options.fleet is not None and (options.fleet / "fleet.json").is_file():
        fleet = run_fleet.FleetFiles.load(options.fleet)
        side, env, _ = fleet_status.status_side(fleet, options.jobs)
        work = f"fleet status, {harness.count(len(fleet.expected))} repositories, --jobs {options.jobs}"
        peaks.append(Peak(work, peak_kib(side, env, folder), "—", None))
    else:
        memory.checks.append("no built fleet given (--fleet DIR): fleet status was not measured")
    return memory


def main(argv: list[str] | None = None) -> int:
    parser = harness.parser(__doc__)
    parser.add_argument("--files", type=int, default=None, help="workflows of the audit tree (default 1000)")
    parser.add_argument("--fleet", type=Path, default=None, help="a fleet built by make_fleet.py")
    parser.add_argument("--jobs", type=int, default=2, help="fleet status --jobs (default 2)")
    return harness.main(measure, parser.parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
