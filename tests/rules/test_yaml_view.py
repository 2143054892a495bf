"""The YAML view reads a repeated key the way consumers do (the last one wins), stays linear on aliases, and turns
every bound the loader enforces into a ``yaml.YAMLError``."""

from __future__ import annotations

import pytest
import yaml

from scaffold.rules.runner import audit_tree
from scaffold.rules.yaml_view import parse

PINNED = "python:3.12@sha256:" + "0" * 64


def test_a_repeated_key_reads_as_its_last_value_everywhere() -> None:
    root = parse("a: 1\nb: 2\na: 3\n")
    assert root is not None
    assert root.get("a") is not None and root.get("a").text == "3"  # type: ignore[union-attr]
    assert root.key("a") is not None and root.key("a").line == 3  # type: ignore[union-attr]
    assert [(key, value.text) for key, value in root.items()] == [("b", "2"), ("a", "3")]
    assert [key.text for key, _ in root.entries()] == ["b", "a"]
    assert [key.text for key, _ in root.all_entries()] == ["a", "b", "a"]
    assert "1" not in [node.text for node in root.walk()]


def test_quoting_does_not_make_a_different_key() -> None:
    root = parse("image: a\n'image': b\n\"image\": c\n")
    assert root is not None and root.get("image").text == "c"  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("path", "text", "rule", "line"),
    [
        (
            ".gitlab-ci.yml",
            f"job:\n  image: {PINNED}\n  script: [make]\n  image: python:latest\n",
            "gitlab-unpinned-image",
            4,
        ),
        (
            ".gitlab-ci.yml",
            f"job:\n  image: {PINNED}\n  script: [make]\njob:\n  image: python:latest\n  script: [make]\n",
            "gitlab-unpinned-image",
            5,
        ),
        (
            ".github/workflows/ci.yml",
            "on: push\njobs:\n  t:\n    runs-on: x\n    steps:\n"
            "      - uses: actions/checkout@" + "a" * 40 + "\n        uses: evil/action@main\n",
            "unpinned-uses",
            7,
        ),
        (
            ".pre-commit-config.yaml",
            "repos:\n  - repo: https://github.com/x/y\n    rev: "
            + "a" * 40
            + "\n    hooks: [{id: y}]\n    rev: main\n",
            "precommit-mutable-rev",
            5,
        ),
        (
            ".github/workflows/ci.yml",
            "on: push\non: pull_request_target\njobs: {}\n",
            "dangerous-triggers",
            2,
        ),
    ],
)
def test_a_repeated_key_cannot_hide_a_finding(path: str, text: str, rule: str, line: int) -> None:
    findings = audit_tree({path: text}).findings
    assert (rule, line) in {(item.rule, item.line) for item in findings}, findings
    assert "yaml-duplicate-key" in {item.rule for item in findings}


def test_walk_visits_a_node_shared_through_aliases_once() -> None:
    layers = ["a: &a [x, x, x, x, x, x, x, x, x, x]"]
    layers += [f"l{i}: &l{i} [{', '.join(['*' + ('a' if i == 0 else f'l{i - 1}')] * 10)}]" for i in range(3)]
    root = parse("\n".join(layers) + "\n")
    assert root is not None
    assert len(root.walk()) < 100


def test_walk_is_iterative() -> None:
    text = "".join("  " * depth + f"k{depth}:\n" for depth in range(95)) + "  " * 95 + "leaf\n"
    root = parse(text)
    assert root is not None and root.walk()[-1].text == "leaf"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("a: " + "[" * 500 + "]" * 500 + "\n", "is not valid YAML at line 1: nested deeper than 100 levels"),
        ("a: &a [*a]\n", "is not valid YAML at line 1: alias *a refers to a node that contains it"),
    ],
)
def test_bounds_are_one_line_errors(text: str, message: str) -> None:
    report = audit_tree({".gitlab-ci.yml": text})
    assert [error.message for error in report.errors] == [message]


def test_an_alias_bomb_is_refused() -> None:
    text = "a: &a [x, x, x, x, x, x, x, x, x, x]\n" + "".join(
        f"{chr(98 + i)}: &{chr(98 + i)} [{', '.join(['*' + chr(97 + i)] * 10)}]\n" for i in range(9)
    )
    [error] = audit_tree({".gitlab-ci.yml": text}).errors
    assert error.message.startswith("is not valid YAML at line ") and "aliases expand" in error.message


def test_invalid_yaml_raises_a_yaml_error_only() -> None:
    with pytest.raises(yaml.YAMLError):
        parse("a: [\n")


def test_a_huge_integer_is_text() -> None:
    root = parse("timeout-minutes: " + "9" * 5000 + "\n")
    assert root is not None and root.get("timeout-minutes").text == "9" * 5000  # type: ignore[union-attr]
    report = audit_tree(
        {".github/workflows/ci.yml": "on: push\njobs:\n  t:\n    timeout-minutes: " + "9" * 5000 + "\n"}
    )
    assert report.errors == []
