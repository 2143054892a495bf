"""The templates a process has compiled, kept so that the next render of the same text compiles nothing.

Compiling (lexing, parsing, generating Python and compiling it) is most of a render's cost; the code it gives
depends only on the template's text and name and on the environment's compile-time settings, never on the answers
or on the environment object itself (the generated code looks the environment up when it runs). ``diff`` and
``upgrade`` render twice (the kit, and the previous kit to merge against), ``fleet`` renders once per repository,
and each render has a new environment (a new budget clock): they share the code through this cache.

The key holds everything the code depends on: the settings the environment was made with (delimiters, whitespace
handling, finalize, the render budget that compile-time constant folding is checked against), the filters and
tests it knows and how each takes its arguments, and the template's name, file name and full text. A template
that fails to compile is not kept, so it fails the same way again. The cache holds at most ``MAX_SOURCE_CHARS``
characters of template text; past that it starts over, so a hostile pack cannot make it grow without end.
"""

from __future__ import annotations

import threading
from collections.abc import Hashable
from types import CodeType

MAX_SOURCE_CHARS = 64 * 1024 * 1024
"""Most characters of template text whose code is kept (the built-in kit is about 300,000)."""

_lock = threading.Lock()
_codes: dict[Hashable, CodeType] = {}
_chars = 0


def cached(key: Hashable) -> CodeType | None:
    """The code compiled before under ``key``, or None."""
    with _lock:
        return _codes.get(key)


def keep(key: Hashable, code: CodeType, size: int) -> None:
    """Remember ``code`` (compiled from ``size`` characters of text) under ``key``."""
    global _chars
    if size > MAX_SOURCE_CHARS:
        return
    with _lock:
        if _chars + size > MAX_SOURCE_CHARS:
            _codes.clear()
            _chars = 0
        if key not in _codes:
            _codes[key] = code
            _chars += size


def forget() -> None:
    """Drop every kept code (tests use it to compare a cold render with a warm one)."""
    global _chars
    with _lock:
        _codes.clear()
        _chars = 0
