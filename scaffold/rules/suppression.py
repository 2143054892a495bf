"""Inline suppression: ``# scaffold: ignore[rule-id] reason`` on the finding's line or the line above it.

``//`` starts the comment in a Jenkinsfile. Several ids may be listed, comma-separated. The reason is required: a
suppression without one does not suppress, so that every silenced finding says why.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_COMMENT = re.compile(r"(?:#|//)\s*scaffold:\s*ignore\[([a-z0-9,\s-]+)\]\s*(.*)$")


@dataclass(frozen=True)
class Suppression:
    line: int
    rules: frozenset[str]
    reason: str


def suppressions(lines: list[str]) -> dict[int, list[Suppression]]:
    """Suppressions by the line they apply to (their own line and the next one)."""
    found: dict[int, list[Suppression]] = {}
    for number, text in enumerate(lines, start=1):
        match = _COMMENT.search(text)
        if match is None:
            continue
        rules = frozenset(part.strip() for part in match.group(1).split(",") if part.strip())
        item = Suppression(number, rules, match.group(2).strip())
        for line in (number, number + 1):
            found.setdefault(line, []).append(item)
    return found


def suppressed(by_line: dict[int, list[Suppression]], line: int, rule: str) -> bool:
    return any(rule in item.rules and item.reason for item in by_line.get(line, []))
