"""Run the rules over files: parse each once, apply every rule of its kind, drop suppressed findings.

Every file is untrusted and isolated from the others: whatever a parse or a rule raises on one file (a YAML error,
``RecursionError``, ``ValueError``, ``MemoryError``...) becomes a one-line ``FileError`` for that file, naming the
rule, and the other files (and the file's other rules) are still audited. Findings and errors are one line each:
line breaks and control characters taken from the file are escaped in messages.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from scaffold.audit import sources
from scaffold.audit.config import AuditConfig
from scaffold.audit.document import Document
from scaffold.audit.model import FileError, Finding, Hit, Kind
from scaffold.audit.suppression import suppressed, suppressions
from scaffold.rules import REGISTRY, Rule
from scaffold.untrusted.text import printable

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
    """Why a file cannot be checked (YAML parsed once here, before any rule; every kind's lines split), or None."""
    try:
        document.lines  # noqa: B018 - cached on the document for the rules and the suppressions
        if document.kind in YAML_KINDS:
            document.yaml  # noqa: B018 - the parse is cached on the document for the rules
        elif document.kind is Kind.JENKINSFILE:
            from scaffold.rules.jenkins.groovy import read

            read(document.text)  # cached for the rules; refuses nesting no Jenkinsfile has
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark is not None else ""
        if isinstance(error, yaml.reader.ReaderError):  # a character YAML does not allow, at an offset
            where = f" at line {document.line_map.position(error.position)[0]}"
        problem = getattr(error, "problem", None) if type(error).__name__ == "YAMLLimitError" else None
        return FileError(document.path, f"is not valid YAML{where}" + (f": {printable(problem)}" if problem else ""))
    except Exception as error:  # any failure on untrusted input is this file's error
        return FileError(document.path, f"cannot be parsed: {describe(error)}")
    return None


def describe(error: BaseException) -> str:
    """An exception as one short line: its type, and its message's first line."""
    text = printable(str(error))[:160]
    return f"{type(error).__name__}: {text}" if text else type(error).__name__


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
        try:
            hits: list[Hit] = list(rule.check(document))
        except Exception as failure:  # one rule failing on one file is that file's error
            report.errors.append(FileError(document.path, f"rule {rule.id} failed: {describe(failure)}"))
            continue
        for hit in hits:
            if not suppressed(by_line, hit.line, rule.id):
                report.findings.append(
                    Finding(
                        document.path,
                        hit.line,
                        hit.column,
                        rule.id,
                        rule.severity,
                        rule.confidence,
                        printable(hit.message),
                    )
                )
    report.findings.sort()
