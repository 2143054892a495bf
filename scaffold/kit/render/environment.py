"""The sandboxed Jinja environment every pack renders in.

Taint survives every way a template can derive a string from an answer: ``~`` concatenation, ``+``, ``%`` and
``*``, subscripts and slices, method calls such as ``.replace()``, and Jinja's own filters such as ``replace``,
``lower`` or ``join``. A string derived from a Tainted value is Tainted again, so the only way to output it is still
a quoting filter.

Every operation is also charged to the render's budget (``budget.py``): loops, calls, look-ups and operators read
the clock, and the size of a value is checked before the operation that would build it.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Hashable, Iterable, Iterator, Mapping
from types import CodeType
from typing import Any, Literal, overload

from jinja2 import DictLoader, Environment, StrictUndefined, Undefined, nodes
from jinja2.compiler import CodeGenerator, Frame
from jinja2.environment import TemplateExpression
from jinja2.nodes import EvalContext
from jinja2.runtime import Context, LoopContext, Macro
from jinja2.sandbox import ImmutableSandboxedEnvironment

from scaffold.errors import UnsafePackError
from scaffold.kit.packs import Delimiters
from scaffold.kit.render import compiled, precompiled
from scaffold.kit.render.budget import Budget, Meter, default_budget, format_widths, magnitude, weight
from scaffold.kit.render.quoting import FILTERS, Quoted, Tainted


def _finalize(value: Any) -> Any:
    """Refuse to print an answer that did not go through a quoting filter, and anything but text and numbers: a
    boolean, a container, None, bytes, a function, a class or any other object (whose text would be its repr)."""
    if isinstance(value, Tainted):
        raise UnsafePackError(
            f"template: answer value {str(value)[:40]!r} is output without a quoting filter "
            "(use | yaml, | sh, | hcl, | json, | rego, | docker_json, | docker_word or | md)"
        )
    if isinstance(value, Undefined):  # printing it raises Jinja's own error, which names the variable
        return value
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        kind = "function" if callable(value) and not isinstance(value, type) else type(value).__name__
        raise UnsafePackError(f"template: a {kind} is output directly; quote or format it")
    return value


_TAINT_SEARCH = 10_000
"""Most values looked at to decide whether a value holds an answer; a larger value counts as holding one."""


def _holds_taint(value: Any) -> bool:
    """Whether a value is, or contains (four levels deep), a Tainted string or an iterator over one. A value too
    large to search within ``_TAINT_SEARCH`` steps counts as tainted: the safe side."""
    pending = [(value, 0)]
    steps = 0
    while pending:
        item, depth = pending.pop()
        steps += 1
        if steps > _TAINT_SEARCH:
            return True
        if isinstance(item, Tainted) or (isinstance(item, MeteredItems) and item.tainted):
            return True
        if depth > 3:
            continue
        if isinstance(item, list | tuple | set | frozenset):
            pending.extend((part, depth + 1) for part in item)
        elif isinstance(item, dict):
            pending.extend((part, depth + 1) for part in item.values())
        else:
            bound_to = getattr(item, "__self__", None)
            if bound_to is not None and bound_to is not item:
                pending.append((bound_to, depth + 1))
    return False


def _mark(value: Any) -> Any:
    """``value`` as derived from an answer: text Tainted, a list's text Tainted, an iterator yielding Tainted."""
    if isinstance(value, str) and not isinstance(value, Quoted):
        return Tainted(value)
    if isinstance(value, list | tuple):
        return [_mark(item) for item in value]
    if isinstance(value, MeteredItems):
        value.tainted = True
    return value


def _retaint(result: Any, *sources: Any) -> Any:
    """Mark a derived string (or a list of strings, or what an iterator yields) Tainted when anything it came from
    was."""
    if not isinstance(result, str | list | tuple | MeteredItems) or isinstance(result, Quoted):
        return result  # nothing to mark: numbers, booleans, mappings, other objects
    return _mark(result) if any(_holds_taint(source) for source in sources) else result


class MeteredItems:
    """An iterator a template got from a filter, a call or a ``for`` loop: each step reads the render's clock, the
    text it yields counts against the render's total (``map`` can make a large string of each of many items, and
    ``list`` keep them all), and when what it iterates came from an answer, what it yields is Tainted again (the
    characters of an answer, the items ``map`` or ``batch`` made from them)."""

    __slots__ = ("_chars", "_items", "_meter", "tainted")

    def __init__(self, items: Iterable[Any], meter: Meter, tainted: bool = False) -> None:
        self._items = iter(items)
        self._meter = meter
        self._chars = 0
        self.tainted = tainted

    def __iter__(self) -> MeteredItems:
        return self

    def __next__(self) -> Any:
        self._meter.tick()
        item = next(self._items)
        if isinstance(item, str):
            self._chars += len(item)
            self._meter.estimate(self._chars)
        return _mark(item) if self.tainted else item


