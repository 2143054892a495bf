"""Rules for Jenkinsfiles."""

from types import ModuleType

RULES: tuple[ModuleType, ...] = ()
