"""Policy rules: the org policy's allow lists (``scaffold.rules.policy``), over the whole repository.

They run only when a policy in force sets their list (``Requirements.allowed_actions``,
``Requirements.allowed_registries``), the way a kit rule runs only for a required control, and the repository's
own settings and ignore comments cannot switch them off.
"""

from __future__ import annotations

from types import ModuleType

from scaffold.rules.policy_rules import policy_action_not_allowed, policy_registry_not_allowed

RULES: tuple[ModuleType, ...] = (policy_action_not_allowed, policy_registry_not_allowed)
IDS: frozenset[str] = frozenset(module.ID for module in RULES)
