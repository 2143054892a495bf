"""Every pack test runs with its own, empty scaffold config: the tester's own trust list or require_signed setting
must not change what a test sees."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture(autouse=True)
def user_config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Where the user's scaffold config is for this test (absent unless the test writes it)."""
    monkeypatch.delenv("SCAFFOLD_CONFIG", raising=False)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    return tmp_path / "config" / "scaffold" / "config.yml"
