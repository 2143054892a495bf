"""The library API behind the CLI: keyword-only functions, importable and tested directly."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from scaffold import __version__
from scaffold.errors import UnsafePackError, UntrustedPackError, UsageError
from scaffold.kit.answer_sources import load_answers_file, parse_set, stack
from scaffold.kit.answers import Answers, default_name
from scaffold.kit.kit_paths import KitPaths, kit_paths
from scaffold.kit.packs import Pack
from scaffold.kit.record import (
    RECORD_PATH,
    Record,
    file_hash,
    parse_record,
    read_record,
    render_record,
    version_key,
)
from scaffold.kit.writer import (
    Change,
    PlannedFile,
    check_writable,
    plan,
    real_root,
    refuse_conflicts,
    resolved,
    write_atomically,
)
from scaffold.new.starter import StarterPlan, plan_starter
from scaffold.packs.chosen import BUILTIN, AnswerSet, ChosenPack, chosen, opened, recorded_spec
from scaffold.packs.gate import ParsedFiles, render_problems
from scaffold.untrusted.text import printable
from scaffold.upgrade import repo, transaction
from scaffold.upgrade.base import BaseFinder
from scaffold.upgrade.line_merge import Labels
from scaffold.upgrade.plan import Outcome, Planner, Status, read_current
from scaffold.upgrade.results import DiffEntry, DiffResult, Pending, UpgradeResult
from scaffold.upgrade.transaction import STAGING

if TYPE_CHECKING:  # each flow imports what only it needs: new the inference, diff and upgrade the ratchet
    from scaffold.new.inference import Inference


@dataclass(frozen=True)
class AnswerLayers:
    """The answer layers a run starts from, lowest first: derived defaults, inferred from the repository (new and
    adopt), answers file, --set."""

    defaults: dict[str, Any]
    from_file: dict[str, Any]
    from_flags: dict[str, Any]
    inferred: dict[str, Any] = field(default_factory=dict)
    locked: dict[str, Any] = field(default_factory=dict)
    """A team pack's locked answers: the top layer, which nothing the user gives may change."""
    pack: ChosenPack | None = None
    inferred_proposed: bool = False
    """True for ``new``: inferred answers pre-fill the prompts, which still ask them. False for ``adopt``: the
    repository's evidence answers them, and only the rest is asked."""

    @property
    def given(self) -> dict[str, Any]:
        """Answers the user gave explicitly (file and flags)."""
        return stack(self.from_file, self.from_flags)

    @property
    def known(self) -> dict[str, Any]:
        """Answers nobody needs to be asked for: given, inferred from the repository's files (adopt), or locked."""
        return stack({} if self.inferred_proposed else self.inferred, self.from_file, self.from_flags, self.locked)

    @property
    def model(self) -> type[Answers]:
        return Answers if self.pack is None else self.pack.model

    def merged(self, *more: dict[str, Any]) -> dict[str, Any]:
        return stack(self.defaults, self.inferred, self.from_file, self.from_flags, *more, self.locked)


def collect_layers(
    *, output: Path, answers_file: Path | None = None, settings: Sequence[str] = (), pack: ChosenPack | None = None
) -> AnswerLayers:
    """Read the answers file and ``--set`` flags; both are validated before anything is rendered. A team pack adds
    its defaults below them and its locked answers above them."""
    defaults: dict[str, Any] = dict(pack.defaults) if pack is not None else {}
    name = default_name(resolved(output, "--output ").name)
    if name is not None and (pack is None or pack.cookiecutter is None):
        defaults["name"] = name
    from_file = load_answers_file(answers_file) if answers_file is not None else {}
    model = Answers if pack is None else pack.model
    flags = parse_set(settings, model) if pack is None or pack.cookiecutter is None else _template_flags(settings)
    return AnswerLayers(defaults, from_file, flags, locked=dict(pack.locked) if pack else {}, pack=pack)


