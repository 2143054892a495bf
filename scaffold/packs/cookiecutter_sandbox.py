"""The Jinja sandbox an untrusted cookiecutter template renders in: no disk, no environment, bounded time and size.

Cookiecutter's own ``StrictEnvironment`` is a plain Jinja environment: a template can climb from any object to
Python's globals, load extensions and read files. This one is Jinja's ``ImmutableSandboxedEnvironment`` with
``StrictUndefined`` and cookiecutter's pure built-in extensions only (``jsonify``, ``slugify``, and ``{% now %}``
read from a fixed instant), plus bounds Jinja's sandbox does not have:

- a deadline, checked at every call, filter, operator and ``for`` iteration (each loop's iterable is wrapped in a
  ticking filter when the template is parsed) and between output chunks, so a template that loops or recurses
  without end stops with ``UnsafePackError`` instead of hanging;
- a size cap on every string or list a step can build: ``*``, ``**``, ``+``, ``%``, ``~``, block captures, and the
  string methods and filters that multiply their input (``center``, ``replace``, ``indent``, ``format``...) are
  refused before they allocate more than the cap;
- templates load only from the in-memory mapping the caller gives (``{% include '/etc/passwd' %}`` is not found).

``random_ascii_string`` and ``uuid4`` are left out: a render must be reproducible for upgrades to re-render it.
"""

from __future__ import annotations

import functools
import re
import time
import types
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from datetime import UTC, datetime, tzinfo
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from jinja2 import BaseLoader, StrictUndefined, TemplateError, TemplateNotFound, TemplateSyntaxError, nodes
from jinja2.compiler import CodeGenerator, Frame
from jinja2.runtime import Context, markup_join, str_join
from jinja2.sandbox import MAX_RANGE, ImmutableSandboxedEnvironment

from scaffold.errors import ScaffoldError, UnsafePackError, UsageError
from scaffold.untrusted.text import shown

SAFE_OPTIONS = frozenset(
    {
        "block_start_string",
        "block_end_string",
        "variable_start_string",
        "variable_end_string",
        "comment_start_string",
        "comment_end_string",
        "line_statement_prefix",
        "line_comment_prefix",
        "trim_blocks",
        "lstrip_blocks",
        "newline_sequence",
        "autoescape",
    }
)
"""The ``_jinja2_env_vars`` a template may set without ``--trust``: syntax and whitespace only."""

_TICK_FILTER = "scaffold_ticking"
_MAX_POWER_BITS = 100_000
_MULTIPLYING = frozenset({"center", "ljust", "rjust", "zfill", "expandtabs", "replace", "indent", "wordwrap"})
_FORMAT_WIDTH = re.compile(r"[0-9]{7,}")
_ZONE_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_+-]{0,40}(?:/[A-Za-z0-9_+-]{1,40}){0,3}")
_SHIFT_UNITS = frozenset({"years", "months", "weeks", "days", "hours", "minutes", "seconds"})


def _size(value: Any) -> int:
    return len(value) if isinstance(value, str | bytes | list | tuple | dict | set | frozenset) else 0


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


class _CappedConcatGenerator(CodeGenerator):
    """Compiles ``~`` to ``environment.sandbox_join``, which checks the joined size before joining."""

    def visit_Concat(self, node: nodes.Concat, frame: Frame) -> None:  # noqa: N802 (Jinja visitor name)
        if frame.eval_ctx.volatile:
            markup = "context.eval_ctx.volatile"
        else:
            markup = "True" if frame.eval_ctx.autoescape else "False"
        self.write(f"environment.sandbox_join({markup}, (")
        for arg in node.nodes:
            self.visit(arg, frame)
            self.write(", ")
        self.write("))")


