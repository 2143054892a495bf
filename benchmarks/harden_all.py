"""Harden the corpus's workflows with every fix: ``scaffold harden --fix=all --write --offline TREE`` against
``zizmor --fix=all --offline TREE``.

    python -m benchmarks.harden_all [--runs R] [--warmup W] [--small] [--out FILE] [--workdir DIR]

TREE is a repository folder holding each of the corpus's workflows once (see trees.py). Both commands write, so
each run starts on a fresh copy (hyperfine's --prepare). Both exit non-zero when findings remain that they cannot
fix (scaffold 1, zizmor 10-14). After the runs, each side must have changed some of the files.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from benchmarks import harness, trees

KEY = "harden_all"
TARGET = 2.0
SCAFFOLD_CODES = (0, 1)
ZIZMOR_CODES = (0, 10, 11, 12, 13, 14)


def build(folder: Path, env: dict[str, str]) -> tuple[tuple[harness.Side, harness.Side], Path, list[Path]]:
    """The sides, the pristine tree and the two work trees (scaffold's, zizmor's)."""
    found = trees.sources(env)
    pristine = folder / "pristine"
    trees.repository_tree(pristine, found)
    ours, theirs = folder / "scaffold", folder / "zizmor"
    harden = [*harness.scaffold(), "harden", "--fix=all", "--write", "--offline", str(ours)]
    zizmor = [harness.tool("zizmor"), "--fix=all", "--offline", str(theirs)]
    pair = (
        harness.Side("scaffold", harden, harness.restore(pristine, ours), SCAFFOLD_CODES),
        harness.Side("zizmor --fix=all", zizmor, harness.restore(pristine, theirs), ZIZMOR_CODES),
    )
    return pair, pristine, [ours, theirs]


def measure(options: argparse.Namespace, folder: Path) -> harness.Result:
    env = harness.environment(folder)
    pair, pristine, work = build(folder, env)
    before = trees.files_of(pristine)
    work_done = f"harden --fix=all, {len(before)} workflows"
    result = harness.compare(KEY, work_done, TARGET, pair, env, options, folder, defaults=(10, 1))
    changed = {
        side.label: len(trees.differences(before, trees.files_of(tree))) for side, tree in zip(pair, work, strict=True)
    }
    for label, files in changed.items():
        if files == 0:
            raise harness.BenchmarkError(f"{label} changed none of the {len(before)} workflows")
        result.checks.append(f"{label} changed {files} of the {len(before)} workflows")
    result.details = {"workflows": len(before), "changed": changed}
    return result


def main(argv: list[str] | None = None) -> int:
    return harness.main(measure, harness.parser(__doc__).parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
