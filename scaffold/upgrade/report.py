"""Plain and JSON reports for ``scaffold diff`` and ``scaffold upgrade``. They only read results."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from scaffold.upgrade.plan import Status
from scaffold.writer import text_diff as unified

if TYPE_CHECKING:
    from scaffold.api import DiffResult, UpgradeResult


def diff_plain(result: DiffResult, colour: bool) -> str:
    parts = [unified(entry.path, entry.current, entry.rendered, colour) for entry in result.drifted]
    drifted = len(result.drifted)
    versions = f"kit {result.recorded_pack_version}" + (
        f" (recorded) vs {result.pack_version} (this scaffold)"
        if result.pack_version != result.recorded_pack_version
        else ""
    )
    if drifted:
        counts = _counts(entry.status for entry in result.drifted)
        parts.append(f"{drifted} file(s) differ from the kit ({counts}); {versions}\n")
    else:
        parts.append(f"no drift: {len(result.entries)} file(s) match the kit; {versions}\n")
    return "".join(parts)


def diff_json(result: DiffResult) -> str:
    report: dict[str, Any] = {
        "pack_version": {"recorded": result.recorded_pack_version, "current": result.pack_version},
        "drifted": len(result.drifted),
        "files": [
            {
                "path": entry.path,
                "status": entry.status,
                "diff": unified(entry.path, entry.current, entry.rendered) if entry.status != "unchanged" else "",
            }
            for entry in result.entries
        ],
    }
    return json.dumps(report, indent=2) + "\n"


def upgrade_plain(result: UpgradeResult, *, show_diffs: bool, colour: bool) -> str:
    parts = []
    if result.finished_interrupted:
        parts.append(f"finished an interrupted upgrade ({len(result.finished_interrupted)} file(s) moved into place)\n")
    for outcome in result.outcomes:
        if outcome.status is Status.UNCHANGED:
            continue
        detail = f"{outcome.conflicts} conflict(s)" if outcome.conflicts else ""
        note = "; ".join(item for item in (detail, outcome.note) if item)
        parts.append(f"{outcome.status.value:>12}  {outcome.path}" + (f"  ({note})" if note else "") + "\n")
        if show_diffs and outcome.text != outcome.current:
            parts.append(unified(outcome.path, outcome.current, outcome.text, colour))
    for weak in result.weakenings:
        parts.append(f"{weak.path}:{weak.line}: weaker than the kit: {weak.control}: {weak.message}\n")
    counts = _counts(o.status.value for o in result.outcomes if o.status is not Status.UNCHANGED)
    unchanged = sum(o.status is Status.UNCHANGED for o in result.outcomes)
    summary = f"kit {result.from_version} -> {result.to_version}: {counts or 'nothing to change'}"
    summary += f" ({unchanged} unchanged)" if counts else ""
    if result.blocked:
        summary += (
            f"; {len(result.weakenings)} weakening(s) of the kit's security controls: nothing was written "
            "(fix them, or pass --accept-weaker)"
        )
    elif not result.written:
        summary += "; dry run: nothing written"
    if result.conflicts:
        summary += "; resolve the conflicts, then commit"
    return "".join(parts) + summary + "\n"


def upgrade_json(result: UpgradeResult) -> str:
    report = {
        "from_version": result.from_version,
        "to_version": result.to_version,
        "written": result.written,
        "finished_interrupted": result.finished_interrupted or [],
        "files": [
            {
                "path": outcome.path,
                "status": outcome.status.value,
                "conflicts": outcome.conflicts,
                "note": outcome.note,
                "base": result.base_sources.get(outcome.path),
                "diff": unified(outcome.path, outcome.current, outcome.text) if outcome.text != outcome.current else "",
            }
            for outcome in result.outcomes
        ],
        "weakenings": [
            {"path": weak.path, "line": weak.line, "control": weak.control, "message": weak.message}
            for weak in result.weakenings
        ],
    }
    return json.dumps(report, indent=2) + "\n"


def _counts(statuses: Any) -> str:
    tally: dict[str, int] = {}
    for status in statuses:
        tally[status] = tally.get(status, 0) + 1
    return ", ".join(f"{count} {status}" for status, count in tally.items())
