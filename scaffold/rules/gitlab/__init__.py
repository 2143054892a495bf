"""Rules for GitLab CI (``.gitlab-ci.yml``).

``RULES`` is built when it is first read (a module ``__getattr__``): importing a shared reader of this package
does not import every rule.
"""

from __future__ import annotations

import importlib
from types import ModuleType

_RULE_MODULES = (
    "gitlab_unpinned_image",
    "gitlab_unpinned_include",
    "gitlab_include_template",
    "gitlab_unprotected_deploy",
    "gitlab_unneeded_id_token",
    "gitlab_debug_trace",
    "gitlab_curl_pipe_shell",
    "gitlab_secret_in_variables",
    "gitlab_input_expand_vars",
    "gitlab_duplicate_pipelines",
    "gitlab_job_hygiene",
    "gitlab_disabled_scan",
)


def __getattr__(name: str) -> tuple[ModuleType, ...]:
    if name == "RULES":
        return tuple(importlib.import_module(f"{__name__}.{module}") for module in _RULE_MODULES)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
