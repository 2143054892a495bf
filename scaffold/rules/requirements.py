"""Which controls a repository must keep, per file kind: the one place the kit rules, the ratchet and org policy
read it from.

A repository scaffold generated owes the controls of ``scaffold.kit.controls`` that apply to its answers, on each
platform it chose. Kit rules (``scaffold.rules.kit``) judge those controls over the whole repository and run only
for the controls required here; file rules run always. An audit of a repository without a kit record requires
nothing, so it reports only what file rules find. An org policy adds its own controls, takes away the ones it
waives and brings its allow lists (``scaffold.rules.policy``: ``OrgPolicy.required`` and ``OrgPolicy.apply``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from scaffold.rules.model import Kind

if TYPE_CHECKING:
    from scaffold.kit.controls import PlatformName

PLATFORM_KINDS: dict[PlatformName, Kind] = {
    "github": Kind.WORKFLOW,
    "gitlab": Kind.GITLAB_CI,
    "jenkins": Kind.JENKINSFILE,
}
KIND_PLATFORMS: dict[Kind, PlatformName] = {kind: platform for platform, kind in PLATFORM_KINDS.items()}


@dataclass(frozen=True)
class Requirements:
    """The controls the repository must keep, by the file kind that carries them, and an org policy's allow lists
    (``scaffold.rules.policy``): None when no policy sets the list, so the policy rule that reads it does not run."""

    controls: Mapping[Kind, frozenset[str]] = field(default_factory=dict)
    allowed_actions: tuple[str, ...] | None = None
    allowed_registries: tuple[str, ...] | None = None

    def wants(self, kind: Kind, control: str) -> bool:
        return control in self.controls.get(kind, frozenset())

    def wants_any(self, kinds: Iterable[Kind], controls: Iterable[str]) -> bool:
        wanted = set(controls)
        return any(wanted & self.controls.get(kind, frozenset()) for kind in kinds)

    @property
    def empty(self) -> bool:
        return not any(self.controls.values())

    def only(self, kinds: Iterable[Kind]) -> Requirements:
        """The same controls for ``kinds`` only; the allow lists judge each reference where it is, so they stay."""
        keep = set(kinds)
        return replace(self, controls={kind: controls for kind, controls in self.controls.items() if kind in keep})


NONE = Requirements()


def from_answers(answers: Mapping[str, Any]) -> Requirements:
    """The controls a kit rendered from these answers implements, on each platform it chose."""
    from scaffold.kit.controls import CONTROLS, PLATFORMS  # an audit without a kit record never needs them

    chosen: list[PlatformName] = [platform for platform in PLATFORMS if platform in answers["platforms"]]
    return Requirements(
        {
            PLATFORM_KINDS[platform]: frozenset(
                control.id for control in CONTROLS if control.applies_on(platform, answers)
            )
            for platform in chosen
        }
    )


class RequirementsError(ValueError):
    """A kit record's answers that do not say which controls apply; the message names the field."""


def from_record(answers: object, where: str) -> Requirements:
    """The controls a kit record's ``answers:`` require, read without the answers model (the audit stays light).
    Only the answers that decide which controls apply are read; each must have its recorded type."""
    if answers is None:
        return NONE
    if not isinstance(answers, Mapping):
        raise RequirementsError(f"{where}: must be a mapping")
    from scaffold.kit.controls import PLATFORMS

    platforms = answers.get("platforms")
    if not isinstance(platforms, list) or not all(item in PLATFORMS for item in platforms):
        raise RequirementsError(f"{where}.platforms: must be a list of {', '.join(PLATFORMS)}")
    kinds = {"container": bool, "dast": bool, "cloud": str}
    for name, kind in kinds.items():
        if not isinstance(answers.get(name), kind):
            raise RequirementsError(f"{where}.{name}: must be {'true or false' if kind is bool else 'a string'}")
    return from_answers({name: answers[name] for name in ("platforms", *kinds)})
