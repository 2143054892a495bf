"""Audit files and folders on disk: the audit command's reading of a repository, then the rule engine."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from scaffold.audit import sources
from scaffold.rules.catalog import REGISTRY
from scaffold.rules.config import AuditConfig
from scaffold.rules.document import Document
from scaffold.rules.model import FileError, Kind
from scaffold.rules.registry import Rule
from scaffold.rules.requirements import Requirements
from scaffold.rules.runner import Report, audit_documents
from scaffold.untrusted.text import printable


def audit_paths(
    paths: Sequence[Path],
    config: AuditConfig | None = None,
    rules: Sequence[Rule] = REGISTRY,
    required: Requirements | None = None,
    *,
    kind: Kind | None = None,
) -> Report:
    """Audit files and folders on disk. A folder is searched; a file's kind comes from its path relative to its
    repository's root, or is ``kind`` for a file named explicitly. A named path with nothing to audit raises
    ``UsageError`` (see ``sources.collect``). Kit rules run for the kinds whose every file is audited."""
    documents: list[Document | FileError] = []
    audited: list[sources.Source] = []
    for item in sources.documents(paths, kind):
        if isinstance(item, FileError):
            documents.append(item)
        else:
            source, text = item
            audited.append(source)
            documents.append(Document(printable(source.shown), source.kind, text))
    config = config or AuditConfig()
    required = config.required if required is None else required
    if not required.empty:  # kit rules judge a platform only when every one of its files is read
        unread = sum(isinstance(item, FileError) for item in documents)
        required = required.only(sources.whole_kinds(audited, unread, required.controls, searched=paths))
    return audit_documents(documents, config, rules, required)
