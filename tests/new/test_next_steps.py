"""The next steps ``scaffold new`` prints last, read from the kit it rendered."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from scaffold.api import render_kit
from scaffold.kit.answers import validate
from scaffold.new.next_steps import next_steps
from tests.answer_sets import ANSWER_SETS


def test_a_github_kit_asks_for_its_hook_settings_and_secrets() -> None:
    steps = next_steps(render_kit(answers=validate(ANSWER_SETS["python-ghcr-defaults"])))
    assert len(steps) == 4
    assert "deploy/deploy.sh" in steps[1] and "fail on purpose" in steps[1]
    assert steps[2].endswith("'One-time GitHub settings'")
    assert steps[3].endswith(": GITLEAKS_LICENSE")  # GITHUB_TOKEN is GitHub's own, never listed


def test_each_platform_names_its_own_settings_and_no_secret_it_does_not_read() -> None:
    answers = validate({**ANSWER_SETS["python-gitlab-defaults"], "platforms": ["gitlab", "jenkins"]})
    steps = next_steps(render_kit(answers=answers))
    assert any(step.endswith("'One-time GitLab settings'; 'One-time Jenkins settings'") for step in steps)
    assert not any("secrets" in step for step in steps)


def test_steps_come_only_from_what_the_kit_holds() -> None:
    assert next_steps({}) == []
    assert next_steps({".github/workflows/ci.yml": "x: ${{ secrets.GITHUB_TOKEN }}"}) == []


def test_new_ends_with_the_next_steps(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "scaffold", "new", "--defaults", "--output", str(tmp_path / "svc")],
        capture_output=True,
        text=True,
        check=True,
    )
    tail = done.stdout.splitlines()[-5:]
    assert tail[0] == "next steps:" and tail[1].startswith("  1. ") and tail[4].startswith("  4. create")
