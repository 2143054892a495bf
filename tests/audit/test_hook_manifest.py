"""The pre-commit hook other repositories use: a valid manifest whose file pattern selects exactly the files the
audit has rules for."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest
import yaml

from scaffold.rules.kinds import classify
from tests.support import checkers

MANIFEST = Path(__file__).resolve().parents[2] / ".pre-commit-hooks.yaml"
PATHS = [
    ".github/workflows/ci.yml",
    "sub/.github/workflows/release.yaml",
    ".github/dependabot.yml",
    "action.yml",
    ".github/actions/setup/action.yaml",
    "docs/action.yml.md",
    ".gitlab-ci.yml",
    "Jenkinsfile",
    "ci/Jenkinsfile.release",
    "build.jenkinsfile",
    "Dockerfile",
    "app/Dockerfile.prod",
    "api.Dockerfile",
    "Containerfile",
    ".dockerignore",
    "api.Dockerfile.dockerignore",
    ".pre-commit-config.yaml",
    "README.md",
    ".github/workflows/notes.txt",
    "docs/dockerfiles.md",
    "gitlab-ci.yml",
    "config.yaml",
]


@pytest.mark.parametrize(
    ("index", "hook_id", "entry"),
    [(0, "scaffold-audit", "scaffold audit"), (1, "scaffold-harden", "scaffold harden --write")],
)
def test_each_hook_selects_exactly_what_the_audit_reads(index: int, hook_id: str, entry: str) -> None:
    hook = yaml.safe_load(MANIFEST.read_text())[index]
    assert hook["id"] == hook_id
    assert hook["entry"] == entry
    pattern = re.compile(hook["files"])
    for path in PATHS:
        assert bool(pattern.search(path)) == (classify(path) is not None), path


@pytest.mark.validators
def test_pre_commit_accepts_the_manifest() -> None:
    result = subprocess.run(
        [checkers.tool("pre-commit"), "validate-manifest", str(MANIFEST)], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr
