"""Findings, fixes, renders, diffs and upgrades are byte for byte what they were before the performance work.

tests/data/output_identity.json holds a sha256 of every output (tests/support/output_identity.py says which), made
by the code at commit 22141c4. A case that differs names the command and its input; to see how it differs, dump
both sides and diff them:

    PYTHONPATH=<checkout at 22141c4> python tests/support/output_identity.py --check FILE --dump /tmp/before
    python tests/support/output_identity.py --check tests/data/output_identity.json --dump /tmp/after
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.support.output_identity import (
    answer_set_cases,
    corpus_cases,
    corpus_folder,
    differing,
    is_corpus_case,
)

REFERENCE = Path(__file__).parent / "data" / "output_identity.json"


def _reference(*, corpus: bool) -> dict[str, str]:
    cases: dict[str, str] = json.loads(REFERENCE.read_text())
    return {key: value for key, value in cases.items() if is_corpus_case(key) == corpus}


def _assert_identical(expected: dict[str, str], actual: dict[str, str]) -> None:
    assert expected, f"{REFERENCE} has no such cases"
    changed = differing(expected, actual)
    assert not changed, f"{len(changed)} of {len(expected)} outputs differ from before: " + ", ".join(changed)


def test_corpus_audits_and_hardens_are_byte_identical() -> None:
    folder = corpus_folder()
    if not folder.is_dir():
        pytest.skip(f"the shared corpus is not at {folder} (set SCAFFOLD_CORPUS to its folder)")
    _assert_identical(_reference(corpus=True), corpus_cases(folder))


def test_answer_set_renders_diffs_and_upgrades_are_byte_identical() -> None:
    _assert_identical(_reference(corpus=False), answer_set_cases())
