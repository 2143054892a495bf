"""Team packs written by the tests: the skeleton ``scaffold pack init`` writes, changed one field at a time."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from scaffold.authoring import skeleton


def write_pack(folder: Path, change: dict[str, Any] | None = None, *, extra: dict[str, str] | None = None) -> Path:
    """The skeleton pack in ``folder`` with ``change`` applied to its pack.yml (a key set to None is removed) and
    ``extra`` files added."""
    files = skeleton.files("acme")
    manifest = yaml.safe_load(files["pack.yml"])
    for key, value in (change or {}).items():
        if value is None:
            manifest.pop(key, None)
        else:
            manifest[key] = value
    files["pack.yml"] = yaml.safe_dump(manifest, sort_keys=False)
    files.update(extra or {})
    for relative, text in files.items():
        target = folder / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
    return folder
