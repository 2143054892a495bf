"""The sandboxed Jinja environment every pack renders in."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from jinja2 import DictLoader, StrictUndefined
from jinja2.sandbox import ImmutableSandboxedEnvironment

from scaffold.errors import UnsafePackError
from scaffold.packs import Delimiters
from scaffold.render.quoting import FILTERS, Tainted


def _finalize(value: Any) -> Any:
    """Refuse to print an answer that did not go through a quoting filter, or a bare boolean or container."""
    if isinstance(value, Tainted):
        raise UnsafePackError(
            f"template: answer value {str(value)[:40]!r} is output without a quoting filter "
            "(use | yaml, | sh, | hcl, | docker_json, | docker_word or | md)"
        )
    if isinstance(value, bool | list | dict | tuple):
        raise UnsafePackError(f"template: a {type(value).__name__} is output directly; quote or format it")
    return value


def make_environment(templates: Mapping[str, str], delimiters: Delimiters) -> ImmutableSandboxedEnvironment:
    """A sandboxed, immutable environment with StrictUndefined, loading only the pack's in-memory templates."""
    env = ImmutableSandboxedEnvironment(
        loader=DictLoader(dict(templates)),
        undefined=StrictUndefined,
        autoescape=False,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
        finalize=_finalize,
        variable_start_string=delimiters.variable[0],
        variable_end_string=delimiters.variable[1],
        block_start_string=delimiters.block[0],
        block_end_string=delimiters.block[1],
        comment_start_string=delimiters.comment[0],
        comment_end_string=delimiters.comment[1],
    )
    env.filters.update(FILTERS)
    return env
