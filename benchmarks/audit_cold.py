"""Audit one small workflow from a cold start: ``scaffold audit FILE`` against ``python -c pass`` (this venv's
interpreter), the floor of any Python command.

    python -m benchmarks.audit_cold [--runs R] [--warmup W] [--small] [--out FILE] [--workdir DIR]

FILE is the smallest of the corpus's workflows (see trees.py), at ``.github/workflows/`` of a repository folder so
that its path says what it is. Its findings make scaffold exit 1.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from benchmarks import harness, trees

KEY = "audit_cold"
TARGET = 4.0
SCAFFOLD_CODES = (0, 1)


def build(folder: Path, env: dict[str, str]) -> tuple[tuple[harness.Side, harness.Side], trees.Workflow]:
    workflow = trees.sources(env).smallest
    repository = folder / "repository"
    path = repository / trees.WORKFLOWS / workflow.name
    path.parent.mkdir(parents=True)
    path.write_bytes(workflow.text)
    ours = harness.Side("scaffold", [*harness.scaffold(), "audit", str(path)], None, SCAFFOLD_CODES, repository)
    python = harness.Side("python -c pass", [sys.executable, "-c", "pass"], None, (0,), repository)
    return (ours, python), workflow


def measure(options: argparse.Namespace, folder: Path) -> harness.Result:
    env = harness.environment(folder)
    pair, workflow = build(folder, env)
    work = "audit one small workflow (cold start)"
    result = harness.compare(KEY, work, TARGET, pair, env, options, folder, defaults=(30, 3))
    result.details = {"workflow": workflow.name, "bytes": len(workflow.text)}
    result.checks.append(f"the workflow is {workflow.name} ({len(workflow.text)} bytes)")
    return result


def main(argv: list[str] | None = None) -> int:
    return harness.main(measure, harness.parser(__doc__).parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
