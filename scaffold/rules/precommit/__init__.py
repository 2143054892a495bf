"""Rules for ``.pre-commit-config.yaml``."""

from types import ModuleType

RULES: tuple[ModuleType, ...] = ()
