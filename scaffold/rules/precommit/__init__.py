"""Rules for ``.pre-commit-config.yaml``."""

from types import ModuleType

from scaffold.rules.precommit import precommit_insecure_url, precommit_missing_secret_scan, precommit_mutable_rev

RULES: tuple[ModuleType, ...] = (precommit_mutable_rev, precommit_insecure_url, precommit_missing_secret_scan)
