"""Shared reading of ``include:`` for the include rules: every entry, at the top level and in ``trigger:include``."""

from __future__ import annotations

from collections.abc import Iterator

from scaffold.rules.document import Document
from scaffold.rules.gitlab.pipeline import get, jobs, resolve, root
from scaffold.rules.yaml_view import YNode


def includes(document: Document) -> Iterator[tuple[str, YNode]]:
    """(where, entry) for each include entry: a scalar (a local path or a URL) or a mapping."""
    top = root(document)
    if top is None:
        return
    owners: list[tuple[str, YNode | None]] = [("include", get(top, "include"))]
    owners += [(f"{job.label} trigger include", get(get(job.node, "trigger"), "include")) for job in jobs(document)]
    for where, section in owners:
        section = resolve(top, section)
        if section is None:
            continue
        for item in [section] if not section.is_sequence else section.elements():
            entry = resolve(top, item)
            if entry is not None and (entry.text is not None or entry.is_mapping):
                yield where, entry
