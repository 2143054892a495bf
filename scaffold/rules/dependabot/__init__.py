"""Rules for Dependabot (``.github/dependabot.yml``)."""

from types import ModuleType

RULES: tuple[ModuleType, ...] = ()
