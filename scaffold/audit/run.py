"""Audit files and folders on disk: the audit command's reading of a repository, then the rule engine."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path

from scaffold.audit import parallel, sources
from scaffold.rules.catalog import REGISTRY
from scaffold.rules.config import AuditConfig
from scaffold.rules.document import Document
from scaffold.rules.model import FileError, Kind
from scaffold.rules.registry import Rule
from scaffold.rules.requirements import Requirements
from scaffold.rules.runner import Report, audit_documents, conclude, tree_rules_run
from scaffold.untrusted.text import printable


def audit_paths(
    paths: Sequence[Path],
    config: AuditConfig | None = None,
    rules: Sequence[Rule] = REGISTRY,
    required: Requirements | None = None,
    *,
    kind: Kind | None = None,
    jobs: int | None = 1,
) -> Report:
    """Audit files and folders on disk. A folder is searched; a file's kind comes from its path relative to its
    repository's root, or is ``kind`` for a file named explicitly. A named path with nothing to audit raises
    ``UsageError`` (see ``sources.collect``). Kit rules run for the kinds whose every file is audited.

    Files are read and audited one at a time, so the audit holds one parsed file at a time (every file when kit or
    policy rules will read them all): time and memory per file stay flat however many files there are. ``jobs``
    processes check the files (``scaffold.audit.parallel``; None: as many as pay off) when no kit or policy rule
    runs; the report is the same whatever the number."""
    config = config or AuditConfig()
    required = config.required if required is None else required
    entries = sources.collect(paths, kind)
    workers = parallel.jobs_for(len(entries), jobs)
    if workers > 1 and not tree_rules_run(rules, config, required):
        report = parallel.audit_files(entries, read_document, config, rules, workers)
        return conclude(report, [], config, rules, required)
    audited = [entry for entry in entries if isinstance(entry, sources.Source)]
    unread = len(entries) - len(audited)

    def read() -> Iterator[Document | FileError]:
        nonlocal unread
        for entry in entries:
            item = read_document(entry)
            unread += isinstance(item, FileError) and isinstance(entry, sources.Source)
            yield item

    def settle(required: Requirements) -> Requirements:
        """Kit rules judge a platform only when every one of its files was read (any unread file: none is whole)."""
        if required.empty:
            return required
        return required.only(sources.whole_kinds(audited, unread, required.controls, searched=paths))

    return audit_documents(read(), config, rules, required, settle=settle)


def read_document(entry: sources.Source | FileError) -> Document | FileError:
    """The document to check for a file ``sources.collect`` found, or why it cannot be read."""
    if isinstance(entry, FileError):
        return entry
    text = sources.read(entry.path, printable(entry.shown))
    return text if isinstance(text, FileError) else Document(printable(entry.shown), entry.kind, text)
