"""Turn an in-memory tree into files: plan what changes, refuse to clobber, write atomically.

Every path is checked before anything is written: it must be a plain relative path (no ``..``, no ``.git``), every
existing folder on the way must be a real folder inside the root (a symlink to a folder inside it is followed, one
leading outside it or into ``.git`` is refused), and the file itself, when it exists, must be a regular file.
Existing files are read as bytes, so a line-ending change is a change. Nothing is ever written inside the
repository's git directory or common directory, whatever they are named (a ``.git`` file can point anywhere), and a
bare repository is never an output folder.
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
from typing import Literal

from scaffold.errors import ConflictError, UsageError
from scaffold.kit import kit_paths
from scaffold.kit.durable import sync_files
from scaffold.untrusted import git
from scaffold.untrusted.read import UnreadableInput, read_bytes
from scaffold.untrusted.text import printable


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
        return "the path, or a name in it, is too long for the file system"
    if error.errno == errno.ELOOP:
        return "it goes through a symlink loop"
    return error.strerror or str(error)


def _os_problem(error: OSError | RuntimeError) -> str:
    return _os_reason(error) if isinstance(error, OSError) else "it goes through a symlink loop"


def _named(path: Path | str, limit: int = 200) -> str:
    """A user-supplied or repository path, escaped for a one-line message."""
    return printable(str(path), limit)


def resolved(path: Path, what: str = "") -> Path:
    """``path`` with symlinks resolved (it need not exist); an over-long name, a path too deep for the file system or
    a symlink loop is a one-line UsageError, never an exception."""
    try:
        return path.resolve()
    except (OSError, RuntimeError) as error:
        raise UsageError(f"{what}{_named(path)}: cannot be resolved: {_os_problem(error)}") from None


def real_root(root: Path) -> Path:
    """``root`` with symlinks resolved; refused when it is (or is under) a ``.git`` folder, the repository's git
    directory or a bare repository, or cannot be named."""
    try:
        resolved_root = root.resolve()
        str(resolved_root).encode("utf-8")
    except UnicodeEncodeError:
        shown = os.fsencode(root).decode("utf-8", "backslashreplace")
        raise UsageError(f"{_named(shown)}: the folder's path is not valid UTF-8; rename it") from None
    except (OSError, RuntimeError) as error:
        raise UsageError(f"{_named(root)}: cannot be resolved: {_os_problem(error)}") from None
    if any(kit_paths.is_git_name(part) for part in resolved_root.parts):
        raise UsageError(f"{_named(root)}: is inside a .git folder; scaffold never writes there")
    existing = _nearest_existing(root, resolved_root)
    for folder in (existing, *existing.parents):
        if _is_git_dir(root, folder):
            raise UsageError(
                f"{_named(root)}: is {'' if folder == resolved_root else 'inside '}a git directory (a bare "
                f"repository or a repository's git data, {_named(folder)}); scaffold never writes there"
            )
    fence = _inside(resolved_root, git_dirs(existing))
    if fence is not None:
        raise UsageError(
            f"{_named(root)}: is inside the repository's git directory {_named(fence)}; scaffold never writes there"
        )
    return resolved_root


def _nearest_existing(root: Path, resolved_root: Path) -> Path:
    probe = resolved_root
    while _lstat(root, "", probe) is None and probe.parent != probe:
        probe = probe.parent
    return probe


def _is_git_dir(root: Path, folder: Path) -> bool:
    """True for a folder that is itself a git directory: a bare repository, or the git data a ``.git`` file names
    (it holds ``HEAD``, ``objects/`` and ``refs/``)."""
    head, objects, refs = (_lstat(root, "", folder / name) for name in ("HEAD", "objects", "refs"))
    return (
        head is not None
        and objects is not None
        and refs is not None
        and stat.S_ISDIR(objects.st_mode)
        and stat.S_ISDIR(refs.st_mode)
    )


def _inside(path: Path, folders: tuple[Path, ...]) -> Path | None:
    return next((folder for folder in folders if path == folder or path.is_relative_to(folder)), None)


_GIT_DIRS: dict[tuple[object, ...], tuple[Path, ...]] = {}
_GIT_ENVIRONMENT = (
    "GIT_DIR",
    "GIT_WORK_TREE",
    "GIT_COMMON_DIR",
    "GIT_CEILING_DIRECTORIES",
    "GIT_DISCOVERY_ACROSS_FILESYSTEM",
)


def git_dirs(folder: Path) -> tuple[Path, ...]:
    """The resolved git directory and common directory of the repository holding the existing ``folder`` (empty
    outside git). Asking git costs a few processes, and every target of a run asks, so the answer is kept while
    nothing git would look at changed: the environment, and each ``.git`` entry from ``folder`` up."""
    key = _git_signature(folder)
    if key not in _GIT_DIRS:
        if len(_GIT_DIRS) > 64:
            _GIT_DIRS.clear()
        _GIT_DIRS[key] = git.git_dirs(folder)
    return _GIT_DIRS[key]


_ROOTS: dict[tuple[object, ...], Path | None] = {}


def repository_root(folder: Path) -> Path | None:
    """The top of the git work tree holding ``folder`` (``untrusted.git.repository_root``: None outside one), kept
    as ``git_dirs`` keeps its answer: a run asks it of the same folder at each step (the clean-tree check, reading
    the stored base, storing the new one)."""
    try:
        absolute = folder.resolve()
    except (OSError, RuntimeError):
        return git.repository_root(folder)
    key = _git_signature(absolute)
    if key not in _ROOTS:
        if len(_ROOTS) > 64:
            _ROOTS.clear()
        _ROOTS[key] = git.repository_root(absolute)
    return _ROOTS[key]


def _git_signature(folder: Path) -> tuple[object, ...]:
    """What git looks at to find the repository of ``folder``: the environment, and each ``.git`` entry (its inode,
    type, size and modification time) from ``folder`` up."""
    signature: list[object] = [folder, *(os.environ.get(name) for name in _GIT_ENVIRONMENT)]
    for parent in (folder, *folder.parents):
        try:
            info = (parent / ".git").lstat()
            signature.append((info.st_ino, info.st_mode, info.st_size, info.st_mtime_ns))
        except OSError:
            signature.append(None)
    return tuple(signature)


class RootCheck:
    """The checks of ``root`` itself that ``safe_target`` makes for every target (``real_root``, and the git
    directories of the repository holding it), made once for a batch of targets: each at the first target that
    needs it, so a bad path is still named before a bad root, as a lone ``safe_target`` call names them."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._base: Path | None = None
        self._fence: tuple[Path, ...] | None = None

    @property
    def base(self) -> Path:
        if self._base is None:
            self._base = real_root(self.root)
        return self._base

    @property
    def fence(self) -> tuple[Path, ...]:
        if self._fence is None:
            self._fence = git_dirs(_nearest_existing(self.root, self.base))
        return self._fence


