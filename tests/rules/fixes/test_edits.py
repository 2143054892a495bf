"""scaffold.rules.fixes.edits: applying text edits, telling when two groups clash, and the text facts fixes use."""

from __future__ import annotations

import pytest

from scaffold.rules.fixes.edits import (
    OverlappingEditsError,
    apply,
    indentation,
    line_end,
    line_starts,
    newline,
    overlaps,
)
from scaffold.rules.fixes.model import TextEdit

# apply --------------------------------------------------------------------------------------------------------


def test_apply_with_no_edits_returns_the_text() -> None:
    assert apply("abc\n", []) == "abc\n"


def test_apply_replaces_inserts_and_deletes_with_offsets_of_the_original_text() -> None:
    text = "uses: actions/checkout@v4\n"
    edits = [
        TextEdit(23, 25, "SHA"),  # replace "v4"
        TextEdit(25, 25, " # v4.4.0"),  # insert after it
        TextEdit(0, 6, ""),  # delete "uses: "
    ]
    assert apply(text, edits) == "actions/checkout@SHA # v4.4.0\n"


def test_apply_does_not_depend_on_the_order_the_edits_are_given_in() -> None:
    text = "0123456789"
    edits = [TextEdit(8, 9, "x"), TextEdit(1, 2, "y"), TextEdit(5, 5, "+")]
    assert apply(text, edits) == apply(text, list(reversed(edits))) == "0y234+567x9"


def test_insertions_at_one_offset_keep_the_order_they_were_given_in() -> None:
    assert apply("ab", [TextEdit(1, 1, "1"), TextEdit(1, 1, "2"), TextEdit(1, 1, "3")]) == "a123b"
    assert apply("ab", [TextEdit(1, 1, "3"), TextEdit(1, 1, "2"), TextEdit(1, 1, "1")]) == "a321b"


def test_an_insertion_at_the_start_of_a_replacement_comes_before_the_replacement() -> None:
    assert apply("abcdef", [TextEdit(2, 4, "XY"), TextEdit(2, 2, "+")]) == "ab+XYef"


def test_an_insertion_at_the_end_of_a_replacement_comes_after_it() -> None:
    assert apply("abcdef", [TextEdit(4, 4, "+"), TextEdit(2, 4, "XY")]) == "abXY+ef"


def test_adjacent_replacements_both_happen() -> None:
    assert apply("abcdef", [TextEdit(0, 3, "1"), TextEdit(3, 6, "2")]) == "12"


def test_apply_at_the_end_of_the_text_appends() -> None:
    assert apply("FROM x", [TextEdit(6, 6, "\nUSER 1\n")]) == "FROM x\nUSER 1\n"


@pytest.mark.parametrize(
    "edits",
    [
        [TextEdit(0, 5, "a"), TextEdit(3, 8, "b")],
        [TextEdit(3, 8, "b"), TextEdit(0, 5, "a")],
        [TextEdit(0, 10, "a"), TextEdit(5, 5, "inside")],
        [TextEdit(2, 4, "a"), TextEdit(2, 4, "b")],
    ],
    ids=["crossing", "crossing-reversed", "insert-inside-replacement", "same-range-twice"],
)
def test_apply_refuses_overlapping_edits(edits: list[TextEdit]) -> None:
    with pytest.raises(OverlappingEditsError, match="overlap"):
        apply("0123456789", edits)


def test_overlapping_edits_error_is_a_value_error() -> None:
    assert issubclass(OverlappingEditsError, ValueError)


# overlaps -----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("first", "second", "expected"),
    [
        ([TextEdit(0, 5, "a")], [TextEdit(3, 8, "b")], True),
        ([TextEdit(3, 8, "b")], [TextEdit(0, 5, "a")], True),
        ([TextEdit(0, 5, "a")], [TextEdit(5, 8, "b")], False),  # touching, not overlapping
        ([TextEdit(0, 10, "a")], [TextEdit(4, 4, "b")], True),  # insertion into replaced text
        ([TextEdit(4, 4, "b")], [TextEdit(0, 10, "a")], True),
        ([TextEdit(0, 10, "a")], [TextEdit(0, 0, "b")], False),  # insertion at the start boundary
        ([TextEdit(0, 10, "a")], [TextEdit(10, 10, "b")], False),  # insertion at the end boundary
        ([TextEdit(4, 4, "a")], [TextEdit(4, 4, "b")], False),  # two insertions at one point both happen
        ([TextEdit(2, 6, "a")], [TextEdit(2, 6, "b")], True),  # the same range replaced twice
        ([TextEdit(0, 1, "a"), TextEdit(8, 9, "a")], [TextEdit(3, 4, "b"), TextEdit(8, 8, "c")], False),
        ([TextEdit(0, 1, "a"), TextEdit(7, 9, "a")], [TextEdit(3, 4, "b"), TextEdit(8, 8, "c")], True),
        ([], [TextEdit(0, 9, "b")], False),
    ],
)
def test_overlaps(first: list[TextEdit], second: list[TextEdit], expected: bool) -> None:
    assert overlaps(first, second) is expected


def test_groups_that_do_not_overlap_apply_together() -> None:
    first = [TextEdit(0, 1, "A")]
    second = [TextEdit(1, 1, "+"), TextEdit(2, 3, "C")]
    assert not overlaps(first, second)
    assert apply("abc", [*first, *second]) == "A+bC"


# newline ------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("a\nb\n", "\n"),
        ("a\r\nb\r\n", "\r\n"),
        ("a\r\nb\n", "\r\n"),  # the first line decides
        ("a\nb\r\n", "\n"),
        ("no newline at all", "\n"),
        ("", "\n"),
        ("\n", "\n"),
        ("\r\n", "\r\n"),
    ],
)
def test_newline_is_read_from_the_first_line(text: str, expected: str) -> None:
    assert newline(text) == expected


# line_starts, line_end, indentation ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("a\nbc\n", [0, 2, 5]),
        ("a\nbc", [0, 2, 4]),
        ("", [0]),
        ("\n", [0, 1]),
        ("\n\n", [0, 1, 2]),
        ("a\r\nb\r\n", [0, 3, 6]),
        ("one line", [0, 8]),
    ],
)
def test_line_starts(text: str, expected: list[int]) -> None:
    assert line_starts(text) == expected


@pytest.mark.parametrize("text", ["a\nbc\n", "a\nbc", "x", "\n\n\n", "a\r\nb"])
def test_line_starts_index_is_the_line_number_less_one_and_ends_at_the_text_end(text: str) -> None:
    starts = line_starts(text)
    assert starts[-1] == len(text)
    for number, line in enumerate(text.splitlines(keepends=True)):
        assert text[starts[number] : starts[number + 1]] == line


@pytest.mark.parametrize(
    ("offset", "expected"),
    [(0, 2), (1, 2), (2, 5), (4, 5), (5, 7), (6, 7)],
)
def test_line_end_is_just_after_the_newline(offset: int, expected: int) -> None:
    assert line_end("a\nbc\nde", offset) == expected


@pytest.mark.parametrize(("line", "expected"), [("x", 0), ("  x", 2), ("    - x", 4), ("   ", 3), ("\tx", 0)])
def test_indentation_counts_leading_spaces_only(line: str, expected: int) -> None:
    assert indentation(line) == expected