def new_layers(
    *, output: Path, answers_file: Path | None = None, settings: Sequence[str] = (), pack: ChosenPack | None = None
) -> tuple[AnswerLayers, Inference]:
    """Answer layers for ``new``: what the folder already holds (lockfiles, git's HEAD, the origin remote, ...)
    proposed between the defaults and the user's answers, which win; and the inference, whose evidence the CLI
    shows before the first question. A cookiecutter template's variables are not inferred."""
    from scaffold.new.inference import Inference, infer_answers

    layers = collect_layers(output=output, answers_file=answers_file, settings=settings, pack=pack)
    if pack is not None and pack.cookiecutter is not None:
        return layers, Inference({}, {})
    given = stack(layers.given, layers.locked)
    inferred = infer_answers(output, given, defaults=layers.defaults, new=True)
    return replace(layers, inferred=inferred.answers, inferred_proposed=True), inferred


def _template_flags(settings: Sequence[str]) -> dict[str, Any]:
    """``--set`` for a cookiecutter template: text values, checked against the template's variables later."""
    from scaffold.untrusted.text import shown

    flags: dict[str, Any] = {}
    for item in settings:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise UsageError(f"--set {shown(item)}: must have the form key=value")
        flags[key.strip()] = value
    return flags


def _refuse_lock_changes(layers: AnswerLayers, prompted: dict[str, Any] | None) -> None:
    """A locked answer given another value by the answers file, ``--set`` or a prompt is refused, naming the lock."""
    if layers.pack is None:
        return
    for name, layer in (("the answers file", layers.from_file), ("--set", layers.from_flags), ("prompts", prompted)):
        problem = layers.pack.lock_broken(layer, name)
        if problem is not None:
            raise UsageError(problem)


def resolve_answers(layers: AnswerLayers, prompted: dict[str, Any] | None = None) -> AnswerSet:
    _refuse_lock_changes(layers, prompted)
    sources = [
        name
        for name, layer in (
            ("inferred from the repository", layers.inferred),
            ("answers file", layers.from_file),
            ("--set", layers.from_flags),
            ("prompts", prompted),
        )
        if layer
    ]
    pack = layers.pack or chosen(None)
    return pack.validate(layers.merged(prompted or {}), source=", ".join(sources) or "defaults")


@dataclass(frozen=True)
class NewResult:
    output: Path
    answers: AnswerSet
    planned: list[PlannedFile]
    written: list[str]
    dry_run: bool
    starter: StarterPlan = field(default_factory=StarterPlan)
    """The starter service written beside the kit (not recorded in .scaffold.yml), or why none was."""
    base_note: str | None = None
    """Why the kit's base was not stored in git (a git directory that is not the folder's own, ...), or None."""

    @property
    def conflicts(self) -> list[str]:
        return [item.path for item in self.planned if item.change is Change.DIFFERS]


def render_kit(*, answers: AnswerSet, pack: Pack | ChosenPack | None = None) -> dict[str, str]:
    """The whole kit in memory, including ``.scaffold.yml`` with the hash of every other file."""
    pack = chosen(pack)
    files = pack.render(answers)
    return {**files, RECORD_PATH: _record_text(pack, answers, files, None, ())}


def new(
    *,
    output: Path,
    answers: AnswerSet,
    pack: Pack | ChosenPack | None = None,
    dry_run: bool = False,
    force: bool = False,
) -> NewResult:
    """Render a kit into ``output``. Refuses (ConflictError) to overwrite differing files unless ``force``.

    With ``dry_run`` nothing is written; the plan says what would happen.
    """
    pack = chosen(pack).for_repository(output)
    files = render_kit(answers=answers, pack=pack)
    audit_render(files, pack, answers)
    check_writable(output)
    planned = plan(output, files)
    starter = plan_starter(output, answers, files) if pack.cookiecutter is None else StarterPlan()
    if dry_run:
        return NewResult(output, answers, planned, [], True, starter)
    refuse_conflicts(planned, force)
    written = write_atomically(output, planned + starter.files)
    base_note = _stored_base_note(output, files, pack.pack)
    return NewResult(output, answers, planned, written, False, starter, base_note)


