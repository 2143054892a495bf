"""What the policy rules compare: a GitHub action's name with the policy's ``allowed_actions`` patterns, and an
image reference, read the way docker reads it, with its ``allowed_registries``.

An action pattern is ``owner/repo[/path]`` where ``*`` stands for any characters within one part; it allows every
action whose name starts with parts it matches one for one: ``actions/*`` allows ``actions/checkout`` and
``actions/cache/restore``, ``docker/login-action`` allows that repository's actions, never ``docker/login-action2``.
Names are compared in lower case, as GitHub does.

An image reference gets docker's defaults before it is compared: a first part with no dot, no colon and not
``localhost`` is not a registry, so ``python:3.13`` is ``docker.io/library/python`` and ``acme/tool`` is
``docker.io/acme/tool``; ``index.docker.io`` is ``docker.io``; the tag and the digest are dropped. A registry entry
(``host[:port][/path]``) allows the names equal to it or below it at a ``/``: ``ghcr.io/acme`` allows
``ghcr.io/acme/tool``, never ``ghcr.io/acme-evil/tool``. A reference built from variables or expressions has no
name that can be read from the file.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from scaffold.rules.wildcard import part_matches

_ACTION_PATTERN = re.compile(r"[A-Za-z0-9._*-]+(?:/[A-Za-z0-9._*-]+)+")
_REGISTRY = re.compile(r"(?P<host>[a-z0-9-]+(?:\.[a-z0-9-]+)*(?::[0-9]{1,5})?)(?:/[a-z0-9._-]+)*")
_IMAGE_NAME = re.compile(r"[a-z0-9._-]+(?:/[a-z0-9._-]+)*")
_DYNAMIC = re.compile(r"[$`{}\s\\]")
MAX_ENTRY = 200
DOCKER_HUB = "docker.io"


def action_pattern_problem(pattern: str) -> str | None:
    """Why ``pattern`` is not an ``allowed_actions`` entry, or None."""
    if len(pattern) > MAX_ENTRY or not _ACTION_PATTERN.fullmatch(pattern):
        return "must be owner/repo or owner/repo/path, '*' standing for any characters within a part"
    return None


def registry_problem(entry: str) -> str | None:
    """Why ``entry`` is not an ``allowed_registries`` entry, or None."""
    match = _REGISTRY.fullmatch(normal_registry(entry)) if len(entry) <= MAX_ENTRY else None
    host = match.group("host") if match else ""
    if not host or not ("." in host or ":" in host or host == "localhost"):
        return "must be a registry host with an optional path, like harbor.acme.example or docker.io/library"
    return None


def normal_registry(entry: str) -> str:
    """A registry entry as names are compared with it: lower case, docker.io for index.docker.io, no final ``/``."""
    text = entry.strip().lower().rstrip("/")
    host, sep, rest = text.partition("/")
    return (DOCKER_HUB if host == "index.docker.io" else host) + sep + rest


def action_allowed(name: str, patterns: Iterable[str]) -> bool:
    """Whether ``name`` (``owner/repo[/path]``) is allowed by one of ``patterns``."""
    parts = name.lower().split("/")
    for pattern in patterns:
        wanted = pattern.lower().split("/")
        if len(parts) >= len(wanted) and all(map(part_matches, wanted, parts)):
            return True
    return False


def image_name(reference: str) -> str | None:
    """``registry/path`` of an image reference, with docker's defaults and without tag or digest; None when it is
    built from variables or expressions, or is not an image reference at all."""
    text = reference.strip()
    if not text or _DYNAMIC.search(text):
        return None
    name = text.split("@", 1)[0]
    if name.rfind(":") > name.rfind("/"):
        name = name[: name.rfind(":")]
    first, sep, rest = name.partition("/")
    if sep and ("." in first or ":" in first or first == "localhost" or first.lower() != first):
        host, path = first.lower(), rest
    else:
        host, path = DOCKER_HUB, name
    if host == "index.docker.io":
        host = DOCKER_HUB
    if host == DOCKER_HUB and "/" not in path:
        path = f"library/{path}"
    path = path.lower()
    if not _IMAGE_NAME.fullmatch(path) or not _REGISTRY.fullmatch(host):
        return None
    return f"{host}/{path}"


def registry_allowed(name: str, registries: Iterable[str]) -> bool:
    """Whether the image ``name`` (from ``image_name``) is one of ``registries`` or below one at a ``/``."""
    return any(name == entry or name.startswith(entry + "/") for entry in map(normal_registry, registries))
