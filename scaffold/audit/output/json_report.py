"""The audit report as JSON: findings, per-file errors and counts."""

from __future__ import annotations

import json

from scaffold.rules.runner import Report


def render(report: Report) -> str:
    document = {
        "files": report.files,
        "findings": [
            {
                "path": item.path,
                "line": item.line,
                "column": item.column,
                "rule": item.rule,
                "severity": item.severity.label,
                "confidence": item.confidence.label,
                "message": item.message,
            }
            for item in report.findings
        ],
        "errors": [{"path": error.path, "message": error.message} for error in report.errors],
    }
    return json.dumps(document, indent=2) + "\n"
