"""Reading ``.dockerignore`` patterns the way Docker reads them, and the credentials the kit keeps out of the build
context. Shared by the ``dockerignore-secrets`` rule and the tests that hold the kit's conftest policy
(``templates/policy/conftest/dockerignore.rego.j2``) to the same verdicts."""

from __future__ import annotations

import re

__all__ = ["DOCKERIGNORE_REQUIRED", "ignore_covers", "ignore_pattern", "ignore_unescape"]

# Credentials and history that must never reach an image layer: the kit's .dockerignore lists each of them, and
# its conftest policy requires each (the same list as ``dockerignore_required`` there).
DOCKERIGNORE_REQUIRED = (
    ".git",
    ".env",
    ".env.*",
    "*.pem",
    "*.key",
    "*.p12",
    "*.pfx",
    "id_rsa*",
    "id_dsa*",
    "id_ecdsa*",
    "id_ed25519*",
    ".aws",
    ".azure",
    ".config/gcloud",
    ".docker",
    ".npmrc",
    ".pypirc",
    ".netrc",
)

_ESCAPED = re.compile(r"\\(.)")


def ignore_pattern(value: str) -> str:
    """A .dockerignore pattern as Docker reads it: blanks, one leading ``/`` or ``**/`` and a trailing ``/`` dropped."""
    return value.strip().removeprefix("/").removeprefix("**/").removesuffix("/")


def ignore_covers(pattern: str, required: str) -> bool:
    """Whether excluding ``pattern`` excludes everything ``required`` names: the same name, a trailing-``*``
    pattern whose rest is a prefix of it, or a folder that contains it (``.config`` covers ``.config/gcloud``)."""
    return (
        pattern == required
        or (pattern.endswith("*") and required.startswith(pattern[:-1]))
        or (bool(pattern) and required.startswith(pattern + "/"))
    )


def ignore_unescape(value: str) -> str:
    return _ESCAPED.sub(r"\1", value)
