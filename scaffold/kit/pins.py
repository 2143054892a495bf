"""The pins file: every action, pre-commit hook repository, container image and scanner version the kits use.

Each pin carries its version, its commit SHA or image digest, and a sentence saying where it was verified.
Templates refer to pins by name only (``uses('checkout')``), so a pin changes in one place.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from typing import Any, TypeVar

from scaffold.errors import UnsafePackError
from scaffold.kit.shipped import shipped_yaml

_T = TypeVar("_T")

_SHA = re.compile(r"[0-9a-f]{40}")
_DIGEST = re.compile(r"sha256:[0-9a-f]{64}")
_VERSION = re.compile(r"v?[0-9]+(?:\.[0-9]+)*(?:[-+][0-9A-Za-z.-]+)?")


@dataclass(frozen=True)
class ActionPin:
    name: str
    repo: str
    version: str
    sha: str
    verified: str

    def ref(self, path: str = "") -> str:
        """The ``uses:`` value with its version comment: ``owner/repo[/path]@SHA # vX.Y.Z``."""
        sub = f"/{path.strip('/')}" if path else ""
        return f"{self.repo}{sub}@{self.sha} # {self.version}"


@dataclass(frozen=True)
class HookPin:
    name: str
    repo: str
    version: str
    sha: str
    verified: str


@dataclass(frozen=True)
class ImagePin:
    name: str
    image: str
    tag: str
    digest: str
    verified: str

    @property
    def ref(self) -> str:
        """``image:tag@sha256:...``: the tag for humans and Dependabot, the digest for the runtime."""
        return f"{self.image}:{self.tag}@{self.digest}"


@dataclass(frozen=True)
class ToolPin:
    name: str
    version: str
    verified: str


@dataclass(frozen=True)
class Pins:
    actions: dict[str, ActionPin]
    hooks: dict[str, HookPin]
    images: dict[str, ImagePin]
    tools: dict[str, ToolPin]

    def action(self, name: str) -> ActionPin:
        return _lookup(self.actions, "action", name)

    def hook(self, name: str) -> HookPin:
        return _lookup(self.hooks, "hook", name)

    def image(self, name: str) -> ImagePin:
        return _lookup(self.images, "image", name)

    def tool(self, name: str) -> ToolPin:
        return _lookup(self.tools, "tool", name)

    def overlaid(self, other: Pins | None) -> Pins:
        """These pins with ``other``'s added, an entry of ``other`` replacing the one of the same kind and name (a
        pack's own pins file over the built-in one)."""
        if other is None:
            return self
        return Pins(
            {**self.actions, **other.actions},
            {**self.hooks, **other.hooks},
            {**self.images, **other.images},
            {**self.tools, **other.tools},
        )


def _lookup(table: dict[str, _T], kind: str, name: str) -> _T:
    try:
        return table[name]
    except KeyError:
        raise UnsafePackError(f"pins: the template asks for unknown {kind} pin '{name}'") from None


def _require(entry: dict[str, Any], field: str, pattern: re.Pattern[str], where: str) -> str:
    value = entry.get(field)
    if not isinstance(value, str) or not pattern.fullmatch(value):
        raise ValueError(f"pins file: {where}.{field} is missing or malformed: {value!r}")
    return value


def _text(entry: dict[str, Any], field: str, where: str) -> str:
    value = entry.get(field)
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"pins file: {where}.{field} must be a non-empty string")
    return value


def parse_pins(data: dict[str, Any]) -> Pins:
    """Build Pins from the parsed pins file, checking that every SHA, digest and version is well formed."""
    actions = {
        name: ActionPin(
            name,
            _text(e, "repo", f"actions.{name}"),
            _require(e, "version", _VERSION, f"actions.{name}"),
            _require(e, "sha", _SHA, f"actions.{name}"),
            _text(e, "verified", f"actions.{name}"),
        )
        for name, e in data.get("actions", {}).items()
    }
    hooks = {
        name: HookPin(
            name,
            _text(e, "repo", f"hooks.{name}"),
            _require(e, "version", _VERSION, f"hooks.{name}"),
            _require(e, "sha", _SHA, f"hooks.{name}"),
            _text(e, "verified", f"hooks.{name}"),
        )
        for name, e in data.get("hooks", {}).items()
    }
    images = {
        name: ImagePin(
            name,
            _text(e, "image", f"images.{name}"),
            _text(e, "tag", f"images.{name}"),
            _require(e, "digest", _DIGEST, f"images.{name}"),
            _text(e, "verified", f"images.{name}"),
        )
        for name, e in data.get("images", {}).items()
    }
    tools = {
        name: ToolPin(name, _require(e, "version", _VERSION, f"tools.{name}"), _text(e, "verified", f"tools.{name}"))
        for name, e in data.get("tools", {}).items()
    }
    return Pins(actions, hooks, images, tools)


@cache
def load_pins() -> Pins:
    """The pins shipped inside the package (``scaffold/pins.yml``)."""
    return parse_pins(shipped_yaml("pins.yml"))
