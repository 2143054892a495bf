"""Agreement with zizmor on real workflows (../shared/corpus/github) for the classes both tools check.

Per class, on the finding's line (file-level for permissions):
- unpinned-uses, dangerous-triggers, artipacked: the same findings as zizmor's regular persona, line for line.
- template-injection: everything zizmor's regular persona finds, except `${{ job.status }}` (it can only be
  success, failure or cancelled, so scaffold does not flag it); and nothing zizmor's pedantic persona does not.
- excessive-permissions: every file zizmor's regular persona flags, plus the workflows without top-level
  `permissions:` that zizmor flags only as pedantic (the security bar asks for `permissions: {}` everywhere).
"""

from __future__ import annotations

import functools
import json
import os
import subprocess
from pathlib import Path

import pytest

from scaffold.rules.runner import audit_tree
from tests.support import checkers
from tests.support.corpus import corpus_dir, corpus_files

pytestmark = pytest.mark.validators

CLASSES = ("unpinned-uses", "excessive-permissions", "template-injection", "dangerous-triggers", "artipacked")
Lines = dict[str, set[tuple[str, int]]]


@functools.cache
def zizmor(persona: str, tmp: str) -> Lines:
    found: Lines = {name: set() for name in CLASSES}
    env = {key: value for key, value in os.environ.items() if key not in ("GH_TOKEN", "GITHUB_TOKEN")}
    for name in corpus_files("github"):
        folder = Path(tmp) / persona / name / ".github" / "workflows"
        folder.mkdir(parents=True)
        (folder / name.rsplit("__", 1)[-1]).write_text((corpus_dir() / "github" / name).read_text())
        command = [
            checkers.tool("zizmor"),
            "--offline",
            "--format=json",
            f"--persona={persona}",
            str(folder.parents[1]),
        ]
        result = subprocess.run(command, capture_output=True, text=True, env=env, check=False)
        assert result.returncode in (0, 10, 11, 12, 13, 14), result.stderr
        for item in json.loads(result.stdout or "[]"):
            if item["ident"] in found:
                for location in item["locations"]:
                    if location["symbolic"].get("kind") == "Primary":
                        found[item["ident"]].add((name, location["concrete"]["location"]["start_point"]["row"] + 1))
    return found


@functools.cache
def ours() -> Lines:
    found: Lines = {name: set() for name in CLASSES}
    for name in corpus_files("github"):
        text = (corpus_dir() / "github" / name).read_text()
        for item in audit_tree({f".github/workflows/{name.rsplit('__', 1)[-1]}": text}).findings:
            if item.rule in found:
                found[item.rule].add((name, item.line))
    return found


@pytest.fixture(scope="module")
def tmp(tmp_path_factory: pytest.TempPathFactory) -> str:
    corpus_dir()
    return str(tmp_path_factory.mktemp("zizmor"))


@pytest.mark.parametrize("rule", ["unpinned-uses", "dangerous-triggers", "artipacked"])
def test_same_findings_as_zizmor_line_for_line(rule: str, tmp: str) -> None:
    assert ours()[rule] == zizmor("regular", tmp)[rule]
    assert ours()[rule]


def test_template_injection_between_the_regular_and_the_pedantic_persona(tmp: str) -> None:
    regular, pedantic = zizmor("regular", tmp)["template-injection"], zizmor("pedantic", tmp)["template-injection"]
    missed = regular - ours()["template-injection"]
    for name, line in missed:
        assert "${{ job.status }}" in (corpus_dir() / "github" / name).read_text().splitlines()[line - 1]
    assert ours()["template-injection"] <= pedantic


def test_excessive_permissions_covers_every_file_zizmor_flags(tmp: str) -> None:
    files = {name for name, _ in ours()["excessive-permissions"]}
    assert {name for name, _ in zizmor("regular", tmp)["excessive-permissions"]} <= files
    assert files <= {name for name, _ in zizmor("pedantic", tmp)["excessive-permissions"]}
