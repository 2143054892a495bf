"""Where the shared corpus of real CI files lives: ``../shared/corpus`` beside the checkout, or $SCAFFOLD_CORPUS.

The corpus is not part of the repository (the tests read it in place), so a checkout without it skips the
corpus tests and says why; every other test still runs.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

CANONICAL_PATHS = {
    "github": lambda name: f".github/workflows/{name.rsplit('__', 1)[-1]}",
    "gitlab": lambda name: ".gitlab-ci.yml",
    "docker": lambda name: "Dockerfile",
    "jenkins": lambda name: "Jenkinsfile",
}


def corpus_dir() -> Path:
    configured = os.environ.get("SCAFFOLD_CORPUS")
    folder = Path(configured) if configured else Path(__file__).resolve().parents[2].parent / "shared" / "corpus"
    if not folder.is_dir():
        pytest.skip(f"the shared corpus is not at {folder} (set SCAFFOLD_CORPUS to its folder)")
    return folder


def corpus_files(kind: str) -> list[str]:
    """The names of one kind's corpus files, for parametrizing; empty when the corpus is absent."""
    configured = os.environ.get("SCAFFOLD_CORPUS")
    folder = Path(configured) if configured else Path(__file__).resolve().parents[2].parent / "shared" / "corpus"
    return sorted(path.name for path in (folder / kind).glob("*")) if (folder / kind).is_dir() else []
