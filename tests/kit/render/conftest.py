"""Shared fixtures of the render tests."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from jinja2 import Environment

from scaffold.kit.render import compiled


@pytest.fixture
def generations(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str | None]]:
    """The names of the templates Jinja's own code generator compiles from here on, with the process cache empty."""
    seen: list[str | None] = []
    real = Environment._generate

    def counting(self: Environment, source: Any, name: str | None, *args: Any, **kwargs: Any) -> str:
        seen.append(name)
        return real(self, source, name, *args, **kwargs)

    monkeypatch.setattr(Environment, "_generate", counting)
    compiled.forget()
    yield seen
    compiled.forget()
