"""Apply an upgrade so that a crash leaves every file fully old or fully new, and a re-run finishes the job.

Every new text is first staged and fsynced under ``.scaffold-upgrade/`` in the kit, then a journal listing every
move and deletion is written atomically. Only then are files moved into place (``os.replace``, atomic on one file
system), ``.scaffold.yml`` last. A run that finds a journal replays it before doing anything else; a staging
folder without a journal means the crash came before any file was touched, and it is simply removed.
"""

from __future__ import annotations

import json
import os
import re
import shutil
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from scaffold.errors import UsageError
from scaffold.record import file_hash
from scaffold.writer import safe_target

STAGING = ".scaffold-upgrade"
_JOURNAL = "journal.json"


def apply(root: Path, writes: Mapping[str, str], deletes: Mapping[str, str]) -> None:
    """Write ``writes`` ({path: text}, in order) and delete ``deletes`` ({path: sha256 the file must still have})."""
    staging = root / STAGING
    shutil.rmtree(staging, ignore_errors=True)
    try:
        staging.mkdir()
        moves = []
        for index, (path, text) in enumerate(writes.items()):
            safe_target(root, path)
            name = f"{index}.stage"
            _write_synced(staging / name, text.encode("utf-8"))
            moves.append({"path": path, "stage": name, "sha256": file_hash(text)})
        journal = {"writes": moves, "deletes": [{"path": p, "sha256": h} for p, h in deletes.items()]}
        _write_synced(staging / f"{_JOURNAL}.tmp", json.dumps(journal, indent=1).encode())
        (staging / f"{_JOURNAL}.tmp").replace(staging / _JOURNAL)
        _sync_folder(staging)
    except UsageError:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    except OSError as error:
        shutil.rmtree(staging, ignore_errors=True)
        raise UsageError(f"{root}: cannot stage the upgrade: {error.strerror or error}; nothing was changed") from None
    _replay(root, journal)


def finish_interrupted(root: Path) -> list[str] | None:
    """Finish an upgrade a crash interrupted; returns the paths it completed, or None when there was none."""
    staging = root / STAGING
    if not staging.is_dir():
        return None
    journal_path = staging / _JOURNAL
    if not journal_path.is_file():
        shutil.rmtree(staging, ignore_errors=True)
        return []
    try:
        journal = json.loads(journal_path.read_text(encoding="utf-8"))
        _check_journal(journal)
    except (OSError, ValueError) as error:
        raise UsageError(
            f"{journal_path}: an interrupted upgrade left a journal that cannot be read ({error}); "
            "inspect it, then remove the folder and re-run"
        ) from None
    return _replay(root, journal)


def _replay(root: Path, journal: dict[str, Any]) -> list[str]:
    staging = root / STAGING
    done = []
    for move in journal["writes"]:
        stage, target = staging / move["stage"], safe_target(root, move["path"])
        if stage.is_file():
            target.parent.mkdir(parents=True, exist_ok=True)
            stage.replace(target)
            done.append(move["path"])
        elif not target.is_file() or file_hash(target.read_text(encoding="utf-8")) != move["sha256"]:
            raise UsageError(f"{target}: the interrupted upgrade's staged copy is gone and the file is not the new one")
    for delete in journal["deletes"]:
        target = safe_target(root, delete["path"])
        if target.is_file() and file_hash(target.read_text(encoding="utf-8")) == delete["sha256"]:
            target.unlink()
            done.append(delete["path"])
    shutil.rmtree(staging, ignore_errors=True)
    return done


def _check_journal(journal: Any) -> None:
    if not isinstance(journal, dict) or not isinstance(journal.get("writes"), list):
        raise ValueError("not a journal")
    for entry in [*journal["writes"], *journal.get("deletes", [])]:
        if not isinstance(entry, dict) or not isinstance(entry.get("path"), str):
            raise ValueError("a journal entry has no path")
    for move in journal["writes"]:
        if not re.fullmatch(r"[0-9]+\.stage", str(move.get("stage"))):
            raise ValueError("a journal entry names a staged file outside the staging folder")
    journal.setdefault("deletes", [])


def _write_synced(path: Path, data: bytes) -> None:
    with path.open("wb") as stream:
        stream.write(data)
        stream.flush()
        os.fsync(stream.fileno())
    path.chmod(0o644)


def _sync_folder(folder: Path) -> None:
    handle = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(handle)
    finally:
        os.close(handle)
