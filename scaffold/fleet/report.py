"""A fleet run's report: built from the repositories' results, shown as a table or JSON, and merged from shards."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from pathlib import Path

from pydantic import ValidationError

from scaffold import __version__
from scaffold.errors import UsageError
from scaffold.fleet.model import SEVERITIES, Counts, HistoryPoint, RepoResult, Report, RunSummary, Trend, states_for
from scaffold.untrusted.read import UnreadableInput, read_text
from scaffold.untrusted.text import printable

MAX_SHARD_BYTES = 512 * 1024 * 1024


def summarise(command: str, results: Iterable[RepoResult]) -> RunSummary:
    results = list(results)
    states = dict.fromkeys(states_for(command), 0)
    for result in results:
        states[result.state] = states.get(result.state, 0) + 1
    findings = {severity: sum(getattr(r.findings, severity) for r in results) for severity in SEVERITIES}
    weaker = sum(len(r.weaker) + (len(r.upgrade.blocked) if r.upgrade else 0) for r in results)
    versions = Counter(f"{r.pack.name} {r.pack.version}" for r in results if r.pack.name and r.pack.version)
    return RunSummary(
        repositories=len(results),
        states=states,
        findings=Counts(**findings),
        weaker=weaker,
        versions=dict(sorted(versions.items())),
    )


def build(
    command: str,
    results: Iterable[RepoResult],
    *,
    generated: str,
    history: Sequence[HistoryPoint] = (),
    shard: str | None = None,
) -> Report:
    """The report of a run. ``history`` ends with this run's own point when the run was stored."""
    ordered = sorted(results, key=lambda result: result.target)
    summary = summarise(command, ordered)
    trend = _trend(history[-2], summary) if len(history) >= 2 else None
    return Report(
        command=command,  # type: ignore[arg-type]
        generated=generated,
        scaffold_version=__version__,
        shard=shard,
        summary=summary,
        history=list(history),
        trend=trend,
        repositories=ordered,
    )


def needs_attention(report: Report) -> bool:
    """A repository is behind, drifts, is weaker, failed, or could not be upgraded cleanly."""
    return any(not result.ok or result.error is not None for result in report.repositories)


def as_json(report: Report) -> str:
    return report.model_dump_json(by_alias=True, indent=2) + "\n"


def merge(paths: Sequence[Path], generated: str) -> Report:
    """One report from the shards' reports: the same command, each repository once."""
    reports = [_read_shard(path) for path in paths]
    commands = {report.command for report in reports}
    if len(commands) != 1:
        raise UsageError("fleet merge: the shards come from different commands (status and upgrade)")
    seen: dict[str, Path] = {}
    results = []
    for path, report in zip(paths, reports, strict=True):
        for result in report.repositories:
            if result.target in seen:
                first = printable(str(seen[result.target]), 200)
                raise UsageError(
                    f"fleet merge: {printable(result.target, 200)} is in both {first} and {printable(str(path), 200)}; "
                    "each repository belongs to one shard"
                )
            seen[result.target] = path
            results.append(result)
    return build(commands.pop(), results, generated=generated)


def _read_shard(path: Path) -> Report:
    try:
        text = read_text(path, limit=MAX_SHARD_BYTES)
    except UnreadableInput as error:
        raise UsageError(f"fleet merge: {printable(str(path), 200)}: {error}") from None
    try:
        return Report.model_validate_json(text)
    except ValidationError as error:
        problem = error.errors()[0]
        where = ".".join(str(part) for part in problem["loc"]) or "the document"
        raise UsageError(
            f"fleet merge: {printable(str(path), 200)}: {printable(where, 200)}: {printable(problem['msg'], 200)}"
        ) from None


