"""Taint survives every way a template can derive text from an answer, so quoting stays enforced."""

from __future__ import annotations

import pytest

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
