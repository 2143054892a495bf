"""A read-only view of a YAML document with positions: rules ask for keys and items and report their lines.

Built on PyYAML's composer (through the bounded loader of ``scaffold.untrusted.yaml_load``: a depth limit, an
alias-expansion budget, no alias cycles), so nothing is constructed or re-dumped, local tags (GitLab's
``!reference``) are harmless, and every value knows its line and column.

A key written twice in one mapping is read the way GitLab, pre-commit and PyYAML read it: the last value wins, for
``get``, ``key``, ``items`` and ``entries`` alike (``all_entries`` keeps every pair, for the rule that reports the
duplicate). Walks are iterative and visit a node shared through aliases once, so no input makes them recurse
deeply or take exponential time.
"""

from __future__ import annotations

from dataclasses import dataclass

from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from scaffold.untrusted import yaml_load


class AuditLoader(yaml_load.BoundedLoader):
    """The audit's loader: the bounded composer; nothing is constructed."""


_INDEX = "_scaffold_entries"  # the cached last-wins reading of a mapping, kept on the composed node
_WRAPPED = "_scaffold_wrapped"  # the same entries as YNode pairs
_Index = tuple[list[tuple[Node, Node]], dict[str, tuple[Node, Node]]]


def _index(node: MappingNode) -> _Index:
    """(entries in file order with repeated keys dropped but the last, {key text: (key, value)}), cached."""
    cached = node.__dict__.get(_INDEX)
    if cached is None:
        last: dict[str, int] = {}
        for number, (key, _) in enumerate(node.value):
            if isinstance(key, ScalarNode):
                last[str(key.value)] = number
        entries = [
            (key, value)
            for number, (key, value) in enumerate(node.value)
            if not isinstance(key, ScalarNode) or last[str(key.value)] == number
        ]
        by_text: dict[str, tuple[Node, Node]] = {
            str(key.value): (key, value) for key, value in entries if isinstance(key, ScalarNode)
        }
        cached = (entries, by_text)
        node.__dict__[_INDEX] = cached
    result: _Index = cached
    return result


@dataclass(frozen=True)
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
        if not isinstance(self.node, MappingNode):
            return []
        wrapped = self.node.__dict__.get(_WRAPPED)
        if wrapped is None:  # built once per mapping: rules ask for the same entries many times
            wrapped = [(YNode(key), YNode(value)) for key, value in _index(self.node)[0]]
            self.node.__dict__[_WRAPPED] = wrapped
        return list(wrapped)

    def items(self) -> list[tuple[str, YNode]]:
        return [(key.text, value) for key, value in self.entries() if key.text is not None]

    def get(self, name: str) -> YNode | None:
        """The value of key ``name`` (its last one when the key is repeated), or None."""
        if not isinstance(self.node, MappingNode):
            return None
        found = _index(self.node)[1].get(name)
        return YNode(found[1]) if found is not None else None

    def key(self, name: str) -> YNode | None:
        """The node of the key itself (its last occurrence), to report a finding on the key's line."""
        if not isinstance(self.node, MappingNode):
            return None
        found = _index(self.node)[1].get(name)
        return YNode(found[0]) if found is not None else None

    def elements(self) -> list[YNode]:
        return [YNode(item) for item in self.node.value] if isinstance(self.node, SequenceNode) else []

    def walk(self) -> list[YNode]:
        """This node and every node below it, depth first in file order; a node shared through aliases once."""
        found: list[YNode] = []
        seen: set[int] = set()
        pending: list[Node] = [self.node]
        while pending:
            node = pending.pop()
            if id(node) in seen:
                continue
            seen.add(id(node))
            found.append(YNode(node))
            if isinstance(node, MappingNode):
                for key, value in reversed(_index(node)[0]):
                    pending += [value, key]
            elif isinstance(node, SequenceNode):
                pending += reversed(node.value)
        return found


def parse(text: str) -> YNode | None:
    """The root of the file's last document (None when it is empty). Raises ``yaml.YAMLError`` for invalid YAML,
    and for YAML past the loader's bounds (nesting, alias expansion, alias cycles).

    A GitLab CI file may start with a ``spec:`` header document; the pipeline is the document after it.
    """
    roots = yaml_load.compose_all(text, loader=AuditLoader)
    return YNode(roots[-1]) if roots else None
