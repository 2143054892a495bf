"""Agreement with zizmor on real workflows (../shared/corpus/github) for the classes both tools check offline.

- Per (workflow, class) pair, over every class of scripts/zizmor_agreement.py (a zizmor ident, and the scaffold
  rules ``ZIZMOR_RULES`` maps it to): at least 95% agree, and each pair that does not is listed here and explained
  in docs/zizmor.md.
- unpinned-uses, dangerous-triggers, artipacked: the same findings as zizmor's regular persona, line for line.
- template-injection: nothing zizmor's pedantic persona does not find (it reports every expression in a script).
- excessive-permissions: every file zizmor's regular persona flags, plus the workflows without top-level
  `permissions:` that zizmor flags only as pedantic (the security bar asks for `permissions: {}` everywhere).
"""

from __future__ import annotations

import fnmatch
import functools
import json
import os
import subprocess
from pathlib import Path

import pytest

from scaffold.rules.runner import audit_tree
from scripts.zizmor_agreement import CLASSES, Tally, measure, total
from tests.support import checkers
from tests.support.corpus import corpus_dir, corpus_files

pytestmark = pytest.mark.validators

DOCS = Path(__file__).resolve().parents[2] / "docs" / "zizmor.md"
LINE_CLASSES = ("unpinned-uses", "excessive-permissions", "template-injection", "dangerous-triggers", "artipacked")
# The (workflow, class) pairs where the tools differ on the corpus, and which one finds something; docs/zizmor.md
# has a row for each saying why.
DIFFERENCES = {
    ("0x12th__hotelhub__.github__workflows__push-image.yml", "template-injection"): "zizmor",
    ("0x2142__frigate-notify__.github__workflows__docker-publish.yml", "cache-poisoning"): "scaffold",
    ("umami-software__umami__.github__workflows__cd.yml", "cache-poisoning"): "scaffold",
}
Lines = dict[str, set[tuple[str, int]]]


@pytest.fixture(scope="module")
def tmp(tmp_path_factory: pytest.TempPathFactory) -> str:
    """The corpus laid out as repositories (``<name>/.github/workflows/<file>``) in a temporary folder."""
    folder = tmp_path_factory.mktemp("zizmor")
    for name in corpus_files("github"):
        workflows = folder / "corpus" / name / ".github" / "workflows"
        workflows.mkdir(parents=True)
        (workflows / name.rsplit("__", 1)[-1]).write_text((corpus_dir() / "github" / name).read_text())
    return str(folder)


@functools.cache
def agreement(tmp: str) -> tuple[int, int, dict[str, Tally]]:
    _, tallies = measure(Path(tmp) / "corpus", checkers.tool("zizmor"))
    return (*total(tallies), tallies)


def _differences(tallies: dict[str, Tally]) -> dict[tuple[str, str], str]:
    found = {}
    for ident, tally in tallies.items():
        for who, names in (("zizmor", tally.only_zizmor), ("scaffold", tally.only_scaffold)):
            for name in names:
                found[(name.split("/", 1)[0], ident)] = who
    return found


def test_at_least_95_percent_of_file_class_pairs_agree(tmp: str) -> None:
    agreeing, pairs, tallies = agreement(tmp)
    assert pairs == len(corpus_files("github")) * len(CLASSES)
    assert agreeing / pairs >= 0.95, f"{agreeing} of {pairs}"
    assert sum(tally.both for tally in tallies.values()) >= 40  # the classes are really exercised


def test_each_difference_is_the_listed_one(tmp: str) -> None:
    assert _differences(agreement(tmp)[2]) == DIFFERENCES


def test_each_listed_difference_has_its_reason_in_the_docs() -> None:
    rows = [
        [cell.strip().strip("`") for cell in line.strip().strip("|").split("|")]
        for line in DOCS.read_text(encoding="utf-8").splitlines()
        if line.startswith("|") and not line.startswith("|-") and not line.startswith("| file")
    ]
    for (name, ident), who in DIFFERENCES.items():
        explained = [
            row for row in rows if len(row) >= 4 and fnmatch.fnmatch(name, row[0]) and row[1] == ident and row[2] == who
        ]
        assert explained and all(row[3] for row in explained), f"docs/zizmor.md does not explain {name} {ident}"


# line for line ------------------------------------------------------------------------------------------------------


@functools.cache
def zizmor(persona: str, tmp: str) -> Lines:
    found: Lines = {name: set() for name in LINE_CLASSES}
    env = {key: value for key, value in os.environ.items() if key not in ("GH_TOKEN", "GITHUB_TOKEN")}
    for name in corpus_files("github"):
        command = [
            checkers.tool("zizmor"),
            "--offline",
            "--format=json",
            f"--persona={persona}",
            str(Path(tmp) / "corpus" / name),
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
    found: Lines = {name: set() for name in LINE_CLASSES}
    for name in corpus_files("github"):
        text = (corpus_dir() / "github" / name).read_text()
        for item in audit_tree({f".github/workflows/{name.rsplit('__', 1)[-1]}": text}).findings:
            if item.rule in found:
                found[item.rule].add((name, item.line))
    return found


@pytest.mark.parametrize("rule", ["unpinned-uses", "dangerous-triggers", "artipacked"])
def test_same_findings_as_zizmor_line_for_line(rule: str, tmp: str) -> None:
    assert ours()[rule] == zizmor("regular", tmp)[rule]
    assert ours()[rule]


def test_template_injection_finds_nothing_the_pedantic_persona_does_not(tmp: str) -> None:
    assert ours()["template-injection"]
    assert ours()["template-injection"] <= zizmor("pedantic", tmp)["template-injection"]


def test_excessive_permissions_covers_every_file_zizmor_flags(tmp: str) -> None:
    files = {name for name, _ in ours()["excessive-permissions"]}
    assert {name for name, _ in zizmor("regular", tmp)["excessive-permissions"]} <= files
    assert files <= {name for name, _ in zizmor("pedantic", tmp)["excessive-permissions"]}
