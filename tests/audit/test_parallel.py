"""The per-file stage on several processes gives the serial report exactly: the same findings and per-file errors in
the same order, even when a worker dies; kit rules keep the audit serial; SCAFFOLD_JOBS is checked like any input."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from scaffold.audit import parallel
from scaffold.audit.run import audit_paths
from scaffold.errors import UsageError
from scaffold.rules.catalog import REGISTRY
from scaffold.rules.config import AuditConfig
from scaffold.rules.document import Document
from scaffold.rules.model import Confidence, Hit, Kind, Severity
from scaffold.rules.registry import Rule
from scaffold.rules.requirements import Requirements
from scaffold.rules.runner import Report

FIXTURES = Path(__file__).resolve().parents[1] / "rules" / "fixtures"
PARENT = os.getpid()


@pytest.fixture(scope="module")
def tree(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Every rule's bad/ fixtures (every kind, many findings), twice, with unreadable and unparsable files too."""
    root = tmp_path_factory.mktemp("tree")
    (root / ".git").mkdir()
    for copy in ("a", "b"):
        for bad in sorted(FIXTURES.glob("*/bad")):
            shutil.copytree(bad, root / copy / bad.parent.name)
    broken = root / "a" / "broken" / ".github" / "workflows"
    broken.mkdir(parents=True)
    (broken / "invalid.yml").write_text("on: [push\njobs: {\n")
    (broken / "binary.yml").write_bytes(b"on: push\n\x00\x01\x02")
    (root / "b" / "Jenkinsfile").write_bytes(b"pipeline {\xff\xfe}\n")
    return root


def _shown(report: Report) -> list[object]:
    """Everything a report says, order included (a Finding's equality leaves its subject and control out)."""
    findings = [(item.path, item.line, item.column, item.rule, item.severity, item.confidence, item.message,
                 item.subject, item.control) for item in report.findings]  # fmt: skip
    return [report.files, findings, [(error.path, error.message) for error in report.errors]]


def test_several_processes_give_the_serial_report_exactly(tree: Path) -> None:
    serial = audit_paths([tree], jobs=1)
    assert serial.files > 250 and len(serial.findings) > 500
    assert [error.path.rsplit("/", 1)[-1] for error in serial.errors] == ["binary.yml", "invalid.yml", "Jenkinsfile"]
    for jobs in (2, 3):
        assert _shown(audit_paths([tree], jobs=jobs)) == _shown(serial)


def _where(document: Document) -> Iterator[Hit]:
    """A rule that says which process checked the file."""
    yield Hit(1, 1, "parent" if os.getpid() == PARENT else "worker")


def _dies_in_a_worker(document: Document) -> Iterator[Hit]:
    if os.getpid() != PARENT:
        os._exit(3)  # a worker killed mid-chunk: no exception, no result
    yield Hit(1, 1, "checked")


def _rule(rule_id: str, check: object) -> Rule:
    return Rule(rule_id, Severity.LOW, Confidence.LOW, frozenset({Kind.DOCKERFILE}), check, "doc")  # type: ignore[arg-type]


def test_files_are_checked_in_workers_unless_kit_rules_need_every_parsed_file(tree: Path) -> None:
    rules = [_rule("where", _where), *REGISTRY]
    spread = audit_paths([tree], rules=rules, jobs=2)
    assert {item.message for item in spread.findings if item.rule == "where"} == {"worker"}
    wants = Requirements({Kind.WORKFLOW: frozenset({"secret-scan"})})
    kept = audit_paths([tree], AuditConfig(required=wants), rules=rules, jobs=2)
    assert {item.message for item in kept.findings if item.rule == "where"} == {"parent"}
    allowed = audit_paths([tree], rules=rules, required=Requirements(allowed_registries=()), jobs=2)
    assert {item.message for item in allowed.findings if item.rule == "where"} == {"parent"}
    assert any(item.rule == "policy-registry-not-allowed" for item in allowed.findings)


def test_a_worker_that_dies_costs_no_file_its_chunks_are_checked_again_serially(tree: Path) -> None:
    rules = [_rule("dies", _dies_in_a_worker), *REGISTRY]
    serial = audit_paths([tree], rules=rules, jobs=1)
    assert sum(item.rule == "dies" for item in serial.findings) > 20
    assert _shown(audit_paths([tree], rules=rules, jobs=2)) == _shown(serial)


def test_jobs_are_one_per_core_from_enough_files_and_what_scaffold_jobs_asks(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(parallel, "_cores", lambda: 2)
    assert parallel.jobs_for(parallel.MIN_FILES - 1, None) == 1
    assert parallel.jobs_for(parallel.MIN_FILES, None) == 1  # one chunk's worth of files: not worth a fork
    assert parallel.jobs_for(10 * parallel.MIN_FILES, None) == 2
    assert parallel.jobs_for(10, 4) == 4 and parallel.jobs_for(3, 4) == 3 and parallel.jobs_for(5000, 1) == 1
    monkeypatch.delenv(parallel.ENVIRONMENT, raising=False)
    assert parallel.requested_jobs() is None
    monkeypatch.setenv(parallel.ENVIRONMENT, "1")
    assert parallel.requested_jobs() == 1


@pytest.mark.parametrize("value", ["0", "-1", "65", "two", "1.5", " 2", "\u0662", "9" * 40, "\x1b[31m"])
def test_scaffold_jobs_that_is_not_a_small_count_is_one_line_and_exit_2(value: str, tmp_path: Path) -> None:
    with pytest.raises(UsageError, match=r"^SCAFFOLD_JOBS: must be a whole number from 1 to 64, not '"):
        os.environ[parallel.ENVIRONMENT] = value
        try:
            parallel.requested_jobs()
        finally:
            del os.environ[parallel.ENVIRONMENT]
    (tmp_path / "Dockerfile").write_text("FROM scratch\n")
    env = {**os.environ, parallel.ENVIRONMENT: value}
    ran = subprocess.run(
        [sys.executable, "-m", "scaffold", "audit", str(tmp_path)], capture_output=True, text=True, env=env, check=False
    )
    assert ran.returncode == 2 and ran.stdout == ""
    assert ran.stderr.startswith("scaffold: error: SCAFFOLD_JOBS: must be a whole number")
    assert ran.stderr.count("\n") == 1
    assert "\x1b" not in ran.stderr
