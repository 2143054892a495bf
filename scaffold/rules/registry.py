"""A rule as the runner uses it: built from its module, or from its row of the rule index and loaded on first use."""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any, NamedTuple

from scaffold.rules.model import Confidence, Hit, Kind, Severity

if TYPE_CHECKING:
    from types import ModuleType

    from scaffold.rules.document import Document
    from scaffold.rules.fixes.model import Proposal
    from scaffold.rules.tree import Located, Tree

SECTIONS = ("What it does", "Why is this bad?", "Example", "Use instead", "References")


def _no_hits(document: Document) -> Iterable[Hit]:
    return ()


class Entry(NamedTuple):
    """One row of the rule index (``scaffold.rules.index``): what the runner, the settings and the reports need to
    know of a rule without importing it. ``module`` defines the rule (its ``ID``), or lists it in its ``RULES`` (the
    kit rules). ``reads`` names the allow list of ``Requirements`` a policy rule reads: without it the rule finds
    nothing, so it is not even loaded."""

    id: str
    module: str
    severity: Severity
    confidence: Confidence
    kinds: tuple[Kind, ...]
    controls: tuple[str, ...] = ()
    fix_safety: str = ""
    has_fix: bool = False
    tree: bool = False
    reads: str = ""


class _Code(NamedTuple):
    """What only importing a rule's module gives: its functions and its documentation."""

    check: Callable[[Document], Iterable[Hit]]
    doc: str
    fix: Callable[[Document], Iterable[Proposal]] | None
    check_tree: Callable[[Tree], Iterable[Located]] | None


class Rule:
    """A file rule reads one document (``check``) and always runs. A kit rule reads the whole repository
    (``check_tree``) and runs only when the repository must keep one of its ``controls``
    (``scaffold.rules.requirements``). ``controls`` are the ids of ``scaffold.kit.controls`` whose absence or weakening
    the rule detects.

    A rule of the catalogue comes from the rule index (``Rule.indexed``): its id, kinds, severity and the rest are
    known at once, and its module is imported the first time ``check``, ``doc``, ``fix`` or ``check_tree`` is read,
    so an audit loads only the rules of the file kinds it reads. Rules are immutable."""

    __slots__ = (
        "_code",
        "_has_fix",
        "_module",
        "_tree",
        "confidence",
        "controls",
        "fix_safety",
        "id",
        "kinds",
        "reads",
        "severity",
    )

    id: str
    severity: Severity
    confidence: Confidence
    kinds: frozenset[Kind]
    fix_safety: str
    controls: frozenset[str]
    reads: str
    _has_fix: bool
    _tree: bool
    _code: _Code | None
    _module: str

    def __init__(
        self,
        id: str,
        severity: Severity,
        confidence: Confidence,
        kinds: frozenset[Kind],
        check: Callable[[Document], Iterable[Hit]],
        doc: str,
        fix: Callable[[Document], Iterable[Proposal]] | None = None,
        fix_safety: str = "",
        controls: frozenset[str] = frozenset(),
        check_tree: Callable[[Tree], Iterable[Located]] | None = None,
    ) -> None:
        self._set(id, severity, confidence, kinds, fix_safety, controls, fix is not None, check_tree is not None)
        object.__setattr__(self, "_code", _Code(check, doc, fix, check_tree))
        object.__setattr__(self, "_module", "")

    @classmethod
    def indexed(cls, entry: Entry) -> Rule:
        """The rule an index row describes; its module is imported when its code or documentation is first read."""
        rule = cls.__new__(cls)
        rule._set(
            entry.id,
            entry.severity,
            entry.confidence,
            frozenset(entry.kinds),
            entry.fix_safety,
            frozenset(entry.controls),
            entry.has_fix,
            entry.tree,
            entry.reads,
        )
        object.__setattr__(rule, "_code", None)
        object.__setattr__(rule, "_module", entry.module)
        return rule

    def _set(
        self,
        id: str,
        severity: Severity,
        confidence: Confidence,
        kinds: frozenset[Kind],
        fix_safety: str,
        controls: frozenset[str],
        has_fix: bool,
        tree: bool,
        reads: str = "",
    ) -> None:
        for name, value in (
            ("id", id),
            ("severity", severity),
            ("confidence", confidence),
            ("kinds", kinds),
            ("fix_safety", fix_safety),
            ("controls", controls),
            ("reads", reads),
            ("_has_fix", has_fix),
            ("_tree", tree),
        ):
            object.__setattr__(self, name, value)

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError(f"a rule is immutable: cannot set {name}")

    def __delattr__(self, name: str) -> None:
        raise AttributeError(f"a rule is immutable: cannot delete {name}")

    def __repr__(self) -> str:
        return f"Rule({self.id!r})"

    @property
    def check(self) -> Callable[[Document], Iterable[Hit]]:
        return self._loaded().check

    @property
    def doc(self) -> str:
        return self._loaded().doc

    @property
    def fix(self) -> Callable[[Document], Iterable[Proposal]] | None:
        return self._loaded().fix if self._has_fix else None

    @property
    def check_tree(self) -> Callable[[Tree], Iterable[Located]] | None:
        return self._loaded().check_tree if self._tree else None

    @property
    def is_kit_rule(self) -> bool:
        return self._tree

    @property
    def loaded(self) -> bool:
        """Whether the rule's module has been imported (always, for a rule built from its functions)."""
        return self._code is not None

    @property
    def summary(self) -> str:
        """The first sentence of "What it does"."""
        body = self.doc.split("## What it does", 1)[-1].strip()
        return body.split(". ", 1)[0].split("\n\n", 1)[0].replace("\n", " ").rstrip(".") + "."

    def _loaded(self) -> _Code:
        code = self._code
        if code is None:
            module = importlib.import_module(self._module)
            code = _code_of(module) if getattr(module, "ID", None) == self.id else _listed(module, self.id)._loaded()
            object.__setattr__(self, "_code", code)
        return code


def _listed(module: ModuleType, rule_id: str) -> Rule:
    """The rule ``rule_id`` among the ``RULES`` a module lists (the kit rules, built from the controls)."""
    for rule in getattr(module, "RULES", ()):
        if isinstance(rule, Rule) and rule.id == rule_id:
            return rule
    raise LookupError(f"{module.__name__} defines no rule {rule_id}: regenerate scaffold/rules/index.py")


def _code_of(module: ModuleType) -> _Code:
    return _Code(
        getattr(module, "check", _no_hits),
        (module.__doc__ or "").strip(),
        getattr(module, "fix", None),
        getattr(module, "check_tree", None),
    )


def rule_from_module(module: ModuleType) -> Rule:
    """The rule a module defines: ``check(document)`` for a file rule, ``check_tree(tree)`` for a kit rule."""
    code = _code_of(module)
    return Rule(
        id=module.ID,
        severity=module.SEVERITY,
        confidence=module.CONFIDENCE,
        kinds=frozenset(module.KINDS),
        check=code.check,
        doc=code.doc,
        fix=code.fix,
        fix_safety=getattr(module, "FIX_SAFETY", ""),
        controls=frozenset(getattr(module, "CONTROLS", ())),
        check_tree=code.check_tree,
    )