class TemplateSandbox(ImmutableSandboxedEnvironment):
    """Jinja's immutable sandbox with a deadline and a size cap; see the module docstring."""

    code_generator_class = _CappedConcatGenerator
    intercepted_binops = frozenset({"*", "**", "+", "%"})

    def __init__(
        self,
        *,
        loader: BaseLoader,
        deadline: float,
        max_chars: int,
        now: datetime,
        options: Mapping[str, Any] | None = None,
    ) -> None:
        from cookiecutter.extensions import JsonifyExtension, SlugifyExtension  # type: ignore[import-untyped]

        self.deadline = deadline
        self.max_chars = max_chars
        self.fixed_now = now if now.tzinfo is not None else now.replace(tzinfo=UTC)
        super().__init__(
            loader=loader,
            undefined=StrictUndefined,
            keep_trailing_newline=True,
            extensions=[JsonifyExtension, SlugifyExtension, _fixed_time_extension()],
            **dict(options or {}),
        )
        self.globals["range"] = self.ticking_range
        del self.globals["lipsum"]  # random text, and a size only its arguments bound
        for name, function in list(self.filters.items()):
            self.filters[name] = self._bounded_filter(name, function)
        self.filters[_TICK_FILTER] = self._ticking

    # -- the deadline -------------------------------------------------------------------------------------------

    def tick(self) -> None:
        if time.monotonic() > self.deadline:
            raise UnsafePackError("the render ran out of time (a loop or recursion without end?)")

    def _ticking(self, iterable: Iterable[Any]) -> Iterator[Any]:
        for item in iterable:
            self.tick()
            yield item

    def ticking_range(self, *args: int) -> Iterator[int]:
        numbers = range(*args)
        if len(numbers) > MAX_RANGE:
            raise UnsafePackError(f"range() of {len(numbers)} numbers; at most {MAX_RANGE}")
        return self._ticking(numbers)

    def _parse(self, source: str, name: str | None, filename: str | None) -> nodes.Template:
        """Parse, then make every ``for`` loop check the deadline at each item."""
        tree = super()._parse(source, name, filename)
        for loop in tree.find_all(nodes.For):
            loop.iter = nodes.Filter(loop.iter, _TICK_FILTER, [], [], None, None, lineno=loop.lineno)
        return tree

    # -- the size cap --------------------------------------------------------------------------------------------

    def refuse_size(self, size: int, what: str) -> None:
        if size > self.max_chars:
            raise UnsafePackError(f"{what} would build {size} items or characters; at most {self.max_chars}")

    def concat(self, parts: Iterable[str]) -> str:  # Jinja's is "".join
        kept: list[str] = []
        total = 0
        for part in parts:
            total += len(part)
            self.refuse_size(total, "a block of template output")
            kept.append(part)
        return "".join(kept)

    def sandbox_join(self, markup: bool, values: tuple[Any, ...]) -> str:
        """Jinja's ``~``, refused when the result would pass the cap."""
        self.tick()
        texts = tuple(str(value) if not hasattr(value, "__html__") else value for value in values)
        self.refuse_size(sum(len(text) for text in texts), "'~'")
        return markup_join(texts) if markup else str_join(texts)

    def call_binop(self, context: Context, operator: str, left: Any, right: Any) -> Any:
        self.tick()
        if operator == "*":
            for sequence, count in ((left, right), (right, left)):
                if _is_int(count) and _size(sequence):
                    self.refuse_size(_size(sequence) * count, "'*'")
        elif operator == "**" and _is_int(left) and _is_int(right) and abs(left) > 1 and right > 0:
            if left.bit_length() * right > _MAX_POWER_BITS:
                raise UnsafePackError(f"'**': {shown(str(left), 20)} ** {right} is too large a number")
        elif operator == "+" and _size(left) and _size(right):
            self.refuse_size(_size(left) + _size(right), "'+'")
        elif operator == "%" and isinstance(left, str):
            self._refuse_format(left, right, "'%'")
        result = super().call_binop(context, operator, left, right)
        self.refuse_size(_size(result), f"'{operator}'")
        return result

    def _refuse_format(self, spec: str, arguments: Any, what: str) -> None:
        """A printf or ``str.format`` pattern with a huge width or precision builds a huge string from nothing."""
        if _FORMAT_WIDTH.search(spec):
            raise UnsafePackError(f"{what}: a format width or precision of a million or more")
        values = arguments if isinstance(arguments, tuple | list) else (arguments,)
        if "*" in spec and any(_is_int(value) and abs(value) > self.max_chars for value in values):
            raise UnsafePackError(f"{what}: a '*' width of more than {self.max_chars}")

    def _refuse_multiplier(self, name: str, subject: Any, args: tuple[Any, ...], kwargs: Mapping[str, Any]) -> None:
        """Estimate what a multiplying string method or filter builds, and refuse it above the cap."""
        arguments = (*args, *kwargs.values())
        if name == "join":
            items = subject if isinstance(subject, list | tuple) else next(iter(arguments), None)
            separator = subject if isinstance(subject, str) else next(iter(arguments), "")
            if isinstance(items, list | tuple):
                self.refuse_size(sum(_size(item) for item in items) + _size(separator) * len(items), "join")
        elif name in ("format", "format_map"):
            if isinstance(subject, str):
                self._refuse_format(subject, arguments, name)
        elif name in _MULTIPLYING:
            self.refuse_size(_estimate(name, subject if isinstance(subject, str) else "", arguments), name)

    def call(__self, __context: Context, __obj: Any, *args: Any, **kwargs: Any) -> Any:  # noqa: N805
        __self.tick()
        target = getattr(__obj, "__wrapped__", __obj)  # str.format comes wrapped by Jinja's sandbox
        bound_to = getattr(target, "__self__", None)
        if isinstance(target, types.BuiltinMethodType) and isinstance(bound_to, str):
            __self._refuse_multiplier(target.__name__, bound_to, args, kwargs)
        result = super().call(__context, __obj, *args, **kwargs)
        __self.refuse_size(_size(result), "a call")
        return result

    def _bounded_filter(self, name: str, function: Callable[..., Any]) -> Callable[..., Any]:
        """A built-in filter that checks the deadline, refuses a multiplying call, and caps its result."""
        value_at = 1 if getattr(function, "jinja_pass_arg", None) is not None else 0

        @functools.wraps(function)
        def bounded(*args: Any, **kwargs: Any) -> Any:
            self.tick()
            if len(args) > value_at:
                rest = args[value_at + 1 :]
                if any(_is_int(value) and abs(value) > self.max_chars for value in (*rest, *kwargs.values())):
                    raise UnsafePackError(f"filter {name}: a number argument above {self.max_chars}")
                self._refuse_multiplier(name, args[value_at], rest, kwargs)
            result = function(*args, **kwargs)
            self.refuse_size(_size(result), f"filter {name}")
            return result

        return bounded


