"""The table of commits harden pins actions to: well formed, consistent with the kit's pins, and, where the
upstream mirrors are on this machine, verified against them by the independent ../shared/tools/verify_pins.py."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from importlib import resources
from pathlib import Path

import pytest
import yaml

from scaffold.kit.pins import load_pins
from scaffold.rules.fixes import action_refs

ROOT = Path(__file__).resolve().parents[3]
VERIFY = ROOT.parent / "shared" / "tools" / "verify_pins.py"
MIRRORS = Path(os.environ.get("MIRRORS") or ROOT.parent / ".mirror")


def _table() -> dict[str, dict[str, dict[str, str]]]:
    text = resources.files("scaffold").joinpath("data/action-refs.yml").read_text(encoding="utf-8")
    actions: dict[str, dict[str, dict[str, str]]] = {
        repo: entry["refs"] for repo, entry in yaml.safe_load(text)["actions"].items()
    }
    return actions


def test_every_ref_has_a_full_sha_and_a_version_and_no_branch_is_listed() -> None:
    table = _table()
    assert sum(len(refs) for refs in table.values()) >= 60
    for repo, refs in table.items():
        for ref, pin in refs.items():
            assert len(pin["sha"]) == 40 and int(pin["sha"], 16) >= 0, f"{repo}@{ref}"
            assert pin["version"].startswith("v"), f"{repo}@{ref}"
            assert "/" not in ref and ref not in ("main", "master"), f"{repo}@{ref}"


def test_the_kit_pins_agree_with_the_table_and_are_found_by_their_exact_version() -> None:
    for pin in load_pins().actions.values():
        found = action_refs.lookup(pin.repo, pin.version)
        assert found is not None and found.sha == pin.sha, pin.name
        listed = _table().get(pin.repo, {}).get(pin.version)
        assert listed is None or listed["sha"] == pin.sha, pin.name


def test_lookup_ignores_the_case_of_the_repository_and_knows_nothing_it_was_not_told() -> None:
    assert action_refs.lookup("Actions/Checkout", "v4") == action_refs.lookup("actions/checkout", "v4")
    assert action_refs.lookup("actions/checkout", "main") is None
    assert action_refs.lookup("nobody/nothing", "v1") is None


def test_every_sha_is_the_commit_its_tag_names_in_the_upstream_mirror(tmp_path: Path) -> None:
    if not VERIFY.is_file() or not MIRRORS.is_dir():
        pytest.skip(f"needs {VERIFY} and the upstream mirrors in {MIRRORS}")
    lines = [f"- uses: {repo}@{pin['sha']} # {ref}" for repo, refs in _table().items() for ref, pin in refs.items()]
    (tmp_path / "refs.yml").write_text("\n".join(lines) + "\n")
    env = {**os.environ, "MIRRORS": str(MIRRORS)}
    result = subprocess.run([sys.executable, str(VERIFY), str(tmp_path)], capture_output=True, text=True, env=env)
    summary = json.loads(result.stdout)
    assert summary["mismatched"] == []
    assert summary["unpinned"] == []
    assert len(summary["verified"]) + len(summary["unverifiable"]) == len(lines)
    assert summary["verified"]