def tainted_join(values: tuple[Any, ...]) -> str:
    """Jinja's ``~``: join the parts as text, Tainted when any part was."""
    return _retaint("".join(str(value) for value in values), values)  # type: ignore[no-any-return]


_LOOP_ITEMS = "loop_items"


class _TaintCodeGenerator(CodeGenerator):
    """Compiles ``~`` to ``environment.tainted_join`` instead of Jinja's plain string join, slices through
    ``environment.getitem`` (Jinja otherwise slices directly, which would drop the taint), and makes every ``for``
    loop iterate through ``environment.loop_items`` (the characters of an answer stay Tainted, and each step reads
    the clock, so nested loops with an empty body still end)."""

    def visit_For(self, node: nodes.For, frame: Frame) -> None:  # noqa: N802 (Jinja visitor name)
        marker = nodes.EnvironmentAttribute(_LOOP_ITEMS, lineno=node.iter.lineno)
        metered = nodes.Call(marker, [node.iter], [], None, None, lineno=node.iter.lineno)
        loop = nodes.For(node.target, metered, node.body, node.else_, node.test, node.recursive, lineno=node.lineno)
        super().visit_For(loop, frame)

    def visit_Call(  # noqa: N802 (Jinja visitor name)
        self, node: nodes.Call, frame: Frame, forward_caller: bool = False
    ) -> None:
        """The call ``visit_For`` wraps a loop's iterable in is compiled as a direct call (templates cannot write
        an environment attribute; every other call goes through the sandbox's ``call``)."""
        if isinstance(node.node, nodes.EnvironmentAttribute) and node.node.name == _LOOP_ITEMS:
            self.write(f"environment.{_LOOP_ITEMS}(")
            self.visit(node.args[0], frame)
            self.write(")")
            return
        super().visit_Call(node, frame, forward_caller=forward_caller)

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


_SCOPE_KEYWORDS = frozenset({"_loop_vars", "_block_vars"})
"""Keywords Jinja adds to calls made inside a loop or block (the variables in scope): not arguments, so not a
source of taint."""

_PLUMBING = (Context, EvalContext, Environment)
"""What Jinja passes to context, eval-context and environment filters before the value."""

_BOUNDED_FILTERS = frozenset(
    {"abs", "attr", "count", "d", "default", "dictsort", "filesizeformat", "first", "float", "groupby", "int"}
    | {"items", "last", "length", "list", "map", "max", "min", "random", "reject", "rejectattr", "reverse", "round"}
    | {"select", "selectattr", "sort", "unique", "wordcount"}
)
"""Filters whose result is never larger than their input and that never turn a container into text: their input
need not be weighed (which would cost a walk of a large list at every call)."""


def _propagating(name: str, filter_function: Callable[..., Any], meter: Meter) -> Callable[..., Any]:
    """Wrap a built-in filter so its result is Tainted when its input or arguments were, and so it cannot build
    more than the budget allows (its size is estimated from its value and arguments before it runs)."""
    bounded = name in _BOUNDED_FILTERS

    @functools.wraps(filter_function)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        meter.tick()
        if name == "sum" and not isinstance(kwargs.get("start", args[3] if len(args) > 3 else 0), int | float):
            raise UnsafePackError("template: filter 'sum' adds numbers only (lists added up take quadratic time)")
        if not bounded:
            given = tuple(arg for arg in args if not isinstance(arg, _PLUMBING))
            value, arguments = (given[0], given[1:] + tuple(kwargs.values())) if given else (None, ())
            widths = format_widths(value, arguments, braces=False) if name == "format" and isinstance(value, str) else 0
            _check_call(meter, value, arguments, widths)
        return _settled(meter, filter_function(*args, **kwargs), args, tuple(kwargs.values()))

    return wrapper


def _check_call(meter: Meter, target: Any, arguments: tuple[Any, ...], widths: int = 0) -> None:
    """Refuse a call whose result could exceed the budget: its target's size times its arguments' (a separator,
    a replacement or a translation table is repeated once per item or character), plus its integer arguments
    times the lines and tabs of a text target (a width or tab size is repeated once per line or tab)."""
    limit = meter.budget.total_chars
    spread = 1 + (target.count("\n") + target.count("\t") if isinstance(target, str) else 0)
    size = (weight(target, limit, meter.tick) + 1) * (1 + weight(arguments, limit, meter.tick))
    meter.estimate(size + (magnitude(arguments) + widths) * spread)


