"""Parity: every control that applies is present, found by parsing, on every platform the answers choose."""

from __future__ import annotations

from functools import cache

import pytest

from scaffold.answers import validate
from scaffold.api import render_kit
from scaffold.checks import REGISTRY, run_checks
from scaffold.controls import CONTROLS, PLATFORMS, NotApplicable, PlatformName
from tests.answer_sets import ANSWER_SETS


@cache
def _kit(name: str) -> dict[str, str]:
    return render_kit(answers=validate(ANSWER_SETS[name]))


CASES = [
    (name, platform) for name, data in ANSWER_SETS.items() for platform in validate(data).model_dump()["platforms"]
]


@pytest.mark.parametrize(("answer_set", "platform"), CASES, ids=[f"{n}-{p}" for n, p in CASES])
def test_every_applicable_control_is_present(answer_set: str, platform: PlatformName) -> None:
    answers = validate(ANSWER_SETS[answer_set]).model_dump()
    controls = [control.id for control in CONTROLS if control.applies_on(platform, answers)]
    assert controls, "no control applies: the parity test would prove nothing"
    assert run_checks(platform, _kit(answer_set), controls) == []


def test_answer_sets_cover_every_platform_alone_and_together() -> None:
    chosen = [tuple(validate(data).model_dump()["platforms"]) for data in ANSWER_SETS.values()]
    for platform in PLATFORMS:
        assert (platform,) in chosen
    assert ("github", "gitlab", "jenkins") in chosen


@pytest.mark.parametrize("platform", PLATFORMS)
def test_each_control_has_a_check_or_a_reason(platform: PlatformName) -> None:
    for control in CONTROLS:
        if isinstance(control.how[platform], NotApplicable):
            assert control.id not in REGISTRY[platform], f"{control.id} is marked not applicable but has a check"
        else:
            assert control.id in REGISTRY[platform], f"{control.id} has no {platform} check"


def test_a_control_without_a_check_is_reported() -> None:
    findings = run_checks("github", {}, ["no-such-control"])
    assert [f.control for f in findings] == ["no-such-control"]


def test_not_applicable_platforms_say_why() -> None:
    for control in CONTROLS:
        for how in control.how.values():
            text = how.reason if isinstance(how, NotApplicable) else how
            assert len(text) > 20, control.id
