"""Inline suppression: scaffold's own ``# scaffold: ignore[rule-id] reason`` and zizmor's ``# zizmor: ignore[ident]``.

scaffold's comment applies to its own line and the line below it; ``//`` starts it in a Jenkinsfile. Several ids may
be listed, comma-separated. The reason is required: a suppression without one does not suppress, so that every
silenced finding says why.

zizmor's comment is honoured so that a team moving over keeps its triage: its syntax is zizmor's (exactly
``# zizmor: ignore[a,b]``, optionally followed by whitespace and any text, no reason required, since zizmor asks
for none), and each zizmor ident stands for the scaffold rules of ``ZIZMOR_RULES``; an ident scaffold has no rule
for suppresses nothing. zizmor honours the comment anywhere inside the YAML a finding covers; scaffold's findings
have a line, not a span, so the span is read from the indentation: a comment after content on a line covers that
line and the block below it (``run: | # zizmor: ignore[template-injection]`` covers the script, a comment on a
step's ``- uses:`` line the whole step); a comment alone on its line covers the block of the next line, and, when it
sits inside a list item (a step), that whole item, as zizmor's step-wide span does.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

_COMMENT = re.compile(r"(?:#|//)\s*scaffold:\s*ignore\[([a-z0-9,\s-]+)\]\s*(.*)$")
_ZIZMOR = re.compile(r"(?:^|\s)# zizmor: ignore\[([^\]]+)\](?:\s.*)?$")
# How many (line, suppression) entries zizmor spans may add to one file: nested blocks each holding a comment
# would otherwise cost the square of the file's length. Past it, further zizmor comments suppress only their line.
_SPAN_BUDGET = 200_000

# zizmor's audit idents and the scaffold rules that check the same thing: the one place they are matched, read by
# the suppression above and by the agreement test (tests/audit/test_zizmor_agreement.py, scripts/zizmor_agreement.py).
ZIZMOR_RULES: Mapping[str, tuple[str, ...]] = {
    "adhoc-packages": ("adhoc-install",),
    "archived-uses": ("archived-uses",),
    "artipacked": ("artipacked",),
    "bot-conditions": ("unsound-condition",),
    "cache-poisoning": ("cache-in-release", "cache-poisoning"),
    "concurrency-limits": ("missing-concurrency",),
    "dangerous-triggers": ("dangerous-triggers", "comment-triggers"),
    "dependabot-cooldown": ("dependabot-no-cooldown",),
    "dependabot-execution": ("dependabot-insecure-execution",),
    "excessive-permissions": ("excessive-permissions",),
    "github-env": ("github-env-write",),
    "hardcoded-container-credentials": ("hardcoded-container-credentials",),
    "insecure-commands": ("insecure-runtime-toggle",),
    "insecure-url-scheme": ("precommit-insecure-url",),
    "known-vulnerable-actions": ("known-compromised-action",),
    "overprovisioned-secrets": ("secrets-dump",),
    "secrets-inherit": ("secrets-inherit",),
    "self-hosted-runner": ("self-hosted-pr",),
    "template-injection": ("template-injection",),
    "unpinned-images": ("unpinned-container-image", "unpinned-uses"),  # a step's `uses: docker://...`
    "unpinned-tools": ("adhoc-install",),
    "unpinned-uses": ("unpinned-uses",),
    "unsound-condition": ("unsound-condition",),
    "unsound-contains": ("unsound-condition",),
    "use-trusted-publishing": ("use-trusted-publishing",),
}


@dataclass(frozen=True)
class Suppression:
    line: int
    rules: frozenset[str]
    reason: str
    zizmor: bool = False  # zizmor's comment: honoured without a reason


def suppressions(lines: list[str]) -> dict[int, list[Suppression]]:
    """Suppressions by the line they apply to."""
    found: dict[int, list[Suppression]] = {}
    for number, text in enumerate(lines, start=1):
        match = _COMMENT.search(text) if "scaffold" in text else None  # the comment names scaffold
        if match is None:
            continue
        rules = frozenset(part.strip() for part in match.group(1).split(",") if part.strip())
        item = Suppression(number, rules, match.group(2).strip())
        for line in (number, number + 1):
            found.setdefault(line, []).append(item)
    _add_zizmor(lines, found)
    return found


def scaffold_rules(idents: str) -> frozenset[str]:
    """The scaffold rules a zizmor comment's comma-separated idents stand for."""
    return frozenset(rule for ident in idents.split(",") for rule in ZIZMOR_RULES.get(ident.strip(), ()))


def _add_zizmor(lines: list[str], found: dict[int, list[Suppression]]) -> None:
    budget = _SPAN_BUDGET
    seen: set[tuple[int, int, frozenset[str]]] = set()
    layout: _Layout | None = None
    for number, text in enumerate(lines, start=1):
        match = _ZIZMOR.search(text) if "zizmor" in text else None
        rules = scaffold_rules(match.group(1)) if match else frozenset()
        if match is None or not rules:
            continue
        layout = layout or _Layout(lines)
        item = Suppression(number, rules, "", zizmor=True)
        spans = [(number, number)]
        if budget > 0:
            spans += layout.spans(number, alone=not text[: match.start()].strip())
        for first, last in spans:
            if (first, last, rules) in seen:
                continue
            seen.add((first, last, rules))
            for line in range(first, last + 1):
                found.setdefault(line, []).append(item)
            budget -= last - first + 1


class _Layout:
    """The indentation blocks of a file, read once in linear time: where each line's block ends, the next content
    line after each line, and the innermost content line enclosing each comment line."""

    def __init__(self, lines: list[str]) -> None:
        self.lines = lines
        count = len(lines)
        self.block_end = list(range(count + 1))  # by line number; index 0 unused
        self.following: list[int | None] = [None] * (count + 2)
        self.parent: list[int | None] = [None] * (count + 1)
        open_lines: list[tuple[int, int]] = []  # (indent, line) of the blocks still open, indents increasing
        last_content = 0
        for number, text in enumerate(lines, start=1):
            depth = _indent(text)
            if not _content(text):
                if text.strip():  # a comment line: its enclosing block is the innermost open one less indented
                    self.parent[number] = next((line for indent, line in reversed(open_lines) if indent < depth), None)
                continue
            while open_lines and open_lines[-1][0] >= depth:
                self.block_end[open_lines.pop()[1]] = last_content
            open_lines.append((depth, number))
            last_content = number
        for _, line in open_lines:
            self.block_end[line] = last_content
        upcoming: int | None = None
        for number in range(count, 0, -1):
            self.following[number] = upcoming
            if _content(lines[number - 1]):
                upcoming = number

    def spans(self, number: int, *, alone: bool) -> list[tuple[int, int]]:
        """The line spans a zizmor comment on line ``number`` covers (see the module's docstring)."""
        if not alone:
            return [(number, self.block_end[number])]
        spans = []
        following = self.following[number]
        if following is not None:
            spans.append((following, self.block_end[following]))
        parent = self.parent[number]
        if parent is not None and self.lines[parent - 1].lstrip(" ").startswith("- "):
            spans.append((parent, self.block_end[parent]))
        return spans


def _content(text: str) -> bool:
    stripped = text.strip()
    return bool(stripped) and not stripped.startswith("#")


def _indent(text: str) -> int:
    return len(text) - len(text.lstrip(" "))


def suppressed(by_line: dict[int, list[Suppression]], line: int, rule: str) -> bool:
    return any(rule in item.rules and (item.reason or item.zizmor) for item in by_line.get(line, []))
