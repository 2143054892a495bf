"""The pack a command renders: the built-in kit, a whole pack of its own, a team pack composed with the built-in
kit, or a cookiecutter template; opened from ``--pack SOURCE`` (a folder, or a git URL at a version tag) or from
what ``.scaffold.yml`` recorded.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from scaffold.errors import UnsafePackError, UntrustedPackError
from scaffold.kit.answers import Answers, validate
from scaffold.kit.packs import MANIFEST, Pack, PackManifest, load_pack
from scaffold.rules.requirements import NONE, Requirements, from_answers
from scaffold.untrusted.text import shown

if TYPE_CHECKING:
    from scaffold.packs.cookiecutter import CookiecutterTemplate
    from scaffold.rules.policy import OrgPolicy

BUILTIN = "scaffold-default"


@dataclass(frozen=True)
class Origin:
    """Where a pack came from, as ``.scaffold.yml`` records it."""

    source: str
    commit: str | None = None
    ref: str | None = None


@dataclass(frozen=True)
class ChosenPack:
    """A pack ready to render, with what it adds around the render."""

    pack: Pack
    model: type[Answers] = Answers
    locked: Mapping[str, Any] = field(default_factory=dict)
    defaults: Mapping[str, Any] = field(default_factory=dict)
    policy: OrgPolicy | None = None
    origin: Origin | None = None
    extends: str | None = None
    """The name of the pack this one builds on (the built-in kit, for a team pack)."""
    cookiecutter: CookiecutterTemplate | None = None
    trusted: bool = False
    overridden: tuple[str, ...] = ()
    """The built-in templates a team pack replaces."""

    @property
    def name(self) -> str:
        return self.pack.name

    @property
    def version(self) -> str:
        return self.pack.version

    @property
    def label(self) -> str:
        return f"{self.name} {self.version}"

    def lock_broken(self, given: Mapping[str, Any] | None, by: str) -> str | None:
        """Why ``given`` (answers from ``by``: the answers file, --set, prompts) may not be used: the first locked
        answer it gives another value; None when it keeps every lock."""
        for key, value in self.locked.items():
            if given and key in given and given[key] != value:
                return (
                    f"{key}: is locked to {shown(str(value), 80)} by pack {self.label} (its org policy); "
                    f"{by} cannot change it"
                )
        return None

    def validate(self, data: Mapping[str, Any], source: str = "") -> AnswerSet:
        """The answers this pack renders from: its questions' model, or a cookiecutter template's context rules."""
        if self.cookiecutter is not None:
            from scaffold.packs.cookiecutter import resolve

            return TemplateAnswers(resolve(self.cookiecutter, data, trust=self.trusted))
        return validate(data, source, self.model)

    def render(self, answers: AnswerSet) -> dict[str, str]:
        """The kit's files in memory ({path: text}), ``.scaffold.yml`` not included."""
        if self.cookiecutter is not None:
            from scaffold.packs.cookiecutter import render as render_template

            return render_template(self.cookiecutter, answers.model_dump(), trust=self.trusted)
        from scaffold.kit.render import render

        if not isinstance(answers, Answers):
            raise TypeError("a scaffold pack renders from Answers")
        return render(self.pack, answers)

    def required(self, answers: Mapping[str, Any]) -> Requirements:
        """The controls a repository rendered from this pack must keep: the kit's for its answers, as the pack's
        policy changes them; none for a cookiecutter template, whose files scaffold's kit did not write."""
        if self.cookiecutter is not None:
            return NONE
        if self.policy is not None:
            return self.policy.required(answers)
        return from_answers(answers)

    def for_repository(self, repository: Path) -> ChosenPack:
        """This pack, its folder source (if it has one) made relative to ``repository``, so that the record names
        the same folder from wherever ``diff`` and ``upgrade`` run, in any clone next to the pack."""
        from scaffold.packs.source import source_kind

        if self.origin is None or source_kind(self.origin.source) != "folder":
            return self
        try:
            relative = os.path.relpath(Path(self.origin.source).resolve(), Path(repository).resolve())
        except (OSError, ValueError, RuntimeError):
            return self
        return replace(self, origin=replace(self.origin, source=Path(relative).as_posix()))

    def record_origin(self) -> dict[str, str]:
        """What ``.scaffold.yml`` records under ``pack:`` besides the name and version."""
        origin: dict[str, str] = {}
        if self.origin is not None:
            origin["source"] = self.origin.source
            if self.origin.commit:
                origin["commit"] = self.origin.commit
        if self.cookiecutter is not None:
            origin["format"] = "cookiecutter"
        return origin

    def record_policy(self) -> dict[str, Any] | None:
        return None if self.policy is None else self.policy.to_record()


