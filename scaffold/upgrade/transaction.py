"""Apply an upgrade so that a crash leaves every file fully old or fully new, and a re-run finishes the job.

Every path is checked first (a plain kit path; its folders real folders inside the kit; the file, if any, a regular
file), so a refused apply changes nothing. Then every new text is staged under ``.scaffold-upgrade/`` in the kit
and fsynced (all of them side by side), and a journal listing every move and deletion, each with its sha256, is
written atomically next to it (``.scaffold-upgrade.json``). Only then are files moved into place (``os.replace``,
atomic on one file system): the kit files, then the deletions, then ``.scaffold.yml`` last, so until the very end
the record still describes the old kit. The staging folder, then the journal, are removed only after the caller
stored the new base in git, so a crash before that is still finished by a re-run.

A run that finds a journal finishes it before doing anything else, but only after checking all of it: the staging
folder must not be tracked by git (a committed journal is an attack, not a crash), every entry must be well formed,
every write a file of the kit the staged record describes, every delete a file of the old record that scaffold may
delete, every staged file must still have its sha256 and every moved file the new content. A staging folder without
a journal means the crash came before any file was touched; it is removed.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import shutil
import stat
from collections.abc import Callable, Mapping
from pathlib import Path

from scaffold.errors import UsageError
from scaffold.kit.durable import sync_files
from scaffold.kit.record import RECORD_PATH, parse_record, read_record
from scaffold.kit.writer import RootCheck, make_folders, safe_target
from scaffold.untrusted.read import UnreadableInput, read_bytes
from scaffold.untrusted.text import printable
from scaffold.upgrade import journal as journals
from scaffold.upgrade import repo
from scaffold.upgrade.journal import Delete, Journal, JournalError, Move

STAGING = ".scaffold-upgrade"
JOURNAL = STAGING + ".json"
"""The journal, next to the staging folder: written last (renamed into place) and removed last, after the folder."""
_JOURNAL_TEMP = "journal.json.tmp"
_MAX_JOURNAL_BYTES = 4 * 1024 * 1024
_GIVE_UP = f"to give up the interrupted upgrade, remove {STAGING} and restore the kit from git"


def _named(path: Path | str) -> str:
    return printable(str(path), 200)


def digest(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


# --- a new upgrade ----------------------------------------------------------------------------------------------


def apply(root: Path, writes: Mapping[str, str], deletes: Mapping[str, str]) -> None:
    """Write ``writes`` ({path: text}; ``.scaffold.yml`` goes last) and delete ``deletes`` ({path: the sha256 the file
    must still have}). Everything is checked before the staging folder is created."""
    staging = root / STAGING
    if os.path.lexists(staging) or os.path.lexists(root / JOURNAL):
        raise UsageError(f"{staging}: exists; run 'scaffold upgrade' to finish the interrupted upgrade first")
    ordered = sorted(writes.items(), key=lambda item: item[0] == RECORD_PATH)
    checked = RootCheck(root)
    for path in [*writes, *deletes]:
        safe_target(root, path, checked=checked)
    moves: list[Move] = []
    try:
        staging.mkdir()
        for index, (path, text) in enumerate(ordered):
            data = text.encode("utf-8")
            name = journals.stage_name(index)
            _write(staging / name, data)
            moves.append(Move(path, name, digest(data)))
        sync_files([staging / move.stage for move in moves])  # every staged file, side by side, before the journal
        journal = Journal(tuple(moves), tuple(Delete(path, sha) for path, sha in deletes.items()))
        _write_synced(staging / _JOURNAL_TEMP, journal.dumps())
        _sync_folder(staging)
        (staging / _JOURNAL_TEMP).replace(root / JOURNAL)
        _sync_folder(root)
    except OSError as error:
        _discard(root)
        raise UsageError(f"{root}: cannot stage the upgrade: {error.strerror or error}; nothing was changed") from None
    finish(root, journal)


# --- an interrupted upgrade -------------------------------------------------------------------------------------


def interrupted(root: Path, may_delete: Callable[[str], bool], renders: Callable[[str], bool]) -> Journal | None:
    """The checked journal of an interrupted upgrade, or None when there is none (a staging folder without a journal
    is removed). ``may_delete`` says which files of the old record scaffold may delete, ``renders`` which paths the
    kit can write. Anything wrong is a UsageError, and nothing has moved."""
    staging, journal_path = root / STAGING, root / JOURNAL
    info, journal_info = _lstat(staging), _lstat(journal_path)
    if info is None and journal_info is None:
        return None
    _refuse_tracked(root)
    if info is not None and not stat.S_ISDIR(info.st_mode):
        raise UsageError(f"{staging}: is not a folder scaffold made (a symlink or a file); remove it")
    if journal_info is None:
        _discard(root)
        return None
    if not stat.S_ISREG(journal_info.st_mode):
        raise UsageError(f"{journal_path}: is not a regular file; {_GIVE_UP}")
    try:
        journal = journals.parse(_read(journal_path).decode("utf-8"))
    except UnicodeDecodeError:
        raise UsageError(f"{journal_path}: is not UTF-8 text; {_GIVE_UP}") from None
    except JournalError as error:
        raise UsageError(f"{journal_path}: {error}; {_GIVE_UP}") from None
    _check(root, journal, may_delete, renders)
    return journal


def _refuse_tracked(root: Path) -> None:
    """A journal or staging folder in git's index or in HEAD's tree came with the repository, not from a crash."""
    for name in (STAGING, JOURNAL):
        try:
            committed = repo.committed_paths(root, name)
        except repo.GitError as error:
            raise UsageError(f"{_named(root / name)}: cannot tell whether git tracks it: {error}") from None
        if committed:
            raise UsageError(
                f"{_named(root / name)}: is committed to git ({_named(committed[0])}); an upgrade journal is never "
                f"replayed from a commit: remove it with 'git rm -r {name}' and commit"
            )


def _check(root: Path, journal: Journal, may_delete: Callable[[str], bool], renders: Callable[[str], bool]) -> None:
    staging, where = root / STAGING, root / JOURNAL
    record = journal.record
    if record is None:
        raise UsageError(f"{where}: writes no {RECORD_PATH}; {_GIVE_UP}")
    if _staged(staging, record):
        new_files = parse_record(_verified_stage(staging, record).decode("utf-8"), staging / record.stage).files
        old_files: Mapping[str, str] | None = read_record(root).files
    else:
        _check_moved(root, record)
        new_files, old_files = read_record(root).files, None
    for index, move in enumerate(journal.writes):
        kit_path = move.path.removesuffix(".rej")
        if move.path != RECORD_PATH and not (kit_path in new_files and renders(kit_path)):
            raise UsageError(f"{where}: writes[{index}].path {move.path!r} is not a file of the kit; {_GIVE_UP}")
        safe_target(root, move.path)
        if _staged(staging, move):
            _verified_stage(staging, move)
        else:
            _check_moved(root, move)
    for index, delete in enumerate(journal.deletes):
        kept = delete.path in new_files or (old_files is not None and delete.path not in old_files)
        if kept or (old_files is not None and not may_delete(delete.path)):
            raise UsageError(f"{where}: deletes[{index}].path {delete.path!r} is not a file scaffold may delete")
        if old_files is not None and old_files[delete.path] != delete.sha256:
            raise UsageError(
                f"{where}: deletes[{index}].sha256 is not the hash {RECORD_PATH} records for {delete.path!r}; "
                "scaffold deletes only a file it rendered and nobody changed"
            )
        safe_target(root, delete.path)


def _staged(staging: Path, move: Move) -> bool:
    return os.path.lexists(staging / move.stage)


def _verified_stage(staging: Path, move: Move) -> bytes:
    stage = staging / move.stage
    info = _lstat(stage)
    if info is None or not stat.S_ISREG(info.st_mode):
        raise UsageError(f"{stage}: is not a regular file; {_GIVE_UP}")
    data = _read(stage)
    if digest(data) != move.sha256:
        raise UsageError(f"{stage}: does not have the sha256 the journal gives {move.path}; {_GIVE_UP}")
    return data


def _check_moved(root: Path, move: Move) -> None:
    target = safe_target(root, move.path)
    data = _read(target) if os.path.lexists(target) else None
    if data is None or digest(data) != move.sha256:
        raise UsageError(
            f"{root}: {move.path}: the interrupted upgrade's staged copy is gone and the file is not the new one; "
            + _GIVE_UP
        )


# --- moving into place ------------------------------------------------------------------------------------------


def finish(root: Path, journal: Journal) -> list[str]:
    """Move every staged file into place, delete, move the record; returns the paths changed. Idempotent: a move
    already done is skipped, so a crash anywhere in here is finished by a re-run. The staging folder stays until the
    caller has stored the base (``discard``): while it exists, a re-run knows the changed files are its own."""
    staging = root / STAGING
    record = journal.record
    record_pending = record is not None and _staged(staging, record)
    done: list[str] = []
    try:
        for move in journal.writes:
            if move is not record and _place(root, staging, move):
                done.append(move.path)
        if record_pending:
            done += [delete.path for delete in journal.deletes if _delete(root, delete)]
            assert record is not None  # noqa: S101 - record_pending implies it
            _place(root, staging, record)
            done.append(record.path)
    except OSError as error:
        raise UsageError(
            f"{root}: the upgrade stopped part-way: {error.strerror or error}; "
            "fix the cause and run 'scaffold upgrade' again to finish it"
        ) from None
    return done


def _place(root: Path, staging: Path, move: Move) -> bool:
    stage = staging / move.stage
    if not os.path.lexists(stage):
        return False
    target = safe_target(root, move.path)
    make_folders(target.parent, [])
    info = _lstat(target)
    if info is not None and stat.S_ISREG(info.st_mode):
        stage.chmod(stat.S_IMODE(info.st_mode) & 0o777)
    stage.replace(target)
    _sync_folder(target.parent)
    return True


def _delete(root: Path, delete: Delete) -> bool:
    target = safe_target(root, delete.path)
    info = _lstat(target)
    deleted = False
    if info is not None and stat.S_ISREG(info.st_mode) and digest(_read(target)) == delete.sha256:
        target.unlink()
        deleted = True
    _prune(root, delete.path)
    return deleted


def _prune(root: Path, relative: str) -> None:
    """Remove the folders a deleted file leaves empty, as ``git rm`` does."""
    parts = relative.split("/")[:-1]
    while parts:
        folder = root.joinpath(*parts)
        if folder.is_symlink() or not folder.is_dir() or any(folder.iterdir()):
            return
        folder.rmdir()
        parts.pop()


def discard(root: Path) -> None:
    """Remove the staging folder and then the journal of a finished upgrade (nothing when there are none)."""
    info = _lstat(root / STAGING)
    if info is not None and not stat.S_ISDIR(info.st_mode):
        raise UsageError(f"{root / STAGING}: is not a folder scaffold made (a symlink or a file); remove it")
    _discard(root)


def _discard(root: Path) -> None:
    """The staging folder first, the journal last: a crash in between leaves a journal whose moves are all done,
    which a re-run finishes without touching a file."""
    shutil.rmtree(root / STAGING, ignore_errors=True)
    with contextlib.suppress(FileNotFoundError):
        (root / JOURNAL).unlink()


# --- small file helpers -----------------------------------------------------------------------------------------


def _lstat(path: Path) -> os.stat_result | None:
    try:
        return path.lstat()
    except FileNotFoundError:
        return None
    except OSError as error:
        raise UsageError(f"{path}: cannot be checked: {error.strerror or error}") from None


def _read(path: Path) -> bytes:
    try:
        return read_bytes(path, limit=_MAX_JOURNAL_BYTES if path.name == JOURNAL else 10 * 1024 * 1024)
    except UnreadableInput as error:
        raise UsageError(f"{path}: {error}; {_GIVE_UP}") from None


def _write(path: Path, data: bytes) -> None:
    """A new file of scaffold's own (never through a symlink), not yet fsynced."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)
    handle = os.open(path, flags, 0o644)
    with os.fdopen(handle, "wb") as stream:
        stream.write(data)
    path.chmod(0o644)


def _write_synced(path: Path, data: bytes) -> None:
    _write(path, data)
    sync_files([path])


def _sync_folder(folder: Path) -> None:
    handle = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(handle)
    finally:
        os.close(handle)
