"""What the registry tests share: rendering a kit with its stages, reading a generated JSON document, and the §6
controls every registry README must name."""

from __future__ import annotations

import json
from typing import Any

from scaffold.api import render_kit
from scaffold.kit import registry_layout
from scaffold.kit.answers import Answers, validate

# The security bar's §6 controls, as the README tables name them.
CONTROLS = (
    "no anonymous or public pull",
    "immutable tags",
    "scan on push",
    "block pulls of vulnerable",
    "signed-only pulls",
    "retention",
    "CI push identity",
)


def render(data: dict[str, Any]) -> tuple[dict[str, str], list[dict[str, Any]], Answers]:
    """The rendered kit, the registry stages as templates see them, and the finished answers."""
    answers = validate(data)
    stages = registry_layout.context(answers.model_dump())["stages"]
    return render_kit(answers=answers), stages, answers


def load(text: str) -> Any:
    """Parse one generated JSON file; it must be exactly the 2-space, newline-terminated form."""
    value = json.loads(text)
    assert text == json.dumps(value, indent=2) + "\n"
    return value


def assert_names_every_control(readme: str) -> None:
    """The README has a table row for each §6 control and points to the admission policies."""
    for control in CONTROLS:
        assert f"| {control}" in readme, control
    assert "policy/kubernetes/" in readme
