"""The bounded loader composes nodes in one loop of its own: the nodes must be PyYAML's, node for node (tags, values,
styles, marks, a node shared by its aliases), its errors PyYAML's where PyYAML has one, and hostile nesting must end
in one error line whatever its depth."""

from __future__ import annotations

import os
import random
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from yaml.composer import Composer
from yaml.constructor import SafeConstructor
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode
from yaml.resolver import Resolver

from scaffold.untrusted import yaml_load
from scaffold.untrusted.yaml_load import ALIAS_BUDGET, MAX_DEPTH, BoundedLoader, YAMLLimitError

EXAMPLES = int(os.environ.get("SCAFFOLD_FUZZ_EXAMPLES", "200"))
ROOT = Path(__file__).resolve().parents[2]


class _StockComposer(Composer, yaml_load._Parser, SafeConstructor, Resolver):  # type: ignore[misc]
    """PyYAML's own (recursive) composer over the same events: the reference."""

    def __init__(self, stream: Any) -> None:
        yaml_load._Parser.__init__(self, stream)
        Composer.__init__(self)
        SafeConstructor.__init__(self)
        Resolver.__init__(self)


def _stock(text: str) -> list[Node] | str:
    loader = _StockComposer(text)
    try:
        roots = []
        while loader.check_node():
            roots.append(loader.get_node())
        return roots
    except yaml.YAMLError as error:
        return str(error)
    finally:
        loader.dispose()


def _ours(text: str, loader: type[BoundedLoader] = BoundedLoader) -> list[Node] | str:
    try:
        return yaml_load.compose_all(text, loader)
    except yaml.YAMLError as error:
        return str(error)


def _shape(roots: list[Node] | str) -> list[Any] | str:
    """Every node as (class, tag, value, style, marks), a node met again as the number of its first visit."""
    if isinstance(roots, str):
        return roots
    seen: dict[int, int] = {}
    shape: list[Any] = []
    pending: list[Node] = list(reversed(roots))
    while pending:
        node = pending.pop()
        if id(node) in seen:
            shape.append(("again", seen[id(node)]))
            continue
        seen[id(node)] = len(seen)
        marks = [(mark.line, mark.column, mark.index) for mark in (node.start_mark, node.end_mark)]
        if isinstance(node, ScalarNode):
            style = node.style or None  # libyaml spells plain "", PyYAML's own parser None: ours always None
            shape.append(("scalar", node.tag, node.value, style, marks))
        elif isinstance(node, SequenceNode):
            shape.append(("sequence", node.tag, len(node.value), node.flow_style, marks))
            pending += reversed(node.value)
        else:
            shape.append(("mapping", node.tag, len(node.value), node.flow_style, marks))
            pending += [part for pair in reversed(node.value) for part in reversed(pair)]
    return shape


_SCALARS = ["x", "1", "true", "~", "''", '"q"', "2020-01-01", "1.5", "0x1f", "on", "<<", "!!str 3", "!local v", "! 7"]


def _value(rng: random.Random, depth: int, anchors: list[str]) -> str:
    """A random YAML value (block or flow) with anchors, aliases (some inside their own anchor), tags and styles."""
    prefix = ""
    if rng.random() < 0.15:
        anchors.append(f"a{len(anchors)}")
        prefix = f"&{anchors[-1]} "
    if anchors and rng.random() < 0.1:
        return f"*{rng.choice(anchors)}"
    roll = rng.random()
    if depth > 5 or roll < 0.45:
        scalar = rng.choice([*_SCALARS, "|\n" + "  " * (depth + 1) + "text"])
        return prefix + scalar
    if roll < 0.6:
        items = ", ".join(_value(rng, 9, anchors) for _ in range(rng.randint(0, 3)))
        return prefix + ("[" + items + "]" if rng.random() < 0.5 else "{k: " + (items or "v") + "}")
    indent = "  " * (depth + 1)
    if roll < 0.8:
        lines = [f"{indent}- {_value(rng, depth + 1, anchors)}" for _ in range(rng.randint(1, 3))]
    else:
        keys = rng.choices(["a", "b", "<<", "'a'", "1"], k=rng.randint(1, 3))
        lines = [f"{indent}{key}: {_value(rng, depth + 1, anchors)}" for key in keys]
    return prefix.rstrip() + "\n" + "\n".join(lines)


def _document(rng: random.Random) -> str:
    documents = []
    for _ in range(rng.choice([1, 1, 2])):
        anchors: list[str] = []
        keys = rng.choices(["on", "jobs", "a", "<<"], k=rng.randint(1, 4))
        documents.append("\n".join(f"{key}: {_value(rng, 0, anchors)}" for key in keys))
    return "\n---\n".join(documents) + "\n"


@settings(derandomize=True, max_examples=EXAMPLES, deadline=10_000, suppress_health_check=[HealthCheck.too_slow])
@given(st.randoms(use_true_random=False))
def test_nodes_are_pyyamls_node_for_node(rng: random.Random) -> None:
    text = _document(rng)
    stock, ours = _stock(text), _ours(text)
    if not isinstance(ours, str) or "refers to a node that contains it" not in ours:  # PyYAML composes a cycle
        assert _shape(ours) == _shape(stock), text


