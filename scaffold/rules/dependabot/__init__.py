"""Rules for Dependabot (``.github/dependabot.yml``)."""

from types import ModuleType

from scaffold.rules.dependabot import (
    dependabot_insecure_execution,
    dependabot_missing_docker,
    dependabot_missing_github_actions,
    dependabot_no_cooldown,
)

RULES: tuple[ModuleType, ...] = (
    dependabot_no_cooldown,
    dependabot_missing_github_actions,
    dependabot_missing_docker,
    dependabot_insecure_execution,
)
