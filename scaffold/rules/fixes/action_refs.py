"""The commits ``harden`` may pin actions to: ``scaffold/data/action-refs.yml`` plus the kit's own pins."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache

from scaffold.kit.pins import load_pins
from scaffold.kit.shipped import shipped_yaml

_SHA = re.compile(r"[0-9a-f]{40}")


@dataclass(frozen=True)
class ResolvedRef:
    repo: str
    ref: str
    sha: str
    version: str
    verified: str


def lookup(repo: str, ref: str) -> ResolvedRef | None:
    """The verified commit for ``owner/repo@ref`` (the repository name is case-insensitive), or None."""
    return _table().get((repo.lower(), ref))


@cache
def _table() -> dict[tuple[str, str], ResolvedRef]:
    table: dict[tuple[str, str], ResolvedRef] = {}
    for repo, entry in shipped_yaml("data/action-refs.yml")["actions"].items():
        for ref, pin in entry["refs"].items():
            sha = str(pin["sha"])
            if not _SHA.fullmatch(sha):
                raise ValueError(f"action-refs.yml: {repo}@{ref} has a malformed sha")
            table[(repo.lower(), str(ref))] = ResolvedRef(repo, str(ref), sha, str(pin["version"]), entry["verified"])
    for pin in load_pins().actions.values():
        table.setdefault(
            (pin.repo.lower(), pin.version), ResolvedRef(pin.repo, pin.version, pin.sha, pin.version, pin.verified)
        )
    return table