def _settled(meter: Meter, result: Any, *sources: Any) -> Any:
    """``result``, once its size is within the budget, Tainted when any of ``sources`` was; an iterator comes back
    metered (and Tainted as it yields, when its sources were)."""
    if isinstance(result, Iterator) and not isinstance(result, MeteredItems):
        result = MeteredItems(result, meter)
    elif isinstance(result, str | bytes | bytearray | list | tuple):
        meter.text(len(result))
    return _retaint(result, *sources)


def _bound_self(function: Any) -> Any:
    """The object a method is bound to (also through the sandbox's ``str.format`` wrapper), or None."""
    bound = getattr(function, "__self__", None)
    return bound if bound is not None else getattr(getattr(function, "__wrapped__", None), "__self__", None)


class TaintPreservingEnvironment(ImmutableSandboxedEnvironment):
    """The sandbox, with taint carried through operators, subscripts, method calls and filters, and every
    operation charged to the render's budget."""

    code_generator_class = _TaintCodeGenerator
    intercepted_binops = frozenset({"+", "%", "*", "**"})

    def __init__(self, *, meter: Meter, **options: Any) -> None:
        super().__init__(**options)
        self.meter = meter
        del self.globals["lipsum"]  # text on demand, in any amount: nothing a kit needs
        for name, function in list(self.filters.items()):
            if name not in FILTERS:
                self.filters[name] = _propagating(name, function, meter)
        self.filters.update(FILTERS)
        self._settings = _compile_settings(self)
        self._expression: str | None = None

    @overload
    def compile(
        self,
        source: str | nodes.Template,
        name: str | None = None,
        filename: str | None = None,
        raw: Literal[False] = False,
        defer_init: bool = False,
    ) -> CodeType: ...

    @overload
    def compile(
        self,
        source: str | nodes.Template,
        name: str | None = None,
        filename: str | None = None,
        raw: Literal[True] = ...,
        defer_init: bool = False,
    ) -> str: ...

    def compile(
        self,
        source: str | nodes.Template,
        name: str | None = None,
        filename: str | None = None,
        raw: bool = False,
        defer_init: bool = False,
    ) -> str | CodeType:
        """Jinja's compile, once per text in a process (``compiled.py``), from the Python source shipped for the
        built-in kit when there is one (``precompiled.py``): a template's text, or the text of the expression
        ``compile_expression`` is compiling."""
        text = source if isinstance(source, str) else self._expression
        if raw or text is None:
            return super().compile(source, name, filename, raw, defer_init)  # type: ignore[call-overload,no-any-return]
        key = (isinstance(source, str), text, name, filename, defer_init)
        code = self._known_code(key)
        if code is None:
            code = super().compile(source, name, filename, False, defer_init)
            compiled.keep((self._settings, *key), code, len(text))
        return code

    def compile_expression(self, source: str, undefined_to_none: bool = True) -> TemplateExpression:
        """Jinja's, without parsing an expression whose code is known (what Jinja's ``from_string`` does with it);
        otherwise Jinja's own, with the expression's text known to ``compile`` (which gets it as a tree)."""
        code = self._known_code((False, source, None, None, False))
        if code is not None:
            template = self.template_class.from_code(self, code, self.make_globals(None), None)
            return TemplateExpression(template, undefined_to_none)
        self._expression = source
        try:
            return super().compile_expression(source, undefined_to_none)
        finally:
            self._expression = None

    def _known_code(self, key: tuple[bool, str, str | None, str | None, bool]) -> CodeType | None:
        """The code compiled before in this process, or compiled from the shipped source, for one compile's
        arguments (whether the source is text, the text, name, file name and defer_init); None when neither has it."""
        code = compiled.cached((self._settings, *key))
        if code is None:
            code = precompiled.code(precompiled.entry_key(self._settings, *key))
            if code is not None:
                compiled.keep((self._settings, *key), code, len(key[1]))
        return code

    def is_safe_attribute(self, obj: Any, attr: str, value: Any) -> bool:
        """The sandbox's rules, and no ``str.encode``: bytes would carry an answer's text without its taint."""
        if isinstance(obj, str) and attr == "encode":
            return False
        return super().is_safe_attribute(obj, attr, value)

    def concat(self, parts: Iterable[str]) -> str:
        """Join a template's (or a block's, macro's or ``set``'s) output, refusing it once it is longer than a file
        may be, before the text is built."""
        pieces = []
        size = 0
        for piece in parts:
            self.meter.tick()
            size += len(piece)
            self.meter.text(size)
            pieces.append(piece)
        return "".join(pieces)

    def tainted_join(self, values: tuple[Any, ...]) -> str:
        """Jinja's ``~``, within the budget."""
        self.meter.tick()
        self.meter.text(weight(values, self.meter.budget.file_chars, self.meter.tick))
        return tainted_join(values)

    def loop_items(self, iterable: Any) -> Iterator[Any]:
        """What a ``for`` loop iterates: a clock reading per step, and an answer's characters as Tainted strings."""
        if isinstance(iterable, MeteredItems):
            return iterable
        return MeteredItems(iterable, self.meter, isinstance(iterable, Tainted))

    def call_binop(self, context: Context, operator: str, left: Any, right: Any) -> Any:
        self.meter.tick()
        self._check_binop(operator, left, right)
        return _settled(self.meter, super().call_binop(context, operator, left, right), left, right)

    def _check_binop(self, operator: str, left: Any, right: Any) -> None:
        """Refuse, before it runs, an operator whose result would exceed the budget."""
        meter = self.meter
        limit = meter.budget.file_chars
        whole = isinstance(left, int) and isinstance(right, int)
        if operator == "**" and whole and right > 0 and abs(left) > 1:
            meter.integer(abs(left).bit_length() * right)
        elif operator == "*" and whole:
            meter.integer(abs(left).bit_length() + abs(right).bit_length())
        elif operator == "*" and (isinstance(left, int) or isinstance(right, int)):
            count, repeated = (left, right) if isinstance(left, int) else (right, left)
            meter.text(weight(repeated, limit, meter.tick) * max(count, 0))
        elif operator == "+" and isinstance(left, str | list | tuple):
            meter.text(weight(left, limit, meter.tick) + weight(right, limit, meter.tick))
        elif operator == "%" and isinstance(left, str):
            flat = tuple(right.values()) if isinstance(right, dict) else right if isinstance(right, tuple) else (right,)
            _check_call(meter, left, (right,), format_widths(left, flat, braces=False))

    def getitem(self, obj: Any, argument: Any) -> Any:
        self.meter.tick()
        return _retaint(super().getitem(obj, argument), obj) if isinstance(obj, str) else super().getitem(obj, argument)

    def getattr(self, obj: Any, attribute: str) -> Any:
        self.meter.tick()
        return super().getattr(obj, attribute)

    def call(__self, __context: Context, __obj: Any, *args: Any, **kwargs: Any) -> Any:  # noqa: N805
        meter = __self.meter
        meter.tick()
        arguments = args + tuple(value for key, value in kwargs.items() if key not in _SCOPE_KEYWORDS)
        if isinstance(__obj, LoopContext):  # a recursive loop's next level iterates like any loop
            args = tuple(__self.loop_items(arg) for arg in args)
        elif isinstance(target := _bound_self(__obj), str):  # text methods can multiply: center, join, replace...
            formats = getattr(__obj, "__name__", "") in ("format", "format_map")
            flat = arguments + tuple(value for arg in args if isinstance(arg, dict) for value in arg.values())
            _check_call(meter, target, arguments, format_widths(target, flat, braces=True) if formats else 0)
        result = super().call(__context, __obj, *args, **kwargs)
        if isinstance(__obj, Macro):  # a macro's output is template text whose answers were already quoted
            return _settled(meter, result)
        return _settled(meter, result, __obj, arguments)


