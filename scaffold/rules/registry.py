"""A rule as the runner uses it, built from its module."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from types import ModuleType
from typing import TYPE_CHECKING

from scaffold.rules.document import Document
from scaffold.rules.model import Confidence, Hit, Kind, Severity
from scaffold.rules.tree import Located, Tree

if TYPE_CHECKING:
    from scaffold.rules.fixes.model import Proposal

SECTIONS = ("What it does", "Why is this bad?", "Example", "Use instead", "References")


def _no_hits(document: Document) -> Iterable[Hit]:
    return ()


@dataclass(frozen=True)
class Rule:
    """A file rule reads one document (``check``) and always runs. A kit rule reads the whole repository
    (``check_tree``) and runs only when the repository must keep one of its ``controls``
    (``scaffold.rules.requirements``). ``controls`` are the ids of ``scaffold.kit.controls`` whose absence or weakening
    the rule detects."""

    id: str
    severity: Severity
    confidence: Confidence
    kinds: frozenset[Kind]
    check: Callable[[Document], Iterable[Hit]]
    doc: str
    fix: Callable[[Document], Iterable[Proposal]] | None = None
    fix_safety: str = ""
    controls: frozenset[str] = frozenset()
    check_tree: Callable[[Tree], Iterable[Located]] | None = None

    @property
    def is_kit_rule(self) -> bool:
        return self.check_tree is not None

    @property
    def summary(self) -> str:
        """The first sentence of "What it does"."""
        body = self.doc.split("## What it does", 1)[-1].strip()
        return body.split(". ", 1)[0].split("\n\n", 1)[0].replace("\n", " ").rstrip(".") + "."


def rule_from_module(module: ModuleType) -> Rule:
    """The rule a module defines: ``check(document)`` for a file rule, ``check_tree(tree)`` for a kit rule."""
    return Rule(
        id=module.ID,
        severity=module.SEVERITY,
        confidence=module.CONFIDENCE,
        kinds=frozenset(module.KINDS),
        check=getattr(module, "check", _no_hits),
        doc=(module.__doc__ or "").strip(),
        fix=getattr(module, "fix", None),
        fix_safety=getattr(module, "FIX_SAFETY", ""),
        controls=frozenset(getattr(module, "CONTROLS", ())),
        check_tree=getattr(module, "check_tree", None),
    )