def audit_render(
    files: dict[str, str], pack: ChosenPack, answers: AnswerSet, parsed: ParsedFiles | None = None
) -> None:
    """A kit must pass scaffold's own audit; a pack whose render does not is refused before anything is written."""
    problems = render_problems(files, pack, answers, parsed)
    if problems:
        raise UnsafePackError(
            f"pack {pack.label}: the kit fails scaffold's audit ({problems[0]}"
            + (f", and {len(problems) - 1} more" if len(problems) > 1 else "")
            + "); nothing was written"
        )


# --- diff and upgrade -------------------------------------------------------------------------------------------


@contextlib.contextmanager
def repository_pack(
    *,
    path: Path,
    spec: str | None = None,
    trust: bool = False,
    require_signed: bool | None = None,
    allowed_signers: Path | None = None,
) -> Iterator[ChosenPack]:
    """The pack ``diff`` and ``upgrade`` render with: ``spec`` (``--pack SOURCE``) when given, else the pack
    ``.scaffold.yml`` records, else the built-in kit. A recorded pack is fetched at its recorded commit; when signed
    tags are required, at its version's tag instead (only a tag carries a signature), which must still name the
    recorded commit: a tag moved since the repository was rendered is refused (exit 4)."""
    expected = None
    if spec is None and os.path.lexists(path / RECORD_PATH):  # otherwise the command says what is missing
        record = read_record(path)
        if record.pack_source is not None:
            signed = require_signed if require_signed is not None else _signed_by_default()
            expected = record.pack_commit if signed else None
            ref = record.pack_version if signed and record.pack_commit else record.pack_commit
            spec = recorded_spec(record.pack_source, ref, path)
    with opened(spec, trust=trust, require_signed=require_signed, allowed_signers=allowed_signers) as pack:
        got = pack.origin.commit if pack.origin is not None else None
        if expected is not None and got != expected:
            raise UntrustedPackError(
                f"{printable(str(path / RECORD_PATH), 200)}: the pack's tag {pack.version} now names commit "
                f"{got}, not the recorded {expected}; a moved tag is refused (pass --pack SOURCE@COMMIT to use it)"
            )
        yield pack


def _signed_by_default() -> bool:
    from scaffold.packs.settings import load_settings

    return load_settings().require_signed


def diff(*, path: Path, pack: Pack | ChosenPack | None = None, strict: bool = False) -> DiffResult:
    """Compare the repository with its kit. The upgrade is planned in memory with the recorded answers: what it
    would change is pending; the ratchet's findings against the kit render are weaker; kit files deleted without
    being listed under ``removed:`` are missing; edits it keeps are customised. Reads only."""
    _existing_repository(path, "diff compares an existing repository with its kit")
    record = read_record(path)
    _refuse_interrupted(path)
    if pack is None:
        with repository_pack(path=path) as recorded:
            return _diff(path, record, recorded.for_repository(path), strict)
    return _diff(path, record, chosen(pack).for_repository(path), strict)


def _diff(path: Path, record: Record, pack: ChosenPack, strict: bool) -> DiffResult:
    _check_versions(record, pack, path)
    answers = pack.validate({**_known_answers(record, pack), **pack.locked}, source=RECORD_PATH)
    theirs = render_kit(answers=answers, pack=pack)
    theirs[RECORD_PATH] = _record_text(pack, answers, theirs, record.audit, record.removed)
    outcomes = Planner(
        path,
        record.files,
        theirs,
        _finder(path, record, pack),
        _labels(record, pack),
        False,
        kit_paths(pack.pack).renders,
        record.is_removed,
        reading=True,
    ).plan()
    current = {o.path: o.current for o in outcomes if o.current is not None}
    weak = _weakenings(pack, theirs, current, answers)
    pending = [
        Pending(o.path, o.status.value, o.note)
        for o in outcomes
        if o.text != o.current or o.status in (Status.CONFLICT, Status.KEPT)
    ]
    changes = _record_changes(record, parse_record(theirs[RECORD_PATH], path / RECORD_PATH))
    if changes:
        pending.append(Pending(RECORD_PATH, "record", "an upgrade rewrites " + ", ".join(changes)))
    deleted = [o.path for o in outcomes if o.status is Status.KEPT_DELETED]
    kept = {item.path for item in pending} | {item.path for item in weak}
    return DiffResult(
        entries=_byte_entries(outcomes, theirs, record),
        pack_version=pack.version,
        recorded_pack_version=record.pack_version,
        pending=pending,
        weaker=weak,
        missing=[name for name in deleted if not record.is_removed(name)],
        customised=[name for name, text in current.items() if name not in kept and theirs.get(name) != text],
        removed=[name for name in deleted if record.is_removed(name)],
        strict=strict,
    )


