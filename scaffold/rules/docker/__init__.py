"""Rules for Dockerfiles and ``.dockerignore``."""

from types import ModuleType

RULES: tuple[ModuleType, ...] = ()
