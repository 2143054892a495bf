"""One repository's status: its pack and version, whether it is behind, drift as ``scaffold diff`` defines it, the
user's customisations, and its posture (audit findings by severity, controls weaker than the kit).

Runs inside a worker process, in the repository's folder, so a hostile repository can take down only its worker."""

from __future__ import annotations

from pathlib import Path

from scaffold import api
from scaffold.audit import settings
from scaffold.audit.run import audit_paths
from scaffold.audit.sources import NOTHING_AUDITED
from scaffold.errors import ScaffoldError
from scaffold.fleet.model import MAX_DETAIL, Counts, FileNote, FindingItem, PackInfo, RepoResult, Weaker
from scaffold.kit.record import RECORD_PATH, Record, read_record, version_key
from scaffold.packs.chosen import recorded_spec
from scaffold.packs.source import version_key as semver_key
from scaffold.rules.config import AuditConfig
from scaffold.untrusted.git import RefusedRepositoryError, check_configuration
from scaffold.untrusted.text import printable
from scaffold.upgrade.results import DiffResult


def repository_status(path: Path, base: RepoResult, options: PackOptions) -> RepoResult:
    """The status of the repository in ``path`` (the worker's working folder). ``base`` carries the target's
    identity; errors are one line in ``error``, never an exception."""
    findings, detail, problems = _posture(path)
    result = base.model_copy(update={"findings": findings, "findings_detail": detail, "audit_errors": problems})
    if not (path / RECORD_PATH).exists() and not (path / RECORD_PATH).is_symlink():
        return result.model_copy(update={"state": "not-scaffold"})
    try:
        check_configuration(path)  # a FIFO or device where git reads: the repository is refused, never "current"
        record = read_record(path)
        pack_info = PackInfo(name=record.pack_name, version=record.pack_version, source=record.pack_source)
        result = result.model_copy(update={"pack": pack_info})
        with api.repository_pack(
            path=path,
            spec=_newest(record, path, options.pack),
            trust=options.trust,
            require_signed=options.require_signed,
            allowed_signers=options.allowed_signers,
        ) as pack:
            diff = api.diff(path=path, pack=pack)
            latest_name = pack.name
    except (ScaffoldError, OSError, RefusedRepositoryError) as error:
        return result.model_copy(update={"state": "error", "error": one_line(error)})
    return _judged(result, record, diff, latest_name)


class PackOptions:
    """How the worker opens the pack a repository is compared with (``--pack`` and the trust options)."""

    def __init__(
        self,
        pack: str | None = None,
        *,
        trust: bool = False,
        require_signed: bool | None = None,
        allowed_signers: Path | None = None,
    ) -> None:
        self.pack = pack
        self.trust = trust
        self.require_signed = require_signed
        self.allowed_signers = allowed_signers


def _newest(record: Record, path: Path, spec: str | None) -> str | None:
    """The pack a repository is compared with: ``--pack``; else the newest version of the pack it records (a git
    pack without ``@REF`` opens at its newest release tag); else the built-in kit (None)."""
    if spec is not None or record.pack_source is None:
        return spec
    return recorded_spec(record.pack_source, None, path)


def _judged(result: RepoResult, record: Record, diff: DiffResult, latest_name: str) -> RepoResult:
    behind = latest_name != record.pack_name or _older(record.pack_version, diff.pack_version)
    state = "behind" if behind else "drift" if diff.drift else "current"
    return result.model_copy(
        update={
            "state": state,
            "pack": result.pack.model_copy(update={"latest": diff.pack_version}),
            "behind": behind,
            "drift": diff.drift,
            "pending": [FileNote(path=item.path, status=item.status, note=item.note) for item in diff.pending],
            "missing": list(diff.missing),
            "customised": list(diff.customised),
            "removed": list(diff.removed),
            "weaker": [
                Weaker(path=weak.path, line=weak.line, rule=weak.rule, control=weak.control, message=weak.message)
                for weak in diff.weaker
            ],
        }
    )


def _older(recorded: str, latest: str) -> bool:
    try:
        return semver_key(recorded) < semver_key(latest)
    except (ValueError, TypeError):
        return version_key(recorded) < version_key(latest)


def _posture(path: Path) -> tuple[Counts, list[FindingItem], list[str]]:
    """Audit findings by severity (with the most severe listed first) and the files audit could not read."""
    try:
        config = settings.for_paths([path])
    except ScaffoldError:
        config = AuditConfig()  # a broken record is the repository's error; the posture is still measured
    try:
        report = audit_paths([path], config)
    except ScaffoldError as error:
        return Counts(), [], [] if NOTHING_AUDITED in str(error) else [one_line(error)]
    tally = {"high": 0, "medium": 0, "low": 0}
    for finding in report.findings:
        tally[finding.severity.label] += 1
    ordered = sorted(report.findings, key=lambda item: (-item.severity, item.path, item.line, item.rule))
    detail = [
        FindingItem(
            path=item.path,
            line=max(item.line, 0),
            column=max(item.column, 0),
            rule=item.rule,
            severity=item.severity.label,  # type: ignore[arg-type]
            message=item.message,
        )
        for item in ordered[:MAX_DETAIL]
    ]
    problems = [f"{error.path}: {error.message}" for error in report.errors[:MAX_DETAIL]]
    return Counts(**tally), detail, problems


def one_line(error: BaseException) -> str:
    """An error as one printable line of at most 500 characters."""
    text = " ".join(str(error).split()) or type(error).__name__
    return printable(text, 500)