class TemplateAnswers:
    """A cookiecutter template's answers: its own context, not the kit's questions. Has the one method of
    ``Answers`` the flows use."""

    def __init__(self, context: Mapping[str, Any]) -> None:
        self.context = dict(context)

    def model_dump(self, **_: Any) -> dict[str, Any]:
        return dict(self.context)


AnswerSet = Answers | TemplateAnswers
"""What a pack renders from: the kit's answers (with a team pack's questions), or a template's context."""


def builtin() -> ChosenPack:
    return ChosenPack(load_pack())


def chosen(pack: Pack | ChosenPack | None) -> ChosenPack:
    """A ``ChosenPack`` for what the library's callers pass: nothing (the built-in kit), a loaded ``Pack``, or one."""
    if pack is None:
        return builtin()
    if isinstance(pack, ChosenPack):
        return pack
    return ChosenPack(pack)


def from_folder(
    folder: Path, origin: Origin | None = None, *, version: str | None = None, trust: bool = False
) -> ChosenPack:
    """The pack in ``folder``: a cookiecutter template, a team pack, or a whole pack. ``version`` is the version
    its tag says, which its ``pack.yml`` must repeat."""
    from scaffold.packs.cookiecutter import is_cookiecutter

    if is_cookiecutter(folder) and not os.path.lexists(folder / MANIFEST):  # a pack.yml says it is a scaffold pack
        return _cookiecutter(folder, origin, version, trust)
    from scaffold.packs.team import is_team_pack, load_team_pack

    if is_team_pack(folder):
        team = load_team_pack(folder)
        result = ChosenPack(
            team.pack,
            team.model,
            dict(team.locked),
            dict(team.defaults),
            team.policy,
            origin,
            BUILTIN,
            trusted=trust,
            overridden=team.overridden,
        )
    else:
        result = ChosenPack(load_pack(folder), origin=origin, trusted=trust)
    if version is not None and version != result.version:
        raise UnsafePackError(
            f"pack.yml: version is {result.version}, but its tag says {version}; tag each release with its version"
        )
    return result


def _cookiecutter(folder: Path, origin: Origin | None, version: str | None, trust: bool) -> ChosenPack:
    from scaffold.packs.cookiecutter import load_template

    template = load_template(folder)
    if template.untrusted_parts and not trust:
        raise UntrustedPackError(
            f"pack {template.name}: {template.untrusted_parts[0]} runs code; pass --trust to run it "
            "(nothing was written)"
        )
    version = version or "0.0.0"
    stub = Pack(
        template.name, version, PackManifest(name=template.name, version=version, files=[]), {}, {}, str(folder)
    )
    return ChosenPack(stub, origin=origin, cookiecutter=template, trusted=trust)


@contextmanager
def opened(
    spec: str | None,
    *,
    trust: bool = False,
    require_signed: bool | None = None,
    allowed_signers: Path | None = None,
) -> Iterator[ChosenPack]:
    """Open ``--pack SOURCE`` (the built-in kit when None) for the length of a command. The user's settings say
    which sources are trusted and whether tags must be signed; the flags win."""
    if spec is None:
        yield builtin()
        return
    from scaffold.packs.settings import is_trusted, load_settings
    from scaffold.packs.source import fetched

    settings = load_settings()
    signed = settings.require_signed if require_signed is None else require_signed
    signers = allowed_signers or settings.allowed_signers
    if signed and signers is None:
        raise UntrustedPackError(
            "--require-signed: no allowed-signers file; pass --allowed-signers FILE or set allowed_signers in "
            "the scaffold config"
        )
    with fetched(spec, require_signed=signed, allowed_signers=signers) as got:
        trusted = trust or is_trusted(got.source, settings.trust)
        origin = Origin(got.source, got.commit, got.ref)
        yield from_folder(got.folder, origin, version=got.version, trust=trusted)


def recorded_spec(source: str, commit: str | None, repository: Path) -> str:
    """The ``--pack`` spec that opens exactly what a record of ``repository`` names: a relative folder is relative
    to the repository."""
    from scaffold.packs.source import source_kind

    if not source or not source.isprintable():
        raise UnsafePackError(f"pack.source: '{shown(source)}' is not a pack source")
    if source_kind(source) == "folder" and not Path(source).is_absolute():
        source = str(repository / source)
    return f"{source}@{commit}" if commit else source
