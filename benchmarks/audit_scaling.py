"""How ``scaffold audit`` scales: the time per file for trees of 10, 100, 1,000 and 10,000 workflows.

    python -m benchmarks.audit_scaling [--sizes 10,100,1000,10000] [--runs R] [--small] [--out FILE] [--workdir DIR]

Each tree is built as in audit_many.py. Startup is subtracted: each size is timed pairwise (one hyperfine run) with
the audit of a tree of one workflow, and the time per file is (median of N files - median of 1 file) / (N - 1).
The cost is "flat" when every size's time per file is within 20% of the 1,000-file one (the reference: the largest
size up to 1,000 when the sizes leave 1,000 out).

The audit runs in one process (``SCAFFOLD_JOBS=1``, or ``--jobs``): from 64 files it would otherwise check files on
every core, which halves the time per file on two cores past that size and says nothing about how the work grows.
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from benchmarks import audit_many, harness, trees

KEY = "audit_scaling"
SIZES = (10, 100, 1000, 10000)
SMALL_SIZES = (5, 10, 20)
REFERENCE = 1000
TOLERANCE = 0.2


def runs_for(files: int) -> int:
    """Many runs of the small trees (their time per file is a small difference), few of the large ones."""
    return max(3, min(20, round(5000 / files)))


@dataclass(frozen=True)
class Size:
    files: int
    median: float
    startup: float
    runs: int

    @property
    def per_file(self) -> float:
        return (self.median - self.startup) / (self.files - 1)


@dataclass
class Scaling:
    sizes: list[Size]
    origin: str
    checks: list[str] = field(default_factory=list)

    @property
    def reference(self) -> Size:
        below = [size for size in self.sizes if size.files <= REFERENCE] or self.sizes
        return max(below, key=lambda size: size.files)

    def deviation(self, size: Size) -> float:
        return size.per_file / self.reference.per_file - 1

    @property
    def flat(self) -> bool:
        return all(abs(self.deviation(size)) <= TOLERANCE for size in self.sizes)

    @property
    def markdown(self) -> str:
        lines = [
            "| files | median | startup (1 file) | per file | vs " + harness.count(self.reference.files) + " |",
            "|---:|---:|---:|---:|---:|",
        ]
        for size in self.sizes:
            lines.append(
                f"| {harness.count(size.files)} | {harness.seconds(size.median)} | {harness.seconds(size.startup)} "
                f"| {size.per_file * 1000:.2f} ms | {self.deviation(size):+.0%} |"
            )
        lines.append("")
        lines.append(f"flat (every size within {TOLERANCE:.0%} per file): {'yes' if self.flat else 'no'}")
        return "\n".join(lines) + "\n"

    def as_json(self) -> dict[str, Any]:
        return {
            "key": KEY,
            "workflows_from": self.origin,
            "reference": self.reference.files,
            "flat": self.flat,
            "sizes": [
                {
                    "files": size.files,
                    "median": size.median,
                    "startup": size.startup,
                    "per_file": size.per_file,
                    "deviation": self.deviation(size),
                    "runs": size.runs,
                }
                for size in self.sizes
            ],
            "markdown": self.markdown,
            "checks": self.checks,
        }


def sizes_option(options: argparse.Namespace) -> list[int]:
    if options.sizes:
        sizes = [int(size) for size in options.sizes.split(",")]
    else:
        sizes = list(SMALL_SIZES if options.small else SIZES)
    if any(size < 2 for size in sizes):
        raise harness.BenchmarkError("each size is at least 2 files (one file is the startup)")
    return sorted(set(sizes))


def measure(options: argparse.Namespace, folder: Path) -> Scaling:
    env = {**harness.environment(folder), "SCAFFOLD_JOBS": str(options.jobs)}
    found = trees.sources(env)
    one = folder / "tree-1"
    trees.workflow_tree(one, 1, found)
    startup = audit_many.sides(one)[0]
    measured = []
    for files in sizes_option(options):
        tree = folder / f"tree-{files}"
        trees.workflow_tree(tree, files, found)
        audit = audit_many.sides(tree)[0]
        runs, warmup = harness.runs_and_warmup(options, runs_for(files), 1)
        first, many = harness.hyperfine(
            [
                harness.Side("1 file", startup.command, None, startup.exit_codes),
                harness.Side(f"{files} files", audit.command, None, audit.exit_codes),
            ],
            env,
            runs,
            warmup,
            folder,
        )
        measured.append(Size(files, many.median, first.median, many.runs))
    scaling = Scaling(measured, found.origin)
    scaling.checks.append(
        f"trees of {', '.join(str(size.files) for size in measured)} workflows from the {found.origin}"
    )
    return scaling


def main(argv: list[str] | None = None) -> int:
    parser = harness.parser(__doc__)
    parser.add_argument("--sizes", default=None, help="comma-separated tree sizes (default 10,100,1000,10000)")
    parser.add_argument("--jobs", type=int, default=1, help="processes the audit may use (default 1: serial)")
    return harness.main(measure, parser.parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
