"""Property: any journal text is a checked Journal or one JournalError, quickly."""

from __future__ import annotations

import json
import os

from hypothesis import given, settings
from hypothesis import strategies as st

from scaffold.kit import kit_paths
from scaffold.upgrade.journal import Journal, JournalError, parse

EXAMPLES = int(os.environ.get("SCAFFOLD_FUZZ_EXAMPLES", "150"))
_DIGEST = "sha256:" + "a" * 64
_VALID = json.dumps(
    {
        "version": 1,
        "writes": [
            {"path": "notes/readme.md", "stage": "0.stage", "sha256": _DIGEST},
            {"path": ".scaffold.yml", "stage": "1.stage", "sha256": _DIGEST},
        ],
        "deletes": [{"path": "gone.txt", "sha256": _DIGEST}],
    }
)
_PIECES = st.sampled_from(
    [
        '"',
        "{",
        "}",
        "[",
        "]",
        ",",
        ":",
        "1" * 5000,
        "[" * 5000,
        ".git/",
        "../",
        "\\u0000",
        "\\ud800",
        "null",
        "true",
        '"path": "x", ',
        '"stage": "../x", ',
        "1e999",
        "-0",
        "NaN",
        "\u2028",
        ' "version": 1, ',
    ]
)


@st.composite
def _mutated(draw: st.DrawFn) -> str:
    text = _VALID
    for _ in range(draw(st.integers(0, 5))):
        where = draw(st.integers(0, len(text)))
        if draw(st.booleans()):
            text = text[:where] + draw(_PIECES) + text[where:]
        else:
            text = text[:where] + text[where + draw(st.integers(0, 15)) :]
    return text


# The deadline (ms) is a hang guard per example, not a speed measure.
@settings(derandomize=True, max_examples=EXAMPLES, deadline=10_000)
@given(text=st.one_of(_mutated(), st.text(max_size=200)))
def test_any_journal_text_is_a_journal_or_one_error(text: str) -> None:
    try:
        journal = parse(text)
    except JournalError as error:
        assert "\n" not in str(error)
        return
    assert isinstance(journal, Journal)
    for path in journal.paths:
        assert kit_paths.problem(path) is None


def test_the_valid_journal_parses() -> None:
    assert parse(_VALID).paths == {"notes/readme.md", ".scaffold.yml", "gone.txt"}
