"""Rules for Dockerfiles and ``.dockerignore``.

``RULES`` is built when it is first read (a module ``__getattr__``): importing a shared reader of this package
does not import every rule.
"""

from __future__ import annotations

import importlib
from types import ModuleType

_RULE_MODULES = (
    "docker_unpinned_base",
    "docker_latest_tag",
    "docker_root_user",
    "docker_add_url",
    "docker_secret_in_env",
    "docker_curl_pipe_shell",
    "docker_sudo",
    "docker_missing_healthcheck",
    "dockerignore_secrets",
    "docker_apt_hygiene",
    "docker_expose_ssh",
    "docker_shell_form_entrypoint",
    "docker_relative_workdir",
    "docker_pipe_without_pipefail",
)


def __getattr__(name: str) -> tuple[ModuleType, ...]:
    if name == "RULES":
        return tuple(importlib.import_module(f"{__name__}.{module}") for module in _RULE_MODULES)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
