"""Audit a tree of N workflows (default 1,000): ``scaffold audit TREE --format json`` against
``zizmor --offline TREE --format json``.

    python -m benchmarks.audit_many [--files N] [--runs R] [--warmup W] [--small] [--out FILE] [--workdir DIR]

The tree is the corpus's workflows in turn (see trees.py), each copy ending in its own ``# copy N`` comment, so no
tool can cache a file by its content. Both tools exit 1 (scaffold) or 10-14 (zizmor) when they find something.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from benchmarks import harness, trees

KEY = "audit_many"
TARGET = 1.0
FILES = 1000
SMALL_FILES = 19
SCAFFOLD_CODES = (0, 1)
ZIZMOR_CODES = (0, 10, 11, 12, 13, 14)


def sides(tree: Path) -> tuple[harness.Side, harness.Side]:
    ours = harness.Side("scaffold", [*harness.scaffold(), "audit", str(tree), "--format", "json"], None, SCAFFOLD_CODES)
    zizmor = [harness.tool("zizmor"), "--offline", str(tree), "--format", "json"]
    return ours, harness.Side("zizmor --offline", zizmor, None, ZIZMOR_CODES)


def build(folder: Path, files: int, env: dict[str, str]) -> tuple[tuple[harness.Side, harness.Side], trees.Sources]:
    found = trees.sources(env)
    tree = folder / "tree"
    trees.workflow_tree(tree, files, found)
    return sides(tree), found


def files_option(options: argparse.Namespace) -> int:
    return int(options.files) if options.files is not None else SMALL_FILES if options.small else FILES


def measure(options: argparse.Namespace, folder: Path) -> harness.Result:
    env = harness.environment(folder)
    files = files_option(options)
    pair, found = build(folder, files, env)
    work = f"audit {harness.count(files)} workflows"
    result = harness.compare(KEY, work, TARGET, pair, env, options, folder, defaults=(5, 1))
    result.details = {"files": files, "workflows_from": found.origin, "distinct_workflows": len(found.workflows)}
    result.checks.append(f"{files} distinct workflows from the {found.origin} ({len(found.workflows)} sources)")
    return result


def main(argv: list[str] | None = None) -> int:
    parser = harness.parser(__doc__)
    parser.add_argument("--files", type=int, default=None, help=f"workflows in the tree (default {FILES})")
    return harness.main(measure, parser.parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
