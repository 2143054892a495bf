"""The report of ``scaffold pack test``: one line per case, its problems under it, and what the pack changes."""

from __future__ import annotations

import json
from dataclasses import asdict

from scaffold.authoring.testing import PackTestResult
from scaffold.untrusted.text import printable


def plain(result: PackTestResult) -> str:
    lines = [f"pack {result.pack}"]
    for control, reason in result.waivers:
        lines.append(f"  waives {control}: {printable(reason, 200)}")
    for name in result.overridden:
        lines.append(f"  overrides {name}")
    for entry in result.removed:
        lines.append(f"  removes {entry}")
    if result.locked:
        lines.append(f"  locks {', '.join(result.locked)}")
    for exception in result.exceptions:
        lines.append(f"  excepts {printable(exception, 300)}")
    for case in result.cases:
        lines.append(f"{'ok' if case.ok else 'FAIL':>4}  {case.name}" + (f"  ({case.files} files)" if case.ok else ""))
        lines.extend(f"      {printable(problem, 300)}" for problem in case.problems)
    failed = sum(not case.ok for case in result.cases)
    lines.append(f"{len(result.cases) - failed} passed, {failed} failed")
    return "\n".join(lines) + "\n"


def as_json(result: PackTestResult) -> str:
    data = asdict(result)
    data["ok"] = result.ok
    return json.dumps(data, indent=2, sort_keys=True) + "\n"
