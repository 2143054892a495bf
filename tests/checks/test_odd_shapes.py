"""Checks read files users wrote: a section of the wrong shape is a finding or nothing, never an exception."""

from __future__ import annotations

import pytest

from scaffold.checks import github

ODD_WORKFLOWS = [
    "on: push\njobs:\n  - build\n",  # jobs as a list
    "on: push\njobs: build\n",  # jobs as a string
    "on: push\njobs:\n  build:\n    runs-on: x\n    services: [redis]\n",  # services as a list
    "on: push\njobs:\n  build: [a, b]\n",  # a job that is not a mapping
]


@pytest.mark.parametrize("text", ODD_WORKFLOWS)
@pytest.mark.parametrize("control", sorted(github.CHECKS))
def test_github_checks_survive_odd_shapes(text: str, control: str) -> None:
    problems = github.CHECKS[control]({".github/workflows/odd.yml": text})
    assert all(isinstance(problem, str) and problem for problem in problems)
