"""The audit rules: one module per rule, listed explicitly in ``REGISTRY``.

Each module defines ``ID`` (kebab-case), ``SEVERITY``, ``CONFIDENCE``, ``KINDS`` (the file kinds it reads) and
``check(document)``, a generator of ``Hit``s. Its docstring is the rule's documentation, in fixed sections
(What it does / Why is this bad? / Example / Use instead / References), and becomes ``docs/checks.md``.
"""

from __future__ import annotations

from scaffold.rules.github import (
    artipacked,
    dangerous_triggers,
    excessive_permissions,
    template_injection,
    unpinned_uses,
)
from scaffold.rules.registry import Rule, rule_from_module

__all__ = ["REGISTRY", "Rule"]

REGISTRY: tuple[Rule, ...] = tuple(
    rule_from_module(module)
    for module in (
        unpinned_uses,
        excessive_permissions,
        template_injection,
        dangerous_triggers,
        artipacked,
    )
)
