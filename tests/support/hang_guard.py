"""A guard against hangs, not a measure of speed: the project asserts no timings (benchmarks/ measures them).

A test of a linear-time fix runs the adversarial input inside ``hang_guard()``; if the code regressed to
exponential or cubic time, the alarm ends the test with a clear failure instead of blocking CI for hours. The
limit is far above any normal run, so a slow or loaded machine never trips it.
"""

from __future__ import annotations

import signal
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType

HANG_SECONDS = 60


class HangError(BaseException):
    """Not an ``Exception``: code under test that catches every error (the CLI does) cannot swallow it."""


@contextmanager
def hang_guard(seconds: int = HANG_SECONDS) -> Iterator[None]:
    def _alarm(_signal: int, _frame: FrameType | None) -> None:
        raise HangError(f"did not finish within {seconds} s: a hang, not a slow run")

    previous = signal.signal(signal.SIGALRM, _alarm)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)
