"""Run the rules over files: parse each once, apply every rule of its kind, drop suppressed findings.

Every file is untrusted and isolated from the others: whatever a parse or a rule raises on one file (a YAML error,
``RecursionError``, ``ValueError``, ``MemoryError``...) becomes a one-line ``FileError`` for that file, naming the
rule, and the other files (and the file's other rules) are still audited. Findings and errors are one line each:
line breaks and control characters taken from the file are escaped in messages.
"""

from __future__ import annotations

import datetime
import operator
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field

import yaml

from scaffold.rules.catalog import REGISTRY
from scaffold.rules.config import AuditConfig
from scaffold.rules.document import Document
from scaffold.rules.exemptions import screen
from scaffold.rules.kinds import classify
from scaffold.rules.model import FileError, Finding, Hit, Kind, Severity
from scaffold.rules.registry import Rule
from scaffold.rules.requirements import Requirements
from scaffold.rules.suppression import Suppression, suppressed, suppressions
from scaffold.rules.tree import Located, Tree
from scaffold.untrusted.text import printable

YAML_KINDS = frozenset({Kind.WORKFLOW, Kind.ACTION, Kind.DEPENDABOT, Kind.GITLAB_CI, Kind.PRE_COMMIT})
# The fields a Finding is ordered by, in order: sorting by them once each is the order ``sorted()`` gives, without
# building two tuples for every comparison (tests/rules/test_runner.py checks they are Finding's compared fields).
FINDING_ORDER = operator.attrgetter("path", "line", "column", "rule", "severity", "confidence", "message")


@dataclass
class Report:
    findings: list[Finding] = field(default_factory=list)
    errors: list[FileError] = field(default_factory=list)
    files: int = 0


def audit_tree(
    files: Mapping[str, str],
    config: AuditConfig | None = None,
    rules: Sequence[Rule] = REGISTRY,
    required: Requirements | None = None,
    *,
    honour_suppressions: bool = True,
) -> Report:
    """Audit in-memory files ({repository-relative path: text}); paths of no audited kind are skipped. Kit rules
    run for the ``required`` controls. The upgrade ratchet turns ``honour_suppressions`` off: a comment added to a
    file must not hide a weakening from it."""
    documents = []
    for path, text in sorted(files.items()):
        kind = classify(path)
        if kind is not None:
            documents.append(Document(path, kind, text))
    return audit_documents(documents, config, rules, required, honour_suppressions=honour_suppressions)


def audit_documents(
    documents: Iterable[Document | FileError],
    config: AuditConfig | None = None,
    rules: Sequence[Rule] = REGISTRY,
    required: Requirements | None = None,
    *,
    honour_suppressions: bool = True,
    settle: Callable[[Requirements], Requirements] | None = None,
) -> Report:
    """Run every file rule on each document, then the kit rules of the required controls (``required``, else the
    config's) and the policy rules of its allow lists on all of them; drop what the config's exceptions cover.

    ``documents`` are audited one by one as they come, so a caller that streams them (``scaffold.audit.run``) holds
    one parsed file at a time: a document is kept for the tree rules only when one of them may run. ``settle`` is
    called once every document was read, with the requirements, and returns those the tree rules judge (the caller
    narrows them to the kinds it read whole): it may only take controls away."""
    report = Report()
    config = config or AuditConfig()
    required = config.required if required is None else required
    keep = tree_rules_run(rules, config, required)  # else no tree rule can run, whatever ``settle`` returns
    plan = FileRules(rules, config)
    readable: list[Document] = []
    for item in documents:
        if audit_file(item, plan, report, honour_suppressions) and keep and isinstance(item, Document):
            readable.append(item)
    if settle is not None:
        required = settle(required)
        if not keep and tree_rules_run(rules, config, required):
            raise ValueError("settle may only take controls away: the documents were not kept for the tree rules")
    return conclude(report, readable, config, rules, required, honour_suppressions=honour_suppressions)


class FileRules:
    """The file rules that run under a config, by the kind of file they read, in the catalogue's order: worked out
    once per audit instead of once per file."""

    def __init__(self, rules: Sequence[Rule], config: AuditConfig) -> None:
        self.config = config
        self._by_kind: dict[Kind, list[Rule]] = {}
        for rule in rules:
            if not rule.is_kit_rule and _runs(rule, config):
                for kind in rule.kinds:
                    self._by_kind.setdefault(kind, []).append(rule)

    def of(self, kind: Kind) -> Sequence[Rule]:
        return self._by_kind.get(kind, ())


