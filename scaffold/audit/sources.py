"""Which files the audit reads, what kind each one is, and reading them without ever failing the whole run.

A folder is searched for the files CI/CD lives in: GitHub workflows and dependabot, ``.gitlab-ci.yml``,
Jenkinsfiles, Dockerfiles, ``.dockerignore`` and ``.pre-commit-config.yaml``. A file named on the command line is
audited when its name says what it is. Every file is untrusted: it is read through ``scaffold.untrusted.read``
(regular files only, so a FIFO or a device is refused without blocking, and never past 10 MB), and a file that is
binary, too large, not UTF-8, unreadable, a symlink loop, not a regular file, or (in a folder) a symlink to
somewhere outside the folder, becomes a one-line per-file error. Paths are shown printable: a file name that is
not UTF-8 or holds control characters is escaped, never printed raw.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator, Sequence
from pathlib import Path, PurePosixPath

from scaffold.audit.model import FileError, Kind
from scaffold.untrusted.read import UnreadableInput, read_text
from scaffold.untrusted.text import printable

MAX_BYTES = 10 * 1024 * 1024
_SKIPPED_FOLDERS = {".git", "node_modules", "vendor", ".venv", "venv", ".tox", "__pycache__"}
_DOCKERFILE = re.compile(r"(?:.+\.)?[Dd]ockerfile(?:\..+)?|Containerfile(?:\..+)?")


def classify(path: str) -> Kind | None:
    """The kind of a repository-relative path, or None when the audit has no rules for it."""
    pure = PurePosixPath(path)
    name = pure.name
    parent = pure.parent.as_posix()
    if parent.endswith(".github/workflows") and name.endswith((".yml", ".yaml")):
        return Kind.WORKFLOW
    if parent.endswith(".github") and name in ("dependabot.yml", "dependabot.yaml"):
        return Kind.DEPENDABOT
    if name == ".gitlab-ci.yml":
        return Kind.GITLAB_CI
    if name == "Jenkinsfile" or name.startswith("Jenkinsfile.") or name.endswith(".jenkinsfile"):
        return Kind.JENKINSFILE
    if name == ".dockerignore" or name.endswith(".dockerignore"):
        return Kind.DOCKERIGNORE
    if _DOCKERFILE.fullmatch(name):
        return Kind.DOCKERFILE
    if name == ".pre-commit-config.yaml":
        return Kind.PRE_COMMIT
    return None


def _inside(path: Path, root: str) -> bool:
    """Whether ``path``, with every symlink resolved, is ``root`` (a resolved folder) or below it."""
    target = os.path.realpath(path)
    return target == root or target.startswith(root.rstrip(os.sep) + os.sep)


def discover(root: Path) -> Iterator[tuple[Path, str] | FileError]:
    """(file, path relative to ``root``) for every file under ``root`` that the audit reads, in a stable order, or
    the error for a folder that cannot be listed or a symlink that leads outside ``root``. Symlinked folders are
    never followed."""
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
            if classify(relative) is None:
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


def documents(paths: Sequence[Path]) -> Iterator[tuple[Path, str, Kind, str] | FileError]:
    """(file on disk, path as shown, kind, text) for every file to check under ``paths``, or a per-file error.

    A folder is searched; a file is taken when its name gives its kind.
    """
    for given in paths:
        found: list[tuple[Path, str, str] | FileError]
        if os.path.isdir(given):  # noqa: PTH112 - Path.is_dir() raises on a name that is too long
            found = [
                item if isinstance(item, FileError) else (item[0], printable(str(given / item[1])), item[1])
                for item in discover(given)
            ]
        else:
            found = [(given, printable(str(given)), given.as_posix())]
        for entry in found:
            if isinstance(entry, FileError):
                yield entry
                continue
            path, shown, relative = entry
            kind = classify(relative)
            if kind is None:
                yield FileError(shown, "is not a kind of file scaffold audits")
                continue
            text = read(path, shown)
            yield text if isinstance(text, FileError) else (path, shown, kind, text)
