"""The audit on 53 real CI files nobody here wrote: it never fails on one, and every finding points into its file."""

from __future__ import annotations

import pytest

from scaffold.rules.runner import audit_tree
from tests.support.corpus import CANONICAL_PATHS, corpus_dir, corpus_files

PATHS = {**CANONICAL_PATHS, "precommit": lambda name: ".pre-commit-config.yaml"}
CASES = [(kind, name) for kind in PATHS for name in corpus_files(kind)]


@pytest.mark.parametrize(("kind", "name"), CASES or [("github", "absent")])
def test_every_corpus_file_is_audited_without_errors(kind: str, name: str) -> None:
    text = (corpus_dir() / kind / name).read_text()
    report = audit_tree({PATHS[kind](name): text})
    assert report.files == 1
    assert report.errors == []
    lines = text.splitlines()
    for finding in report.findings:
        assert 1 <= finding.line <= max(len(lines), 1), finding
        assert finding.message and "\n" not in finding.message


def test_the_corpus_has_findings_of_every_kind() -> None:
    corpus_dir()  # skips, saying why, when the shared corpus is absent
    kinds = {
        kind
        for kind, name in CASES
        if audit_tree({PATHS[kind](name): (corpus_dir() / kind / name).read_text()}).findings
    }
    assert kinds == set(PATHS)
