"""The GitHub Actions trigger check: no workflow runs on ``pull_request_target`` or ``workflow_run``, which run with
the base repository's token and secrets on events a fork can cause (zizmor ``dangerous-triggers``). It sits beside
``scaffold.checks.github`` because it is not yet one of ``scaffold.controls``' controls; the kit's conftest policy
``policy/conftest/github_triggers.rego`` enforces the same rule."""

from __future__ import annotations

from typing import Any

import yaml

from scaffold.checks.loading import yaml_document
from scaffold.checks.registry import Check, Files, registrar

__all__ = ["CHECKS", "DANGEROUS_TRIGGERS", "trigger_names"]

CHECKS: dict[str, Check] = {}
control = registrar(CHECKS, (yaml.YAMLError,))

DANGEROUS_TRIGGERS = ("pull_request_target", "workflow_run")


def trigger_names(workflow: dict[Any, Any]) -> set[str]:
    """The workflow's trigger names, whether ``on`` is a string, a list or a mapping. PyYAML reads a bare ``on``
    key as the boolean True."""
    names: set[str] = set()
    for key in (True, "on"):
        on = workflow.get(key)
        if isinstance(on, str):
            names.add(on)
        elif isinstance(on, (list, dict)):
            names.update(str(name) for name in on)
    return names


@control("no-dangerous-triggers")
def no_dangerous_triggers(files: Files) -> list[str]:
    problems = []
    for path, text in files.items():
        if not (path.startswith(".github/workflows/") and path.endswith((".yml", ".yaml"))):
            continue
        workflow = yaml_document(text)
        if not isinstance(workflow, dict):
            continue
        problems += [f"{path} runs on {name}" for name in DANGEROUS_TRIGGERS if name in trigger_names(workflow)]
    return problems
