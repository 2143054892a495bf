"""Rules for GitHub Actions workflows (``.github/workflows/*.yml``)."""

from scaffold.rules.github import (
    artipacked,
    dangerous_triggers,
    excessive_permissions,
    template_injection,
    unpinned_uses,
)

RULES = (unpinned_uses, excessive_permissions, template_injection, dangerous_triggers, artipacked)
