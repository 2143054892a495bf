"""Snapshot of the whole rendered tree for every answer set; any change to the kit shows up as a diff here.

Update deliberately with `pytest --snapshot-update` and review the diff.
"""

from __future__ import annotations

import pytest
from syrupy.assertion import SnapshotAssertion

from scaffold.api import render_kit
from scaffold.kit.answers import validate
from tests.answer_sets import ANSWER_SETS


@pytest.mark.parametrize("answer_set", sorted(ANSWER_SETS))
def test_rendered_tree_matches_snapshot(answer_set: str, snapshot: SnapshotAssertion) -> None:
    assert render_kit(answers=validate(ANSWER_SETS[answer_set])) == snapshot


@pytest.mark.parametrize("answer_set", sorted(ANSWER_SETS))
def test_render_is_byte_identical_across_runs(answer_set: str) -> None:
    answers = validate(ANSWER_SETS[answer_set])
    first = render_kit(answers=answers)
    second = render_kit(answers=validate(ANSWER_SETS[answer_set]))
    assert first == second
    assert all(text.encode() == second[path].encode() for path, text in first.items())
