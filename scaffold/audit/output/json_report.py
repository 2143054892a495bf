"""The audit report as JSON: findings, per-file errors and counts.

The text is what ``json.dumps(document, indent=2)`` writes, byte for byte, but assembled here: with an indent,
``json`` falls back to its pure-Python encoder, which costs more than the whole of some audits. Each string goes
through the C escaper ``json.dumps`` itself uses (``ensure_ascii``), and every value is a string or a whole number.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from json.encoder import encode_basestring_ascii

from scaffold.rules.runner import Report


def render(report: Report) -> str:
    findings = [
        _object(
            (
                ("path", item.path),
                ("line", item.line),
                ("column", item.column),
                ("rule", item.rule),
                ("severity", item.severity.label),
                ("confidence", item.confidence.label),
                ("message", item.message),
            )
        )
        for item in report.findings
    ]
    errors = [_object((("path", error.path), ("message", error.message))) for error in report.errors]
    return (
        f'{{\n  "files": {_value(report.files)},\n  "findings": {_array(findings)},\n  "errors": {_array(errors)}\n}}\n'
    )


def _object(pairs: Sequence[tuple[str, object]]) -> str:
    """A mapping inside a top-level list, as ``indent=2`` lays it out."""
    body = ",\n".join(f"      {encode_basestring_ascii(key)}: {_value(value)}" for key, value in pairs)
    return f"    {{\n{body}\n    }}"


def _array(objects: list[str]) -> str:
    return "[\n" + ",\n".join(objects) + "\n  ]" if objects else "[]"


def _value(value: object) -> str:
    if isinstance(value, str):
        return encode_basestring_ascii(value)
    if type(value) is int:
        return int.__repr__(value)
    return json.dumps(value)  # not a value a report holds; written as json would anyway
