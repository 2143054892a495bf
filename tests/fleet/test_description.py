"""The pull-request description: Markdown that a repository's paths and messages cannot break out of."""

from __future__ import annotations

import pytest

from scaffold.fleet.description import TRAILER, code, commit_message, describe, plain
from scaffold.upgrade.plan import Outcome, Status
from scaffold.upgrade.posture import Weakening
from scaffold.upgrade.results import UpgradeResult


@pytest.mark.parametrize("text", ["a`b", "``x``", "`", "plain", "a ``` b"])
def test_inline_code_cannot_be_closed_by_the_text(text: str) -> None:
    shown = code(text)
    fence = shown[: len(shown) - len(shown.lstrip("`"))]
    inner = shown[len(fence) : -len(fence)]
    assert shown.endswith(fence) and fence not in inner  # no run of backticks as long as the fence inside
    assert (inner[1:-1] if inner.startswith(" ") and inner.endswith(" ") else inner) == text


def test_plain_text_forms_no_link_image_or_html() -> None:
    shown = plain("[click](https://evil.example) ![x](y) <script>*b*")
    for raw in ("[click]", "](", "![", "<script>", "*b*"):
        assert raw not in shown


def test_the_description_lists_changes_merges_conflicts_and_blocked_weakenings() -> None:
    outcomes = [
        Outcome(".github/workflows/ci.yml", Status.UPDATED, "a", "b"),
        Outcome("deploy/deploy.sh", Status.MERGED, "a", "b"),
        Outcome("Dockerfile", Status.CONFLICT, "a", "b", conflicts=2),
        Outcome("README.md", Status.UNCHANGED, "a", "a"),
    ]
    weak = [Weakening(path="x`y.yml", line=4, control="c", message="[link](http://e)", rule="excessive-permissions")]
    result = UpgradeResult(outcomes, weak, False, None, "1.0.0", "1.1.0", {})
    body = describe(result, settings=["dast=true"], command="scaffold upgrade --set dast=true")
    assert "`.github/workflows/ci.yml`: updated" in body
    assert "### Merged with your edits\n\n- `deploy/deploy.sh`" in body
    assert "- `Dockerfile`: 2 conflict(s)" in body
    assert "``x`y.yml:4``" in body and "](" not in body
    assert "README.md" not in body
    message = commit_message(result, body, 7, "0123456789abcdef0123")
    assert message.startswith("scaffold: upgrade the kit from 1.0.0 to 1.1.0\n\n")
    assert message.endswith(f"\n\n{TRAILER}: 7 0123456789abcdef0123\n")