def _trend(previous: HistoryPoint, summary: RunSummary) -> Trend:
    states = {key: summary.states.get(key, 0) - previous.states.get(key, 0) for key in summary.states}
    findings = {key: getattr(summary.findings, key) - getattr(previous.findings, key) for key in SEVERITIES}
    return Trend(
        run=previous.run,
        finished=previous.finished,
        states=states,
        findings=findings,
        weaker=summary.weaker - previous.weaker,
    )


# --- the table on a terminal ----------------------------------------------------------------------------------


def table(report: Report) -> str:
    rows = [_status_row(r) if report.command == "status" else _upgrade_row(r) for r in report.repositories]
    header = (
        ("REPOSITORY", "PACK", "STATE", "HIGH", "MED", "LOW", "WEAKER", "NOTE")
        if report.command == "status"
        else ("REPOSITORY", "KIT", "OUTCOME", "FILES", "CONFLICTS", "BLOCKED", "NOTE")
    )
    lines = _aligned([header, *rows])
    lines.append(_summary_line(report))
    commands = [
        r.upgrade.pr_command for r in report.repositories if r.upgrade and r.upgrade.pr_command and not r.upgrade.pr_url
    ]
    if report.command == "upgrade" and commands:
        lines.append("open the pull requests (each pushed branch; --open-prs runs these when gh or glab is installed):")
        lines.extend(f"  {printable(command, 4000)}" for command in commands)
    return "\n".join(lines) + "\n"


def _status_row(result: RepoResult) -> tuple[str, ...]:
    pack = result.pack
    shown = f"{pack.name} {pack.version}" if pack.name else "-"
    if pack.latest and pack.latest != pack.version:
        shown += f" -> {pack.latest}"
    counts = result.findings
    return (
        _cell(result.name, 40),
        _cell(shown, 40),
        result.state,
        str(counts.high),
        str(counts.medium),
        str(counts.low),
        str(len(result.weaker)),
        _cell(_note(result), 80),
    )


def _upgrade_row(result: RepoResult) -> tuple[str, ...]:
    info = result.upgrade
    kit = f"{info.from_version} -> {info.to_version}" if info and info.from_version else "-"
    files = str(len(info.files)) if info else "0"
    conflicts = str(len(info.conflicts)) if info else "0"
    blocked = str(len(info.blocked)) if info else "0"
    note = result.error or (
        f"branch {info.branch}" + (" (pushed)" if info.pushed else "") if info and info.branch else ""
    )
    return (_cell(result.name, 40), _cell(kit, 50), result.state, files, conflicts, blocked, _cell(note or "", 80))


def _note(result: RepoResult) -> str:
    if result.error:
        return result.error
    parts = []
    if result.drift and result.state != "drift":
        parts.append("drift")
    if result.customised:
        parts.append(f"{len(result.customised)} customised")
    if result.missing:
        parts.append(f"{len(result.missing)} missing")
    if result.audit_errors:
        parts.append(f"{len(result.audit_errors)} unreadable file(s)")
    return ", ".join(parts)


def _cell(text: str, width: int) -> str:
    text = printable(text, 1000)
    return text if len(text) <= width else text[: width - 1] + "…"


def _aligned(rows: Sequence[tuple[str, ...]]) -> list[str]:
    widths = [max(len(row[column]) for row in rows) for column in range(len(rows[0]))]
    return ["  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip() for row in rows]


def _summary_line(report: Report) -> str:
    summary = report.summary
    states = ", ".join(f"{count} {state}" for state, count in summary.states.items() if count) or "nothing"
    text = f"{summary.repositories} repositories: {states}"
    if report.command == "status":
        counts = summary.findings
        text += f"; findings: {counts.high} high, {counts.medium} medium, {counts.low} low"
        text += f"; {summary.weaker} control(s) weaker than the kit"
    trend = report.trend
    if trend is not None:
        moves = [f"{key} {value:+d}" for key, value in {**trend.states, **trend.findings}.items() if value]
        text += f"; since run {trend.run} ({trend.finished}): " + (", ".join(moves) if moves else "no change")
    return text
