"""``scaffold pins update``: bring a pins file (the built-in kit's or a pack's) to the newest verified releases.

Every action and hook moves to the newest release of its own major line (``v7.0.1`` may become ``v7.2.0``, never
``v8``: a new major changes inputs) that the live source accepts: the tag's commit now, in the history of the
repository's branches and tags, older than the cooldown and on no advisory. Every image keeps its tag and gets the
digest the registry serves for it now. Each changed entry's ``verified`` line says where and when it was checked.
The file is edited in place, span by span, so its comments and layout stay. Because the edits go where each value
is written, a file where that is ambiguous is refused: an entry or value that is a YAML alias of another (the edit
would land in the anchor, twice), or a key written twice (the edit would change one spelling while every loader
keeps the last).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Protocol

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode

from scaffold.errors import UsageError
from scaffold.resolve.model import Pinned, Refused, Resolution
from scaffold.rules.fixes.edits import apply
from scaffold.rules.fixes.model import TextEdit
from scaffold.untrusted.text import shown
from scaffold.untrusted.yaml_load import compose

_SHA = re.compile(r"[0-9a-f]{40}")
_DIGEST = re.compile(r"sha256:[0-9a-f]{64}")
_VERSION = re.compile(r"(v?)([0-9]+)(?:\.([0-9]+))?")


class ReleaseSource(Protocol):
    """What the update needs of a live source (``scaffold.resolve.live.LiveSource``)."""

    def newest_release(self, url: str, prefix: str) -> Resolution: ...

    def image(self, reference: str) -> Resolution: ...


@dataclass(frozen=True)
class Change:
    entry: str
    """``actions.checkout``, ``hooks.gitleaks``, ``images.python``."""
    old: str
    new: str


@dataclass
class UpdateResult:
    text: str
    changes: list[Change] = field(default_factory=list)
    refused: list[tuple[str, str]] = field(default_factory=list)
    """(entry, reason) for each entry that could not be checked or moved."""
    advised: list[tuple[str, str]] = field(default_factory=list)
    """(entry, advisory) for each entry whose pinned commit, before the update, is on the advisory list."""
    checked: int = 0
    """How many entries were looked up (actions, hooks and images; tools are not)."""


@dataclass(frozen=True)
class _Entry:
    section: str
    name: str
    node: MappingNode

    @property
    def label(self) -> str:
        return f"{self.section}.{self.name}"

    def scalar(self, key: str) -> ScalarNode | None:
        for key_node, value in self.node.value:
            if isinstance(key_node, ScalarNode) and key_node.value == key and isinstance(value, ScalarNode):
                return value
        return None

    def text(self, key: str) -> str:
        found = self.scalar(key)
        if found is None or not isinstance(found.value, str) or not found.value.strip():
            raise UsageError(f"pins file: {self.label}.{key}: is missing or not a string")
        return found.value


def major_line(version: str) -> str:
    """The release line a version stays on: ``v7.0.1`` → ``v7``; a 0.x version keeps its minor (``v0.24.0`` →
    ``v0.24``), since a 0.x minor may break as a major does."""
    match = _VERSION.match(version)
    if match is None:
        raise UsageError(f"pins file: version '{shown(version)}' does not start with a release number")
    prefix, major, minor = match.groups()
    if major == "0" and minor is not None:
        return f"{prefix}0.{minor}"
    return f"{prefix}{major}"


def update_text(
    text: str,
    source: ReleaseSource,
    *,
    action_forge: str,
    advisory: AdvisoryLookup,
    when: str,
) -> UpdateResult:
    """The pins file ``text`` with every entry brought up to date; raises UsageError for a malformed file.

    ``action_forge`` is where ``owner/repo`` actions live; ``advisory(sha)`` names the advisory a commit is on, or
    None; ``when`` (a date) goes into each changed ``verified`` line.
    """
    result = UpdateResult(text)
    edits: list[TextEdit] = []
    for entry in list(_entries(text)):  # the whole file's shape is checked before any entry is looked up
        if entry.section in ("actions", "hooks"):
            result.checked += 1
            edits += _update_commit(entry, source, action_forge, advisory, when, result)
        elif entry.section == "images":
            result.checked += 1
            edits += _update_image(entry, source, when, result)
    result.text = apply(text, edits)
    return result


class AdvisoryLookup(Protocol):
    def __call__(self, sha: str) -> str | None: ...


def _update_commit(
    entry: _Entry,
    source: ReleaseSource,
    forge: str,
    advisory: AdvisoryLookup,
    when: str,
    result: UpdateResult,
) -> list[TextEdit]:
    repo, version, sha = entry.text("repo"), entry.text("version"), entry.text("sha")
    if not _SHA.fullmatch(sha):
        raise UsageError(f"pins file: {entry.label}.sha: is not a 40-character commit SHA")
    named = advisory(sha)
    if named is not None:
        result.advised.append((entry.label, named))
    url = repo if "://" in repo else f"{forge.rstrip('/')}/{repo}"
    found = source.newest_release(url, major_line(version))
    if isinstance(found, Refused):
        result.refused.append((entry.label, found.reason))
        return []
    if not _SHA.fullmatch(found.value):
        result.refused.append((entry.label, f"the source gave '{shown(found.value)}', not a commit SHA"))
        return []
    if found.value == sha and found.version == version:
        return []
    result.changes.append(Change(entry.label, f"{version} {sha[:12]}", f"{found.version} {found.value[:12]}"))
    return [
        *_replace(entry, "version", found.version),
        *_replace(entry, "sha", found.value),
        *_replace(entry, "verified", _verified(found, when)),
    ]


def _update_image(entry: _Entry, source: ReleaseSource, when: str, result: UpdateResult) -> list[TextEdit]:
    image, tag, digest = entry.text("image"), entry.text("tag"), entry.text("digest")
    found = source.image(f"{image}:{tag}")
    if isinstance(found, Refused):
        result.refused.append((entry.label, found.reason))
        return []
    if not _DIGEST.fullmatch(found.value):
        result.refused.append((entry.label, f"the registry gave '{shown(found.value)}', not a sha256 digest"))
        return []
    if found.value == digest:
        return []
    result.changes.append(Change(entry.label, f"{tag} {digest[:19]}", f"{tag} {found.value[:19]}"))
    return [*_replace(entry, "digest", found.value), *_replace(entry, "verified", _verified(found, when))]


def _verified(found: Pinned, when: str) -> str:
    line = f"scaffold pins update on {when}: {found.source}"
    return f"{line}; {found.note}" if found.note else line


def _replace(entry: _Entry, key: str, value: str) -> list[TextEdit]:
    node = entry.scalar(key)
    if node is None:
        raise UsageError(f"pins file: {entry.label}.{key}: is missing")
    start, end = node.start_mark.index, node.end_mark.index
    if node.style in ("|", ">"):
        raise UsageError(f"pins file: {entry.label}.{key}: a block scalar cannot be updated in place")
    plain = key != "verified" and re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._:+-]*", value) is not None
    return [TextEdit(start, end, value if plain else json.dumps(value, ensure_ascii=True))]


def _entries(text: str) -> Iterator[_Entry]:
    try:
        root = compose(text)
    except yaml.YAMLError as error:
        raise UsageError(f"pins file: is not valid YAML: {shown(str(error).splitlines()[0], 120)}") from None
    if not isinstance(root, MappingNode):
        raise UsageError("pins file: must be a mapping of sections (actions, hooks, images, tools)")
    seen: set[int] = set()
    _once_each(root, "pins file: ")
    for section_key, section in root.value:
        name = _key(section_key)
        if name not in ("actions", "hooks", "images", "tools"):
            raise UsageError(f"pins file: {shown(name)}: is not a section (actions, hooks, images or tools)")
        if not isinstance(section, MappingNode):
            raise UsageError(f"pins file: {name}: must map names to entries")
        _unaliased(section, name, seen, deep=False)
        _once_each(section, f"pins file: {name}.")
        for entry_key, entry in section.value:
            label = f"{name}.{shown(_key(entry_key))}"
            if not isinstance(entry, MappingNode):
                raise UsageError(f"pins file: {label}: must be a mapping")
            _unaliased(entry, label, seen)
            _once_each(entry, f"pins file: {label}.")
            yield _Entry(name, _key(entry_key), entry)


def _unaliased(node: Node, label: str, seen: set[int], *, deep: bool = True) -> None:
    """Refuse ``node`` when it, or (``deep``) any node inside it, was met before: a YAML alias (``*x``) is the very
    node its anchor (``&x``) names, so an update would edit the anchor's text once for each place that uses it."""
    stack = [node]
    while stack:
        current = stack.pop()
        if id(current) in seen:
            raise UsageError(
                f"pins file: {label}: is or holds a YAML alias (*name) of another part of the file; "
                "write each entry out in full"
            )
        seen.add(id(current))
        if not deep:
            return
        if isinstance(current, MappingNode):
            stack.extend(part for pair in current.value for part in pair)
        elif isinstance(current.value, list):
            stack.extend(child for child in current.value if isinstance(child, Node))


def _once_each(mapping: MappingNode, prefix: str) -> None:
    """Refuse a key written twice in ``mapping``: the update would edit the first while every loader keeps the last."""
    keys: set[str] = set()
    for key_node, _value in mapping.value:
        key = _key(key_node)
        if key in keys:
            raise UsageError(f"{prefix}{shown(key)}: is written twice; keep one")
        keys.add(key)


def _key(node: Node) -> str:
    return str(node.value) if isinstance(node, ScalarNode) else "?"
