"""The ``.scaffold.yml`` record written next to a kit.

It holds every answer, the pack name and version, the scaffold version and the sha256 of every generated file, so
that ``scaffold upgrade`` can re-render the previous kit and tell which files the user changed.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from typing import Any

import yaml

from scaffold import __version__
from scaffold.answers import Answers
from scaffold.packs import Pack

RECORD_PATH = ".scaffold.yml"

_HEADER = (
    "# Written by scaffold. It records the answers, the template pack and a hash of every generated file,\n"
    "# so that 'scaffold upgrade' can tell your edits from ours. Commit it; do not edit the hashes.\n"
)


class _IndentedDumper(yaml.SafeDumper):
    """Indents block sequences under their key, as yamllint's default ``indentation`` rule expects."""

    def increase_indent(self, flow: bool = False, indentless: bool = False) -> None:
        super().increase_indent(flow, False)


def file_hash(text: str) -> str:
    return "sha256:" + hashlib.sha256(text.encode("utf-8")).hexdigest()


def render_record(pack: Pack, answers: Answers, files: Mapping[str, str]) -> str:
    """The text of ``.scaffold.yml`` for a rendered kit. Deterministic: keys and files are sorted."""
    record: dict[str, Any] = {
        "scaffold_version": __version__,
        "pack": {"name": pack.name, "version": pack.version},
        "answers": answers.model_dump(mode="json", exclude_none=True),
        "files": {path: file_hash(text) for path, text in sorted(files.items())},
    }
    body = yaml.dump(
        record,
        Dumper=_IndentedDumper,
        sort_keys=False,
        default_flow_style=False,
        allow_unicode=False,
        width=120,
    )
    return _HEADER + "---\n" + body
