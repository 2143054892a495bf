from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from scaffold.answers import validate
from scaffold.api import new
from tests.answer_sets import ANSWER_SETS


@pytest.fixture(scope="session")
def kit_dir(tmp_path_factory: pytest.TempPathFactory) -> Callable[[str], Path]:
    """Render an answer set into its own directory once per session, through the public API."""
    cache: dict[str, Path] = {}

    def get(name: str) -> Path:
        if name not in cache:
            output = tmp_path_factory.mktemp(name)
            new(output=output, answers=validate(ANSWER_SETS[name]))
            cache[name] = output
        return cache[name]

    return get
