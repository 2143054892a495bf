"""The three report formats: plain lines, JSON, and SARIF 2.1.0 valid against the official schema."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest

from scaffold.audit.output import json_report, plain, sarif
from scaffold.rules.catalog import REGISTRY
from scaffold.rules.model import Confidence, FileError, Finding, Severity
from scaffold.rules.runner import Report, audit_tree

SCHEMA = json.loads((Path(__file__).resolve().parents[2] / "data" / "sarif-schema-2.1.0.json").read_text())
WORKFLOW = "on: pull_request_target\njobs:\n  t:\n    runs-on: x\n    steps:\n      - uses: actions/checkout@v4\n"


@pytest.fixture
def report() -> Report:
    found = audit_tree({".github/workflows/ci.yml": WORKFLOW})
    found.errors.append(FileError("Dockerfile", "is a binary file"))
    return found


def test_plain_is_one_line_per_finding_then_errors_and_a_summary(report: Report) -> None:
    lines = plain.render(report).splitlines()
    assert lines[0] == (
        ".github/workflows/ci.yml:1:5 dangerous-triggers high triggered by pull_request_target, which runs "
        "fork-started work with privileges"
    )
    assert "Dockerfile: error: is a binary file" in lines
    assert lines[-1] == f"{len(report.findings)} finding(s) in 1 file(s); 1 file(s) could not be audited"


def _dumped(report: Report) -> str:
    """The JSON report as ``json.dumps(indent=2)`` writes it: what ``json_report`` assembles itself, byte for byte."""
    keys = ("path", "line", "column", "rule", "severity", "confidence", "message")
    document = {
        "files": report.files,
        "findings": [
            {key: getattr(item, key).label if key in ("severity", "confidence") else getattr(item, key) for key in keys}
            for item in report.findings
        ],
        "errors": [{"path": error.path, "message": error.message} for error in report.errors],
    }
    return json.dumps(document, indent=2) + "\n"


HOSTILE = [
    '"quoted"',
    "back\\slash",
    "tab\tnew\nline\r",
    "\x00\x1b[31m\x7f",
    "caf\u00e9 \u2028 \ud800",
    "\U0001f600",
    "",
]


@pytest.mark.parametrize("text", HOSTILE)
def test_json_is_what_json_dumps_writes_with_an_indent_byte_for_byte(report: Report, text: str) -> None:
    assert json_report.render(report) == _dumped(report)
    odd = Report(
        [Finding(text, 10**12, 0, text, Severity.LOW, Confidence.MEDIUM, text) for _ in range(2)],
        [FileError(text, text)],
        7,
    )
    assert json_report.render(odd) == _dumped(odd)
    assert (
        json_report.render(Report()) == _dumped(Report()) == '{\n  "files": 0,\n  "findings": [],\n  "errors": []\n}\n'
    )


def test_json_has_every_field(report: Report) -> None:
    document = json.loads(json_report.render(report))
    assert document["files"] == 1
    assert {item["rule"] for item in document["findings"]} == {
        "dangerous-triggers",
        "excessive-permissions",
        "unpinned-uses",
        "artipacked",
        "missing-timeout",
        "missing-concurrency",
    }
    first = document["findings"][0]
    assert set(first) == {"path", "line", "column", "rule", "severity", "confidence", "message"}
    assert document["errors"] == [{"path": "Dockerfile", "message": "is a binary file"}]


def test_sarif_validates_against_the_official_schema(report: Report) -> None:
    log = json.loads(sarif.render(report))
    jsonschema.Draft4Validator.check_schema(SCHEMA)
    errors = sorted(jsonschema.Draft4Validator(SCHEMA).iter_errors(log), key=str)
    assert errors == []
    run = log["runs"][0]
    assert [rule["id"] for rule in run["tool"]["driver"]["rules"]] == [rule.id for rule in REGISTRY]
    result = run["results"][0]
    assert run["tool"]["driver"]["rules"][result["ruleIndex"]]["id"] == result["ruleId"]
    assert result["locations"][0]["physicalLocation"]["region"] == {"startLine": 1, "startColumn": 5}
    assert run["invocations"][0]["executionSuccessful"] is False


def test_the_schema_check_is_not_vacuous(report: Report) -> None:
    log = json.loads(sarif.render(report))
    del log["runs"][0]["results"][0]["message"]
    assert list(jsonschema.Draft4Validator(SCHEMA).iter_errors(log))
