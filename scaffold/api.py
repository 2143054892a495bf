"""The library API behind the CLI: keyword-only functions, importable and tested directly."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from scaffold.answer_sources import load_answers_file, parse_set, stack
from scaffold.answers import Answers, default_name, validate
from scaffold.packs import Pack, load_pack
from scaffold.record import RECORD_PATH, render_record
from scaffold.render import render
from scaffold.writer import Change, PlannedFile, check_writable, plan, refuse_conflicts, write_atomically


@dataclass(frozen=True)
class AnswerLayers:
    """The answer layers a run starts from, lowest first: derived defaults, answers file, --set."""

    defaults: dict[str, Any]
    from_file: dict[str, Any]
    from_flags: dict[str, Any]

    @property
    def given(self) -> dict[str, Any]:
        """Answers the user gave explicitly (file and flags)."""
        return stack(self.from_file, self.from_flags)

    def merged(self, *more: dict[str, Any]) -> dict[str, Any]:
        return stack(self.defaults, self.from_file, self.from_flags, *more)


def collect_layers(*, output: Path, answers_file: Path | None = None, settings: Sequence[str] = ()) -> AnswerLayers:
    """Read the answers file and ``--set`` flags; both are validated before anything is rendered."""
    defaults: dict[str, Any] = {}
    name = default_name(output.resolve().name)
    if name is not None:
        defaults["name"] = name
    from_file = load_answers_file(answers_file) if answers_file is not None else {}
    return AnswerLayers(defaults, from_file, parse_set(settings))


def resolve_answers(layers: AnswerLayers, prompted: dict[str, Any] | None = None) -> Answers:
    sources = [
        name
        for name, layer in (("answers file", layers.from_file), ("--set", layers.from_flags), ("prompts", prompted))
        if layer
    ]
    return validate(layers.merged(prompted or {}), source=", ".join(sources) or "defaults")


@dataclass(frozen=True)
class NewResult:
    output: Path
    answers: Answers
    planned: list[PlannedFile]
    written: list[str]
    dry_run: bool

    @property
    def conflicts(self) -> list[str]:
        return [item.path for item in self.planned if item.change is Change.DIFFERS]


def render_kit(*, answers: Answers, pack: Pack | None = None) -> dict[str, str]:
    """The whole kit in memory, including ``.scaffold.yml`` with the hash of every other file."""
    pack = pack or load_pack()
    files = render(pack, answers)
    return {**files, RECORD_PATH: render_record(pack, answers, files)}


def new(
    *,
    output: Path,
    answers: Answers,
    pack: Pack | None = None,
    dry_run: bool = False,
    force: bool = False,
) -> NewResult:
    """Render a kit into ``output``. Refuses (ConflictError) to overwrite differing files unless ``force``.

    With ``dry_run`` nothing is written; the plan says what would happen.
    """
    files = render_kit(answers=answers, pack=pack)
    check_writable(output)
    planned = plan(output, files)
    if dry_run:
        return NewResult(output, answers, planned, [], True)
    refuse_conflicts(planned, force)
    written = write_atomically(output, planned)
    return NewResult(output, answers, planned, written, False)