def _byte_entries(outcomes: list[Outcome], theirs: dict[str, str], record: Record) -> list[DiffEntry]:
    """Every kit file against the kit render, byte for byte (``left-kit``: recorded, no longer rendered, present)."""
    entries = []
    for outcome in outcomes:
        text = theirs.get(outcome.path)
        if text is None:
            if outcome.current is not None and outcome.path in record.files:
                entries.append(DiffEntry(outcome.path, "left-kit", outcome.current, None))
            continue
        current = outcome.current
        status = "missing" if current is None else "unchanged" if current == text else "differs"
        entries.append(DiffEntry(outcome.path, status, current, text))
    return entries


def _record_changes(record: Record, expected: Record) -> list[str]:
    """The fields of ``.scaffold.yml`` an upgrade would change. Its scaffold_version is left out: a new scaffold
    release that renders the same kit is no drift."""
    changes = []
    if record.pack_version != expected.pack_version:
        changes.append(f"pack.version {record.pack_version} -> {expected.pack_version}")
    if (record.pack_source, record.pack_commit, record.pack_format) != (
        expected.pack_source,
        expected.pack_commit,
        expected.pack_format,
    ):
        changes.append("pack.source, pack.commit and pack.format")
    for name in ("answers", "policy", "files", "audit", "removed"):
        if getattr(record, name) != getattr(expected, name):
            changes.append(name)
    return changes


def _record_text(
    pack: ChosenPack, answers: AnswerSet, theirs: dict[str, str], audit: Any, removed: Sequence[str]
) -> str:
    """``.scaffold.yml`` for a kit render, with the user's own settings in the record carried over: the ``audit:``
    section, and the ``removed:`` list of kit files deleted on purpose."""
    kit_files = {name: text for name, text in theirs.items() if name != RECORD_PATH}
    return render_record(
        pack.pack,
        answers.model_dump(mode="json", exclude_none=True),
        kit_files,
        audit=audit,
        removed=removed,
        origin=pack.record_origin(),
        policy=pack.record_policy(),
    )


def _weakenings(
    pack: ChosenPack,
    theirs: dict[str, str],
    merged: dict[str, str],
    answers: AnswerSet,
    parsed: ParsedFiles | None = None,
) -> list[Any]:
    """The ratchet: findings of the merged tree the render lacks, under the pack's policy when it has one."""
    from scaffold.upgrade.posture import weakenings

    if pack.cookiecutter is not None:
        return weakenings(theirs=theirs, merged=merged, answers=None, parsed=parsed)
    return weakenings(theirs=theirs, merged=merged, answers=answers.model_dump(), policy=pack.policy, parsed=parsed)


def _known_answers(record: Record, pack: ChosenPack) -> dict[str, Any]:
    """The recorded answers this pack still asks for: an answer to a question a newer team pack dropped is left
    out (built-in answers are always kept, so a wrong one is still refused)."""
    if pack.cookiecutter is not None:
        return dict(record.answers)
    return {
        key: value
        for key, value in record.answers.items()
        if key in pack.model.model_fields or key in Answers.model_fields
    }


