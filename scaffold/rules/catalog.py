"""The rule catalogue: one module per file rule, listed explicitly per file kind and gathered in ``REGISTRY``.

Each module defines ``ID`` (kebab-case), ``SEVERITY``, ``CONFIDENCE``, ``KINDS`` (the file kinds it reads) and
``check(document)``, a generator of ``Hit``s. Kit rules (``kit``) and policy rules (``policy_rules``) define
``check_tree(tree)`` instead. A module's docstring is the rule's documentation, in fixed sections
(What it does / Why is this bad? / Example / Use instead / References), and becomes ``docs/checks.md``.

``REGISTRY`` is built from the rule index (``scaffold.rules.index``, generated from the modules by
``scaffold.rules.indexer``) without importing any rule: a rule's module is imported the first time the rule runs or
its documentation is read, so auditing a workflow loads the workflow rules only.
"""

from __future__ import annotations

from scaffold.rules.index import ENTRIES
from scaffold.rules.registry import Rule

__all__ = ["REGISTRY", "Rule"]

REGISTRY: tuple[Rule, ...] = tuple(Rule.indexed(entry) for entry in ENTRIES)
