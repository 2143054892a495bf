"""``harden --write`` writes every changed file to a temp file beside it, fsyncs them all, then renames each into
place: no file is in place before every file is durable, and a file that cannot be written is an error of its own
while the others are still written."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any

import pytest

from scaffold.harden.runner import harden_paths

UNPINNED = "on: push\npermissions: {}\njobs:\n  t:\n    runs-on: x\n    steps:\n      - uses: actions/checkout@v4\n"
PINNED = "actions/checkout@11d5960a326750d5838078e36cf38b85af677262 # v4.4.0"
NAMES = ["a.yml", "b.yml", "c.yml"]
NEEDS_PROC = pytest.mark.skipif(not Path("/proc/self/fd").is_dir(), reason="needs /proc to name an open file")


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    root = tmp_path / "repo"
    (root / ".git").mkdir(parents=True)
    (root / ".github/workflows").mkdir(parents=True)
    for name in NAMES:
        (root / ".github/workflows" / name).write_text(UNPINNED)
    return root


def _shown(repo: Path, *names: str) -> list[str]:
    return [str(repo / ".github/workflows" / name) for name in names]


def _fd_name(fd: int) -> str:
    return Path(f"/proc/self/fd/{fd}").readlink().name


@NEEDS_PROC
def test_every_file_is_fsynced_before_the_first_is_renamed(repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    events: list[str] = []
    real_fsync, real_replace = os.fsync, os.replace

    def fsync(fd: int) -> None:
        events.append(f"fsync {_fd_name(fd).split('.')[1]}")
        real_fsync(fd)

    def replace(source: str | os.PathLike[str], target: str | os.PathLike[str]) -> None:
        events.append(f"rename {Path(target).name}")
        real_replace(source, target)

    monkeypatch.setattr(os, "fsync", fsync)
    monkeypatch.setattr(os, "replace", replace)
    report = harden_paths([repo], write=True)
    assert report.errors == []
    assert report.written == _shown(repo, *NAMES)
    assert sorted(events[:3]) == [f"fsync {name.removesuffix('.yml')}" for name in NAMES]
    assert events[3:] == [f"rename {name}" for name in NAMES]
    for name in NAMES:
        assert PINNED in (repo / ".github/workflows" / name).read_text()


@NEEDS_PROC
def test_a_file_whose_fsync_fails_is_an_error_and_the_others_are_written(
    repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real_fsync = os.fsync

    def fsync(fd: int) -> None:
        if _fd_name(fd).startswith(".b.yml."):
            raise OSError(28, "No space left on device")
        real_fsync(fd)

    monkeypatch.setattr(os, "fsync", fsync)
    report = harden_paths([repo], write=True)
    assert [(error.path, error.message) for error in report.errors] == [
        (_shown(repo, "b.yml")[0], f"{_shown(repo, 'b.yml')[0]}: cannot write: No space left on device")
    ]
    assert report.written == _shown(repo, "a.yml", "c.yml")
    assert (repo / ".github/workflows/b.yml").read_text() == UNPINNED
    assert PINNED in (repo / ".github/workflows/a.yml").read_text()
    assert PINNED in (repo / ".github/workflows/c.yml").read_text()
    assert sorted(path.name for path in (repo / ".github/workflows").iterdir()) == NAMES  # no temp file left


def test_a_file_whose_temp_file_cannot_be_made_is_an_error_and_the_others_are_written(
    repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real_mkstemp = tempfile.mkstemp

    def mkstemp(*args: Any, **kwargs: Any) -> tuple[int, str]:
        if str(kwargs.get("prefix", "")).startswith(".a.yml."):
            raise OSError(13, "Permission denied")
        return real_mkstemp(*args, **kwargs)

    monkeypatch.setattr(tempfile, "mkstemp", mkstemp)
    report = harden_paths([repo], write=True)
    assert [(error.path, error.message) for error in report.errors] == [
        (_shown(repo, "a.yml")[0], f"{_shown(repo, 'a.yml')[0]}: cannot write: Permission denied")
    ]
    assert report.written == _shown(repo, "b.yml", "c.yml")
    assert (repo / ".github/workflows/a.yml").read_text() == UNPINNED
    assert sorted(path.name for path in (repo / ".github/workflows").iterdir()) == NAMES
