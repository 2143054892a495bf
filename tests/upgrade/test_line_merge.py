"""The line merge: git merge-file's result as clean text and conflicts, written as markers or kept plus .rej."""

from __future__ import annotations

from scaffold.upgrade.line_merge import Conflict, Labels, merge_lines

BASE = "".join(f"line {n}\n" for n in range(1, 11))
LABELS = Labels(ours="your version", base="kit 1.0.0", theirs="kit 1.1.0")


def test_edits_far_apart_merge_cleanly() -> None:
    merged = merge_lines(BASE, BASE.replace("line 2\n", "line two\n"), BASE.replace("line 9\n", "line nine\n"))
    assert merged.conflicts == 0
    assert merged.text(LABELS) == BASE.replace("line 2\n", "line two\n").replace("line 9\n", "line nine\n")


def test_a_conflict_is_parsed_with_all_three_sides() -> None:
    merged = merge_lines(BASE, BASE.replace("line 5\n", "mine\n"), BASE.replace("line 5\n", "kit's\n"))
    assert merged.conflicts == 1
    assert Conflict("mine\n", "line 5\n", "kit's\n") in merged.segments
    expected = "<<<<<<< your version\nmine\n=======\nkit's\n>>>>>>> kit 1.1.0\n"
    assert merged.text(LABELS) == BASE.replace("line 5\n", expected)


def test_markers_grow_when_a_side_has_a_line_that_looks_like_one() -> None:
    ours = BASE.replace("line 5\n", "=======\n")
    merged = merge_lines(BASE, ours, BASE.replace("line 5\n", "kit\n"))
    assert merged.conflicts == 1
    text = merged.text(LABELS)
    assert "<<<<<<<< your version\n=======\n========\nkit\n>>>>>>>> kit 1.1.0\n" in text


def test_rej_keeps_the_users_side_and_lists_the_kits_hunk() -> None:
    merged = merge_lines(BASE, BASE.replace("line 5\n", "mine\n"), BASE.replace("line 5\n", "kit's\n"))
    kept, reject = merged.ours_with_rejects("notes.txt", LABELS)
    assert kept == BASE.replace("line 5\n", "mine\n")
    assert reject == "--- notes.txt (kit 1.0.0)\n+++ notes.txt (kit 1.1.0)\n@@ -5,1 +5,1 @@\n-line 5\n+kit's\n"


def test_one_side_unchanged_is_the_other_side_without_git() -> None:
    assert merge_lines(BASE, BASE, "x\n").segments == ("x\n",)
    assert merge_lines(BASE, "y\n", BASE).segments == ("y\n",)