def _compile_settings(env: TaintPreservingEnvironment) -> Hashable:
    """Everything besides a template's text and name that the code Jinja compiles from it depends on: the lexer's
    settings, finalize, the budget constant folding is checked against, and each filter's and test's name and the
    way it takes its arguments (both are looked up while compiling)."""

    def passing(functions: Mapping[str, Any]) -> tuple[tuple[str, Any], ...]:
        return tuple(sorted((name, getattr(function, "jinja_pass_arg", None)) for name, function in functions.items()))

    lexing = (
        env.block_start_string,
        env.block_end_string,
        env.variable_start_string,
        env.variable_end_string,
        env.comment_start_string,
        env.comment_end_string,
        env.line_statement_prefix,
        env.line_comment_prefix,
        env.trim_blocks,
        env.lstrip_blocks,
        env.newline_sequence,
        env.keep_trailing_newline,
    )
    options = (env.optimized, env.autoescape, env.is_async, env.finalize, tuple(sorted(env.extensions)))
    return (type(env), lexing, options, env.meter.budget, passing(env.filters), passing(env.tests))


def make_environment(
    templates: Mapping[str, str], delimiters: Delimiters, budget: Budget | None = None
) -> TaintPreservingEnvironment:
    """A sandboxed, immutable environment with StrictUndefined, loading only the pack's in-memory templates; its
    budget's clock starts now."""
    return TaintPreservingEnvironment(
        meter=Meter(budget or default_budget()),
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