def safe_target(root: Path, relative: str, *, reading: bool = False, checked: RootCheck | None = None) -> Path:
    """Where ``relative`` lives under ``root``, with its existing folders resolved. Refuses a bad path; a folder on
    the way that is a file or a symlink leading outside root (or into .git or the repository's git directory); and a
    target that is a symlink, a folder or anything but a regular file. Reads no file content, creates nothing.
    ``reading`` words the refusals for a command that only reads (diff). ``checked`` shares the checks of ``root``
    among the targets of one batch."""
    verb = "read" if reading else "write"
    reason = kit_paths.problem(relative)
    if reason is not None:
        raise UsageError(f"{_named(root)}: {_named(repr(str(relative)))}: the path {reason}")
    checked = checked if checked is not None else RootCheck(root)
    base = checked.base
    parts = relative.split("/")
    current = base
    target: Path | None = None
    for depth, part in enumerate(parts[:-1]):
        current = current / part
        info = _lstat(root, relative, current)
        if info is None:
            target = current.joinpath(*parts[depth + 1 :])
            break
        if stat.S_ISLNK(info.st_mode):
            current = _followed(root, relative, current, base, verb)
        elif not stat.S_ISDIR(info.st_mode):
            shown = "/".join(parts[: depth + 1])
            raise UsageError(f"{_named(root)}: {relative}: '{shown}' is a file where the kit needs a folder")
    if target is None:
        target = current / parts[-1]
        info = _lstat(root, relative, target)
        if info is not None:
            if stat.S_ISLNK(info.st_mode):
                raise UsageError(f"{_named(root)}: {relative}: is a symlink; refusing to {verb} through it")
            if stat.S_ISDIR(info.st_mode):
                raise UsageError(f"{_named(root)}: {relative}: is a folder where the kit has a file")
            if not stat.S_ISREG(info.st_mode):
                raise UsageError(f"{_named(root)}: {relative}: is not a regular file (a FIFO, device or socket)")
    fence = _inside(target, checked.fence)
    if fence is not None:
        raise UsageError(
            f"{_named(root)}: {relative}: is inside the repository's git directory {_named(fence)}; "
            f"refusing to {verb} there"
        )
    return target


def _lstat(root: Path, relative: str, path: Path) -> os.stat_result | None:
    try:
        return path.lstat()
    except FileNotFoundError:
        return None
    except OSError as error:
        where = f"{relative}: " if relative else ""
        raise UsageError(f"{_named(root)}: {where}cannot be checked: {_os_reason(error)}") from None


