"""Which rules guard each control on each platform: the kit rule of the control and every file rule that names it
in its ``CONTROLS``. The parity test requires a guard for every control a platform can express; org policy and the
drift gate read the same map."""

from __future__ import annotations

from collections.abc import Sequence

from scaffold.kit.controls import PlatformName
from scaffold.rules.catalog import REGISTRY
from scaffold.rules.registry import Rule
from scaffold.rules.requirements import PLATFORM_KINDS


def guards(control: str, platform: PlatformName, rules: Sequence[Rule] = REGISTRY) -> list[Rule]:
    """The rules that find ``control`` missing or weakened in ``platform``'s files."""
    kind = PLATFORM_KINDS[platform]
    return [rule for rule in rules if control in rule.controls and kind in rule.kinds]


def control_of(rule: Rule) -> str:
    """The controls a finding of this rule may weaken, comma-separated, or the rule itself when it guards none."""
    return ", ".join(sorted(rule.controls)) if rule.controls else rule.id
