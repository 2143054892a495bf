"""Readings of a workflow that several rules ask for, computed once per document or per YAML node.

A document and the YAML view of it never change once parsed, so what is read from them can be kept with them and
handed out again: the jobs, each job's steps, each script's lines. What is kept is immutable (tuples of frozen
values), so no rule can change what another one reads. A document's store lives and dies with the document; a value
read from a node (``per_node``) depends on that node's subtree alone and is kept on the node, as ``yaml_view`` keeps
its own index of a mapping.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from typing import Any, TypeVar

from scaffold.rules.document import Document
from scaffold.rules.yaml_view import YNode

T = TypeVar("T")

_STORE = "_scaffold_github_memo"  # the key of a document's store in its __dict__


def per_document(document: Document, key: Hashable, build: Callable[[], T]) -> T:
    """``build()`` the first time ``key`` is asked of this document, the same value after that.

    ``key`` names what is read and from which of the document's nodes (hold the node itself, not its ``id``: a
    node of another document can never share its key)."""
    store: dict[Hashable, Any] = document.__dict__.setdefault(_STORE, {})
    try:
        found: T = store[key]
    except KeyError:
        found = store[key] = build()
    return found


def per_node(node: YNode, key: str, build: Callable[[], T]) -> T:
    """``build()`` the first time ``key`` is asked of this node, the same value after that (for what depends on the
    node's own subtree only)."""
    store = node.node.__dict__
    try:
        found: T = store[key]
    except KeyError:
        found = store[key] = build()
    return found
