"""A rule as the runner uses it, built from its module."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from types import ModuleType
from typing import TYPE_CHECKING

from scaffold.audit.document import Document
from scaffold.audit.model import Confidence, Hit, Kind, Severity

if TYPE_CHECKING:
    from scaffold.harden.model import Proposal

SECTIONS = ("What it does", "Why is this bad?", "Example", "Use instead", "References")


@dataclass(frozen=True)
class Rule:
    id: str
    severity: Severity
    confidence: Confidence
    kinds: frozenset[Kind]
    check: Callable[[Document], Iterable[Hit]]
    doc: str
    fix: Callable[[Document], Iterable[Proposal]] | None = None
    fix_safety: str = ""

    @property
    def summary(self) -> str:
        """The first sentence of "What it does"."""
        body = self.doc.split("## What it does", 1)[-1].strip()
        return body.split(". ", 1)[0].split("\n\n", 1)[0].replace("\n", " ").rstrip(".") + "."


def rule_from_module(module: ModuleType) -> Rule:
    return Rule(
        id=module.ID,
        severity=module.SEVERITY,
        confidence=module.CONFIDENCE,
        kinds=frozenset(module.KINDS),
        check=module.check,
        doc=(module.__doc__ or "").strip(),
        fix=getattr(module, "fix", None),
        fix_safety=getattr(module, "FIX_SAFETY", ""),
    )
