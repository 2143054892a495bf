"""What ``GITHUB_TOKEN`` scopes a job needs, from ``scaffold/data/permissions.yml``: the scopes of each known
action (some depending on its inputs) and of known ``run:`` commands. A step whose needs are not known makes the
permissions fix for its job unsafe."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from typing import Any

import yaml

from scaffold.rules.yaml_view import YNode

_TOKEN = re.compile(r"github\.token|secrets\.GITHUB_TOKEN", re.IGNORECASE)
_RANK = {"read": 1, "write": 2}


@dataclass
class JobNeeds:
    """The scopes a job needs, what needs each one, and the steps whose needs are unknown."""

    scopes: dict[str, str] = field(default_factory=dict)
    reasons: dict[str, str] = field(default_factory=dict)
    unknown: list[str] = field(default_factory=list)

    def grant(self, scopes: dict[str, str], reason: str) -> None:
        for scope, level in scopes.items():
            if _RANK[level] > _RANK.get(self.scopes.get(scope, ""), 0):
                self.scopes[scope] = level
                self.reasons[scope] = reason

    def lines(self) -> list[str]:
        """The ``permissions:`` entry as block YAML lines, each scope with what needs it in a comment."""
        if not self.scopes:
            return ["permissions: {}"]
        return ["permissions:"] + [
            f"  {scope}: {self.scopes[scope]} # {self.reasons[scope]}" for scope in sorted(self.scopes)
        ]

    def flow(self) -> str:
        """The same scopes as a one-line flow mapping, to replace a scalar such as ``write-all``."""
        return "{" + ", ".join(f"{scope}: {self.scopes[scope]}" for scope in sorted(self.scopes)) + "}"


def job_needs(job: YNode, root: YNode | None = None) -> JobNeeds:
    needs = JobNeeds()
    for owner, where in ((root, "the workflow's"), (job, "the job's")):
        env = owner.get("env") if owner is not None and owner.is_mapping else None
        if env is not None and _mentions_token(env):
            needs.unknown.append(f"{where} env: hands the token to every step")
    called = job.get("uses")
    if called is not None:
        needs.grant({"contents": "read"}, "reusable workflow")
        needs.unknown.append(f"the called workflow {called.text}")
        return needs
    section = job.get("steps")
    for step in section.elements() if section is not None else []:
        uses, script = step.get("uses"), step.get("run")
        if uses is not None and uses.text is not None:
            _action(uses.text, step, needs)
        elif script is not None and script.text is not None:
            _script(script.text, _mentions_token(step), needs)
    return needs


def _action(uses: str, step: YNode, needs: JobNeeds) -> None:
    name = uses.split("@", 1)[0]
    if name.startswith("docker://"):
        if _mentions_token(step):
            needs.unknown.append(f"the container {name} is given the token")
        return
    if _mentions_token(step):
        needs.unknown.append(f"{name} is given the token explicitly, for uses scaffold cannot bound")
    entry = _lookup(name)
    if entry is None:
        needs.unknown.append(f"{name} is not in scaffold's permissions table")
        return
    if "unknown" in entry:
        needs.unknown.append(f"{name}: {entry['unknown']}")
        return
    needs.grant(dict(entry.get("permissions") or {}), name)
    if entry.get("pushes"):
        needs.grant({"contents": "write"}, f"{name} pushes with git")
    inputs = step.get("with")
    for condition in entry.get("when") or []:
        value = inputs.get(condition["input"]) if inputs is not None else None
        if _holds(condition, value.text if value is not None else None):
            given = "without" if "absent" in condition else "with"
            needs.grant(dict(condition["add"]), f"{name} {given} {condition['input']}")


def _holds(condition: dict[str, Any], value: str | None) -> bool:
    if "absent" in condition:
        return value is None
    if "present" in condition:
        return value is not None
    if value is None:
        return False
    if "contains" in condition:
        return str(condition["contains"]) in value
    return value.strip().lower() == str(condition["equals"]).lower()


# Commands that may use the job's token with the remote or the API in ways no pattern can bound.
_TOKEN_USE = re.compile(
    r"\bgit\b[^\n|;&]*\bpush\b|\bgh\s+[\w-]+|\b(?:curl|wget|http|xh)\b[^\n]*(?:GITHUB_TOKEN|GH_TOKEN|github\.token|"
    r"[Aa]uthorization)|\bGH_TOKEN\b|\bGITHUB_TOKEN\b|github\.token"
)


def _script(text: str, uses_token: bool, needs: JobNeeds) -> None:
    token = _TOKEN_USE.search(text)
    if token is not None:
        command = " ".join(token.group(0).split())[:60]
        needs.unknown.append(f"run: {command}: uses the token in ways scaffold cannot bound")
    matched = False
    for pattern in _knowledge()["runs"]:
        found = re.search(pattern["pattern"], text)
        if found:
            matched = True
            command = " ".join(found.group(0).split())
            if "unknown" in pattern:
                needs.unknown.append(f"run: {command}: {pattern['unknown']}")
            else:
                needs.grant(dict(pattern["add"]), f"run: {command}")
    if uses_token and not matched and token is None:
        needs.unknown.append("a run step uses the token for commands scaffold does not know")


def _mentions_token(step: YNode) -> bool:
    return any(node.text is not None and _TOKEN.search(node.text) for node in step.walk())


def _lookup(name: str) -> dict[str, Any] | None:
    """The entry of an action, or of the repository holding it (``owner/repo/path`` falls back to ``owner/repo``)."""
    lowered = _actions()
    parts = name.lower().split("/")
    for size in range(len(parts), 1, -1):
        found = lowered.get("/".join(parts[:size]))
        if found is not None:
            return found
    return None


@cache
def _actions() -> dict[str, dict[str, Any]]:
    return {key.lower(): value for key, value in _knowledge()["actions"].items()}


@cache
def _knowledge() -> dict[str, Any]:
    text = resources.files("scaffold").joinpath("data/permissions.yml").read_text(encoding="utf-8")
    data: dict[str, Any] = yaml.safe_load(text)
    return data


def known(uses: str) -> bool:
    """Whether scaffold's permissions table describes this action (and so whether it drives git)."""
    entry = _lookup(uses.split("@", 1)[0])
    return entry is not None and "unknown" not in entry


def pushes(uses: str) -> bool:
    """Whether the table says this action pushes with the git credentials a checkout stored."""
    entry = _lookup(uses.split("@", 1)[0])
    return bool(entry and entry.get("pushes"))
