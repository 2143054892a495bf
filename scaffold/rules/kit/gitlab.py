"""The kit's controls as gitlab files show them: one judge per control that no file rule already judges here."""

from __future__ import annotations

from scaffold.rules.kit.judge import Judge

JUDGES: dict[str, Judge] = {}
