"""Property: when the user and the kit edit different jobs of a real workflow or GitLab pipeline, in any mix of
ways, the structural merge never conflicts, the result holds exactly both sets of edits, and every comment the user
wrote survives (except inside a job the kit deleted)."""

from __future__ import annotations

import re
from collections import Counter
from typing import Any

import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from scaffold.upgrade.merge import merge_file
from tests.upgrade.support import render_v

WORKFLOW = ".github/workflows/ci.yml"
BASE = render_v(None)[WORKFLOW]
JOBS = list(yaml.safe_load(BASE)["jobs"])
OPERATIONS = ("timeout", "rename", "delete", "env", "comment")
PIPELINE = ".gitlab-ci.yml"
GITLAB_BASE = render_v(None, {"name": "orders", "platforms": ["gitlab"]})[PIPELINE]
GITLAB_JOBS = [key for key, job in yaml.safe_load(GITLAB_BASE).items() if isinstance(job, dict) and "script" in job]


def _job_span(text: str, job: str, indent: str = "  ") -> tuple[int, int]:
    """Where a job's block starts (its key line) and ends (the next job's key line, or the end)."""
    start = text.index(f"\n{indent}{job}:\n") + 1
    following = re.compile(rf"^{indent}\S", re.MULTILINE).search(text, text.index("\n", start) + 1)
    end = following.start() if following else len(text)
    while text[:end].endswith("\n\n"):  # the blank line before the next job belongs to it
        end -= 1
    return start, end


def _edit(text: str, data: dict[str, Any], job: str, operation: str, side: str) -> str:
    """Apply one edit to the text and the same edit to the expected data."""
    start, end = _job_span(text, job)
    block = text[start:end]
    if operation == "timeout":
        value = 7 if side == "ours" else 9
        block = re.sub(r"^    timeout-minutes: \d+$", f"    timeout-minutes: {value}", block, count=1, flags=re.M)
        data["jobs"][job]["timeout-minutes"] = value
    elif operation == "rename":
        block = block.replace("    name: ", f"    name: {side} ", 1)
        data["jobs"][job]["name"] = f"{side} {data['jobs'][job]['name']}"
    elif operation == "delete":  # with the blank line that separated it from the job before
        block = ""
        start -= 1 if text[:start].endswith("\n\n") else 0
        del data["jobs"][job]
    elif operation == "env":
        block = block + f"    env:\n      EDITED_BY: {side}\n" if "\n    env:\n" not in block else block
        if "env" not in data["jobs"][job]:
            data["jobs"][job]["env"] = {"EDITED_BY": side}
    else:
        block = f"  # {side} note about {job}\n" + block
    return text[:start] + block + text[end:]


def _new_job(name: str) -> str:
    return (
        f"\n  {name}:\n    runs-on: ubuntu-24.04\n    timeout-minutes: 5\n    permissions: {{}}\n"
        f"    steps:\n      - run: echo {name}\n"
    )


def _comments(text: str) -> list[str]:
    return [line for line in text.splitlines() if line.lstrip().startswith("#")]


def _kept_comments(base: str, ours: str, theirs: str) -> Counter[str]:
    """The user's comments, less those inside parts the kit deleted (a multiset: the kit repeats comments)."""
    return Counter(_comments(ours)) - (Counter(_comments(base)) - Counter(_comments(theirs)))


@st.composite
def plans(draw: st.DrawFn) -> tuple[dict[str, str], dict[str, str], bool, bool]:
    jobs = draw(st.permutations(JOBS))
    split = draw(st.integers(0, len(jobs)))
    ours = {job: draw(st.sampled_from(OPERATIONS)) for job in jobs[:split] if draw(st.booleans())}
    theirs = {job: draw(st.sampled_from(OPERATIONS[:-1])) for job in jobs[split:] if draw(st.booleans())}
    return ours, theirs, draw(st.booleans()), draw(st.booleans())


@settings(max_examples=150, deadline=None)
@given(plan=plans())
def test_edits_to_different_jobs_always_merge_to_both(plan: tuple[dict[str, str], dict[str, str], bool, bool]) -> None:
    ours_ops, theirs_ops, user_job, kit_job = plan
    expected = yaml.safe_load(BASE)
    ours, theirs = BASE, BASE
    for job, operation in ours_ops.items():
        ours = _edit(ours, expected, job, operation, "ours")
    for job, operation in theirs_ops.items():
        theirs = _edit(theirs, expected, job, operation, "theirs")
    if user_job:
        ours += _new_job("user-e2e")
        expected["jobs"]["user-e2e"] = yaml.safe_load(_new_job("user-e2e").replace("\n  ", "\n"))["user-e2e"]
    if kit_job:
        theirs += _new_job("kit-scan")
        expected["jobs"]["kit-scan"] = yaml.safe_load(_new_job("kit-scan").replace("\n  ", "\n"))["kit-scan"]

    if not expected["jobs"]:  # every job deleted: the text keeps a bare `jobs:`, which YAML reads as null
        expected["jobs"] = None
    merged = merge_file(WORKFLOW, base=BASE, ours=ours, theirs=theirs)
    assert merged.conflicts == 0
    text = merged.text_without_conflicts()
    assert yaml.safe_load(text) == expected
    assert Counter(_comments(text)) == _kept_comments(BASE, ours, theirs)


def _gitlab_edit(text: str, data: dict[str, Any], job: str, operation: str, side: str) -> str:
    start, end = _job_span(text, job, indent="")
    block = text[start:end]
    if operation == "timeout":
        block = re.sub(r"^  timeout: \S+$", f"  timeout: {side}-minutes", block, count=1, flags=re.M)
        data[job]["timeout"] = f"{side}-minutes"
    elif operation == "delete":
        block = ""
        start -= 1 if text[:start].endswith("\n\n") else 0
        del data[job]
    elif operation == "script":
        block = re.sub(r"^  script:\n", f"  script:\n    - echo {side}\n", block, count=1, flags=re.M)
        data[job]["script"].insert(0, f"echo {side}")
    else:
        block = f"# {side} note about {job}\n" + block
    return text[:start] + block + text[end:]


@st.composite
def gitlab_plans(draw: st.DrawFn) -> tuple[dict[str, str], dict[str, str]]:
    jobs = draw(st.permutations(GITLAB_JOBS))
    split = draw(st.integers(0, len(jobs)))
    operations = ("timeout", "delete", "script", "comment")
    ours = {job: draw(st.sampled_from(operations)) for job in jobs[:split] if draw(st.booleans())}
    theirs = {job: draw(st.sampled_from(operations[:-1])) for job in jobs[split:] if draw(st.booleans())}
    return ours, theirs


@settings(max_examples=100, deadline=None)
@given(plan=gitlab_plans())
def test_edits_to_different_gitlab_jobs_always_merge_to_both(plan: tuple[dict[str, str], dict[str, str]]) -> None:
    expected = yaml.safe_load(GITLAB_BASE)
    ours, theirs = GITLAB_BASE, GITLAB_BASE
    for job, operation in plan[0].items():
        ours = _gitlab_edit(ours, expected, job, operation, "ours")
    for job, operation in plan[1].items():
        theirs = _gitlab_edit(theirs, expected, job, operation, "theirs")
    merged = merge_file(PIPELINE, base=GITLAB_BASE, ours=ours, theirs=theirs)
    assert merged.conflicts == 0
    text = merged.text_without_conflicts()
    assert yaml.safe_load(text) == expected
    assert Counter(_comments(text)) == _kept_comments(GITLAB_BASE, ours, theirs)
