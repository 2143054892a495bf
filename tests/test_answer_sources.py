from __future__ import annotations

from pathlib import Path

import pytest

from scaffold.answer_sources import load_answers_file, parse_set, stack
from scaffold.errors import UsageError


def test_set_parses_lists_booleans_and_integers() -> None:
    parsed = parse_set(["environments=dev, prod", "container=false", "coverage_min=90", "name=orders"])
    assert parsed == {
        "environments": ["dev", "prod"],
        "container": False,
        "coverage_min": 90,
        "name": "orders",
    }


@pytest.mark.parametrize(
    ("item", "message"),
    [
        ("name", "--set name: must have the form key=value"),
        ("colour=blue", "--set colour: is not an answer key"),
        ("container=yes", "container: must be true or false"),
        ("coverage_min=eighty", "coverage_min: must be a whole number"),
        ("coverage_min=٨٠", "coverage_min: must be a whole number"),
    ],
)
def test_set_rejects_malformed_items(item: str, message: str) -> None:
    with pytest.raises(UsageError, match=message):
        parse_set([item])


def test_layers_later_wins_per_key() -> None:
    assert stack({"a": 1, "b": 1}, {"b": 2}, {"c": 3}) == {"a": 1, "b": 2, "c": 3}


def test_answers_file_mapping_and_scaffold_record(tmp_path: Path) -> None:
    plain = tmp_path / "answers.yml"
    plain.write_text("name: orders\nlanguage: go\n")
    assert load_answers_file(plain) == {"name": "orders", "language": "go"}
    record = tmp_path / ".scaffold.yml"
    record.write_text("scaffold_version: 0.1.0\nanswers:\n  name: orders\nfiles: {}\n")
    assert load_answers_file(record) == {"name": "orders"}


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("name: [unclosed\n", "is not valid YAML at line"),
        ("- a\n- b\n", "must be a YAML mapping of answer keys, not a list"),
        ("just text\n", "must be a YAML mapping of answer keys, not a str"),
        ("1: x\n", "key 1 must be a string"),
    ],
)
def test_answers_file_that_is_not_a_mapping_is_rejected(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "answers.yml"
    path.write_text(text)
    with pytest.raises(UsageError, match=message):
        load_answers_file(path)


def test_missing_answers_file_is_a_usage_error(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="No such file"):
        load_answers_file(tmp_path / "nope.yml")
