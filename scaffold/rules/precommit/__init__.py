"""Rules for ``.pre-commit-config.yaml``.

``RULES`` is built when it is first read (a module ``__getattr__``): importing a shared reader of this package
does not import every rule.
"""

from __future__ import annotations

import importlib
from types import ModuleType

_RULE_MODULES = (
    "precommit_mutable_rev",
    "precommit_insecure_url",
    "precommit_missing_secret_scan",
)


def __getattr__(name: str) -> tuple[ModuleType, ...]:
    if name == "RULES":
        return tuple(importlib.import_module(f"{__name__}.{module}") for module in _RULE_MODULES)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
