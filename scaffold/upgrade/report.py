"""Plain and JSON reports for ``scaffold diff`` and ``scaffold upgrade``. They only read results."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from scaffold.kit.writer import text_diff as unified
from scaffold.upgrade.plan import Status

if TYPE_CHECKING:
    from scaffold.upgrade.posture import Weakening
    from scaffold.upgrade.results import DiffResult, UpgradeResult


def diff_plain(result: DiffResult, colour: bool) -> str:
    """One line per pending, weaker, missing, customised and removed item, then a one-line verdict. With --strict
    the unified diff of every file that differs from the kit comes first (``a/`` the repository, ``b/`` the kit)."""
    parts = [unified(e.path, e.current, e.rendered, colour) for e in result.drifted] if result.strict else []
    parts += [
        f"{'pending':>10}  {item.path}  ({item.status}" + (f": {item.note})\n" if item.note else ")\n")
        for item in result.pending
    ]
    parts += [f"{'weaker':>10}  {w.path}:{w.line}: {_named(w)}: {w.message}\n" for w in result.weaker]
    parts += [
        f"{'missing':>10}  {name}  (deleted: restore it, or list it under removed: in .scaffold.yml)\n"
        for name in result.missing
    ]
    parts += [f"{'customised':>10}  {name}\n" for name in result.customised]
    parts += [f"{'removed':>10}  {name}\n" for name in result.removed]
    versions = f"kit {result.recorded_pack_version}" + (
        f" (recorded) vs {result.pack_version} (this scaffold)"
        if result.pack_version != result.recorded_pack_version
        else ""
    )
    kept = _tally(("customised", len(result.customised)), ("removed", len(result.removed)))
    if result.drift and result.strict:
        counts = _counts(entry.status for entry in result.drifted)
        parts.append(f"drift (--strict): {len(result.drifted)} file(s) differ from the kit ({counts}); {versions}\n")
    elif result.drift:
        found = _tally(
            ("pending", len(result.pending)), ("weaker", len(result.weaker)), ("missing", len(result.missing))
        )
        hint = "; 'scaffold upgrade --dry-run' shows the pending changes" if result.pending else ""
        parts.append(f"drift: {found}" + (f"; {kept}" if kept else "") + f"; {versions}{hint}\n")
    else:
        same = sum(entry.status == "unchanged" for entry in result.entries)
        parts.append(f"no drift: {same} file(s) match the kit" + (f", {kept}" if kept else "") + f"; {versions}\n")
    return "".join(parts)


def _tally(*counts: tuple[str, int]) -> str:
    return ", ".join(f"{count} {name}" for name, count in counts if count)


def diff_json(result: DiffResult) -> str:
    report: dict[str, Any] = {
        "pack_version": {"recorded": result.recorded_pack_version, "current": result.pack_version},
        "drift": result.drift,
        "strict": result.strict,
        "pending": [{"path": item.path, "status": item.status, "note": item.note} for item in result.pending],
        "weaker": [
            {
                "path": weak.path,
                "line": weak.line,
                "rule": weak.rule,
                "control": weak.control,
                "message": weak.message,
            }
            for weak in result.weaker
        ],
        "missing": result.missing,
        "customised": result.customised,
        "removed": result.removed,
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
        parts.append(f"{weak.path}:{weak.line}: weaker than the kit: {_named(weak)}: {weak.message}\n")
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
            {
                "path": weak.path,
                "line": weak.line,
                "rule": weak.rule,
                "control": weak.control,
                "message": weak.message,
            }
            for weak in result.weakenings
        ],
    }
    return json.dumps(report, indent=2) + "\n"


def _counts(statuses: Any) -> str:
    tally: dict[str, int] = {}
    for status in statuses:
        tally[status] = tally.get(status, 0) + 1
    return ", ".join(f"{count} {status}" for status, count in tally.items())


def _named(weak: Weakening) -> str:
    """The rule that found a weakening, and the controls it guards when they are not the rule itself."""
    return weak.rule if weak.control in ("", weak.rule) else f"{weak.rule} ({weak.control})"
