"""Turn an in-memory tree into files: plan what changes, refuse to clobber, write atomically."""

from __future__ import annotations

import contextlib
import difflib
import enum
import os
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from scaffold.errors import ConflictError, UsageError


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


def safe_target(root: Path, relative: str) -> Path:
    """The file's absolute path; refuses a path whose existing parents lead outside root (a symlink)."""
    target = root / relative
    real_parent = target.parent.resolve()
    if not real_parent.is_relative_to(root.resolve()):
        raise UsageError(f"{root}: '{relative}' would be written outside it through a symlink")
    if target.is_symlink():
        raise UsageError(f"{root}: '{relative}' is a symlink; refusing to write through it")
    return target


def plan(root: Path, files: Mapping[str, str]) -> list[PlannedFile]:
    """Compare the tree with what is on disk under root. Reads only."""
    planned = []
    for relative, text in files.items():
        target = safe_target(root, relative)
        if target.is_dir():
            raise UsageError(f"--output: '{relative}' exists and is a directory")
        current: str | None = None
        if target.exists():
            try:
                current = target.read_text(encoding="utf-8")
            except (OSError, UnicodeDecodeError):
                current = ""
        if current is None:
            change = Change.NEW
        elif current == text:
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

    All temp files are written before the first rename, so a failure while writing leaves no file changed.
    """
    pending: list[tuple[str, Path]] = []
    try:
        for item in planned:
            if item.change is Change.UNCHANGED:
                continue
            target = safe_target(root, item.path)
            target.parent.mkdir(parents=True, exist_ok=True)
            handle, temp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
            pending.append((temp_name, target))
            with os.fdopen(handle, "w", encoding="utf-8", newline="") as stream:
                stream.write(item.text)
                stream.flush()
                os.fsync(stream.fileno())
            Path(temp_name).chmod(0o644)
    except OSError as error:
        for temp_name, _ in pending:
            with contextlib.suppress(OSError):
                Path(temp_name).unlink()
        raise UsageError(f"--output {root}: cannot write: {error.strerror or error}") from None
    written = []
    for temp_name, target in pending:
        Path(temp_name).replace(target)
        written.append(str(target.relative_to(root)))
    return written


_BOM = b"\xef\xbb\xbf"


def replace_in_place(path: Path, text: str) -> None:
    """Replace a file's content through a temp file in its folder and a rename, keeping its mode and a leading BOM.

    A symlink is followed, so the file it points to changes and the link stays a link.
    """
    target = path.resolve()
    try:
        with target.open("rb") as stream:
            bom = _BOM if stream.read(3) == _BOM else b""
        mode = target.stat().st_mode & 0o7777
        handle, temp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    except OSError as error:
        raise UsageError(f"{path}: cannot write: {error.strerror or error}") from None
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
