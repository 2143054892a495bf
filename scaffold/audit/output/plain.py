"""``file:line:col rule-id severity message``, one finding per line, then per-file errors and a summary."""

from __future__ import annotations

from scaffold.rules.runner import Report


def render(report: Report) -> str:
    lines = [
        f"{item.path}:{item.line}:{item.column} {item.rule} {item.severity.label} {item.message}"
        for item in report.findings
    ]
    lines += [f"{error.path}: error: {error.message}" for error in report.errors]
    summary = f"{len(report.findings)} finding(s) in {report.files} file(s)"
    if report.errors:
        summary += f"; {len(report.errors)} file(s) could not be audited"
    return "\n".join([*lines, summary]) + "\n"
