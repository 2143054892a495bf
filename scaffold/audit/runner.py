"""Run the rules over files: parse each once, apply every rule of its kind, drop suppressed findings."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from scaffold.audit import sources
from scaffold.audit.config import AuditConfig
from scaffold.audit.document import Document
from scaffold.audit.model import FileError, Finding, Kind
from scaffold.audit.suppression import suppressed, suppressions
from scaffold.rules import REGISTRY, Rule

YAML_KINDS = frozenset({Kind.WORKFLOW, Kind.DEPENDABOT, Kind.GITLAB_CI, Kind.PRE_COMMIT})


@dataclass
class Report:
    findings: list[Finding] = field(default_factory=list)
    errors: list[FileError] = field(default_factory=list)
    files: int = 0


def audit_tree(files: Mapping[str, str], config: AuditConfig | None = None, rules: Sequence[Rule] = REGISTRY) -> Report:
    """Audit in-memory files ({repository-relative path: text}); paths of no audited kind are skipped."""
    report = Report()
    for path, text in sorted(files.items()):
        kind = sources.classify(path)
        if kind is not None:
            _audit_one(Document(path, kind, text), config or AuditConfig(), rules, report)
    return report


def audit_paths(paths: Sequence[Path], config: AuditConfig | None = None, rules: Sequence[Rule] = REGISTRY) -> Report:
    """Audit files and folders on disk. A folder is searched; a file is audited if its name gives its kind."""
    report = Report()
    for item in sources.documents(paths):
        if isinstance(item, FileError):
            report.errors.append(item)
        else:
            _, shown, kind, text = item
            _audit_one(Document(shown, kind, text), config or AuditConfig(), rules, report)
    return report


def parse_error(document: Document) -> FileError | None:
    """Why a YAML file cannot be checked (parsed once here, before any rule), or None."""
    if document.kind not in YAML_KINDS:
        return None
    try:
        document.yaml  # noqa: B018 - the parse is cached on the document for the rules
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark is not None else ""
        return FileError(document.path, f"is not valid YAML{where}")
    return None


def _audit_one(document: Document, config: AuditConfig, rules: Sequence[Rule], report: Report) -> None:
    report.files += 1
    error = parse_error(document)
    if error is not None:
        report.errors.append(error)
        return
    by_line = suppressions(document.lines)
    for rule in rules:
        if document.kind not in rule.kinds or not config.runs(rule.id) or rule.severity < config.min_severity:
            continue
        for hit in rule.check(document):
            if not suppressed(by_line, hit.line, rule.id):
                report.findings.append(
                    Finding(document.path, hit.line, hit.column, rule.id, rule.severity, rule.confidence, hit.message)
                )
    report.findings.sort()
