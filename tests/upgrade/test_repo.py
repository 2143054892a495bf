"""The git store's reads are bounded: a hostile history cannot make scaffold read more than a kit could hold."""

from __future__ import annotations

from pathlib import Path

import pytest

from scaffold.upgrade import repo
from tests.upgrade.support import commit_all, git


def test_history_reads_skip_blobs_larger_than_a_kit_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    git(tmp_path, "init", "-q", "-b", "main")
    (tmp_path / "ci.yml").write_text("small\n")
    commit_all(tmp_path, "small")
    (tmp_path / "ci.yml").write_text("large " * 100 + "\n")
    commit_all(tmp_path, "large")
    assert repo.historical_versions(tmp_path, "ci.yml") == [("large " * 100 + "\n").encode(), b"small\n"]
    monkeypatch.setattr(repo, "MAX_BLOB_BYTES", 100)
    assert repo.historical_versions(tmp_path, "ci.yml") == [b"small\n"]


def test_history_of_a_path_with_glob_characters_is_literal(tmp_path: Path) -> None:
    git(tmp_path, "init", "-q", "-b", "main")
    (tmp_path / "a.yml").write_text("a\n")
    (tmp_path / "b.yml").write_text("b\n")
    commit_all(tmp_path, "two files")
    assert repo.historical_versions(tmp_path, "*.yml") == []
    assert repo.historical_versions(tmp_path, ":(glob)*") == []
    assert repo.historical_versions(tmp_path, "a.yml") == [b"a\n"]
