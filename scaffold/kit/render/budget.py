"""The render budget: how long a pack may render and how much text it may build.

A pack's templates are hostile code run in Jinja's sandbox. The sandbox stops them reaching Python's internals, but
not from spending time or memory: nested loops with an empty body, a recursive macro, ``'x' * 10**9``, a width of
a billion in a format string, ``9 ** 9 ** 9``, or a join of a list that repeats one large string. The environment
charges every operation to a ``Meter``: the clock is read at each loop step, call, attribute or item look-up and
operator, and the size of a value is estimated before the one operation that would build it, because an operation
running in C cannot be stopped half way.

The built-in kit renders in well under a second, its largest file is about 10,000 characters and the whole kit
about 110,000: the budgets are far above it.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, ItemsView, KeysView, ValuesView
from dataclasses import dataclass
from typing import Any

from jinja2.utils import Namespace

from scaffold.errors import UnsafePackError

RENDER_SECONDS = 60.0
"""Most seconds one render of a pack (every file) may take."""
MAX_FILE_CHARS = 2_000_000
"""Most characters in one rendered file, and in any one text value a template builds."""
MAX_TOTAL_CHARS = 50_000_000
"""Most characters in all the rendered files together, and the bound on the estimated size of one operation."""
MAX_FILES = 5_000
"""Most files one render may produce (``each`` can multiply the manifest's entries)."""
MAX_INT_BITS = 100_000
"""Largest integer an operator may build, in bits (``str()`` of an integer stops at 4,300 digits anyway)."""


@dataclass(frozen=True)
class Budget:
    seconds: float
    file_chars: int
    total_chars: int
    files: int


def default_budget() -> Budget:
    """The budget from the module's constants, read when called."""
    return Budget(RENDER_SECONDS, MAX_FILE_CHARS, MAX_TOTAL_CHARS, MAX_FILES)


class RenderBudgetError(UnsafePackError):
    """A render went over its budget. The renderer adds the template's name to the message."""


class Meter:
    """The running account of one render against its budget; the clock starts when the meter is made."""

    def __init__(self, budget: Budget) -> None:
        self.budget = budget
        self.deadline = time.monotonic() + budget.seconds
        self.chars = 0
        self.files = 0

    def tick(self) -> None:
        """Raise once the render has run longer than its budget."""
        if time.monotonic() > self.deadline:
            raise RenderBudgetError(f"exceeds the render budget of {self.budget.seconds:g} s")

    def text(self, size: int) -> None:
        """Refuse a text value (or a file) longer than one file may be."""
        if size > self.budget.file_chars:
            raise RenderBudgetError(f"builds text longer than the render budget of {self.budget.file_chars} characters")

    def estimate(self, size: int) -> None:
        """Refuse an operation whose result could be larger than the whole render may be."""
        if size > self.budget.total_chars:
            raise RenderBudgetError(
                f"would build a value larger than the render budget of {self.budget.total_chars} characters"
            )

    def integer(self, bits: int) -> None:
        if bits > MAX_INT_BITS:
            raise RenderBudgetError(f"would build an integer of more than {MAX_INT_BITS} bits")

    def file(self, size: int) -> None:
        """Count one rendered file against the per-file, total and file-count budgets."""
        self.text(size)
        self.chars += size
        self.files += 1
        if self.chars > self.budget.total_chars:
            raise RenderBudgetError(f"the kit exceeds the render budget of {self.budget.total_chars} characters in all")
        if self.files > self.budget.files:
            raise RenderBudgetError(f"the kit exceeds the render budget of {self.budget.files} files")


def weight(value: Any, limit: int, tick: Callable[[], None] | None = None) -> int:
    """About how many characters ``str(value)`` takes, counted until ``limit`` is passed (so the count costs at most
    about ``limit`` steps however the value nests or repeats itself); ``tick`` is called every thousand steps."""
    total = 0
    steps = 0
    pending = [value]
    while pending and total <= limit:
        steps += 1
        if tick is not None and steps % 1024 == 0:
            tick()
        item = pending.pop()
        if isinstance(item, str | bytes | bytearray):
            total += len(item)
        elif isinstance(item, bool) or item is None:
            total += 5
        elif isinstance(item, int):
            total += item.bit_length() // 3 + 2
        elif isinstance(item, dict):
            total += 2 + 4 * len(item)
            pending.extend(item.keys())
            pending.extend(item.values())
        elif isinstance(item, list | tuple | set | frozenset):
            total += 2 + 2 * len(item)
            pending.extend(item)
        elif isinstance(item, range):
            total += len(item) * (len(str(max(abs(item.start), abs(item.stop)))) + 3)
        elif isinstance(item, KeysView | ValuesView | ItemsView):
            total += 2 + 2 * len(item)
            pending.append(list(item))
        elif isinstance(item, Namespace):  # its repr shows every attribute
            pending.append(dict(item._Namespace__attrs))
        else:
            total += 24
    return total


def magnitude(values: tuple[Any, ...]) -> int:
    """The sum of the integers among ``values`` (widths, counts, tab sizes: what can multiply a result)."""
    return sum(abs(value) for value in values if isinstance(value, int) and not isinstance(value, bool))


_DIGITS = re.compile(r"[0-9]+")
_PERCENT_SPEC = re.compile(r"%(?:\([^)]*\))?[#0 +-]*(?:[0-9]+|\*)?(?:\.(?:[0-9]+|\*))?")
_BRACE_SPEC = re.compile(r"\{[^{}:]*:([^{}]*(?:\{[^{}]*\}[^{}]*)*)\}")


def format_widths(template: str, arguments: tuple[Any, ...], *, braces: bool) -> int:
    """How much the widths and precisions of a ``%`` or ``str.format`` string can add to its result: the numbers in
    its conversion specs, and the integer arguments when a spec takes its width from them (``%*d``, ``{:{w}}``)."""
    specs = _BRACE_SPEC.findall(template) if braces else _PERCENT_SPEC.findall(template)
    widths = 0
    from_arguments = False
    for spec in specs:
        widths += sum(int(digits) if len(digits) < 20 else 10**20 for digits in _DIGITS.findall(spec))
        from_arguments = from_arguments or ("{" in spec if braces else "*" in spec)
    return widths + (magnitude(arguments) if from_arguments else 0)
