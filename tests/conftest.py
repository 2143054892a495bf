from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import settings

from scaffold.api import new
from scaffold.kit.answers import validate
from tests.answer_sets import ANSWER_SETS

# In CI the property tests run a fixed set of examples, so a run is reproducible; locally they explore at random.
settings.register_profile("ci", derandomize=True, print_blob=True)
if os.environ.get("CI") == "true":
    settings.load_profile("ci")


@pytest.fixture(autouse=True)
def _own_pin_cache(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every test reads and writes its own pin cache, never the user's, and never turns live resolution on."""
    monkeypatch.setenv("SCAFFOLD_CACHE_DIR", str(tmp_path_factory.mktemp("pin-cache")))
    monkeypatch.delenv("SCAFFOLD_ONLINE", raising=False)


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
