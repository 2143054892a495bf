"""Which files the audit reads, what kind each one is, and reading them without ever failing the whole run.

A folder is searched for the files CI/CD lives in: GitHub workflows, actions (``action.yml`` in any folder) and
dependabot, ``.gitlab-ci.yml``, Jenkinsfiles, Dockerfiles, ``.dockerignore`` and ``.pre-commit-config.yaml``. A
file's kind comes from its path relative to its repository's root (``repository_root``), never from the folder the
command runs in, so ``.github/workflows/ci.yml`` is a workflow whether it is named from the root, as ``ci.yml`` from
its own folder, or found by searching ``.``; ``kind`` forces the kind of every file named explicitly. A named path
that holds no file the audit reads is a usage error (exit 2), never a clean run. Every file is untrusted: it is read
through ``scaffold.untrusted.read`` (regular files only, so a FIFO or a device is refused without blocking, and
never past 10 MB), and a file that is binary, too large, not UTF-8, unreadable, a symlink loop, not a regular file,
or (in a folder) a symlink to somewhere outside the folder, becomes a one-line per-file error. Paths are shown
printable: a file name that is not UTF-8 or holds control characters is escaped, never printed raw.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from scaffold.errors import UsageError
from scaffold.rules.kinds import classify
from scaffold.rules.model import FileError, Kind
from scaffold.untrusted.read import UnreadableInput, read_text
from scaffold.untrusted.text import printable

MAX_BYTES = 10 * 1024 * 1024
_SKIPPED_FOLDERS = {".git", "node_modules", "vendor", ".venv", "venv", ".tox", "__pycache__"}
# Besides a .git entry, what marks a repository's root: a .github folder, or one of these.
_ROOT_MARKERS = (".gitlab-ci.yml", "Jenkinsfile", ".pre-commit-config.yaml", ".scaffold.yml")
NOT_AUDITED = "not a file scaffold audits (its kind comes from its path in the repository; use --kind to set it)"
NOTHING_AUDITED = "holds no file scaffold audits"


def repository_root(path: Path) -> Path:
    """The root of the repository that ``path`` (a file or a folder, existing or not) is in, absolute, symlinks kept.

    The git top level: the nearest folder at or above ``path``'s folder with a ``.git`` entry (a folder or a file;
    git itself is never run). Else the nearest one holding a ``.github`` folder, ``.gitlab-ci.yml``, a
    ``Jenkinsfile``, ``.pre-commit-config.yaml`` or ``.scaffold.yml``. Else the path's own folder (``path`` itself
    when it is a folder). Only names are looked up, nothing is opened or read, so this never blocks.
    """
    absolute = Path(os.path.abspath(path))  # noqa: PTH100 - lexical: a symlinked file keeps the path it was named by
    start = absolute if os.path.isdir(absolute) else absolute.parent  # noqa: PTH112 - False on any OSError
    chain = (start, *start.parents)
    for folder in chain:
        if os.path.lexists(folder / ".git"):
            return folder
    for folder in chain:
        if os.path.isdir(folder / ".github") or any(os.path.lexists(folder / name) for name in _ROOT_MARKERS):  # noqa: PTH112
            return folder
    return start


def _from_root(path: Path, root: Path) -> str:
    """``path`` relative to ``root`` (which ``repository_root`` found for it), in POSIX form."""
    absolute = Path(os.path.abspath(path))  # noqa: PTH100
    return absolute.relative_to(root).as_posix() if absolute.is_relative_to(root) else absolute.as_posix()


def _inside(path: Path, root: str) -> bool:
    """Whether ``path``, with every symlink resolved, is ``root`` (a resolved folder) or below it."""
    target = os.path.realpath(path)
    return target == root or target.startswith(root.rstrip(os.sep) + os.sep)


def discover(root: Path, within: str = "") -> Iterator[tuple[Path, str] | FileError]:
    """(file, path relative to ``root``) for every file under ``root`` that the audit reads, in a stable order, or
    the error for a folder that cannot be listed or a symlink that leads outside ``root``. Symlinked folders are
    never followed. ``within`` is ``root``'s path relative to its repository's root: a file is read when its path
    from the repository's root says what it is."""
    errors: list[OSError] = []
    resolved_root = os.path.realpath(root)
    for folder, subfolders, files in os.walk(root, followlinks=False, onerror=errors.append):
        while errors:
            error = errors.pop()
            yield FileError(printable(str(error.filename or folder)), "folder cannot be listed: " + _why(error))
        subfolders[:] = sorted(name for name in subfolders if name not in _SKIPPED_FOLDERS)
        for name in sorted(files):
            path = Path(folder) / name
            relative = path.relative_to(root).as_posix()
            if classify(PurePosixPath(within, relative).as_posix()) is None:
                continue
            if path.is_symlink() and not _inside(path, resolved_root):
                yield FileError(printable(str(path)), "is a symlink to outside the audited folder; not followed")
                continue
            yield path, relative
    while errors:
        error = errors.pop()
        yield FileError(printable(str(error.filename or root)), "folder cannot be listed: " + _why(error))


