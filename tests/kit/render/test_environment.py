"""Taint survives every way a template can derive text from an answer, so quoting stays enforced."""

from __future__ import annotations

import pytest
from jinja2 import TemplateError

from scaffold.errors import UnsafePackError
from scaffold.kit.packs import Delimiters
from scaffold.kit.render.environment import make_environment
from scaffold.kit.render.quoting import taint

CONTEXT = {"answers": taint({"name": "a-b", "envs": ["x", "y"], "port": 8080})}


def render(source: str) -> str:
    return make_environment({}, Delimiters()).from_string(source).render(CONTEXT)


@pytest.mark.parametrize(
    "source",
    [
        "[[ answers.name ]]",
        "[[ answers.name ~ '-x' ]]",
        "[[ 'x-' ~ answers.name ]]",
        "[[ answers.name + 'x' ]]",
        "[[ '%s' % answers.name ]]",
        "[[ answers.name * 2 ]]",
        "[[ answers.name[0] ]]",
        "[[ answers.name[0:2] ]]",
        "[[ answers.name[::-1] ]]",
        "[[ answers.name.replace('-', '_') ]]",
        "[[ answers.name.split('-')[0] ]]",
        "[[ '{}'.format(answers.name) ]]",
        "[[ answers.name | replace('-', '_') ]]",
        "[[ answers.name | upper ]]",
        "[[ answers.name | trim ]]",
        "[[ answers.envs | join(',') ]]",
        "[[ answers.envs[0] ]]",
        "[[ answers.envs | first ]]",
        "[% set derived = answers.name | replace('-', '_') %][[ derived ]]",
        "[% for env in answers.envs %][[ env ~ '' ]][% endfor %]",
        "[% for char in answers.name %][[ char ]][% endfor %]",
        "[[ answers.name | map('upper') | join ]]",
        "[[ answers.envs | map('upper') | join(',') ]]",
        "[[ answers.name | batch(1) | first | first ]]",
        "[[ answers.name | slice(1) | first | first ]]",
        "[% for env in answers.envs | reject('equalto', '') %][[ env ]][% endfor %]",
        "[[ answers.name | safe ]]",
        "[[ ('%s' | safe) % answers.name ]]",
    ],
)
def test_text_derived_from_an_answer_still_needs_a_quoting_filter(source: str) -> None:
    with pytest.raises(UnsafePackError, match="without a quoting filter"):
        render(source)


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("[[ (answers.name ~ '-x') | yaml ]]", '"a-b-x"'),
        ("[[ answers.name[1:] | json ]]", '"-b"'),
        ("[% set derived = answers.name | replace('-', '_') %][[ derived | yaml_key ]]", "a_b"),
        ("[[ answers.envs | length ]]", "2"),
        ("[[ 'a' ~ 'b' ]]", "ab"),
        ("[[ answers.port ~ '' ]]", "8080"),
        ("[% macro m(v) %]<[[ v | json ]]>[% endmacro %][[ m(answers.name) | indent(2) ]]", '<"a-b">'),
    ],
)
def test_quoted_derived_text_and_template_text_render(source: str, expected: str) -> None:
    assert render(source) == expected


@pytest.mark.parametrize(
    ("source", "kind"),
    [
        ("[[ joiner ]]", "type"),
        ("[[ namespace ]]", "type"),
        ("[[ range(3) ]]", "range"),
        ("[[ none ]]", "NoneType"),
        ("[[ answers.items ]]", "function"),
        ("[[ answers.envs | map('upper') ]]", "MeteredItems"),
        ("[[ 'a'.upper ]]", "function"),
    ],
)
def test_only_text_and_numbers_are_output(source: str, kind: str) -> None:
    with pytest.raises(UnsafePackError, match=f"a {kind} is output directly"):
        render(source)


@pytest.mark.parametrize(
    "source", ["[[ answers.name.encode().decode() | yaml ]]", "[[ 'x'.encode() ]]", "[[ lipsum() ]]"]
)
def test_bytes_and_generated_text_are_not_available(source: str) -> None:
    with pytest.raises(TemplateError, match=r"is unsafe|is undefined"):
        render(source)


def test_a_loop_does_not_taint_what_its_body_computes() -> None:
    assert render("[% for env in answers.envs %][[ 'x'.upper() ]][[ loop.index ]][% endfor %]") == "X1X2"