def _labels(record: Record, pack: ChosenPack) -> Labels:
    return Labels(
        ours="your version",
        base=f"kit {record.pack_name} {record.pack_version}",
        theirs=f"kit {pack.label}",
    )


def upgrade(
    *,
    path: Path,
    answers_file: Path | None = None,
    settings: Sequence[str] = (),
    pack: Pack | ChosenPack | None = None,
    dry_run: bool = False,
    allow_dirty: bool = False,
    accept_weaker: bool = False,
    rejects: bool = False,
) -> UpgradeResult:
    """Apply the current kit and any changed answers to a generated repository, keeping the user's edits. ``pack``
    may be a newer version of the recorded pack (``upgrade --pack SOURCE@v2``), or a team pack built on the
    recorded built-in kit.

    Nothing is written when the posture would get weaker (unless ``accept_weaker``) or with ``dry_run``.
    """
    _existing_repository(path, "upgrade works on an existing repository")
    read_record(path)
    options = (answers_file, settings, dry_run, allow_dirty, accept_weaker, rejects)
    if pack is None:
        with repository_pack(path=path) as recorded:
            return _upgrade(path, recorded.for_repository(path), *options)
    return _upgrade(path, chosen(pack).for_repository(path), *options)


def _upgrade(
    path: Path,
    pack: ChosenPack,
    answers_file: Path | None,
    settings: Sequence[str],
    dry_run: bool,
    allow_dirty: bool,
    accept_weaker: bool,
    rejects: bool,
) -> UpgradeResult:
    record = read_record(path)
    kit = kit_paths(pack.pack)
    finished = None
    if dry_run:
        _refuse_interrupted(path)
    else:
        finished = _finish_interrupted(path, kit, allow_dirty)
    if finished is None and not allow_dirty:
        repo.require_clean(path, ignore=(STAGING + "/", transaction.JOURNAL))
    if finished is not None:
        record = read_record(path)
    _check_versions(record, pack, path)
    known = _known_answers(record, pack)
    flags = parse_set(settings, pack.model) if pack.cookiecutter is None else _template_flags(settings)
    from_file = load_answers_file(answers_file) if answers_file else {}
    layers = AnswerLayers(known, from_file, flags, locked=dict(pack.locked), pack=pack)
    new_answers = resolve_answers(layers)
    theirs = render_kit(answers=new_answers, pack=pack)
    parsed = ParsedFiles()  # the gate and the ratchet audit mostly the same texts: each is parsed once
    audit_render(theirs, pack, new_answers, parsed)  # the gate of new: a pack version whose kit fails it is not applied
    finder = _finder(path, record, pack)
    labels = _labels(record, pack)
    outcomes = Planner(path, record.files, theirs, finder, labels, rejects, kit.renders, record.is_removed).plan()
    # A kit file the user deleted stays deleted, and is listed under removed: so that diff knows it was on purpose.
    deleted = [o.path for o in outcomes if o.status is Status.KEPT_DELETED and not record.is_removed(o.path)]
    removed = sorted({*record.removed, *deleted})
    if record.audit is not None or removed:  # the user's settings in the record are carried over
        theirs[RECORD_PATH] = _record_text(pack, new_answers, theirs, record.audit, removed)
    rejects_to_write = _rejects(path, outcomes)
    merged = {o.path: o.text for o in outcomes if o.text is not None}
    weak = _weakenings(pack, theirs, merged, new_answers, parsed)
    before, after = record.pack_version, pack.version
    if record.pack_name != pack.name:  # moving onto another pack: name both
        before, after = f"{record.pack_name} {before}", pack.label
    result = UpgradeResult(outcomes, weak, False, finished, before, after, finder.sources)
    if dry_run or (weak and not accept_weaker):
        return result
    writes = {o.path: o.text for o in outcomes if o.writes and o.text is not None} | rejects_to_write
    deletes = {o.path: file_hash(o.current) for o in outcomes if o.text is None and o.current is not None}
    if writes or deletes or read_current(path, RECORD_PATH) != theirs[RECORD_PATH]:
        transaction.discard(path)  # a finished interrupted upgrade's folder, when the answers changed since
        transaction.apply(path, {**writes, RECORD_PATH: theirs[RECORD_PATH]}, deletes)
    _store_base(path, theirs, pack.pack)
    transaction.discard(path)  # last: until the base is stored, a re-run finishes this upgrade
    return replace(result, written=True, base_sources=finder.sources)


