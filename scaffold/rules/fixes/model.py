"""What a fix proposes: text edits with a safety level, or a note that something found cannot be fixed."""

from __future__ import annotations

import enum
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from scaffold.rules.document import Document


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


Verify = Callable[["Document"], "str | None"]
"""A fix's own check of the fixed file: None when the fix did what it claims there, else why not."""


@dataclass(frozen=True)
class Fix:
    """One change a rule proposes, reported on a 1-based line, with why it is unsafe when it is.

    After the edits are made the engine audits the file again: the rule may find nothing it did not find before,
    each finding message in ``resolves`` must be found fewer times (by default, the rule's findings on ``line``),
    and ``verify`` (when given) must accept the fixed file. A fix that fails is dropped with a note.
    """

    line: int
    message: str
    safety: Safety
    edits: tuple[TextEdit, ...]
    risk: str = ""
    resolves: tuple[str, ...] | None = None
    verify: Verify | None = field(default=None, compare=False)


@dataclass(frozen=True)
class Unfixable:
    """Something the rule's check reports that its fix will not change, and why."""

    line: int
    message: str


Proposal = Fix | Unfixable
