"""The kind of a file from its path in the repository: the one place that says which files the rules read."""

from __future__ import annotations

import re
from pathlib import PurePosixPath

from scaffold.rules.model import Kind

_DOCKERFILE = re.compile(r"(?:.+\.)?[Dd]ockerfile(?:\..+)?|Containerfile(?:\..+)?")


def classify(path: str) -> Kind | None:
    """The kind of a repository-relative path, or None when the audit has no rules for it."""
    pure = PurePosixPath(path)
    name = pure.name
    parent = pure.parent.as_posix()
    if parent.endswith(".github/workflows") and name.endswith((".yml", ".yaml")):
        return Kind.WORKFLOW
    if name in ("action.yml", "action.yaml"):
        return Kind.ACTION
    if parent.endswith(".github") and name in ("dependabot.yml", "dependabot.yaml"):
        return Kind.DEPENDABOT
    if name == ".gitlab-ci.yml":
        return Kind.GITLAB_CI
    if name == "Jenkinsfile" or name.startswith("Jenkinsfile.") or name.endswith(".jenkinsfile"):
        return Kind.JENKINSFILE
    if name == ".dockerignore" or name.endswith(".dockerignore"):
        return Kind.DOCKERIGNORE
    if _DOCKERFILE.fullmatch(name):
        return Kind.DOCKERFILE
    if name == ".pre-commit-config.yaml":
        return Kind.PRE_COMMIT
    return None
