"""How ``scaffold harden`` shows its work: the diffs, one line per fix or leftover, and a summary; or JSON."""

from __future__ import annotations

import json

from scaffold.harden.engine import Change, FileResult
from scaffold.harden.runner import HardenReport
from scaffold.kit.writer import text_diff


def plain(report: HardenReport, *, colour: bool = False, show_diffs: bool = True) -> str:
    out: list[str] = []
    if show_diffs:
        out += [text_diff(result.path, result.before, result.after, colour) for result in report.changed]
    for result in report.results:
        out += [f"{result.path}:{change.line}: {change.rule}: fixed: {_said(change)}\n" for change in result.applied]
        out += [
            f"{result.path}:{change.line}: {change.rule}: needs --fix=all: {_said(change)}\n" for change in result.held
        ]
        out += [f"{result.path}:{note.line}: {note.rule}: not fixed: {note.message}\n" for note in result.notes]
    out += [f"{error.path}: error: {error.message}\n" for error in report.errors]
    out.append(_summary(report))
    return "".join(out)


def _said(change: Change) -> str:
    return f"{change.message} ({change.risk})" if change.risk else change.message


def _summary(report: HardenReport) -> str:
    applied = sum(len(result.applied) for result in report.results)
    held = sum(len(result.held) for result in report.results)
    notes = sum(len(result.notes) for result in report.results)
    files = len(report.changed)
    if report.written:
        done = f"{_count(applied, 'fix', 'fixes')} written to {_count(len(report.written), 'file')}"
    elif files:
        done = f"{_count(applied, 'fix', 'fixes')} in {_count(files, 'file')}, not written (add --write to apply them)"
    else:
        done = "nothing to change"
    parts = [done]
    if held:
        parts.append(f"{_count(held, 'unsafe fix', 'unsafe fixes')} held back (review, then use --fix=all)")
    if notes:
        parts.append(f"{_count(notes, 'finding')} to fix by hand")
    if report.errors:
        parts.append(f"{_count(len(report.errors), 'file')} could not be read or parsed")
    return "harden: " + "; ".join(parts) + "\n"


def _count(number: int, one: str, many: str = "") -> str:
    return f"{number} {one if number == 1 else many or one + 's'}"


def as_json(report: HardenReport) -> str:
    document = {
        "files": [_file(result, result.path in report.written) for result in report.results],
        "errors": [{"path": error.path, "message": error.message} for error in report.errors],
    }
    return json.dumps(document, indent=2) + "\n"


def _file(result: FileResult, written: bool) -> dict[str, object]:
    return {
        "path": result.path,
        "changed": result.changed,
        "written": written,
        "fixed": [_change(change) for change in result.applied],
        "held": [_change(change) for change in result.held],
        "not_fixed": [{"line": note.line, "rule": note.rule, "message": note.message} for note in result.notes],
        "diff": text_diff(result.path, result.before, result.after) if result.changed else "",
    }


def _change(change: Change) -> dict[str, object]:
    return {
        "line": change.line,
        "rule": change.rule,
        "message": change.message,
        "safety": change.safety.value,
        "risk": change.risk,
    }