@contextmanager
def rendering(what: str) -> Iterator[None]:
    """Turn anything a template raises into one ``UnsafePackError`` line that starts with ``what``."""
    try:
        yield
    except UsageError as error:
        raise type(error)(f"{what}: {error}") from None
    except ScaffoldError:
        raise
    except TemplateNotFound as error:
        raise UnsafePackError(
            f"{what}: no template '{shown(str(error.name))}'; only the template's own files can be included"
        ) from None
    except TemplateSyntaxError as error:
        raise UnsafePackError(f"{what}: line {error.lineno}: {shown(error.message or 'syntax error', 200)}") from None
    except TemplateError as error:
        raise UnsafePackError(f"{what}: {shown(error.message or type(error).__name__, 200)}") from None
    except RecursionError:
        raise UnsafePackError(f"{what}: recurses too deeply") from None
    except MemoryError:
        raise UnsafePackError(f"{what}: needs more memory than a render may take") from None
    except Exception as error:  # a template's filters and methods can raise anything
        raise UnsafePackError(f"{what}: {type(error).__name__}: {shown(str(error), 200)}") from None


def _estimate(name: str, text: str, arguments: tuple[Any, ...]) -> int:
    """An upper bound of the length a multiplying string operation returns."""
    size = len(text)
    numbers: list[int] = [abs(int(value)) for value in arguments if _is_int(value)]
    texts = [value for value in arguments if isinstance(value, str)]
    if name in ("center", "ljust", "rjust", "zfill"):
        return max([size, *numbers])
    if name == "expandtabs":
        return size + text.count("\t") * max(numbers, default=8)
    if name == "replace":
        old = texts[0] if texts else ""
        new = texts[1] if len(texts) > 1 else ""
        return size + (text.count(old) if old else size + 1) * len(new)
    if name == "indent":
        return size + (text.count("\n") + 1) * max([*numbers, *(len(value) for value in texts)], default=4)
    width = min(numbers, default=79) or 1  # wordwrap
    return size + (size // width + 1) * max((len(value) for value in texts), default=1)


def _zone(name: str) -> tzinfo:
    """``utc`` and ``local`` (both UTC here, so a render does not depend on the machine) or an IANA zone name."""
    if name.lower() in ("utc", "local"):
        return UTC
    if not _ZONE_NAME.fullmatch(name):
        raise UnsafePackError(f"now: '{shown(name)}' is not a time zone name")
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        raise UnsafePackError(f"now: unknown time zone '{shown(name)}'") from None


@functools.cache
def _fixed_time_extension() -> type[Any]:
    """Cookiecutter's ``{% now %}`` tag, reading the sandbox's fixed instant instead of the clock."""
    import arrow
    from cookiecutter.extensions import TimeExtension  # the module's first import carries the type: ignore

    class FixedTimeExtension(TimeExtension):  # type: ignore[misc] # cookiecutter is untyped here
        def _moment(self, timezone: str) -> arrow.Arrow:
            fixed: datetime = self.environment.fixed_now
            return arrow.Arrow.fromdatetime(fixed).to(_zone(str(timezone)))

        def _now(self, timezone: str, datetime_format: str | None) -> str:
            return str(self._moment(timezone).strftime(datetime_format or self.environment.datetime_format))

        def _datetime(self, timezone: str, operator: str, offset: str, datetime_format: str | None) -> str:
            shift: dict[str, Any] = {}
            for part in str(offset).split(","):
                unit, _, amount = part.partition("=")
                if unit.strip() not in _SHIFT_UNITS:
                    raise UnsafePackError(f"now: '{shown(unit.strip())}' is not a time unit")
                shift[unit.strip()] = float(operator + amount.strip())
            moment = self._moment(timezone).shift(**shift)
            return str(moment.strftime(datetime_format or self.environment.datetime_format))

    return FixedTimeExtension
