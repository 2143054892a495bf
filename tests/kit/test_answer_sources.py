from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from scaffold.errors import UsageError
from scaffold.kit.answer_sources import load_answers_file, parse_set, stack


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
        ("1: x\n", "key .1. must be a string"),
    ],
)
def test_answers_file_that_is_not_a_mapping_is_rejected(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "answers.yml"
    path.write_text(text)
    with pytest.raises(UsageError, match=message):
        load_answers_file(path)


def test_missing_answers_file_is_a_usage_error(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="does not exist"):
        load_answers_file(tmp_path / "nope.yml")


# --- hostile answers files: one line naming the file or the key and the rule ---------------------------------------

_BOMB = "a: &a [x,x,x,x,x,x,x,x,x]\n" + "".join(
    f"{chr(98 + i)}: &{chr(98 + i)} [" + ",".join(["*" + chr(97 + i)] * 9) + "]\n" for i in range(8)
)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"name: a\nname: b\n", "key 'name' is repeated"),
        (b"answers:\n  port: 1\n  port: 2\nscaffold_version: 1\n", "key 'port' is repeated"),
        (b"? [a]\n: x\n", r"key \(a list\) must be a string"),
        (b"null: x\n", "key 'null' must be a string"),
        (b"on: x\n", "key 'on' must be a string"),
        (_BOMB.encode(), "aliases expand to more than"),
        (b"name: " + b"[" * 10_000, "nested deeper than|maximum nesting depth"),
        (b"port: " + b"9" * 5000 + b"\n", "value cannot be read"),
        (b"port: 2020-02-30\n", "value cannot be read"),
        (b"a: &a [*a]\n", "refers to a node that contains it"),
        (b"name: \xff\n", "is not UTF-8 text"),
        (b"name: a\0\n", "is a binary file"),
        (b"name: [\n", "is not valid YAML at line 2"),
        (b"--- {}\n--- {}\n", "is not valid YAML"),
        (b"- a\n", "must be a YAML mapping of answer keys, not a list"),
        (b"answers: [1]\nscaffold_version: 1\n", "its 'answers' entry must be a mapping"),
        (b"x" * 1_000_001, "is larger than 1000000 bytes"),
    ],
)
def test_hostile_answers_file_is_one_usage_error(tmp_path: Path, content: bytes, message: str) -> None:
    path = tmp_path / "answers.yml"
    path.write_bytes(content)
    with pytest.raises(UsageError, match=message) as caught:
        load_answers_file(path)
    assert "\n" not in str(caught.value) and str(caught.value).startswith(f"--answers {path}: ")


@pytest.mark.parametrize("kind", ["fifo", "folder", "device", "symlink-loop"])
def test_answers_file_that_is_not_a_regular_file_is_refused_without_blocking(tmp_path: Path, kind: str) -> None:
    path = tmp_path / "answers.yml"
    if kind == "fifo":
        os.mkfifo(path)
    elif kind == "folder":
        path.mkdir()
    elif kind == "device":
        path = Path("/dev/zero")
    else:
        path.symlink_to(path)
    with pytest.raises(UsageError, match=r"not a regular file|symlink loop"):
        load_answers_file(path)


def test_answers_file_with_bom_crlf_and_merge_keys_loads(tmp_path: Path) -> None:
    path = tmp_path / "answers.yml"
    path.write_bytes(b"\xef\xbb\xbfbase: &b {}\r\nname: orders\r\nport: 8081\r\n")
    assert load_answers_file(path) == {"base": {}, "name": "orders", "port": 8081}


def test_path_in_message_is_escaped(tmp_path: Path) -> None:
    path = tmp_path / "a\nb\x1b[2J.yml"
    with pytest.raises(UsageError) as caught:
        load_answers_file(path)
    assert "\n" not in str(caught.value) and "\x1b" not in str(caught.value)


@pytest.mark.parametrize(
    ("item", "message"),
    [
        ("port=" + "9" * 5000, "port: must be a whole number of at most 18 digits"),
        ("\x1b[2J=1", r"--set \\x1b\[2J: is not an answer key"),
        ("port=\uff11", "port: must be a whole number"),
    ],
)
def test_hostile_set_is_one_usage_error(item: str, message: str) -> None:
    with pytest.raises(UsageError, match=message) as caught:
        parse_set([item])
    assert "\x1b" not in str(caught.value)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("<<: {name: x}\n<<: {name: y}\n", "line 2: key '<<' (a merge key) is repeated"),
        ("a: &a {name: x}\nb: &b {name: y}\n<<: *a\nport: 1\n<<: *b\n", "line 5: key '<<' (a merge key) is repeated"),
        ("<<: {<<: {name: x}, <<: {name: y}}\n", "key '<<' (a merge key) is repeated"),
        ("<<: {name: x, name: y}\n", "key 'name' is repeated"),
    ],
)
def test_a_repeated_merge_key_is_refused_like_any_duplicate(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "answers.yml"
    path.write_text(text)
    with pytest.raises(UsageError, match=re.escape(message)):
        load_answers_file(path)


def test_one_mapping_merged_in_twice_is_no_duplicate(tmp_path: Path) -> None:
    path = tmp_path / "answers.yml"
    path.write_text("base: &b {name: x, <<: {port: 1}}\nother: {<<: *b}\n<<: *b\n")
    assert load_answers_file(path) == {
        "base": {"name": "x", "port": 1},
        "other": {"name": "x", "port": 1},
        "name": "x",
        "port": 1,
    }
