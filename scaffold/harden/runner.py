"""Harden files on disk or in memory, and write the results atomically when asked."""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from scaffold.audit import sources
from scaffold.errors import UsageError
from scaffold.harden.engine import FileResult, harden_document
from scaffold.kit.durable import sync_files
from scaffold.kit.writer import StagedReplacement, finish_replacement, git_dirs, stage_replacement
from scaffold.rules.catalog import REGISTRY
from scaffold.rules.config import AuditConfig
from scaffold.rules.document import Document
from scaffold.rules.fixes.model import Safety
from scaffold.rules.kinds import classify
from scaffold.rules.model import FileError, Kind
from scaffold.rules.registry import Rule
from scaffold.rules.runner import parse_error
from scaffold.untrusted.read import UnreadableInput, read_text
from scaffold.untrusted.text import printable


@dataclass
class HardenReport:
    results: list[FileResult] = field(default_factory=list)
    errors: list[FileError] = field(default_factory=list)
    written: list[str] = field(default_factory=list)

    @property
    def changed(self) -> list[FileResult]:
        return [result for result in self.results if result.changed]

    @property
    def left_to_do(self) -> bool:
        """Whether anything remains: changes not written, fixes held back, or findings no fix covers."""
        pending = any(result.path not in self.written for result in self.changed)
        return pending or any(result.held or result.notes for result in self.results)


def harden_tree(
    files: Mapping[str, str],
    level: Safety = Safety.SAFE,
    config: AuditConfig | None = None,
    rules: Sequence[Rule] = REGISTRY,
) -> HardenReport:
    """Harden in-memory files ({repository-relative path: text}); nothing is written."""
    report = HardenReport()
    for path, text in sorted(files.items()):
        kind = classify(path)
        if kind is not None:
            _harden_one(Document(path, kind, text), level, config, report, rules)
    return report


def harden_paths(
    paths: Sequence[Path],
    level: Safety = Safety.SAFE,
    config: AuditConfig | None = None,
    *,
    write: bool = False,
    kind: Kind | None = None,
) -> HardenReport:
    """Harden files and folders on disk; with ``write``, replace each changed file atomically.

    The files are the audit's (``sources.collect``): a file's kind comes from its path relative to its repository's
    root, or is ``kind`` for a file named explicitly, and a named path with nothing to harden raises ``UsageError``
    before anything is read or written. Every file is untrusted: one that is not a regular file (a FIFO, a device),
    too large, not UTF-8, under ``.git/``, or a symlink that leads out of the repository or into its ``.git/`` is a
    one-line error of its own, never followed, read or written; the other files are still hardened.
    """
    report = HardenReport()
    on_disk: dict[str, tuple[Path, Path]] = {}
    for path, shown, kind_of, root in _candidates(paths, report, kind):
        refused = _refusal(path, root)
        if refused is not None:
            report.errors.append(FileError(shown, f"{refused}; not read or changed"))
            continue
        try:
            text = read_text(path)
        except UnreadableInput as error:
            report.errors.append(FileError(shown, f"{error}; not changed"))
            continue
        on_disk[shown] = (path, root)
        _harden_one(Document(shown, kind_of, text), level, config, report)
    if write:
        _write(report, on_disk)
    return report


def _write(report: HardenReport, on_disk: Mapping[str, tuple[Path, Path]]) -> None:
    """Replace each changed file atomically: every new text is written to a temp file beside its file, the temp
    files are fsynced together (a journaling file system commits them at once), then each is renamed into place.
    A file that fails is an error of its own; the others are still written, and the report lists both in order."""
    failed: dict[str, str] = {}
    staged: list[tuple[str, StagedReplacement]] = []
    for result in report.changed:
        path, root = on_disk[result.path]
        refused = _refusal(path, root)  # checked again just before writing
        if refused is not None:
            failed[result.path] = f"{refused}; not written"
            continue
        try:
            staged.append((result.path, stage_replacement(path, result.after)))
        except UsageError as error:
            failed[result.path] = printable(str(error))
    try:
        sync_files([item.temp for _, item in staged])
        synced = True
    except OSError:
        synced = False  # each file is fsynced again on its own, so the one that fails is named
    for shown, item in staged:
        try:
            finish_replacement(item, synced=synced)
        except UsageError as error:
            failed[shown] = printable(str(error))
    for result in report.changed:
        if result.path in failed:
            report.errors.append(FileError(result.path, failed[result.path]))
        else:
            report.written.append(result.path)


def _candidates(
    paths: Sequence[Path], report: HardenReport, kind: Kind | None = None
) -> Iterator[tuple[Path, str, Kind, Path]]:
    """(file, path as shown, kind, repository root) for every file to harden under ``paths``; a symlink to a folder
    is not searched."""
    for found in sources.collect(paths, kind, folder_links=False):
        if isinstance(found, FileError):
            report.errors.append(found)
        else:
            yield found.path, found.shown, found.kind, found.root


def _refusal(path: Path, root: Path) -> str | None:
    """Why harden must not read or write ``path`` (its real location leaves the repository, or is under
    ``.git/``), or None."""
    try:
        real = Path(os.path.realpath(path, strict=True))
        real_root = Path(os.path.realpath(root))
    except (OSError, RuntimeError) as error:
        return f"cannot be resolved ({getattr(error, 'strerror', None) or type(error).__name__})"
    if real != real_root and real_root not in real.parents:
        return (
            "is a symlink that leads out of the repository"
            if path.is_symlink() or real != Path(os.path.abspath(path))  # noqa: PTH100
            else "is outside the repository"
        )
    inside = real.relative_to(real_root).parts
    lexical = Path(os.path.abspath(path))  # noqa: PTH100 - lexical, symlinks kept
    written = lexical.relative_to(root).parts if lexical.is_relative_to(root) else ()
    if ".git" in inside or ".git" in written:
        return "is inside .git/"
    if any(real == folder or folder in real.parents for folder in git_dirs(real_root)):
        return "is inside the repository's git directory"  # a .git file can give it any name
    return None


def _harden_one(
    document: Document,
    level: Safety,
    config: AuditConfig | None,
    report: HardenReport,
    rules: Sequence[Rule] = REGISTRY,
) -> None:
    error = parse_error(document)
    if error is not None:
        report.errors.append(FileError(error.path, f"{error.message}; not changed"))
        return
    report.results.append(harden_document(document, level, config, rules))
