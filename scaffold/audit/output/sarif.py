"""The audit report as SARIF 2.1.0, for GitHub code scanning and other SARIF consumers.

Every rule of the run is described under ``tool.driver.rules`` with its documentation. Severities map to SARIF
levels (high: error, medium: warning, low: note) and to GitHub's ``security-severity`` scores. Files that could
not be audited are tool execution notifications, and make the invocation unsuccessful.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from scaffold import __version__
from scaffold.rules.catalog import REGISTRY
from scaffold.rules.model import Severity
from scaffold.rules.registry import Rule
from scaffold.rules.runner import Report

_LEVEL = {Severity.HIGH: "error", Severity.MEDIUM: "warning", Severity.LOW: "note"}
_SCORE = {Severity.HIGH: "8.0", Severity.MEDIUM: "5.5", Severity.LOW: "3.0"}


def render(report: Report, rules: Sequence[Rule] = REGISTRY) -> str:
    index = {rule.id: position for position, rule in enumerate(rules)}
    run: dict[str, Any] = {
        "tool": {
            "driver": {
                "name": "scaffold",
                "version": __version__,
                "informationUri": "https://pypi.org/project/scaffold-cicd/",
                "rules": [_describe(rule) for rule in rules],
            }
        },
        "invocations": [
            {
                "executionSuccessful": not report.errors,
                "toolExecutionNotifications": [
                    {
                        "level": "error",
                        "message": {"text": error.message},
                        "locations": [{"physicalLocation": {"artifactLocation": {"uri": _uri(error.path)}}}],
                    }
                    for error in report.errors
                ],
            }
        ],
        "results": [
            {
                "ruleId": item.rule,
                "ruleIndex": index[item.rule],
                "level": _LEVEL[item.severity],
                "message": {"text": item.message},
                "locations": [
                    {
                        "physicalLocation": {
                            "artifactLocation": {"uri": _uri(item.path)},
                            "region": {"startLine": item.line, "startColumn": item.column},
                        }
                    }
                ],
            }
            for item in report.findings
        ],
    }
    log = {"$schema": "https://json.schemastore.org/sarif-2.1.0.json", "version": "2.1.0", "runs": [run]}
    return json.dumps(log, indent=2) + "\n"


def _describe(rule: Rule) -> dict[str, Any]:
    return {
        "id": rule.id,
        "name": "".join(part.capitalize() for part in rule.id.split("-")),
        "shortDescription": {"text": rule.summary},
        "fullDescription": {"text": rule.summary},
        "help": {"text": rule.doc, "markdown": rule.doc},
        "defaultConfiguration": {"level": _LEVEL[rule.severity]},
        "properties": {
            "security-severity": _SCORE[rule.severity],
            "precision": rule.confidence.label,
            "tags": ["security"],
        },
    }


def _uri(path: str) -> str:
    return path.replace("\\", "/").removeprefix("./")