def audit_file(item: Document | FileError, plan: FileRules, report: Report, honour: bool = True) -> bool:
    """Run the file rules on one document into ``report``; False when it cannot be read (its error is reported).
    The per-file stage of ``audit_documents``, which ``scaffold.audit.parallel`` runs on several cores."""
    if isinstance(item, FileError):
        report.errors.append(item)
        return False
    return _audit_one(item, plan, report, honour)


def conclude(
    report: Report,
    readable: Sequence[Document],
    config: AuditConfig,
    rules: Sequence[Rule],
    required: Requirements,
    *,
    honour_suppressions: bool = True,
) -> Report:
    """After the per-file stage: the tree rules over the ``readable`` documents, then the config's exceptions, and
    the findings in order."""
    _audit_kit(Tree(tuple(readable), required), config, rules, report, honour_suppressions)
    report.findings = screen(report.findings, config.exemptions, config.today or datetime.date.today(), config.root)
    report.findings.sort(key=FINDING_ORDER)
    return report


def tree_rules_run(rules: Sequence[Rule], config: AuditConfig, required: Requirements) -> bool:
    """Whether a kit or policy rule runs under ``required``: else the documents need not be kept for them."""
    return bool(_tree_rules(rules, config, required))


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


def _runs(rule: Rule, config: AuditConfig) -> bool:
    return config.runs(rule.id) and rule.severity >= config.min_severity


def _severity(hit: Hit, rule: Rule) -> Severity:
    """A finding's severity: the hit's own when the rule grades its hits, never above the rule's."""
    return min(hit.severity, rule.severity) if hit.severity is not None else rule.severity


def _finding(path: str, hit: Hit, rule: Rule) -> Finding:
    return Finding(
        path,
        hit.line,
        hit.column,
        rule.id,
        _severity(hit, rule),
        rule.confidence,
        printable(hit.message),
        printable(hit.subject),
        hit.control,
    )


def _audit_one(document: Document, plan: FileRules, report: Report, honour_suppressions: bool) -> bool:
    """Run the file rules on one document; False when it cannot be read (its error is reported)."""
    report.files += 1
    error = parse_error(document)
    if error is not None:
        report.errors.append(error)
        return False
    by_line = suppressions(document.lines) if honour_suppressions else {}
    config = plan.config
    enforced = config.enforced
    for rule in plan.of(document.kind):
        try:
            hits: list[Hit] = list(rule.check(document))
        except Exception as failure:  # one rule failing on one file is that file's error
            report.errors.append(FileError(document.path, f"rule {rule.id} failed: {describe(failure)}"))
            continue
        report.findings.extend(
            _finding(document.path, hit, rule)
            for hit in hits
            if _severity(hit, rule) >= config.min_severity
            and (rule.id in enforced or not suppressed(by_line, hit.line, rule.id))
        )
    return True


def _tree_rules(rules: Sequence[Rule], config: AuditConfig, required: Requirements) -> list[Rule]:
    """The tree rules that run under ``required``: each kit rule whose controls the repository must keep, and each
    policy rule whose allow list is set (without it the rule finds nothing, so it is not even loaded)."""
    return [
        rule
        for rule in rules
        if rule.is_kit_rule
        and not (rule.controls and not required.wants_any(rule.kinds, rule.controls))
        and not (rule.reads and getattr(required, rule.reads) is None)
        and _runs(rule, config)
    ]


def _audit_kit(tree: Tree, config: AuditConfig, rules: Sequence[Rule], report: Report, honour: bool) -> None:
    """Run each kit rule whose controls the repository must keep, and each policy rule (a tree rule guarding no
    control: it reads its allow list from ``tree.required`` and finds nothing without one), over every readable
    document. Ignore comments do not hide the findings of a rule the config's org policy enforces."""
    running = _tree_rules(rules, config, tree.required)
    lines = {document.path: document.lines for document in tree.documents} if running else {}
    by_path: dict[str, dict[int, list[Suppression]]] = {}
    for rule in running:
        try:
            check_tree = rule.check_tree  # imports the rule's module the first time
            located: list[Located] = list(check_tree(tree)) if check_tree is not None else []
        except Exception as failure:  # a kit rule failing is an error of the repository, never a pass
            report.errors.append(FileError(".", f"rule {rule.id} failed: {describe(failure)}"))
            continue
        for item in located:
            if item.path not in by_path:
                by_path[item.path] = suppressions(lines[item.path]) if honour and item.path in lines else {}
            if rule.id in config.enforced or not suppressed(by_path[item.path], item.hit.line, rule.id):
                report.findings.append(_finding(item.path, item.hit, rule))
