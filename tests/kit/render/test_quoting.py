from __future__ import annotations

import json
import shlex

import pytest
import yaml

from scaffold.errors import UnsafePackError
from scaffold.kit.render.quoting import (
    Quoted,
    dockerfile_json,
    dockerfile_word,
    hcl_string,
    markdown_code,
    path_segment,
    shell_word,
    word_list,
    yaml_key,
    yaml_scalar,
)

NASTY = [
    'a"b',
    "x: y",
    "line\nbreak",
    "${{ secrets.X }}",
    "{{ 7 }}",
    "$(id)",
    "`id`",
    "'quote'",
    "#c",
    "é\u2028",
]


@pytest.mark.parametrize("value", NASTY)
def test_yaml_scalar_round_trips_as_one_string(value: str) -> None:
    quoted = yaml_scalar(value)
    assert isinstance(quoted, Quoted)
    assert quoted.isascii()
    assert yaml.safe_load(f"key: {quoted}\n") == {"key": value}


@pytest.mark.parametrize("value", NASTY)
def test_shell_word_is_one_literal_word(value: str) -> None:
    assert shlex.split(f"echo {shell_word(value)}") == ["echo", value]


def test_yaml_scalar_keeps_numbers_and_booleans_plain() -> None:
    assert yaml_scalar(80) == "80"
    assert yaml_scalar(True) == "true"


@pytest.mark.parametrize("value", ["a b", "x:y", "-lead", "", "ok\n"])
def test_yaml_key_refuses_anything_but_an_identifier(value: str) -> None:
    with pytest.raises(UnsafePackError):
        yaml_key(value)


def test_hcl_escapes_interpolation() -> None:
    assert hcl_string('${var.x} %{if} "q"') == '"$${var.x} %%{if} \\"q\\""'


def test_dockerfile_word_escapes_variables_and_quotes() -> None:
    assert dockerfile_word('a"$HOME\\') == '"a\\"\\$HOME\\\\"'


def test_dockerfile_json_is_a_json_string() -> None:
    assert json.loads(dockerfile_json('say "hi"')) == 'say "hi"'


def test_markdown_code_fence_outgrows_backticks() -> None:
    assert markdown_code("a`b") == "``a`b``"


@pytest.mark.parametrize("value", ["..", ".", "a/b", ""])
def test_path_segment_refuses_separators_and_dots(value: str) -> None:
    with pytest.raises(UnsafePackError):
        path_segment(value)


def test_word_list_refuses_spaces_and_newlines() -> None:
    assert word_list(["@a/b", "@c"]) == "@a/b @c"
    with pytest.raises(UnsafePackError):
        word_list(["@a b"])
