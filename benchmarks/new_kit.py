"""Render the default kit: ``scaffold new --defaults`` against cookiecutter on an equivalent template.

    python -m benchmarks.new_kit [--runs R] [--warmup W] [--small] [--out FILE] [--workdir DIR]

The cookiecutter template is generated from the kit (see templates.py): the kit is rendered once, and each of its
files becomes a template file in which the service name is ``{{ cookiecutter.name }}``. Both commands render into
a folder that each run's --prepare removes first. After the runs, both outputs must be the same files, byte for byte
(and the same executable bits): the check line says so, or the script fails.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from benchmarks import harness, templates, trees

KEY = "new_kit"
TARGET = 0.5


def build(folder: Path, env: dict[str, str]) -> tuple[tuple[harness.Side, harness.Side], Path, Path, int]:
    """The sides, scaffold's output folder, cookiecutter's, and the number of files of the kit."""
    kit = folder / "kit"
    trees.render_kit(kit, env)
    template = folder / "cookiecutter-template"
    files = templates.cookiecutter_template(kit, template)
    ours, parent = folder / "out-scaffold", folder / "out-cookiecutter"
    new = [*harness.scaffold(), "new", "--defaults", "--set", f"name={harness.SERVICE_NAME}", "--output", str(ours)]
    cookiecutter = [harness.tool("cookiecutter"), "--no-input", "--output-dir", str(parent), str(template)]
    cookiecutter.append(f"name={harness.SERVICE_NAME}")
    pair = (
        harness.Side("scaffold", new, harness.remove(ours)),
        harness.Side("cookiecutter", cookiecutter, harness.remove(parent)),
    )
    return pair, ours, parent / harness.SERVICE_NAME, files


def same_files(ours: Path, theirs: Path) -> str:
    """The check line when both folders hold the same files, byte for byte; BenchmarkError otherwise."""
    mine, yours = trees.files_of(ours), trees.files_of(theirs)
    different = trees.differences(mine, yours)
    if not mine or different:
        raise harness.BenchmarkError(f"the outputs differ in {len(different)} files: {', '.join(different[:5])}")
    return f"scaffold and cookiecutter wrote the same {len(mine)} files, byte for byte"


def measure(options: argparse.Namespace, folder: Path) -> harness.Result:
    env = harness.environment(folder)
    pair, ours, theirs, files = build(folder, env)
    work = f"new, the default kit ({files} files)"
    result = harness.compare(KEY, work, TARGET, pair, env, options, folder, defaults=(10, 1))
    result.checks.append(same_files(ours, theirs))
    result.details = {"files": files, "same_files": True}
    return result


def main(argv: list[str] | None = None) -> int:
    return harness.main(measure, harness.parser(__doc__).parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