def test_a_plain_scalar_has_pyyamls_own_style_and_aliases_share_one_node() -> None:
    [root] = yaml_load.compose_all("a: &x plain\nb: *x\nc: 'quoted'\nd: [*x]\n")
    assert isinstance(root, MappingNode)
    (_, a), (_, b), (_, c), (_, d) = root.value
    assert a.style is None and c.style == "'"
    assert b is a and d.value[0] is a


@pytest.mark.parametrize(
    "text",
    [
        "a: *missing\n",
        "a: &x 1\nb: &x 2\n",
        "a: [1, 2\n",
        "a: &x 1\n---\nb: *x\n",  # an anchor does not outlive its document
        "- a\n- b: c\n  d\n",
    ],
)
def test_errors_pyyaml_raises_are_raised_word_for_word(text: str) -> None:
    assert isinstance(_stock(text), str)
    assert _ours(text) == _stock(text)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("a:\n  b: &x [1, *x]\n", "alias *x refers to a node that contains it at line 2"),
        ("a: 1\nb:\n  " + "[" * MAX_DEPTH + "]" * MAX_DEPTH + "\n", f"nested deeper than {MAX_DEPTH} levels at line 3"),
        ("a: 1\nb: " + "[" * (MAX_DEPTH - 2) + "x" + "]" * (MAX_DEPTH - 2) + "\n", None),  # x is 100 deep
        (
            "a: &a [" + ", ".join(["x"] * 1000) + "]\nb: 2\nc:\n  d: [" + ", ".join(["*a"] * 101) + "]\n",
            f"aliases expand to more than {ALIAS_BUDGET} extra nodes at line 4",
        ),
    ],
    ids=["cycle", "too-deep", "deep-enough", "alias-budget"],
)
def test_each_bound_names_its_line(text: str, message: str | None) -> None:
    if message is None:
        assert yaml_load.compose(text) is not None
        return
    with pytest.raises(YAMLLimitError) as raised:
        yaml_load.compose(text)
    assert str(raised.value) == message


class _PathLoader(BoundedLoader):
    """A loader with path resolvers, which see each node's parent and position as PyYAML's composer gives them."""


class _StockPathLoader(_StockComposer):
    pass


for _loader in (_PathLoader, _StockPathLoader):
    _loader.yaml_path_resolvers = {}
    _loader.add_path_resolver("!second", [(SequenceNode, 1)], ScalarNode)
    _loader.add_path_resolver("!under-a", [(MappingNode, "a"), None], None)
    _loader.add_path_resolver("!key", [(MappingNode, False)], ScalarNode)


@pytest.mark.parametrize("text", ["[x, y, z]\n", "a: [1, {b: c}]\nd: e\n", "a:\n  - x\n  - y\n"])
def test_path_resolvers_tag_what_pyyaml_tags(text: str) -> None:
    loader = _StockPathLoader(text)
    try:
        stock = [loader.get_node()] if loader.check_node() else []
    finally:
        loader.dispose()
    ours = _ours(text, _PathLoader)
    assert _shape(ours) == _shape(stock)
    assert {"!second", "!under-a", "!key"} & {part[1] for part in _shape(ours)}


_NESTING = """
import sys
from scaffold.untrusted import yaml_load
try:
    yaml_load.{call}({text})
except yaml_load.yaml.YAMLError as error:
    print(str(error).splitlines()[-1][:80])
"""


@pytest.mark.parametrize("depth", [10**6, 10**7])
@pytest.mark.parametrize(("opening", "call"), [("[", "compose_all"), ("{a: ", "load"), ("- ", "compose")])
def test_any_nesting_depth_ends_in_one_error_not_a_crash(depth: int, opening: str, call: str) -> None:
    if len(opening) * depth > 10**7:
        depth //= 10  # the same nesting, at most ten million characters
    code = _NESTING.format(call=call, text=f"{opening!r} * {depth}")
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-500:]
    assert done.stderr == "" and len(done.stdout.splitlines()) == 1


@pytest.mark.parametrize("opening", ["[", "{a: "])
def test_the_audit_of_a_file_nested_a_million_deep_exits_2_with_one_line(tmp_path: Path, opening: str) -> None:
    workflows = tmp_path / ".github" / "workflows"
    workflows.mkdir(parents=True)
    (workflows / "ci.yml").write_text("on: push\njobs: " + opening * 10**6 + "\n")
    command = [sys.executable, "-m", "scaffold", "audit", str(workflows / "ci.yml")]
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 2, done.stderr[-500:]
    assert "Traceback" not in done.stderr + done.stdout
    [error] = [line for line in done.stdout.splitlines() if ": error: " in line]
    assert error.startswith(f"{workflows / 'ci.yml'}: error: is not valid YAML at line 2")
