"""The rule catalogue: one module per file rule, listed explicitly per file kind and gathered in ``REGISTRY``.

Each module defines ``ID`` (kebab-case), ``SEVERITY``, ``CONFIDENCE``, ``KINDS`` (the file kinds it reads) and
``check(document)``, a generator of ``Hit``s. Kit rules (``kit``) and policy rules (``policy_rules``) define
``check_tree(tree)`` instead. A module's docstring is the rule's documentation, in fixed sections
(What it does / Why is this bad? / Example / Use instead / References), and becomes ``docs/checks.md``.
"""

from __future__ import annotations

from scaffold.rules import common, dependabot, docker, github, gitlab, jenkins, kit, policy_rules, precommit
from scaffold.rules.registry import Rule, rule_from_module

__all__ = ["REGISTRY", "Rule"]

REGISTRY: tuple[Rule, ...] = (
    *(
        rule_from_module(module)
        for kind in (github, gitlab, jenkins, docker, precommit, dependabot, common)
        for module in kind.RULES
    ),
    *kit.RULES,
    *(rule_from_module(module) for module in policy_rules.RULES),
)
