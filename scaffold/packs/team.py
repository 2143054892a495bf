"""Load a team pack and compose it with the built-in kit into one pack that renders in one sandbox.

The composed pack keeps every built-in file entry, adds the team's files, replaces the built-in templates the team
overrides (each must be declared under ``override:``, so a template cannot shadow a built-in one by accident), drops
the outputs under ``remove:``, and carries the team's questions (an ``Answers`` subclass), locks, defaults and policy.
Team templates live next to the built-in ones, so they can import the built-in macros.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any

from scaffold.errors import UnsafePackError
from scaffold.kit.answers import Answers
from scaffold.kit.packs import MANIFEST, MAX_TEMPLATES, Pack, PackManifest, PackReader, load_pack, pack_templates
from scaffold.packs.manifest import TeamManifest, accepts, is_team_manifest, parse_manifest
from scaffold.packs.questions import answers_model
from scaffold.untrusted.text import shown

if TYPE_CHECKING:
    from scaffold.rules.policy import OrgPolicy


@dataclass(frozen=True)
class TeamPack:
    """A team pack composed with the built-in kit it extends."""

    manifest: TeamManifest
    pack: Pack
    model: type[Answers]
    policy: OrgPolicy | None
    base_version: str
    overridden: tuple[str, ...] = field(default=())

    @property
    def locked(self) -> Mapping[str, Any]:
        return self.manifest.locked

    @property
    def defaults(self) -> Mapping[str, Any]:
        return self.manifest.defaults


def read_manifest(folder: Path) -> Any:
    """The raw ``pack.yml`` of a folder (safe-loaded, bounded)."""
    return PackReader(_root(folder)).yaml(MANIFEST, "manifest")


def _root(folder: Path) -> Path:
    try:
        root = folder.resolve()
    except (OSError, RuntimeError, ValueError):
        raise UnsafePackError(f"pack: {shown(str(folder), 200)} cannot be resolved (symlink loop?)") from None
    if not root.is_dir():
        raise UnsafePackError(f"pack: {shown(str(folder), 200)} is not a folder")
    return root


def is_team_pack(folder: Path) -> bool:
    return is_team_manifest(read_manifest(folder))


def load_team_pack(folder: Path, base: Pack | None = None) -> TeamPack:
    """Load the team pack in ``folder`` and compose it with ``base`` (the built-in kit when None)."""
    root = _root(folder)
    reader = PackReader(root)
    manifest = parse_manifest(reader.yaml(MANIFEST, "manifest"))
    base = base or load_pack()
    if not accepts(manifest.extends.version, base.version):
        raise UnsafePackError(
            f"pack.yml: extends.version: '{shown(manifest.extends.version)}' does not accept the built-in kit "
            f"{base.version} of this scaffold (install a scaffold whose kit it accepts, or widen the range)"
        )
    templates = _templates(root, reader, manifest, base)
    data = dict(base.data)
    for relative in manifest.data:
        data[PurePosixPath(relative).stem] = reader.yaml(relative, "data file")
    policy = _policy(manifest)
    combined = PackManifest(
        name=manifest.name,
        version=manifest.version,
        description=manifest.description or base.manifest.description,
        delimiters=base.manifest.delimiters,
        data=[],
        files=[*base.manifest.files, *manifest.files],
        remove=list(manifest.remove),
    )
    waivers = tuple((waiver.control, waiver.reason) for waiver in policy.waive) if policy is not None else ()
    own_pins = reader.pins(manifest.pins)
    pins = own_pins if base.pins is None else base.pins.overlaid(own_pins)
    pack = replace(
        base,
        name=manifest.name,
        version=manifest.version,
        manifest=combined,
        templates=templates,
        data=data,
        root=str(root),
        waivers=waivers,
        pins=pins,
    )
    return TeamPack(manifest, pack, answers_model(manifest), policy, base.version, tuple(manifest.override))


def _templates(root: Path, reader: PackReader, manifest: TeamManifest, base: Pack) -> dict[str, str]:
    """The built-in templates with the team's added, and the declared overrides replacing built-in ones."""
    own = {entry.template: reader.text(entry.template, "template") for entry in manifest.files}
    for relative in pack_templates(root):
        if relative not in own:
            own[relative] = reader.text(relative, "template")
    overrides = set(manifest.override)
    for name in sorted(overrides):
        if name not in base.templates:
            raise UnsafePackError(f"pack.yml: override: '{shown(name)}' is not a template of the built-in kit")
        if name not in own:
            raise UnsafePackError(f"pack.yml: override: '{shown(name)}' has no template of that path in the pack")
    for name in sorted(own):
        if name in base.templates and name not in overrides:
            raise UnsafePackError(
                f"pack: template '{shown(name)}' has the path of a built-in template; list it under override: "
                "to replace the built-in one, or move it"
            )
    templates = {**base.templates, **own}
    if len(templates) > MAX_TEMPLATES:
        raise UnsafePackError(f"pack: has more than {MAX_TEMPLATES} templates with the built-in kit's")
    return templates


def _policy(manifest: TeamManifest) -> OrgPolicy | None:
    if manifest.policy is None:
        return None
    from scaffold.rules.policy import PolicyError, parse_policy

    try:
        return parse_policy(manifest.policy, "pack.yml: policy")
    except PolicyError as error:
        raise UnsafePackError(str(error)) from None
