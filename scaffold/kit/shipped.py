"""The YAML data files shipped inside the package (``scaffold/pins.yml``, ``scaffold/data/*.yml``).

They are written by scaffold's maintainers and installed with its code, so they are trusted: they are parsed with
libyaml's C loader when PyYAML has it (the same safe constructor, about ten times faster than the pure-Python
loader), not the bounded composer that untrusted files go through. They are still read with a size cap. Callers keep
the parsed result (``functools.cache``), so a run reads each file once, and only when something asks for it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

PACKAGE = Path(__file__).resolve().parent.parent
"""The installed ``scaffold`` package folder. Read directly: ``importlib.resources`` would import zipfile, tempfile and
threading on every run for files that are always plain files beside the code."""

MAX_BYTES = 4 * 1024 * 1024
"""Largest shipped data file read (the largest today is about 50 KB)."""

LOADER: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
"""libyaml's safe loader, or PyYAML's own when libyaml is not installed: both build the same plain data."""


def shipped_yaml(name: str) -> Any:
    """The data of ``scaffold/<name>`` (a path inside the package); ValueError when it is larger than the cap."""
    raw = (PACKAGE / name).read_bytes()
    if len(raw) > MAX_BYTES:
        raise ValueError(f"scaffold/{name} is larger than {MAX_BYTES} bytes")
    return yaml.load(raw.decode("utf-8"), Loader=LOADER)  # noqa: S506 - a safe loader, on shipped data
