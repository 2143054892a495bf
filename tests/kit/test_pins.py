"""The pins file: well formed, free of known-compromised commits, and (where upstream mirrors are present next to
the checkout) each action and hook SHA is exactly what its version tag resolves to upstream."""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

import pytest

from scaffold.api import render_kit
from scaffold.kit.answers import validate
from scaffold.kit.pins import ActionPin, HookPin, load_pins
from tests.answer_sets import ANSWER_SETS

MIRRORS = Path(os.environ.get("MIRRORS") or Path(__file__).resolve().parents[3] / ".mirror")
# Commits that attackers pointed release tags at (security-bar §12: CVE-2026-33634 / GHSA-69fq-xp46-6x23).
COMPROMISED = {"ddb9da4475c1cef7d5389062bdfdfbdbd1394648"}


def test_every_pin_is_well_formed_and_says_where_it_was_verified() -> None:
    pins = load_pins()
    shas: list[ActionPin | HookPin] = [*pins.actions.values(), *pins.hooks.values()]
    for pin in shas:
        assert re.fullmatch(r"[0-9a-f]{40}", pin.sha), pin.name
        assert re.fullmatch(r"v[0-9]+\.[0-9]+\.[0-9]+", pin.version), pin.name
        assert "git rev-parse" in pin.verified, pin.name
    for image in pins.images.values():
        assert re.fullmatch(r"sha256:[0-9a-f]{64}", image.digest), image.name
        # docker-library/repo-info for official images; otherwise the upstream repository or a public code search
        # that found the same tag and digest in several unrelated files.
        assert re.search(r"repo-info|upstream|public code search", image.verified), image.name
    assert pins.tool("trivy").version != "v0.69.4"


def test_no_known_compromised_commit_is_pinned() -> None:
    pins = load_pins()
    assert not {pin.sha for pin in pins.actions.values()} & COMPROMISED


def test_every_uses_line_in_every_kit_is_a_pinned_sha_with_its_version() -> None:
    pins = load_pins()
    known = {(p.repo, p.sha, p.version) for p in pins.actions.values()}
    seen = set()
    for answer_set in ANSWER_SETS.values():
        for path, text in render_kit(answers=validate(answer_set)).items():
            for match in re.finditer(r"uses: ([\w.-]+/[\w.-]+)(?:/[\w./-]+)?@(\S+) # (\S+)", text):
                assert (match[1], match[2], match[3]) in known, (path, match[0])
                seen.add(match[1])
            assert not re.search(r"uses: [^\s#]+@(?![0-9a-f]{40}\b)", text), path
    assert len(seen) >= 15


def _mirror(repo: str) -> Path | None:
    path = MIRRORS / repo.replace("/", "+") / "repo"
    return path if path.is_dir() else None


def _tag_commit(mirror: Path, tag: str) -> str:
    result = subprocess.run(
        ["git", "-C", str(mirror), "rev-parse", f"{tag}^{{commit}}"],
        capture_output=True,
        text=True,
        check=False,
    )
    return result.stdout.strip()


@pytest.mark.parametrize("name", sorted(load_pins().actions))
def test_action_sha_is_what_its_tag_resolves_to_upstream(name: str) -> None:
    pin = load_pins().action(name)
    mirror = _mirror(pin.repo)
    if mirror is None:
        pytest.skip(f"no local mirror of {pin.repo}; fetch it to verify")
    assert _tag_commit(mirror, pin.version) == pin.sha


@pytest.mark.parametrize("name", sorted(load_pins().hooks))
def test_hook_rev_is_what_its_tag_resolves_to_upstream(name: str) -> None:
    pin = load_pins().hook(name)
    mirror = _mirror(pin.repo.removeprefix("https://github.com/"))
    if mirror is None:
        pytest.skip(f"no local mirror of {pin.repo}; fetch it to verify")
    assert _tag_commit(mirror, pin.version) == pin.sha


def test_docs_list_every_current_pin() -> None:
    text = (Path(__file__).resolve().parents[2] / "docs" / "pins.md").read_text()
    pins = load_pins()
    for sha in [p.sha for p in pins.actions.values()] + [p.sha for p in pins.hooks.values()]:
        assert sha in text
    for image in pins.images.values():
        assert image.digest in text
