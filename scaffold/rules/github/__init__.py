"""Rules for GitHub Actions workflows (``.github/workflows/*.yml``)."""

from scaffold.rules.github import (
    artipacked,
    cache_in_release,
    dangerous_triggers,
    excessive_permissions,
    known_compromised_action,
    missing_concurrency,
    missing_timeout,
    secrets_dump,
    secrets_inherit,
    self_hosted_pr,
    template_injection,
    unpinned_uses,
    untrusted_checkout,
)

RULES = (
    unpinned_uses,
    known_compromised_action,
    excessive_permissions,
    template_injection,
    dangerous_triggers,
    untrusted_checkout,
    artipacked,
    secrets_inherit,
    secrets_dump,
    cache_in_release,
    self_hosted_pr,
    missing_timeout,
    missing_concurrency,
)
