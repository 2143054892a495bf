"""One file as the rules see it: its path, kind and text, parsed once on first use."""

from __future__ import annotations

import functools
from dataclasses import dataclass

from scaffold.rules import yaml_view
from scaffold.rules.lines import LineMap
from scaffold.rules.model import Kind
from scaffold.rules.yaml_view import YNode


@dataclass(frozen=True)
class Document:
    path: str
    kind: Kind
    text: str

    @functools.cached_property
    def line_map(self) -> LineMap:
        """The file's lines as its consumer breaks them (``scaffold.rules.lines``), with offset mapping."""
        return LineMap(self.text, self.kind)

    @functools.cached_property
    def lines(self) -> list[str]:
        """The file's lines in its kind's line model: line N here is line N of every finding and suppression."""
        return self.line_map.lines

    @functools.cached_property
    def yaml(self) -> YNode | None:
        """The YAML root; the runner parses YAML kinds before any rule runs, so rules never see an error here."""
        return yaml_view.parse(self.text)
