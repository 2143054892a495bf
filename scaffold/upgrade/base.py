"""Rebuild the exact previous render (the merge base) of the files a user changed.

Every candidate is checked against the sha256 that ``.scaffold.yml`` recorded, so a base is either exact or not
used. Candidates, cheapest first: the stored base commit (``refs/scaffold/base``); a re-render with the recorded
answers when the pack version is still the recorded one; any version of the file in the repository's history (a
clone that never fetched the base ref usually still holds the kit as first committed).

A base is only ever a merge base: it decides how edits are merged, never whether a file may be deleted. The stored
base can be fetched from any remote, so it is no evidence that scaffold rendered a file.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from scaffold.kit.record import file_hash
from scaffold.upgrade import repo


@dataclass
class BaseFinder:
    kit: Path
    recorded: Mapping[str, str]
    rerender: Callable[[], Mapping[str, str]] | None
    sources: dict[str, str] = field(default_factory=dict)
    _stored: dict[str, bytes] | None = None
    _rendered: Mapping[str, str] | None = None

    def find(self, path: str) -> str | None:
        """The exact previous render of ``path``, or None when no candidate matches the recorded hash."""
        expected = self.recorded.get(path)
        if expected is None:
            return None
        for source, candidates in (
            ("stored base", self._from_store),
            ("re-render", self._from_render),
            ("git history", self._from_history),
        ):
            for text in candidates(path):
                if file_hash(text) == expected:
                    self.sources[path] = source
                    return text
        return None

    def _from_store(self, path: str) -> list[str]:
        if self._stored is None:
            self._stored = repo.base_files(self.kit)
        return _decoded([self._stored[path]] if path in self._stored else [])

    def _from_render(self, path: str) -> list[str]:
        if self.rerender is None:
            return []
        if self._rendered is None:
            self._rendered = self.rerender()
        return [self._rendered[path]] if path in self._rendered else []

    def _from_history(self, path: str) -> list[str]:
        return _decoded(repo.historical_versions(self.kit, path))


def _decoded(blobs: list[bytes]) -> list[str]:
    texts = []
    for blob in blobs:
        try:
            texts.append(blob.decode("utf-8"))
        except UnicodeDecodeError:
            continue
    return texts
