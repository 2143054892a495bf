"""Rules for Jenkinsfiles (declarative and scripted pipelines).

``RULES`` is built when it is first read (a module ``__getattr__``): importing a shared reader of this package
does not import every rule.
"""

from __future__ import annotations

import importlib
from types import ModuleType

_RULE_MODULES = (
    "jenkins_agent_any",
    "jenkins_groovy_credential_interpolation",
    "jenkins_missing_timeout",
    "jenkins_unpinned_library",
    "jenkins_unpinned_agent_image",
    "jenkins_credentials_around_build",
    "jenkins_disabled_scan",
)


def __getattr__(name: str) -> tuple[ModuleType, ...]:
    if name == "RULES":
        return tuple(importlib.import_module(f"{__name__}.{module}") for module in _RULE_MODULES)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
