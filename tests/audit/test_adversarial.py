"""Adversarial inputs of about 1 MB per kind (``tests/audit/adversarial.py``): each audit ends in a report, with no
exception. The project has no speed assertions: each case runs in a subprocess whose timeout only guards against
a hang (measured worst cases are far below it; ``python -m tests.audit.adversarial`` prints them)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.audit.adversarial import cases

ROOT = Path(__file__).resolve().parents[2]
HANG_GUARD = 120  # seconds: a hang, not a slow run
CASES = [(kind, name) for kind, name, _, _ in cases()]
_SCRIPT = """
import sys
from tests.audit import adversarial
from scaffold.rules.runner import audit_tree
kind, name = sys.argv[1:3]
generate = adversarial.BY_KIND[kind][name]
report = audit_tree({adversarial.PATHS[kind]: generate()})
assert report.files == 1
for error in report.errors:
    assert "\\n" not in error.message and " failed: " not in error.message, error
print(len(report.findings), len(report.errors))
"""


@pytest.mark.parametrize(("kind", "name"), CASES, ids=[f"{kind}-{name}" for kind, name in CASES])
def test_an_adversarial_input_ends_in_a_report(kind: str, name: str) -> None:
    result = subprocess.run(
        [sys.executable, "-c", _SCRIPT, kind, name],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=HANG_GUARD,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-2000:]
