"""Policy rules: the org policy's allow lists (``scaffold.rules.policy``), over the whole repository.

They run only when a policy in force sets their list (``Requirements.allowed_actions``,
``Requirements.allowed_registries``), the way a kit rule runs only for a required control, and the repository's
own settings and ignore comments cannot switch them off.

No rule is imported here: the runner loads a policy rule only when its list is set (``READS``, which the rule index
copies), and ``scaffold.rules.policy`` reads ``IDS`` from the index.
"""

from __future__ import annotations

from scaffold.rules.index import ENTRIES

READS: dict[str, str] = {
    "scaffold.rules.policy_rules.policy_action_not_allowed": "allowed_actions",
    "scaffold.rules.policy_rules.policy_registry_not_allowed": "allowed_registries",
}
"""Each policy rule's module, and the allow list of ``Requirements`` it reads: without it the rule finds nothing."""

IDS: frozenset[str] = frozenset(entry.id for entry in ENTRIES if entry.module in READS)