def _finder(path: Path, record: Record, pack: ChosenPack) -> BaseFinder:
    """Finds the previous render of the recorded files; a re-render only when the recorded pack is this one."""
    if (pack.name, pack.version) != (record.pack_name, record.pack_version):
        return BaseFinder(path, record.files, None)
    return BaseFinder(path, record.files, lambda: pack.render(pack.validate(record.answers, source=RECORD_PATH)))


def _rejects(path: Path, outcomes: list[Outcome]) -> dict[str, str]:
    """The ``.rej`` files a ``--conflict=rej`` upgrade writes. One that exists already (of any kind) is refused
    before anything is written: it may hold the user's notes, and a ``.gitignore`` can hide it from the clean-tree
    check. Only a regular file that already holds exactly the same rejects is left as it is."""
    rejects = {}
    for outcome in outcomes:
        if outcome.reject is None:
            continue
        name = f"{outcome.path}.rej"
        target = path / name
        if os.path.lexists(target):
            if target.is_file() and not target.is_symlink() and read_current(path, name) == outcome.reject:
                continue
            raise UsageError(
                f"{printable(str(path), 200)}: {name}: exists already; --conflict=rej would overwrite it: move it "
                "away, or use --conflict=markers; nothing was written"
            )
        rejects[name] = outcome.reject
    return rejects


def _finish_interrupted(path: Path, kit: KitPaths, allow_dirty: bool) -> list[str] | None:
    """Finish an upgrade a crash interrupted, once its journal is checked; None when there was none. A file that
    left the kit is deleted only when this pack can render its path (``.scaffold.yml`` and the stored base, which a
    fetch can bring from anyone, are never evidence)."""
    journal = transaction.interrupted(path, kit.renders, kit.renders)
    if journal is None:
        return None
    if not allow_dirty:
        _require_clean_except(path, journal.paths)
    return transaction.finish(path, journal)


def _require_clean_except(path: Path, expected: set[str]) -> None:
    """The clean-tree rule while an interrupted upgrade is finished: only the journal's own files may differ."""
    repo.require_clean(
        path, ignore=(STAGING + "/",), allowed={*expected, transaction.JOURNAL}, besides="the interrupted upgrade"
    )


def _refuse_interrupted(path: Path) -> None:
    if os.path.lexists(path / STAGING) or os.path.lexists(path / transaction.JOURNAL):
        raise UsageError(f"{path}: an upgrade was interrupted; run 'scaffold upgrade' to finish it first")


def _store_base(path: Path, files: dict[str, str], pack: Pack) -> None:
    kit_files = {name: text for name, text in files.items() if name != RECORD_PATH}
    try:
        repo.store_base(path, kit_files, f"scaffold base: {pack.name} {pack.version}")
    except repo.GitError as error:
        raise UsageError(f"{path}: the files are written but the base could not be stored in git: {error}") from None


def _stored_base_note(path: Path, files: dict[str, str], pack: Pack) -> str | None:
    """Store the kit's base after ``new`` or ``adopt`` wrote the files; why it was not stored, or None. The files
    stand either way: without a base, diff and upgrade compare with the recorded hashes only."""
    try:
        _store_base(path, files, pack)
    except UsageError as error:
        return str(error)
    return None


