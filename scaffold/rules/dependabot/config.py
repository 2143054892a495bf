"""Shared reading of ``.github/dependabot.yml`` for the rules: its update entries and how to name them.

Dependabot rejects YAML aliases ("YAML aliases are not supported", dependabot-core#1582), so merge keys are not
followed: every setting is read from the entry itself.
"""

from __future__ import annotations

from collections.abc import Iterator

from scaffold.rules.document import Document
from scaffold.rules.yaml_view import YNode


def updates(document: Document) -> Iterator[YNode]:
    """Each entry of ``updates:`` that is a mapping."""
    root = document.yaml
    section = root.get("updates") if root is not None else None
    for entry in section.elements() if section is not None else []:
        if entry.is_mapping:
            yield entry


def ecosystem(entry: YNode) -> str | None:
    node = entry.get("package-ecosystem")
    return node.text.strip().lower() if node is not None and node.text is not None else None


def label(entry: YNode) -> str:
    """How messages name an entry: ``pip updates in /`` (or ``in /a, /b`` for ``directories:``)."""
    name = f"{found} updates" if (found := ecosystem(entry)) else "updates entry"
    single = entry.get("directory")
    many = entry.get("directories")
    if single is not None and single.text is not None:
        folders = [single.text]
    elif many is not None:
        folders = [item.text for item in many.elements() if item.text is not None]
    else:
        folders = []
    return f"{name} in {', '.join(folders)}" if folders else name
