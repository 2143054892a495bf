"""Rules for GitLab CI (``.gitlab-ci.yml``)."""

from types import ModuleType

RULES: tuple[ModuleType, ...] = ()
