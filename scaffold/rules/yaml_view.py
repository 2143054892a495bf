"""A read-only view of a YAML document with positions: rules ask for keys and items and report their lines.

Built on PyYAML's composer (through the bounded loader of ``scaffold.untrusted.yaml_load``: a depth limit, an
alias-expansion budget, no alias cycles), so nothing is constructed or re-dumped, local tags (GitLab's
``!reference``) are harmless, and every value knows its line and column.

A key written twice in one mapping is read the way GitLab, pre-commit and PyYAML read it: the last value wins, for
``get``, ``key``, ``items`` and ``entries`` alike (``all_entries`` keeps every pair, for the rule that reports the
duplicate). Walks are iterative and visit a node shared through aliases once, so no input makes them recurse
deeply or take exponential time.

Rules ask the same mapping for the same keys many times: each mapping and list wraps its children once, on first
use, and keeps them on the composed node (a ``YNode`` per child, the last-wins pairs and their index by key text),
so a lookup after that is one dictionary read and allocates nothing. Callers get copies of the lists.
"""

from __future__ import annotations

from dataclasses import dataclass

from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from scaffold.untrusted import yaml_load


class AuditLoader(yaml_load.BoundedLoader):
    """The audit's loader: the bounded composer; nothing is constructed."""


_VIEW = "_scaffold_view"  # a collection's children as YNodes, read once and kept on the composed node


class _MappingView:
    """A mapping as its consumers read it, built once: its entries in file order with a repeated key's earlier
    pairs dropped, and the same pairs by key text (the last pair of a key wins)."""

    __slots__ = ("by_text", "pairs")

    def __init__(self, node: MappingNode) -> None:
        pairs: list[tuple[YNode, YNode]] = []
        by_text: dict[str, tuple[YNode, YNode]] = {}
        repeated = False
        for key, value in node.value:
            pair = (YNode(key), YNode(value))
            pairs.append(pair)
            if isinstance(key, ScalarNode):
                text = str(key.value)
                if text in by_text:
                    repeated = True
                    del by_text[text]  # re-inserted last: the dict keeps the winning pairs in file order
                by_text[text] = pair
        if repeated:
            winners = {id(pair) for pair in by_text.values()}
            pairs = [pair for pair in pairs if not isinstance(pair[0].node, ScalarNode) or id(pair) in winners]
        self.pairs = pairs
        self.by_text = by_text


def _mapping_view(node: MappingNode) -> _MappingView:
    view: _MappingView | None = getattr(node, _VIEW, None)
    if view is None:
        view = _MappingView(node)
        setattr(node, _VIEW, view)
    return view


def _elements(node: SequenceNode) -> list[YNode]:
    elements: list[YNode] | None = getattr(node, _VIEW, None)
    if elements is None:
        elements = [YNode(item) for item in node.value]
        setattr(node, _VIEW, elements)
    return elements


@dataclass(frozen=True, slots=True)
class YNode:
    node: Node

    @property
    def line(self) -> int:
        return int(self.node.start_mark.line) + 1

    @property
    def column(self) -> int:
        return int(self.node.start_mark.column) + 1

    @property
    def is_mapping(self) -> bool:
        return isinstance(self.node, MappingNode)

    @property
    def is_sequence(self) -> bool:
        return isinstance(self.node, SequenceNode)

    @property
    def text(self) -> str | None:
        """The scalar's text (``None`` for a mapping or a list). ``true``, ``1`` and ``null`` stay text."""
        return str(self.node.value) if isinstance(self.node, ScalarNode) else None

    def all_entries(self) -> list[tuple[YNode, YNode]]:
        """Every (key, value) pair as written, a repeated key each time; empty for anything but a mapping."""
        if not isinstance(self.node, MappingNode):
            return []
        return [(YNode(key), YNode(value)) for key, value in self.node.value]

    def entries(self) -> list[tuple[YNode, YNode]]:
        """(key, value) pairs of a mapping as its consumers read it (a repeated key: its last pair only), in file
        order, keys as nodes so their lines are known; empty for anything else."""
        return list(_mapping_view(self.node).pairs) if isinstance(self.node, MappingNode) else []

    def items(self) -> list[tuple[str, YNode]]:
        """(key text, value) for the entries whose key is a scalar, in file order."""
        if not isinstance(self.node, MappingNode):
            return []
        return [(text, value) for text, (_, value) in _mapping_view(self.node).by_text.items()]

    def get(self, name: str) -> YNode | None:
        """The value of key ``name`` (its last one when the key is repeated), or None."""
        node = self.node
        if not isinstance(node, MappingNode):
            return None
        found = (getattr(node, _VIEW, None) or _mapping_view(node)).by_text.get(name)
        return found[1] if found is not None else None

    def key(self, name: str) -> YNode | None:
        """The node of the key itself (its last occurrence), to report a finding on the key's line."""
        if not isinstance(self.node, MappingNode):
            return None
        found = _mapping_view(self.node).by_text.get(name)
        return found[0] if found is not None else None

    def elements(self) -> list[YNode]:
        return list(_elements(self.node)) if isinstance(self.node, SequenceNode) else []

    def walk(self) -> list[YNode]:
        """This node and every node below it, depth first in file order; a node shared through aliases once."""
        found: list[YNode] = []
        seen: set[int] = set()
        pending: list[YNode] = [self]
        while pending:
            item = pending.pop()
            node = item.node
            if id(node) in seen:
                continue
            seen.add(id(node))
            found.append(item)
            if isinstance(node, MappingNode):
                for key, value in reversed(_mapping_view(node).pairs):
                    pending += (value, key)
            elif isinstance(node, SequenceNode):
                pending += reversed(_elements(node))
        return found


def parse(text: str) -> YNode | None:
    """The root of the file's last document (None when it is empty). Raises ``yaml.YAMLError`` for invalid YAML,
    and for YAML past the loader's bounds (nesting, alias expansion, alias cycles).

    A GitLab CI file may start with a ``spec:`` header document; the pipeline is the document after it.
    """
    roots = yaml_load.compose_all(text, loader=AuditLoader)
    return YNode(roots[-1]) if roots else None
