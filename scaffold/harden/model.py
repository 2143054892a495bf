"""What a fix proposes: text edits with a safety level, or a note that something found cannot be fixed."""

from __future__ import annotations

import enum
from dataclasses import dataclass


class Safety(enum.Enum):
    """A safe fix cannot change what a working pipeline does; an unsafe one might, so it needs ``--fix=all``."""

    SAFE = "safe"
    UNSAFE = "unsafe"


@dataclass(frozen=True, order=True)
class TextEdit:
    """Replace ``text[start:end]`` (character offsets) with ``replacement``; start == end inserts."""

    start: int
    end: int
    replacement: str


@dataclass(frozen=True)
class Fix:
    """One change a rule proposes, reported on a 1-based line, with why it is unsafe when it is."""

    line: int
    message: str
    safety: Safety
    edits: tuple[TextEdit, ...]
    risk: str = ""


@dataclass(frozen=True)
class Unfixable:
    """Something the rule's check reports that its fix will not change, and why."""

    line: int
    message: str


Proposal = Fix | Unfixable