def _followed(root: Path, relative: str, link: Path, base: Path, verb: str) -> Path:
    """The folder a symlink on the way points to, when it is a folder inside root and outside .git."""
    named = _named(root)
    try:
        target = link.resolve(strict=True)
    except (OSError, RuntimeError):
        raise UsageError(f"{named}: {relative}: goes through a broken symlink or a symlink loop") from None
    if not target.is_relative_to(base) or target == base:
        done = "read" if verb == "read" else "written"
        raise UsageError(f"{named}: {relative}: would be {done} outside it through a symlink")
    if any(kit_paths.is_git_name(part) for part in target.relative_to(base).parts):
        raise UsageError(f"{named}: {relative}: leads into .git through a symlink")
    if not target.is_dir():
        raise UsageError(f"{named}: {relative}: goes through a symlink to a file where the kit needs a folder")
    return target


def read_existing(
    root: Path, relative: str, *, reading: bool = False, checked: RootCheck | None = None
) -> bytes | None:
    """The bytes of a kit file as it is on disk, or None when it does not exist (checked with ``safe_target``)."""
    target = safe_target(root, relative, reading=reading, checked=checked)
    if not os.path.lexists(target):
        return None
    try:
        return read_bytes(target)
    except UnreadableInput as error:
        raise UsageError(f"{_named(root)}: {relative}: {error}") from None


def plan(root: Path, files: Mapping[str, str]) -> list[PlannedFile]:
    """Compare the tree with what is on disk under root. Reads only."""
    planned = []
    checked = RootCheck(root)
    for relative, text in files.items():
        data = read_existing(root, relative, checked=checked)
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
    """Fail with exit 2 unless root is (or can be created as) a writable directory, outside any git directory."""
    try:
        probe = root
        while not probe.exists():
            if probe.parent == probe:
                break
            probe = probe.parent
        if probe.exists() and not probe.is_dir():
            raise UsageError(f"--output {_named(root)}: '{_named(probe)}' exists and is not a directory")
        if not os.access(probe, os.W_OK | os.X_OK):
            raise UsageError(f"--output {_named(root)}: directory '{_named(probe)}' is not writable")
    except (OSError, RuntimeError) as error:
        raise UsageError(f"--output {_named(root)}: cannot be checked: {_os_problem(error)}") from None
    real_root(root)


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


MAX_DIFF_LINES = 20_000
"""A changed region longer than this, on either side, is summarised instead of diffed."""
_MAX_DIFF_COST = 10_000_000
"""Bound on difflib's work for the changed region, as the product of its line counts: difflib is quadratic (and
worse on repeated lines), so a file of repeated lines could otherwise keep ``diff`` busy for minutes."""
_MAX_SHORT_DIFF_COST = 100_000_000
"""The same bound when the new side is too short for difflib's junk heuristic: the cost grows with the old side's
lines times the square of the new side's."""
_AUTOJUNK_LINES = 200  # difflib ignores popular lines only when the second sequence has at least this many


