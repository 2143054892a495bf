"""Untrusted text made safe to print in a one-line message: no line break, no terminal escape sequence.

A file name or a value from a repository can hold anything: undecodable bytes (surrogate escapes), line breaks
that would split a one-line error, ESC sequences that would move the user's cursor or retitle the terminal.
"""

from __future__ import annotations

import os
import unicodedata


def printable(text: str, limit: int | None = None) -> str:
    """``text`` with undecodable bytes, control and line-breaking characters written as backslash escapes; other
    characters (accented letters, spaces of every kind) are kept. Ordinary text comes back unchanged."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        text = os.fsencode(text).decode("utf-8", "backslashreplace")
    if not text.isprintable():
        text = "".join(
            char if char.isprintable() or unicodedata.category(char) == "Zs" else repr(char)[1:-1] for char in text
        )
    return _cut(text, limit)


def shown(text: str, limit: int = 60) -> str:
    """``text`` as plain ASCII for a message: everything else escaped, and at most ``limit`` characters."""
    ascii_text = text.encode("ascii", "backslashreplace").decode("ascii")
    clean = "".join(char if char.isprintable() else f"\\x{ord(char):02x}" for char in ascii_text)
    return _cut(clean, limit)


def _cut(text: str, limit: int | None) -> str:
    return text if limit is None or len(text) <= limit else text[: limit - 3] + "..."
