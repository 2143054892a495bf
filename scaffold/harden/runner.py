"""Harden files on disk or in memory, and write the results atomically when asked."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from scaffold.audit import sources
from scaffold.audit.config import AuditConfig
from scaffold.audit.document import Document
from scaffold.audit.model import FileError
from scaffold.audit.runner import parse_error
from scaffold.harden.engine import FileResult, harden_document
from scaffold.harden.model import Safety
from scaffold.rules import REGISTRY, Rule
from scaffold.writer import replace_in_place


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
        kind = sources.classify(path)
        if kind is not None:
            _harden_one(Document(path, kind, text), level, config, report, rules)
    return report


def harden_paths(
    paths: Sequence[Path], level: Safety = Safety.SAFE, config: AuditConfig | None = None, *, write: bool = False
) -> HardenReport:
    """Harden files and folders on disk; with ``write``, replace each changed file atomically."""
    report = HardenReport()
    on_disk: dict[str, Path] = {}
    for item in sources.documents(paths):
        if isinstance(item, FileError):
            report.errors.append(item)
            continue
        path, shown, kind, text = item
        on_disk[shown] = path
        _harden_one(Document(shown, kind, text), level, config, report)
    if write:
        for result in report.changed:
            replace_in_place(on_disk[result.path], result.after)
            report.written.append(result.path)
    return report


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
