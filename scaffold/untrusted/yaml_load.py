"""YAML from untrusted text, composed and constructed within bounds.

PyYAML on its own turns a few hundred bytes into a hang or a crash: aliases that refer to aliases expand
exponentially for anything that walks the result (a "billion laughs"), an alias inside its own anchor makes a
cycle, deep nesting exhausts the recursion limit, and an integer of more than 4,300 digits or a date such as
2020-02-30 raises ``ValueError`` instead of a YAML error. ``BoundedLoader`` refuses each of these with a
``yaml.YAMLError`` that names the line, so every caller needs to handle one kind of error only.

Events come from libyaml's C parser when PyYAML was built with it (else from PyYAML's own parser); nodes are always
composed here in Python, so the bounds hold either way. libyaml reads YAML as GitLab (Ruby's Psych) and pre-commit
(PyYAML's C loader) do, counts lines and characters as PyYAML does, and is several times faster on large files.

The composer is one loop over the events, not PyYAML's recursive one: no nesting can reach the recursion limit,
each event is read once, and each bound is checked where the node opens or closes. It builds the nodes PyYAML's
composer builds (tags, styles, marks, one node shared by its aliases) and raises PyYAML's errors word for word;
``tests/untrusted/test_yaml_load_compose.py`` holds it to both.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import yaml
from yaml.composer import Composer, ComposerError
from yaml.constructor import SafeConstructor
from yaml.events import AliasEvent, MappingEndEvent, ScalarEvent, SequenceEndEvent, SequenceStartEvent
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

    def compose_node(self, parent: Node | None, index: Any) -> Node | None:
        """The document's root node and everything below it, composed from events in one loop, without recursion,
        as PyYAML's composer composes it; each node is checked against the bounds when it opens and when it closes.

        The expanded size of a node is itself (a long scalar weighs more) plus the expanded sizes of its children,
        an alias counting as the whole node it repeats. Only aliases make it exceed the nodes written out."""
        get_event = self.get_event
        anchors: dict[str, Node] = self.anchors
        resolve: Callable[[type[Node], str | None, Any], str] = self.resolve
        paths = bool(self.yaml_path_resolvers)
        expanded: dict[int, int] = {}  # id(node) -> expanded size, for every finished node an alias may repeat
        written = 0  # what the document's own nodes weigh so far
        open_nodes: list[Node] = []  # the collections being composed, outermost first
        sizes: list[int] = []  # their expanded sizes so far
        keys: list[Node | None] = []  # for each: a mapping's key awaiting its value, else None
        while True:
            event = get_event()
            kind = type(event)
            if kind is AliasEvent:
                node = anchors.get(event.anchor)
                if node is None:
                    raise ComposerError(None, None, f"found undefined alias {event.anchor!r}", event.start_mark)
                size = expanded.get(id(node))
                if size is None:
                    raise YAMLLimitError(f"alias *{event.anchor} refers to a node that contains it", event.start_mark)
            elif kind is SequenceEndEvent or kind is MappingEndEvent:
                node = open_nodes.pop()
                keys.pop()
                node.end_mark = event.end_mark
                size = expanded[id(node)] = sizes.pop()
                if size > written + ALIAS_BUDGET:
                    raise YAMLLimitError(f"aliases expand to more than {ALIAS_BUDGET} extra nodes", node.start_mark)
                if paths:
                    self.ascend_resolver()
            else:
                if len(open_nodes) >= MAX_DEPTH:
                    raise YAMLLimitError(f"nested deeper than {MAX_DEPTH} levels", event.start_mark)
                anchor = event.anchor
                if anchor is not None and anchor in anchors:
                    first = anchors[anchor].start_mark
                    problem = f"found duplicate anchor {anchor!r}; first occurrence"
                    raise ComposerError(problem, first, "second occurrence", event.start_mark)
                if paths:
                    self.descend_resolver(*_position(open_nodes, keys, parent, index))
                tag = event.tag
                if kind is ScalarEvent:
                    value = event.value
                    if tag is None or tag == "!":
                        tag = resolve(ScalarNode, value, event.implicit)
                    # a plain scalar's style is None, as PyYAML's own parser spells it (libyaml's: "")
                    node = ScalarNode(tag, value, event.start_mark, event.end_mark, event.style or None)
                    size = 1 + len(value) // _SCALAR_UNIT
                    written += size
                    if anchor is not None:
                        anchors[anchor] = node
                        expanded[id(node)] = size
                    if paths:
                        self.ascend_resolver()
                else:
                    node_class = SequenceNode if kind is SequenceStartEvent else MappingNode
                    if tag is None or tag == "!":
                        tag = resolve(node_class, None, event.implicit)
                    node = node_class(tag, [], event.start_mark, None, event.flow_style)
                    written += 1
                    if anchor is not None:
                        anchors[anchor] = node
                    open_nodes.append(node)
                    sizes.append(1)
                    keys.append(None)
                    continue
            if not open_nodes:
                return node
            sizes[-1] += size
            holder = open_nodes[-1]
            if isinstance(holder, SequenceNode):
                holder.value.append(node)
            elif keys[-1] is None:
                keys[-1] = node
            else:
                holder.value.append((keys[-1], node))
                keys[-1] = None

    def construct_object(self, node: Node, deep: bool = False) -> Any:
        try:
            return super().construct_object(node, deep)
        except (ValueError, OverflowError, IndexError, TypeError, KeyError, AttributeError) as error:
            raise YAMLLimitError(f"value cannot be read: {_first_line(error)}", node.start_mark) from None


def _position(open_nodes: list[Node], keys: list[Node | None], root: Node | None, index: Any) -> tuple[Any, Any]:
    """(parent, index) of the node about to open, as PyYAML's composer passes them to a path resolver: an item's
    position in a list, None for a mapping's key, the key node for its value."""
    if not open_nodes:
        return root, index
    parent = open_nodes[-1]
    return parent, len(parent.value) if isinstance(parent, SequenceNode) else keys[-1]


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
