"""Rules for Dependabot (``.github/dependabot.yml``).

``RULES`` is built when it is first read (a module ``__getattr__``): importing a shared reader of this package
does not import every rule.
"""

from __future__ import annotations

import importlib
from types import ModuleType

_RULE_MODULES = (
    "dependabot_no_cooldown",
    "dependabot_missing_github_actions",
    "dependabot_missing_docker",
    "dependabot_insecure_execution",
)


def __getattr__(name: str) -> tuple[ModuleType, ...]:
    if name == "RULES":
        return tuple(importlib.import_module(f"{__name__}.{module}") for module in _RULE_MODULES)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
