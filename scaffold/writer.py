"""Turn an in-memory tree into files: plan what changes, refuse to clobber, write atomically.

Every path is checked before anything is written: it must be a plain relative path (no ``..``, no ``.git``), every
existing folder on the way must be a real folder inside the root (a symlink to a folder inside it is followed, one
leading outside it or into ``.git`` is refused), and the file itself, when it exists, must be a regular file.
Existing files are read as bytes, so a line-ending change is a change.
"""

from __future__ import annotations

import contextlib
import difflib
import enum
import errno
import os
import stat
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from scaffold.errors import ConflictError, UsageError
from scaffold.untrusted.read import UnreadableInput, read_bytes
from scaffold.upgrade import kit_paths


class Change(enum.Enum):
    NEW = "new"
    UNCHANGED = "unchanged"
    DIFFERS = "differs"


@dataclass(frozen=True)
class PlannedFile:
    path: str
    change: Change
    text: str
    current: str | None


def _os_reason(error: OSError) -> str:
    if error.errno == errno.ENAMETOOLONG:
        return "a name in it is too long for the file system"
    if error.errno == errno.ELOOP:
        return "it goes through a symlink loop"
    return error.strerror or str(error)


def real_root(root: Path) -> Path:
    """``root`` with symlinks resolved; refused when it is (or is under) a ``.git`` folder or cannot be named."""
    try:
        resolved = root.resolve()
        str(resolved).encode("utf-8")
    except UnicodeEncodeError:
        shown = os.fsencode(root).decode("utf-8", "backslashreplace")
        raise UsageError(f"{shown}: the folder's path is not valid UTF-8; rename it") from None
    except (OSError, RuntimeError) as error:
        reason = _os_reason(error) if isinstance(error, OSError) else "it goes through a symlink loop"
        raise UsageError(f"{root}: cannot be resolved: {reason}") from None
    if any(kit_paths.is_git_name(part) for part in resolved.parts):
        raise UsageError(f"{root}: is inside a .git folder; scaffold never writes there")
    return resolved


def safe_target(root: Path, relative: str) -> Path:
    """Where ``relative`` lives under ``root``, with its existing folders resolved. Refuses a bad path; a folder on
    the way that is a file or a symlink leading outside root (or into .git); and a target that is a symlink, a folder
    or anything but a regular file. Reads no file content, creates nothing."""
    reason = kit_paths.problem(relative)
    if reason is not None:
        raise UsageError(f"{root}: {str(relative)[:200]!r}: the path {reason}")
    base = real_root(root)
    parts = relative.split("/")
    current = base
    for depth, part in enumerate(parts[:-1]):
        current = current / part
        info = _lstat(root, relative, current)
        if info is None:
            return current.joinpath(*parts[depth + 1 :])
        if stat.S_ISLNK(info.st_mode):
            current = _followed(root, relative, current, base)
        elif not stat.S_ISDIR(info.st_mode):
            shown = "/".join(parts[: depth + 1])
            raise UsageError(f"{root}: {relative}: '{shown}' is a file where the kit needs a folder")
    target = current / parts[-1]
    info = _lstat(root, relative, target)
    if info is not None:
        if stat.S_ISLNK(info.st_mode):
            raise UsageError(f"{root}: {relative}: is a symlink; refusing to write through it")
        if stat.S_ISDIR(info.st_mode):
            raise UsageError(f"{root}: {relative}: is a folder where the kit has a file")
        if not stat.S_ISREG(info.st_mode):
            raise UsageError(f"{root}: {relative}: is not a regular file (a FIFO, device or socket)")
    return target


def _lstat(root: Path, relative: str, path: Path) -> os.stat_result | None:
    try:
        return path.lstat()
    except FileNotFoundError:
        return None
    except OSError as error:
        raise UsageError(f"{root}: {relative}: cannot be checked: {_os_reason(error)}") from None


def _followed(root: Path, relative: str, link: Path, base: Path) -> Path:
    """The folder a symlink on the way points to, when it is a folder inside root and outside .git."""
    try:
        resolved = link.resolve(strict=True)
    except (OSError, RuntimeError):
        raise UsageError(f"{root}: {relative}: goes through a broken symlink or a symlink loop") from None
    if not resolved.is_relative_to(base) or resolved == base:
        raise UsageError(f"{root}: {relative}: would be written outside it through a symlink")
    if any(kit_paths.is_git_name(part) for part in resolved.relative_to(base).parts):
        raise UsageError(f"{root}: {relative}: leads into .git through a symlink")
    if not resolved.is_dir():
        raise UsageError(f"{root}: {relative}: goes through a symlink to a file where the kit needs a folder")
    return resolved


def read_existing(root: Path, relative: str) -> bytes | None:
    """The bytes of a kit file as it is on disk, or None when it does not exist (checked with ``safe_target``)."""
    target = safe_target(root, relative)
    if not os.path.lexists(target):
        return None
    try:
        return read_bytes(target)
    except UnreadableInput as error:
        raise UsageError(f"{root}: {relative}: {error}") from None


