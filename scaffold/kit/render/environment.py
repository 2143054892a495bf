"""The sandboxed Jinja environment every pack renders in.

Taint survives every way a template can derive a string from an answer: ``~`` concatenation, ``+``, ``%`` and
``*``, subscripts and slices, method calls such as ``.replace()``, and Jinja's own filters such as ``replace``,
``lower`` or ``join``. A string derived from a Tainted value is Tainted again, so the only way to output it is still
a quoting filter.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from typing import Any

from jinja2 import DictLoader, StrictUndefined, nodes
from jinja2.compiler import CodeGenerator, Frame
from jinja2.runtime import Context, Macro
from jinja2.sandbox import ImmutableSandboxedEnvironment

from scaffold.errors import UnsafePackError
from scaffold.kit.packs import Delimiters
from scaffold.kit.render.quoting import FILTERS, Quoted, Tainted


def _finalize(value: Any) -> Any:
    """Refuse to print an answer that did not go through a quoting filter, or a bare boolean or container."""
    if isinstance(value, Tainted):
        raise UnsafePackError(
            f"template: answer value {str(value)[:40]!r} is output without a quoting filter "
            "(use | yaml, | sh, | hcl, | json, | rego, | docker_json, | docker_word or | md)"
        )
    if isinstance(value, bool | list | dict | tuple):
        raise UnsafePackError(f"template: a {type(value).__name__} is output directly; quote or format it")
    return value


def _holds_taint(value: Any, depth: int = 0) -> bool:
    """Whether a value is, or directly contains, a Tainted string."""
    if isinstance(value, Tainted):
        return True
    if depth > 3:
        return False
    if isinstance(value, list | tuple | set | frozenset):
        return any(_holds_taint(item, depth + 1) for item in value)
    if isinstance(value, dict):
        return any(_holds_taint(item, depth + 1) for item in value.values())
    bound_to = getattr(value, "__self__", None)
    return bound_to is not None and bound_to is not value and _holds_taint(bound_to, depth + 1)


def _retaint(result: Any, *sources: Any) -> Any:
    """Mark a derived string (or a list of strings) Tainted when anything it came from was."""
    if not any(_holds_taint(source) for source in sources):
        return result
    if isinstance(result, str) and not isinstance(result, Quoted):
        return Tainted(result)
    if isinstance(result, list | tuple):
        return [_retaint(item, *sources) for item in result]
    return result


def tainted_join(values: tuple[Any, ...]) -> str:
    """Jinja's ``~``: join the parts as text, Tainted when any part was."""
    return _retaint("".join(str(value) for value in values), values)  # type: ignore[no-any-return]


class _TaintCodeGenerator(CodeGenerator):
    """Compiles ``~`` to ``environment.tainted_join`` instead of Jinja's plain string join, and slices through
    ``environment.getitem`` (Jinja otherwise slices directly, which would drop the taint)."""

    def visit_Getitem(self, node: nodes.Getitem, frame: Frame) -> None:  # noqa: N802 (Jinja visitor name)
        if not isinstance(node.arg, nodes.Slice):
            super().visit_Getitem(node, frame)
            return
        self.write("environment.getitem(")
        self.visit(node.node, frame)
        self.write(", slice(")
        for index, part in enumerate((node.arg.start, node.arg.stop, node.arg.step)):
            self.write(", " if index else "")
            if part is None:
                self.write("None")
            else:
                self.visit(part, frame)
        self.write("))")

    def visit_Concat(self, node: nodes.Concat, frame: Frame) -> None:  # noqa: N802 (Jinja visitor name)
        self.write("environment.tainted_join((")
        for arg in node.nodes:
            self.visit(arg, frame)
            self.write(", ")
        self.write("))")


def _propagating(filter_function: Callable[..., Any]) -> Callable[..., Any]:
    """Wrap a built-in filter so its result is Tainted when its input or arguments were."""

    @functools.wraps(filter_function)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        return _retaint(filter_function(*args, **kwargs), args, tuple(kwargs.values()))

    return wrapper


class TaintPreservingEnvironment(ImmutableSandboxedEnvironment):
    """The sandbox, with taint carried through operators, subscripts, method calls and filters."""

    code_generator_class = _TaintCodeGenerator
    intercepted_binops = frozenset({"+", "%", "*"})

    def __init__(self, **options: Any) -> None:
        super().__init__(**options)
        for name, function in list(self.filters.items()):
            if name not in FILTERS:
                self.filters[name] = _propagating(function)
        self.filters.update(FILTERS)

    tainted_join = staticmethod(tainted_join)

    def call_binop(self, context: Context, operator: str, left: Any, right: Any) -> Any:
        return _retaint(super().call_binop(context, operator, left, right), left, right)

    def getitem(self, obj: Any, argument: Any) -> Any:
        return _retaint(super().getitem(obj, argument), obj) if isinstance(obj, str) else super().getitem(obj, argument)

    def call(__self, __context: Context, __obj: Any, *args: Any, **kwargs: Any) -> Any:  # noqa: N805
        result = super().call(__context, __obj, *args, **kwargs)
        if isinstance(__obj, Macro):  # a macro's output is template text whose answers were already quoted
            return result
        return _retaint(result, __obj, args, tuple(kwargs.values()))


def make_environment(templates: Mapping[str, str], delimiters: Delimiters) -> TaintPreservingEnvironment:
    """A sandboxed, immutable environment with StrictUndefined, loading only the pack's in-memory templates."""
    return TaintPreservingEnvironment(
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
