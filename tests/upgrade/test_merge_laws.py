"""Laws every three-way merge must keep, checked on the structural YAML merge itself (without the shortcuts the
dispatcher takes) over real kit changes: a side that did not change yields the other side byte for byte."""

from __future__ import annotations

from typing import Any

import pytest

from scaffold.kit.record import RECORD_PATH
from scaffold.upgrade.line_merge import Labels
from scaffold.upgrade.yaml_merge import merge_yaml
from tests.upgrade.support import render_v

BASE_ANSWERS: dict[str, Any] = {"name": "orders", "platforms": ["github", "gitlab", "jenkins"], "registry": "harbor"}
BASE_ANSWERS["image"] = "harbor.acme.example/shop/orders"
CHANGES: dict[str, dict[str, Any]] = {
    "coverage": {"coverage_min": 95},
    "environments": {"environments": ["staging", "canary", "production"]},
    "dast": {"dast": True, "dast_target_url": "https://staging.example.com"},
    "language": {"language": "go"},
    "branch": {"default_branch": "trunk"},
}


def _pairs() -> list[tuple[str, str, str, str]]:
    base = render_v(None, BASE_ANSWERS)
    pairs = []
    for change, answers in CHANGES.items():
        changed = render_v(None, {**BASE_ANSWERS, **answers})
        for path, text in sorted(changed.items()):
            if path.endswith((".yml", ".yaml")) and path != RECORD_PATH and path in base and base[path] != text:
                pairs.append((change, path, base[path], text))
    return pairs


PAIRS = _pairs()


def _text(base: str, ours: str, theirs: str) -> str:
    merged = merge_yaml(base, ours, theirs)
    assert merged is not None
    assert merged.conflicts == 0
    return merged.text(Labels())


def test_the_kit_changes_enough_files_to_mean_something() -> None:
    assert len(PAIRS) >= 15
    assert {path for _, path, _, _ in PAIRS} >= {".github/workflows/release.yml", ".gitlab-ci.yml"}


@pytest.mark.parametrize(("change", "path", "base", "changed"), PAIRS, ids=[f"{c}:{p}" for c, p, _, _ in PAIRS])
def test_an_unchanged_side_yields_the_other_exactly(change: str, path: str, base: str, changed: str) -> None:
    assert _text(base, base, changed) == changed  # only the kit changed
    assert _text(base, changed, base) == changed  # only the user changed
    assert _text(base, changed, changed) == changed  # both made the same change


@pytest.mark.parametrize(("change", "path", "base", "changed"), PAIRS, ids=[f"{c}:{p}" for c, p, _, _ in PAIRS])
def test_a_user_comment_at_the_end_survives_any_kit_change(change: str, path: str, base: str, changed: str) -> None:
    """A comment at the end stays at the end, unless the kit adds a top-level part after it: a comment at the top
    level's own indentation may be about what follows, so it stays where the user put it, after the last part it
    followed."""
    merged = _text(base, base + "# reviewed by the platform team\n", changed)
    assert merged.count("# reviewed by the platform team\n") == 1
    assert merged.replace("# reviewed by the platform team\n", "") == changed
    if merged != changed + "# reviewed by the platform team\n":
        assert path == ".gitlab-ci.yml"  # the only kit file whose jobs sit at the top level
