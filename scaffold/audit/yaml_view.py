"""A read-only view of a YAML document with positions: rules ask for keys and items and report their lines.

Built on PyYAML's composer, so nothing is constructed or re-dumped, local tags (GitLab's ``!reference``) are
harmless, and every value knows its line and column.
"""

from __future__ import annotations

from dataclasses import dataclass

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode


class _Loader(yaml.SafeLoader):
    pass


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

    def entries(self) -> list[tuple[YNode, YNode]]:
        """(key, value) pairs of a mapping, keys as nodes so their lines are known; empty for anything else."""
        if not isinstance(self.node, MappingNode):
            return []
        return [(YNode(key), YNode(value)) for key, value in self.node.value]

    def items(self) -> list[tuple[str, YNode]]:
        return [(key.text, value) for key, value in self.entries() if key.text is not None]

    def get(self, name: str) -> YNode | None:
        return next((value for key, value in self.items() if key == name), None)

    def key(self, name: str) -> YNode | None:
        """The node of the key itself, to report a finding on the key's line."""
        return next((key for key, _ in self.entries() if key.text == name), None)

    def elements(self) -> list[YNode]:
        return [YNode(item) for item in self.node.value] if isinstance(self.node, SequenceNode) else []

    def walk(self) -> list[YNode]:
        """This node and every node below it, depth first."""
        found = [self]
        for key, value in self.entries():
            found += [key, *value.walk()]
        for item in self.elements():
            found += item.walk()
        return found


def parse(text: str) -> YNode | None:
    """The root of the file's last document (None when it is empty). Raises ``yaml.YAMLError`` for invalid YAML.

    A GitLab CI file may start with a ``spec:`` header document; the pipeline is the document after it.
    """
    roots = [root for root in yaml.compose_all(text, Loader=_Loader) if root is not None]
    return YNode(roots[-1]) if roots else None