def _check_versions(record: Record, pack: ChosenPack, path: Path) -> None:
    where = path / RECORD_PATH
    moves_onto = record.pack_name == BUILTIN and pack.extends == BUILTIN  # a team pack takes on a built-in kit
    if record.pack_name != pack.name and not moves_onto:
        raise UsageError(
            f"{where}: pack.name is '{record.pack_name}', but the pack given is '{pack.name}'"
            + ("" if pack.name != BUILTIN else " (pass --pack SOURCE, or let the recorded pack.source be fetched)")
        )
    if record.pack_name == pack.name and version_key(record.pack_version) > version_key(pack.version):
        raise UsageError(
            f"{where}: pack.version {record.pack_version} is newer than this scaffold's {pack.version}; "
            "a downgrade is refused (install a newer scaffold)"
        )
    if version_key(record.scaffold_version) > version_key(__version__):
        raise UsageError(
            f"{where}: scaffold_version {record.scaffold_version} is newer than this scaffold ({__version__}); "
            "a downgrade is refused (install a newer scaffold)"
        )


# --- adopt ------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class AdoptResult:
    path: Path
    answers: AnswerSet
    planned: list[PlannedFile]
    taken: list[str]
    dry_run: bool
    base_note: str | None = None
    """Why the kit's base was not stored in git, or None."""

    @property
    def left_alone(self) -> list[PlannedFile]:
        """Existing files that differ from the kit and were not overwritten."""
        return [item for item in self.planned if item.change is Change.DIFFERS and item.path not in self.taken]


def adopt_layers(
    *, path: Path, answers_file: Path | None = None, settings: Sequence[str] = (), pack: ChosenPack | None = None
) -> tuple[AnswerLayers, Inference]:
    """Answer layers for adopting ``path``, with what the repository's files say between the defaults and the user's
    answers; and the inference itself, whose evidence the CLI shows."""
    from scaffold.new.inference import infer_answers

    _refuse_adopted(path)
    layers = collect_layers(output=path, answers_file=answers_file, settings=settings, pack=pack)
    if pack is not None and pack.cookiecutter is not None:
        return layers, replace(infer_answers(path), answers={}, evidence={})
    inferred = infer_answers(path, stack(layers.given, layers.locked), defaults=layers.defaults)
    return replace(layers, inferred=inferred.answers), inferred


def _existing_repository(path: Path, purpose: str) -> Path:
    """The resolved folder of a command that works on an existing repository (adopt, upgrade, diff): only ``new``
    may create its folder."""
    root = real_root(path)
    try:
        exists, folder = os.path.lexists(root), root.is_dir()
    except OSError as error:
        raise UsageError(f"{printable(str(path), 200)}: cannot be checked: {error.strerror or error}") from None
    if not exists:
        raise UsageError(f"{printable(str(path), 200)}: does not exist; {purpose}")
    if not folder:
        raise UsageError(f"{printable(str(path), 200)}: is not a folder; {purpose}")
    return root


def _refuse_adopted(path: Path) -> None:
    _existing_repository(path, "adopt takes on an existing repository")
    if os.path.lexists(path / RECORD_PATH):
        raise UsageError(f"{path / RECORD_PATH}: exists already; use 'scaffold upgrade' for a scaffolded repository")


def adopt(
    *,
    path: Path,
    answers: AnswerSet,
    take_theirs: Sequence[str] = (),
    dry_run: bool = False,
    pack: Pack | ChosenPack | None = None,
) -> AdoptResult:
    """Write ``.scaffold.yml`` and the kit files a repository lacks; existing files are left alone unless named."""
    _refuse_adopted(path)
    pack = chosen(pack).for_repository(path)
    files = render_kit(answers=answers, pack=pack)
    audit_render(files, pack, answers)
    unknown = [name for name in take_theirs if name not in files or name == RECORD_PATH]
    if unknown:
        raise UsageError(f"--take-theirs {unknown[0]}: is not a file of this kit")
    check_writable(path)
    planned = plan(path, files)
    result = AdoptResult(path, answers, planned, list(take_theirs), dry_run)
    if dry_run:
        return result
    chosen_files = [
        item
        for item in planned
        if item.change is Change.NEW or (item.change is Change.DIFFERS and item.path in take_theirs)
    ]
    write_atomically(path, chosen_files)
    return replace(result, base_note=_stored_base_note(path, files, pack.pack))
