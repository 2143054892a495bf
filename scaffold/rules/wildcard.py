"""``*`` wildcards for the names a policy or an exception writes (paths, action names), matched without regular
expressions: a pattern of many stars against a long hostile name takes time proportional to their product at most,
never the exponential backtracking a translated regex can fall into."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TypeVar

_P = TypeVar("_P")
_T = TypeVar("_T")


def _greedy(
    pattern: Sequence[_P], text: Sequence[_T], is_star: Callable[[_P], bool], one: Callable[[_P, _T], bool]
) -> bool:
    """Whether ``text`` matches ``pattern``, where a star item stands for any run of items (none included) and any
    other pattern item for one item it ``one``-matches. The classic two-pointer walk: on a mismatch, the latest star
    takes one more item."""
    p = t = 0
    star, mark = -1, 0
    while t < len(text):
        if p < len(pattern) and not is_star(pattern[p]) and one(pattern[p], text[t]):
            p, t = p + 1, t + 1
        elif p < len(pattern) and is_star(pattern[p]):
            star, mark, p = p, t, p + 1
        elif star >= 0:
            mark += 1
            p, t = star + 1, mark
        else:
            return False
    while p < len(pattern) and is_star(pattern[p]):
        p += 1
    return p == len(pattern)


def part_matches(pattern: str, text: str) -> bool:
    """Whether one part of a name (no ``/``) matches a pattern part, ``*`` standing for any characters."""
    return _greedy(pattern, text, lambda char: char == "*", str.__eq__)


def path_matches(pattern: str, path: str) -> bool:
    """Whether a ``/``-separated ``path`` matches ``pattern``: ``*`` within a part, a ``**`` part for any number of
    parts (none included)."""
    return _greedy(pattern.split("/"), path.split("/"), lambda part: part == "**", part_matches)
