"""Which files the audit reads, what kind each one is, and reading them without ever failing the whole run.

A folder is searched for the files CI/CD lives in: GitHub workflows and dependabot, ``.gitlab-ci.yml``,
Jenkinsfiles, Dockerfiles, ``.dockerignore`` and ``.pre-commit-config.yaml``. A file named on the command line is
audited when its name says what it is. A file that is binary, larger than 10 MB, not UTF-8, unreadable or a symlink
loop becomes a per-file error.
"""

from __future__ import annotations

import errno
import os
import re
from collections.abc import Iterator, Sequence
from pathlib import Path, PurePosixPath

from scaffold.audit.model import FileError, Kind

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


def discover(root: Path) -> Iterator[Path]:
    """Every file under ``root`` that the audit reads, in a stable order; never follows symlinked folders."""
    for folder, subfolders, files in os.walk(root, followlinks=False):
        subfolders[:] = sorted(name for name in subfolders if name not in _SKIPPED_FOLDERS)
        for name in sorted(files):
            path = Path(folder) / name
            if classify(path.relative_to(root).as_posix()) is not None:
                yield path


def read(path: Path, shown: str) -> str | FileError:
    """The file's text, or why it cannot be audited (``shown`` is the path as reported)."""
    try:
        size = path.stat().st_size
        if size > MAX_BYTES:
            return FileError(shown, f"larger than {MAX_BYTES // (1024 * 1024)} MB; not audited")
        data = path.read_bytes()
    except OSError as error:
        if error.errno == errno.ELOOP:
            return FileError(shown, "is a symlink loop")
        return FileError(shown, f"cannot be read: {error.strerror or error}")
    if b"\0" in data:
        return FileError(shown, "is a binary file")
    try:
        return data.decode("utf-8").removeprefix("\ufeff")
    except UnicodeDecodeError:
        return FileError(shown, "is not UTF-8 text")


def documents(paths: Sequence[Path]) -> Iterator[tuple[Path, str, Kind, str] | FileError]:
    """(file on disk, path as shown, kind, text) for every file to check under ``paths``, or a per-file error.

    A folder is searched; a file is taken when its name gives its kind.
    """
    for given in paths:
        if given.is_dir():
            found = [
                (path, given / path.relative_to(given), path.relative_to(given).as_posix()) for path in discover(given)
            ]
        else:
            found = [(given, given, given.as_posix())]
        for path, shown, relative in found:
            kind = classify(relative)
            if kind is None:
                yield FileError(str(shown), "is not a kind of file scaffold audits")
                continue
            text = read(path, str(shown))
            yield text if isinstance(text, FileError) else (path, str(shown), kind, text)
