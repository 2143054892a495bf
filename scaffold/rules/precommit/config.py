"""Shared reading of ``.pre-commit-config.yaml`` for the rules: the remote repositories it pulls hooks from."""

from __future__ import annotations

from collections.abc import Iterator

from scaffold.rules.document import Document
from scaffold.rules.yaml_view import YNode

# Not fetched from anywhere: hooks defined in this file (`local`) or by pre-commit itself (`meta`).
BUILTIN = ("local", "meta")


def remote_repos(document: Document) -> Iterator[tuple[str, YNode, YNode]]:
    """Each ``repos:`` entry that names a repository to clone: (its URL, the URL's node, the entry)."""
    root = document.yaml
    section = root.get("repos") if root is not None else None
    for entry in section.elements() if section is not None else []:
        url = entry.get("repo")
        if url is None or url.text is None or url.text.strip() in BUILTIN:
            continue
        yield url.text.strip(), url, entry
