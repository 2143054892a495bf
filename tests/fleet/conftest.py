"""Every fleet test runs with its own scaffold config, history database and cache: the tester's own must never
change what a test sees, and a test must never write into them."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture(autouse=True)
def fleet_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The folder holding this test's user config, data (the history) and cache (clones, work trees)."""
    home = tmp_path / "home"
    monkeypatch.delenv("SCAFFOLD_CONFIG", raising=False)
    for variable, folder in (("XDG_CONFIG_HOME", "config"), ("XDG_DATA_HOME", "data"), ("XDG_CACHE_HOME", "cache")):
        monkeypatch.setenv(variable, str(home / folder))
    return home


@pytest.fixture(scope="session")
def template_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Where the first kit of each answer set is rendered; the tests copy it."""
    return tmp_path_factory.mktemp("kit-templates")
