"""YAML from untrusted text, composed and constructed within bounds.

PyYAML on its own turns a few hundred bytes into a hang or a crash: aliases that refer to aliases expand
exponentially for anything that walks the result (a "billion laughs"), an alias inside its own anchor makes a
cycle, deep nesting exhausts the recursion limit, and an integer of more than 4,300 digits or a date such as
2020-02-30 raises ``ValueError`` instead of a YAML error. ``BoundedLoader`` refuses each of these with a
``yaml.YAMLError`` that names the line, so every caller needs to handle one kind of error only.

Events come from libyaml's C parser when PyYAML was built with it (else from PyYAML's own parser); nodes are always
composed here in Python, so the bounds hold either way. libyaml reads YAML as GitLab (Ruby's Psych) and pre-commit
(PyYAML's C loader) do, counts lines and characters as PyYAML does, and is several times faster on large files.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import yaml
from yaml.composer import Composer
from yaml.constructor import SafeConstructor
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode
from yaml.parser import Parser
from yaml.reader import Reader
from yaml.resolver import Resolver
from yaml.scanner import Scanner

MAX_DEPTH = 100
"""Deepest nesting of lists and mappings accepted; real CI files stay well under 20."""

ALIAS_BUDGET = 100_000
"""How many nodes aliases may add to a document once expanded, beyond the nodes written out in it. A long scalar
weighs one node per ``_SCALAR_UNIT`` characters, so aliases repeating one large value are bounded too."""

_SCALAR_UNIT = 80


class YAMLLimitError(yaml.YAMLError):
    """The document is valid YAML but exceeds a bound (depth, alias expansion, a cycle, a value out of range)."""

    def __init__(self, problem: str, mark: Any = None) -> None:
        self.problem = problem
        self.problem_mark = mark
        where = f" at line {mark.line + 1}" if mark is not None else ""
        super().__init__(f"{problem}{where}")


class _PythonParser(Reader, Scanner, Parser):
    def __init__(self, stream: Any) -> None:
        Reader.__init__(self, stream)
        Scanner.__init__(self)
        Parser.__init__(self)


_Parser: type = _PythonParser
if yaml.__with_libyaml__:
    _Parser = yaml.cyaml.CParser  # type: ignore[attr-defined]


class BoundedLoader(Composer, _Parser, SafeConstructor, Resolver):  # type: ignore[misc]
    """A safe loader with a depth limit, an alias-expansion budget and no exceptions but ``yaml.YAMLError``."""

    def __init__(self, stream: Any) -> None:
        _Parser.__init__(self, stream)  # type: ignore[misc]
        Composer.__init__(self)
        SafeConstructor.__init__(self)
        Resolver.__init__(self)
        self._depth = 0
        self._written = 0
        self._expanded: dict[int, int] = {}

    def compose_document(self) -> Node | None:
        self._written = 0
        self._expanded = {}
        return super().compose_document()

    def compose_node(self, parent: Node | None, index: Any) -> Node | None:
        event: yaml.Event = self.peek_event()
        if isinstance(event, yaml.AliasEvent):
            node = super().compose_node(parent, index)
            if node is not None and id(node) not in self._expanded:
                raise YAMLLimitError(f"alias *{event.anchor} refers to a node that contains it", event.start_mark)
            return node
        self._depth += 1
        if self._depth > MAX_DEPTH:
            raise YAMLLimitError(f"nested deeper than {MAX_DEPTH} levels", event.start_mark)
        try:
            node = super().compose_node(parent, index)
        finally:
            self._depth -= 1
        if node is None:
            return None
        if isinstance(node, ScalarNode) and node.style == "":
            node.style = None  # plain, spelled as PyYAML's own parser spells it
        own = 1 + len(node.value) // _SCALAR_UNIT if isinstance(node, ScalarNode) else 1
        self._written += own
        size = own + sum(self._expanded.get(id(child), 1) for child in _children(node))
        self._expanded[id(node)] = size
        if size > self._written + ALIAS_BUDGET:
            raise YAMLLimitError(f"aliases expand to more than {ALIAS_BUDGET} extra nodes", node.start_mark)
        return node

    def construct_object(self, node: Node, deep: bool = False) -> Any:
        try:
            return super().construct_object(node, deep)
        except (ValueError, OverflowError, IndexError, TypeError, KeyError, AttributeError) as error:
            raise YAMLLimitError(f"value cannot be read: {_first_line(error)}", node.start_mark) from None


def _children(node: Node) -> list[Node]:
    if isinstance(node, SequenceNode):
        return list(node.value)
    if isinstance(node, MappingNode):
        return [part for pair in node.value for part in pair]
    return []


def _first_line(error: Exception) -> str:
    text = str(error).strip().splitlines()
    return text[0][:120] if text else type(error).__name__


def compose_all(text: str, loader: type[BoundedLoader] = BoundedLoader) -> list[Node]:
    """Every document's root node (empty documents left out). Raises ``yaml.YAMLError`` only."""

    def roots(instance: BoundedLoader) -> list[Node]:
        found = []
        while instance.check_node():
            root = instance.get_node()
            if root is not None:
                found.append(root)
        return found

    result: list[Node] = _bounded(text, loader, roots)
    return result


def compose(text: str, loader: type[BoundedLoader] = BoundedLoader) -> Node | None:
    """The single document's root node, or None for an empty stream. Raises ``yaml.YAMLError`` only."""
    result: Node | None = _bounded(text, loader, lambda instance: instance.get_single_node())
    return result


def load(text: str, loader: type[BoundedLoader] = BoundedLoader) -> Any:
    """The single document as Python data (SafeLoader types). Raises ``yaml.YAMLError`` only."""
    return _bounded(text, loader, lambda instance: instance.get_single_data())


def _bounded(text: str, loader: type[BoundedLoader], read: Callable[[BoundedLoader], Any]) -> Any:
    instance = loader(text)
    try:
        return read(instance)
    except RecursionError:  # a last resort: the depth limit stops nesting long before this
        raise YAMLLimitError("nested too deeply") from None
    finally:
        instance.dispose()
