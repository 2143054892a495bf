"""Untrusted text printed on one line: nothing that breaks the line or drives the terminal gets through."""

from __future__ import annotations

import os

import pytest

from scaffold.untrusted.text import printable, shown


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("ci.yml", "ci.yml"),
        ("café deploy.yml", "café deploy.yml"),
        ("a\nb", "a\\nb"),
        ("\x1b]0;owned\x07x", "\\x1b]0;owned\\x07x"),
        ("line\u2028sep", "line\\u2028sep"),
        (os.fsdecode(b"caf\xe9"), "caf\\xe9"),
    ],
)
def test_printable_escapes_only_what_would_break_the_line(raw: str, expected: str) -> None:
    assert printable(raw) == expected
    assert printable(raw).isprintable()


def test_shown_is_ascii_and_cut_to_its_limit() -> None:
    assert shown("café\x1b[2J", 60) == "caf\\xe9\\x1b[2J"
    assert shown("x" * 100, 10) == "xxxxxxx..."
    assert printable("y" * 100, 10) == "yyyyyyy..."
