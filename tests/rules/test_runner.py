"""The audit runner on real files: bad input is a per-file error and the rest is still audited; suppressions
need a reason; settings turn rules off; every kit scaffold generates is audit-clean."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from scaffold.api import render_kit
from scaffold.audit.run import audit_paths
from scaffold.kit.answers import validate
from scaffold.rules.catalog import REGISTRY
from scaffold.rules.config import AuditConfig
from scaffold.rules.model import Confidence, Finding, Severity
from scaffold.rules.runner import FINDING_ORDER, audit_tree
from tests.answer_sets import ANSWER_SETS

UNPINNED = (
    "permissions: {}\non: push\nconcurrency: ci\njobs:\n  t:\n    runs-on: x\n    timeout-minutes: 5\n    steps:\n"
    "      - uses: org/action@v1\n"
)


def _write(root: Path, files: dict[str, str | bytes]) -> Path:
    for name, content in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content if isinstance(content, bytes) else content.encode())
    return root


def test_bad_files_are_errors_and_the_others_are_still_audited(tmp_path: Path) -> None:
    root = _write(
        tmp_path,
        {
            ".github/workflows/broken.yml": "jobs: [unclosed\n",
            ".github/workflows/binary.yml": b"\x00\x01PK",
            ".github/workflows/latin.yml": "name: caf\xe9\n".encode("latin-1"),
            ".github/workflows/huge.yml": "# padding\n" * 1_100_000,
            ".github/workflows/ok.yml": UNPINNED,
        },
    )
    (root / ".github/workflows/loop.yml").symlink_to(root / ".github/workflows/loop.yml")
    report = audit_paths([root])
    errors = {Path(error.path).name: error.message for error in report.errors}
    assert errors == {
        "binary.yml": "is a binary file",
        "broken.yml": "is not valid YAML at line 2",
        "huge.yml": "is larger than 10 MB; not audited",
        "latin.yml": "is not UTF-8 text (byte 9)",
        "loop.yml": "is a symlink loop",
    }
    assert [(Path(item.path).name, item.rule) for item in report.findings] == [("ok.yml", "unpinned-uses")]


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads files whatever their mode")
def test_an_unreadable_file_is_an_error(tmp_path: Path) -> None:
    root = _write(tmp_path, {"Dockerfile": "FROM x\n"})
    (root / "Dockerfile").chmod(0)
    assert [error.message.split(":")[0] for error in audit_paths([root]).errors] == ["cannot be read"]


def test_a_suppression_needs_the_rule_id_and_a_reason() -> None:
    with_reason = UNPINNED.replace(
        "      - uses:", "      # scaffold: ignore[unpinned-uses] vendored, reviewed\n      - uses:"
    )
    same_line = UNPINNED.replace("@v1\n", "@v1  # scaffold: ignore[unpinned-uses, artipacked] internal action\n")
    no_reason = UNPINNED.replace("@v1\n", "@v1  # scaffold: ignore[unpinned-uses]\n")
    other_rule = UNPINNED.replace("@v1\n", "@v1  # scaffold: ignore[artipacked] not this one\n")
    path = ".github/workflows/ci.yml"
    assert audit_tree({path: with_reason}).findings == []
    assert audit_tree({path: same_line}).findings == []
    assert [item.rule for item in audit_tree({path: no_reason}).findings] == ["unpinned-uses"]
    assert [item.rule for item in audit_tree({path: other_rule}).findings] == ["unpinned-uses"]


def test_settings_disable_rules_and_raise_the_threshold() -> None:
    files = {".github/workflows/ci.yml": "on: pull_request_target\n" + UNPINNED.replace("on: push\n", "")}
    assert {item.rule for item in audit_tree(files).findings} == {"dangerous-triggers", "unpinned-uses"}
    off = AuditConfig(disabled=frozenset({"unpinned-uses"}))
    assert {item.rule for item in audit_tree(files, off).findings} == {"dangerous-triggers"}
    only = AuditConfig(selected=frozenset({"unpinned-uses"}))
    assert {item.rule for item in audit_tree(files, only).findings} == {"unpinned-uses"}
    assert audit_tree(files, AuditConfig(min_severity=Severity.HIGH)).findings != []


@pytest.mark.parametrize("name", sorted(ANSWER_SETS))
def test_every_generated_kit_is_audit_clean(name: str) -> None:
    report = audit_tree(render_kit(answers=validate(ANSWER_SETS[name])))
    assert report.files >= 3
    assert report.findings == []
    assert report.errors == []


def test_a_gitlab_file_with_a_spec_header_is_audited_as_its_pipeline() -> None:
    text = 'spec:\n  inputs:\n    stage:\n      default: test\n---\nlint:\n  image: alpine:3.20\n  script: ["true"]\n'
    pinning = [rule for rule in REGISTRY if rule.id == "gitlab-unpinned-image"]
    report = audit_tree({".gitlab-ci.yml": text}, rules=pinning)
    assert report.errors == []
    assert [(item.rule, item.line) for item in report.findings] == [("gitlab-unpinned-image", 7)]


def test_findings_are_sorted_by_the_fields_a_finding_is_ordered_by() -> None:
    """The runner sorts with a key (FINDING_ORDER); it must be the order ``sorted()`` gives, ties kept in place."""
    base = Finding("p", 1, 2, "r", Severity.LOW, Confidence.LOW, "m")
    assert FINDING_ORDER(base) == ("p", 1, 2, "r", 1, 1, "m")
    for field, other in [("path", "q"), ("line", 2), ("column", 3), ("rule", "s"), ("severity", Severity.MEDIUM),
                         ("confidence", Confidence.MEDIUM), ("message", "n")]:  # fmt: skip
        values = [getattr(base, name) for name in Finding._fields]
        values[Finding._fields.index(field)] = other
        moved = Finding(*values)  # type: ignore[arg-type]
        assert base < moved and FINDING_ORDER(base) < FINDING_ORDER(moved), field
    findings = [
        Finding(path, line, 1, rule, severity, Confidence.HIGH, "same", subject=f"s{index}")
        for index, (path, line, rule, severity) in enumerate(
            [("b", 2, "x", Severity.LOW), ("a", 10, "x", Severity.HIGH), ("a", 9, "y", Severity.LOW)] * 3
        )
    ]
    by_key = sorted(findings, key=FINDING_ORDER)
    assert [(item.path, item.line, item.subject) for item in by_key] == [
        (item.path, item.line, item.subject) for item in sorted(findings)
    ]
    assert [item.subject for item in by_key][:3] == ["s2", "s5", "s8"]  # equal keys keep the order they came in
