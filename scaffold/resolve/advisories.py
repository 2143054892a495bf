"""The advisory list: commits known to be malicious, from ``scaffold/data/advisories.yml``.

One reader for the audit rule that flags a pinned compromised commit and for the resolver, which never pins one.
The resolver matches by commit alone, whatever repository it is found in: a compromised commit stays compromised
when a fork or a mirror serves it.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

from scaffold.kit.shipped import shipped_yaml

_SHA = re.compile(r"[0-9a-f]{40}")


@dataclass(frozen=True)
class Advisory:
    """One compromised commit of one action, and the advisory that names it (``GHSA-...``)."""

    action: str
    commit: str
    advisory: str


@functools.cache
def shipped() -> tuple[Advisory, ...]:
    """Every (action, commit) of the packaged list; the action lower-cased, the commit a full lower-case SHA."""
    found = []
    for entry in shipped_yaml("data/advisories.yml")["advisories"]:
        for commit in entry.get("commits") or ():
            sha = str(commit).lower()
            if not _SHA.fullmatch(sha):
                raise ValueError(f"advisories.yml: {entry['action']} lists a malformed commit {commit!r}")
            found.append(Advisory(str(entry["action"]).lower(), sha, str(entry["advisory"])))
    return tuple(found)


def by_commit(advisories: tuple[Advisory, ...] | None = None) -> dict[str, str]:
    """Commit SHA -> advisory id, for the resolver (the shipped list unless ``advisories`` is given)."""
    return {item.commit: item.advisory for item in (shipped() if advisories is None else advisories)}