def _why(error: OSError) -> str:
    return str(error.strerror or type(error).__name__)


def read(path: Path, shown: str) -> str | FileError:
    """The file's text, or why it cannot be audited (``shown`` is the path as reported)."""
    try:
        return read_text(path, limit=MAX_BYTES)
    except UnreadableInput as error:
        return FileError(shown, f"{error}; not audited" if "larger than" in str(error) else str(error))


@dataclass(frozen=True)
class Source:
    """A file to check: where it is, its path as the user named it (or the named folder joined with its path in
    that folder; not yet escaped for printing), its kind, and the root of its repository."""

    path: Path
    shown: str
    kind: Kind
    root: Path


def collect(paths: Sequence[Path], kind: Kind | None = None, *, folder_links: bool = True) -> list[Source | FileError]:
    """Every file to check under ``paths``, or a per-file error, without opening any file.

    A folder is searched, and a file found in it is taken when its path from the repository's root gives its kind.
    A file named explicitly takes ``kind`` when it is given, else the kind its path from the repository's root
    gives. ``folder_links=False`` refuses a symlink to a folder instead of searching it. A named file of no kind,
    or a named folder with nothing to check, raises ``UsageError``: auditing nothing is never a clean run.
    """
    found: list[Source | FileError] = []
    for given in paths:
        root = repository_root(given)
        if os.path.isdir(given):  # noqa: PTH112 - Path.is_dir() raises on a name that is too long
            if not folder_links and given.is_symlink():
                found.append(FileError(printable(str(given)), "is a symlink to a folder; not followed"))
                continue
            within = _from_root(given, root)
            before = len(found)
            for item in discover(given, within):
                if isinstance(item, FileError):
                    found.append(item)
                    continue
                path, relative = item
                chosen = classify(PurePosixPath(within, relative).as_posix())
                if chosen is not None:
                    found.append(Source(path, str(given / relative), chosen, root))
            if len(found) == before:
                raise UsageError(f"{printable(str(given))}: {NOTHING_AUDITED}")
            continue
        chosen = kind or classify(_from_root(given, root))
        if chosen is None:
            raise UsageError(f"{printable(str(given))}: {NOT_AUDITED}")
        found.append(Source(given, str(given), chosen, root))
    return found


def documents(paths: Sequence[Path], kind: Kind | None = None) -> Iterator[tuple[Source, str] | FileError]:
    """(file to check, its text) for every file under ``paths`` (see ``collect``), or a per-file error."""
    for entry in collect(paths, kind):
        if isinstance(entry, FileError):
            yield entry
            continue
        text = read(entry.path, printable(entry.shown))
        yield text if isinstance(text, FileError) else (entry, text)


def whole_kinds(
    audited: Sequence[Source], unread: int, kinds: Iterable[Kind], searched: Sequence[Path] = ()
) -> set[Kind]:
    """The ``kinds`` of which the audit read every file its repositories hold. A kit rule judges a control over all
    of a platform's files, so it runs only for these: auditing one workflow must not report the controls the other
    workflows keep as missing. When ``unread`` files (or any file of a repository) could not be read, or nothing
    was read at all, no kind is whole: a control cannot be judged over files nobody read. A repository whose root
    is among the ``searched`` folders was read whole already and is not listed again."""
    if unread or not audited:
        return set()
    read = {(source.kind, os.path.realpath(source.path)) for source in audited}
    whole = set(kinds)
    listed = {os.path.realpath(folder) for folder in searched if os.path.isdir(folder)}  # noqa: PTH112
    for root in sorted({source.root for source in audited}):
        if os.path.realpath(root) in listed:
            continue
        for item in discover(root):
            if isinstance(item, FileError):
                return set()
            path, relative = item
            kind = classify(relative)
            if kind in whole and (kind, os.path.realpath(path)) not in read:
                whole.discard(kind)
    return whole
