"""Run every benchmark and write their tables into docs/performance.md, between its markers.

    python -m benchmarks.run_all [--small] [--runs R] [--skip KEY,...] [--results DIR] [--fleet DIR] [--doc FILE]
    python -m benchmarks.run_all --assemble --results DIR [--doc FILE]

Each script runs as it would alone and writes its JSON into the results folder (kept with --results, else a
temporary one); then each table replaces the text between ``<!-- benchmarks:NAME:begin -->`` and
``<!-- benchmarks:NAME:end -->`` in the document, and nothing else of it changes. A table whose script failed or was
skipped keeps its old text. --assemble only rebuilds the tables from the JSON already in --results. Exits 1 when a
script failed.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime
import json
import re
import sys
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from benchmarks import (
    audit_cold,
    audit_many,
    audit_scaling,
    fleet_status,
    harden_all,
    harness,
    memory,
    new_kit,
    upgrade_edit,
)

ROWS = (audit_many, audit_cold, harden_all, new_kit, upgrade_edit)
SCRIPTS: tuple[tuple[str, Callable[[list[str]], int]], ...] = (
    *((row.KEY, row.main) for row in ROWS),
    (audit_scaling.KEY, audit_scaling.main),
    (fleet_status.KEY, fleet_status.main),
    (memory.KEY, memory.main),
)
USES_FLEET = (fleet_status.KEY, memory.KEY)
DOCUMENT = harness.ROOT / "docs" / "performance.md"


def markers(name: str) -> tuple[str, str]:
    return f"<!-- benchmarks:{name}:begin -->", f"<!-- benchmarks:{name}:end -->"


def replace_block(document: str, name: str, text: str) -> str:
    """``document`` with the text between NAME's markers replaced by ``text``; ValueError without the markers."""
    begin, end = markers(name)
    pattern = re.compile(re.escape(begin) + r"\n.*?" + re.escape(end), re.DOTALL)
    if len(pattern.findall(document)) != 1:
        raise ValueError(f"the document needs one {begin} ... {end} block")
    return pattern.sub(lambda _: f"{begin}\n{text.rstrip()}\n{end}", document)


def load(results: Path) -> dict[str, dict[str, Any]]:
    found = {}
    for path in sorted(results.glob("*.json")):
        data = json.loads(path.read_text(encoding="utf-8"))
        if isinstance(data, dict) and "key" in data:
            found[str(data["key"])] = data
    return found


def tables(found: dict[str, dict[str, Any]], measured: dict[str, str]) -> dict[str, str]:
    """The text of each block the results can fill."""
    blocks = {}
    rows = [found[row.KEY]["row"] for row in ROWS if row.KEY in found]
    if rows:
        blocks["rows"] = harness.HEADER + "".join(rows)
    for key in (audit_scaling.KEY, memory.KEY, fleet_status.KEY):
        if key in found:
            blocks[key] = found[key]["markdown"]
    if found:
        blocks["machine"] = "\n".join(f"- {name}: {value}" for name, value in measured.items())
    return blocks


def assemble(results: Path, doc: Path) -> list[str]:
    """Write the tables of the JSON in ``results`` into ``doc``; the blocks written."""
    about = {"measured": datetime.date.today().isoformat(), **harness.machine()}
    blocks = tables(load(results), about)
    text = doc.read_text(encoding="utf-8")
    for name, block in blocks.items():
        text = replace_block(text, name, block)
    doc.write_text(text, encoding="utf-8")
    return sorted(blocks)


@contextlib.contextmanager
def folder_for(given: Path | None, prefix: str) -> Iterator[Path]:
    if given is not None:
        given.mkdir(parents=True, exist_ok=True)
        yield given.resolve()
        return
    with tempfile.TemporaryDirectory(prefix=prefix) as made:
        yield Path(made)


def run_scripts(options: argparse.Namespace, results: Path, fleet: Path) -> list[str]:
    """Run each script not skipped; the keys of those that failed."""
    skipped = {key.strip() for key in (options.skip or "").split(",") if key.strip()}
    failed = []
    for key, script in SCRIPTS:
        if key in skipped:
            continue
        argv = ["--out", str(results / f"{key}.json")]
        argv += ["--small"] if options.small else []
        argv += ["--runs", str(options.runs)] if options.runs is not None else []
        argv += ["--fleet", str(fleet)] if key in USES_FLEET else []
        print(f"== {key}", file=sys.stderr, flush=True)
        if script(argv) != 0:
            failed.append(key)
    return failed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=" ".join(__doc__.split("\n\n")[0].split()))
    parser.add_argument("--small", action="store_true", help="each script's small input (a check, not a measure)")
    parser.add_argument("--runs", type=int, default=None, help="timed runs of each command, for every script")
    parser.add_argument("--skip", default=None, help="comma-separated scripts to leave out, e.g. fleet_status")
    parser.add_argument("--results", type=Path, default=None, help="keep each script's JSON in this folder")
    parser.add_argument("--fleet", type=Path, default=None, help="a built fleet to reuse, or where to build it")
    parser.add_argument("--doc", type=Path, default=DOCUMENT, help="the document to fill (docs/performance.md)")
    parser.add_argument("--assemble", action="store_true", help="only write the tables from --results")
    options = parser.parse_args(argv)
    if options.assemble and options.results is None:
        parser.error("--assemble reads the JSON of --results DIR")
    failed: list[str] = []
    with folder_for(options.results, "scaffold-bench-results-") as results:
        if not options.assemble:
            with folder_for(None, "scaffold-bench-fleet-") as scratch:
                failed = run_scripts(options, results, options.fleet or scratch / "fleet")
                written = assemble(results, options.doc)
        else:
            written = assemble(results, options.doc)
    print(f"{options.doc}: wrote {', '.join(written) or 'nothing'}")
    for key in failed:
        print(f"error: {key} failed (its table was left as it was)", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
