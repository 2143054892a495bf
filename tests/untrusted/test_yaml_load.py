"""Untrusted YAML ends in data or one yaml.YAMLError, whatever it holds."""

from __future__ import annotations

import os

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from scaffold.untrusted import yaml_load
from scaffold.untrusted.yaml_load import ALIAS_BUDGET, MAX_DEPTH, YAMLLimitError

EXAMPLES = int(os.environ.get("SCAFFOLD_FUZZ_EXAMPLES", "200"))


def _laughs(levels: int) -> str:
    lines = ["l0: &l0 [x, x, x, x, x, x, x, x, x, x]"]
    lines += [f"l{n}: &l{n} [{', '.join([f'*l{n - 1}'] * 10)}]" for n in range(1, levels)]
    return "\n".join(lines) + "\n"


def test_a_billion_laughs_is_refused_with_its_line() -> None:
    with pytest.raises(YAMLLimitError, match=f"more than {ALIAS_BUDGET} extra nodes at line 5"):
        yaml_load.load(_laughs(9))


def test_a_few_aliases_are_fine() -> None:
    data = yaml_load.load(_laughs(3))
    assert len(data["l2"]) == 10
    assert data["l2"][0] is data["l1"]


@pytest.mark.parametrize("text", ["&a [*a]", "a: &a {b: *a}", "&a\n- x\n- *a\n"])
def test_an_alias_inside_its_own_anchor_is_a_cycle(text: str) -> None:
    with pytest.raises(YAMLLimitError, match="refers to a node that contains it"):
        yaml_load.compose(text)


@pytest.mark.parametrize("opening", ["[", "{a: ", "- "])
def test_deep_nesting_is_refused_not_a_recursion_error(opening: str) -> None:
    text = opening * 20_000 if opening != "- " else "".join("  " * n + "-\n" for n in range(MAX_DEPTH + 5))
    with pytest.raises(yaml.YAMLError):
        yaml_load.load(text)


def test_nesting_within_the_limit_is_fine() -> None:
    assert yaml_load.load("[" * (MAX_DEPTH - 1) + "]" * (MAX_DEPTH - 1)) is not None


@pytest.mark.parametrize("text", ["a: " + "1" * 5000, "a: 2020-02-30", "a: !!int", "a: !!float x"])
def test_values_python_cannot_convert_are_yaml_errors(text: str) -> None:
    with pytest.raises(YAMLLimitError, match="value cannot be read"):
        yaml_load.load(text)


def test_compose_all_reads_every_document_as_pyyaml_does() -> None:
    text = "---\n---\na: 1\n---\n- b\n"
    roots = yaml_load.compose_all(text)
    assert [type(root).__name__ for root in roots] == ["ScalarNode", "MappingNode", "SequenceNode"]
    assert [root.start_mark.line for root in roots] == [root.start_mark.line for root in yaml.compose_all(text)]


_PIECES = st.sampled_from(
    [
        "a: ",
        "- ",
        "[",
        "]",
        "{",
        "}",
        "&x ",
        "*x",
        "&y ",
        "*y",
        "<<: ",
        "!!int ",
        "!!timestamp ",
        "? ",
        ": ",
        ", ",
        "\n",
        "\r",
        "\x85",
        "\u2028",
        "\f",
        "\t",
        "  ",
        "'",
        '"',
        "|",
        ">",
        "#",
        "9" * 50,
        "2020-13-45",
        "---\n",
        "...",
    ]
)


# The deadline (ms) is a hang guard per example, not a speed measure.
@settings(derandomize=True, max_examples=EXAMPLES, deadline=10_000, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(_PIECES, max_size=60).map("".join))
def test_any_text_ends_in_data_or_a_yaml_error(text: str) -> None:
    try:
        yaml_load.load(text)
        yaml_load.compose_all(text)
    except yaml.YAMLError:
        pass


def test_aliases_repeating_one_large_value_are_bounded_too() -> None:
    text = "big: &big " + "x" * 50_000 + "\nmany: [" + ", ".join(["*big"] * 20_000) + "]\n"
    with pytest.raises(YAMLLimitError, match="extra nodes"):
        yaml_load.load(text)
    assert len(yaml_load.load(text[: text.index("many")])["big"]) == 50_000