def text_diff(path: str, before: str | None, after: str | None, colour: bool = False) -> str:
    """A unified diff of one file, ``a/`` what is on disk and ``b/`` what scaffold would write; ANSI colours
    when asked. A missing side is ``/dev/null``. When the changed region is too large to diff in bounded time, one
    line says so instead (the caller still reports the file as differing)."""
    old_lines = (before or "").splitlines(keepends=True)
    new_lines = (after or "").splitlines(keepends=True)
    opcodes = _bounded_opcodes(old_lines, new_lines)
    if opcodes is None:
        return (
            f"{printable(path)}: {len(old_lines)} and {len(new_lines)} lines differ; too large to show "
            f"(more than {MAX_DIFF_LINES} changed lines, or too costly to align)\n"
        )
    lines = _unified(
        old_lines,
        new_lines,
        opcodes,
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


Opcode = tuple[Literal["replace", "delete", "insert", "equal"], int, int, int, int]


def _bounded_opcodes(old: list[str], new: list[str]) -> list[Opcode] | None:
    """difflib's opcodes for the two line lists. When aligning them whole would cost too much, only the region
    between their common first and last lines is aligned; None when even that is too large."""
    if _affordable(len(old), len(new)):
        return difflib.SequenceMatcher(None, old, new).get_opcodes()
    head = 0
    limit = min(len(old), len(new))
    while head < limit and old[head] == new[head]:
        head += 1
    tail = 0
    while tail < limit - head and old[len(old) - 1 - tail] == new[len(new) - 1 - tail]:
        tail += 1
    old_middle, new_middle = old[head : len(old) - tail], new[head : len(new) - tail]
    if not _affordable(len(old_middle), len(new_middle)):
        return None
    middle = difflib.SequenceMatcher(None, old_middle, new_middle).get_opcodes()
    opcodes: list[Opcode] = [("equal", 0, head, 0, head)] if head else []
    opcodes += [(tag, i1 + head, i2 + head, j1 + head, j2 + head) for tag, i1, i2, j1, j2 in middle]
    if tail:
        opcodes.append(("equal", len(old) - tail, len(old), len(new) - tail, len(new)))
    return opcodes


def _affordable(old_lines: int, new_lines: int) -> bool:
    if max(old_lines, new_lines) > MAX_DIFF_LINES:
        return False
    if new_lines < _AUTOJUNK_LINES:
        return old_lines * new_lines * new_lines <= _MAX_SHORT_DIFF_COST
    return old_lines * new_lines <= _MAX_DIFF_COST


class _Given(difflib.SequenceMatcher[str]):
    """A SequenceMatcher that groups opcodes computed elsewhere (difflib's own grouping, unchanged)."""

    def __init__(self, opcodes: list[Opcode]) -> None:
        super().__init__(None, [], [])
        self._given = opcodes

    def get_opcodes(self) -> list[Opcode]:
        return self._given or [("equal", 0, 0, 0, 0)]


def _unified(old: list[str], new: list[str], opcodes: list[Opcode], old_name: str, new_name: str) -> list[str]:
    """``difflib.unified_diff`` over precomputed opcodes, with its output format."""
    out: list[str] = []
    for group in _Given(opcodes).get_grouped_opcodes(3):
        if not out:
            out += [f"--- {old_name}\n", f"+++ {new_name}\n"]
        first, last = group[0], group[-1]
        old_range = difflib._format_range_unified(first[1], last[2])  # type: ignore[attr-defined]
        new_range = difflib._format_range_unified(first[3], last[4])  # type: ignore[attr-defined]
        out.append(f"@@ -{old_range} +{new_range} @@\n")
        for tag, i1, i2, j1, j2 in group:
            if tag == "equal":
                out += [" " + line for line in old[i1:i2]]
                continue
            if tag in ("replace", "delete"):
                out += ["-" + line for line in old[i1:i2]]
            if tag in ("replace", "insert"):
                out += ["+" + line for line in new[j1:j2]]
    return out


def write_atomically(root: Path, planned: list[PlannedFile]) -> list[str]:
    """Write every new or differing file: each goes to a temp file in its folder, then is renamed into place.

    Every path is checked before anything is created, and all temp files are written before the first rename, so
    a failure while writing leaves no file changed and removes the temp files and the folders it created.
    """
    chosen = [item for item in planned if item.change is not Change.UNCHANGED]
    checked = RootCheck(root)
    targets = [(item, safe_target(root, item.path, checked=checked)) for item in chosen]
    pending: list[tuple[str, Path, str]] = []
    created: list[Path] = []
    try:
        for item, target in targets:
            make_folders(target.parent, created)
            handle, temp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
            pending.append((temp_name, target, item.path))
            with os.fdopen(handle, "wb") as stream:
                stream.write(item.text.encode("utf-8"))
            Path(temp_name).chmod(0o644)
        sync_files([Path(temp_name) for temp_name, _, _ in pending])  # all of them, side by side
    except OSError as error:
        for temp_name, _, _ in pending:
            with contextlib.suppress(OSError):
                Path(temp_name).unlink()
        remove_empty_folders(created)
        raise UsageError(f"{_named(root)}: cannot write: {_os_reason(error)}; nothing was written") from None
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
    finish_replacement(stage_replacement(path, text), synced=False)


@dataclass(frozen=True)
class StagedReplacement:
    """A file's new content in a temp file beside the file it replaces: not yet fsynced, not yet in place."""

    path: Path
    target: Path
    temp: Path


def stage_replacement(path: Path, text: str) -> StagedReplacement:
    """The first half of ``replace_in_place``: the new content written to a temp file (UsageError on failure). Many
    staged files can be fsynced together (``sync_files``) before each is finished."""
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
        Path(temp_name).chmod(mode)
    except OSError as error:
        with contextlib.suppress(OSError):
            Path(temp_name).unlink()
        raise UsageError(f"{path}: cannot write: {error.strerror or error}") from None
    return StagedReplacement(path, target, Path(temp_name))


def finish_replacement(staged: StagedReplacement, *, synced: bool) -> None:
    """The second half: fsync the temp file unless ``synced`` says it was, then rename it over its target. On
    failure the temp file is removed and UsageError says why."""
    try:
        if not synced:
            sync_files([staged.temp])
        staged.temp.replace(staged.target)
    except OSError as error:
        with contextlib.suppress(OSError):
            staged.temp.unlink()
        raise UsageError(f"{staged.path}: cannot write: {error.strerror or error}") from None