def plan(root: Path, files: Mapping[str, str]) -> list[PlannedFile]:
    """Compare the tree with what is on disk under root. Reads only."""
    planned = []
    for relative, text in files.items():
        data = read_existing(root, relative)
        current = None if data is None else data.decode("utf-8", errors="replace")
        if current is None:
            change = Change.NEW
        elif data == text.encode("utf-8"):
            change = Change.UNCHANGED
        else:
            change = Change.DIFFERS
        planned.append(PlannedFile(relative, change, text, current))
    return planned


def check_writable(root: Path) -> None:
    """Fail with exit 2 unless root is (or can be created as) a writable directory."""
    probe = root
    while not probe.exists():
        if probe.parent == probe:
            break
        probe = probe.parent
    if probe.exists() and not probe.is_dir():
        raise UsageError(f"--output {root}: '{probe}' exists and is not a directory")
    if not os.access(probe, os.W_OK | os.X_OK):
        raise UsageError(f"--output {root}: directory '{probe}' is not writable")


def refuse_conflicts(planned: list[PlannedFile], force: bool) -> None:
    differing = [item.path for item in planned if item.change is Change.DIFFERS]
    if differing and not force:
        listing = ", ".join(differing)
        raise ConflictError(
            f"{len(differing)} existing file(s) differ from the kit: {listing}. Nothing was written. "
            "Review them, then re-run with --force to overwrite (or keep your edits and use 'scaffold upgrade').",
            differing,
        )


def unified_diff(item: PlannedFile) -> str:
    return text_diff(item.path, item.current, item.text)


_COLOURS = {"+": "\033[32m", "-": "\033[31m", "@": "\033[36m"}


def text_diff(path: str, before: str | None, after: str | None, colour: bool = False) -> str:
    """A unified diff of one file, ``a/`` what is on disk and ``b/`` what scaffold would write; ANSI colours
    when asked. A missing side is ``/dev/null``."""
    lines = difflib.unified_diff(
        (before or "").splitlines(keepends=True),
        (after or "").splitlines(keepends=True),
        f"a/{path}" if before is not None else "/dev/null",
        f"b/{path}" if after is not None else "/dev/null",
    )
    text = "".join(line if line.endswith("\n") else line + "\n\\ No newline at end of file\n" for line in lines)
    if not colour:
        return text
    painted = []
    for line in text.splitlines(keepends=True):
        code = "\033[1m" if line.startswith(("+++", "---")) else _COLOURS.get(line[:1])
        painted.append(f"{code}{line.rstrip(chr(10))}\033[0m\n" if code else line)
    return "".join(painted)


def write_atomically(root: Path, planned: list[PlannedFile]) -> list[str]:
    """Write every new or differing file: each goes to a temp file in its folder, then is renamed into place.

    Every path is checked before anything is created, and all temp files are written before the first rename, so
    a failure while writing leaves no file changed and removes the temp files and the folders it created.
    """
    chosen = [item for item in planned if item.change is not Change.UNCHANGED]
    targets = [(item, safe_target(root, item.path)) for item in chosen]
    pending: list[tuple[str, Path, str]] = []
    created: list[Path] = []
    try:
        for item, target in targets:
            make_folders(target.parent, created)
            handle, temp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
            pending.append((temp_name, target, item.path))
            with os.fdopen(handle, "wb") as stream:
                stream.write(item.text.encode("utf-8"))
                stream.flush()
                os.fsync(stream.fileno())
            Path(temp_name).chmod(0o644)
    except OSError as error:
        for temp_name, _, _ in pending:
            with contextlib.suppress(OSError):
                Path(temp_name).unlink()
        remove_empty_folders(created)
        raise UsageError(f"--output {root}: cannot write: {_os_reason(error)}; nothing was written") from None
    written = []
    for temp_name, target, relative in pending:
        Path(temp_name).replace(target)
        written.append(relative)
    return written


def make_folders(folder: Path, created: list[Path]) -> None:
    """Create ``folder`` and its missing parents, adding each to ``created`` (outermost first) as it is made."""
    missing = []
    probe = folder
    while not os.path.lexists(probe):
        missing.append(probe)
        probe = probe.parent
    for path in reversed(missing):
        path.mkdir()
        created.append(path)


def remove_empty_folders(created: list[Path]) -> None:
    """Remove the folders a failed run created, innermost first, when they are empty."""
    for path in reversed(created):
        with contextlib.suppress(OSError):
            path.rmdir()


_BOM = b"\xef\xbb\xbf"


def replace_in_place(path: Path, text: str) -> None:
    """Replace a file's content through a temp file in its folder and a rename, keeping its mode and a leading BOM.

    A symlink is followed, so the file it points to changes and the link stays a link.
    """
    target = path.resolve()
    try:
        bom = _BOM if read_bytes(target).startswith(_BOM) else b""  # a regular file only, never a FIFO or device
        mode = target.stat().st_mode & 0o7777
        handle, temp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    except OSError as error:
        raise UsageError(f"{path}: cannot write: {error.strerror or error}") from None
    except UnreadableInput as error:
        raise UsageError(f"{path}: cannot write: {error}") from None
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(bom + text.encode("utf-8"))
            stream.flush()
            os.fsync(stream.fileno())
        Path(temp_name).chmod(mode)
        Path(temp_name).replace(target)
    except OSError as error:
        with contextlib.suppress(OSError):
            Path(temp_name).unlink()
        raise UsageError(f"{path}: cannot write: {error.strerror or error}") from None
