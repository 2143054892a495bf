"""Rules for every YAML kind (workflows, dependabot, ``.gitlab-ci.yml``, ``.pre-commit-config.yaml``)."""

from types import ModuleType

from scaffold.rules.common import yaml_duplicate_key

RULES: tuple[ModuleType, ...] = (yaml_duplicate_key,)
