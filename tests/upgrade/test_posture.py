"""The posture ratchet: user edits that weaken a control of the new kit are reported with file, line and control."""

from __future__ import annotations

import difflib
import re
from functools import cache
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from scaffold.answers import validate
from scaffold.api import render_kit
from scaffold.upgrade import posture_rules
from scaffold.upgrade.posture import weakenings
from scaffold.upgrade.posture_rules import Pair
from tests.answer_sets import ANSWER_SETS
from tests.checks.test_mutations import MUTATIONS, Mutation
from tests.support.hang_guard import hang_guard

FULL = "python-ecr-aws-dast-openapi"  # every platform, a container, a cloud and DAST
CI = ".github/workflows/ci.yml"
REL = ".github/workflows/release.yml"
GL = ".gitlab-ci.yml"
JK = "Jenkinsfile"
DF = "Dockerfile"
SHA = re.compile(r"@[0-9a-f]{40}")
DIGEST = re.compile(r"@sha256:[0-9a-f]{64}")


@cache
def _kit(name: str) -> dict[str, str]:
    return render_kit(answers=validate(ANSWER_SETS[name]))


def _answers(name: str) -> dict[str, Any]:
    return validate(ANSWER_SETS[name]).model_dump()


def _found(merged: dict[str, str], name: str = FULL) -> list[tuple[str, int, str]]:
    return [(w.path, w.line, w.control) for w in weakenings(theirs=_kit(name), merged=merged, answers=_answers(name))]


def _edit(path: str, old: str, new: str, name: str = FULL, count: int = 1) -> dict[str, str]:
    """The kit with ``old`` replaced by ``new`` in one file; ``old`` must be there."""
    kit = _kit(name)
    assert old in kit[path], old
    return {**kit, path: kit[path].replace(old, new, count)}


def _line(text: str, needle: str, start: int = 1) -> int:
    """The 1-based number of the first line from ``start`` on that contains ``needle``."""
    for number, line in enumerate(text.splitlines(), 1):
        if number >= start and needle in line:
            return number
    raise AssertionError(f"{needle!r} not found")


def _cut(text: str, start: str, end: str) -> str:
    """``text`` without the part from ``start`` up to (not including) ``end``."""
    i = text.index(start)
    return text[:i] + text[text.index(end, i) :]


def _note(path: str, text: str) -> str:
    comment = "// a note from the team\n" if path == JK else "# a note from the team\n"
    return text + comment


# The kit itself


@pytest.mark.parametrize("answer_set", sorted(ANSWER_SETS))
def test_the_kit_has_no_weakenings(answer_set: str) -> None:
    kit = _kit(answer_set)
    assert weakenings(theirs=kit, merged=dict(kit), answers=_answers(answer_set)) == []


@pytest.mark.parametrize("answer_set", sorted(ANSWER_SETS))
def test_comments_added_to_every_file_are_no_weakening(answer_set: str) -> None:
    # Every rule runs (each file differs from the kit's), and none may flag the kit's own content.
    kit = _kit(answer_set)
    merged = {path: _note(path, text) if not path.endswith(".json") else text for path, text in kit.items()}
    assert weakenings(theirs=kit, merged=merged, answers=_answers(answer_set)) == []


# GitHub Actions


def test_top_level_write_all() -> None:
    merged = _edit(CI, "permissions: {}", "permissions: write-all")
    assert _found(merged) == [(CI, _line(merged[CI], "permissions: write-all"), "least-privilege-token")]


def test_top_level_scopes() -> None:
    merged = _edit(REL, "permissions: {}", "permissions:\n  contents: write")
    assert _found(merged) == [(REL, _line(merged[REL], "permissions:"), "least-privilege-token")]


def test_top_level_permissions_removed() -> None:
    merged = _edit(CI, "permissions: {}\n", "")
    # Reported where the line was; that line is now blank, so at the comment above it.
    assert _found(merged) == [(CI, _line(merged[CI], "# No token scopes"), "least-privilege-token")]


def test_job_scope_raised_to_write() -> None:
    old = "    permissions:\n      contents: read  # check out the repository\n    env:\n      COVERAGE_MIN"
    merged = _edit(CI, old, old.replace("contents: read", "contents: write"))
    line = _line(merged[CI], "contents: write")
    assert _found(merged) == [(CI, line, "least-privilege-token")]
    assert merged[CI].splitlines()[line - 2] == "    permissions:"


def test_job_scope_added() -> None:
    merged = _edit(CI, "      pull-requests: read  # list", "      issues: read\n      pull-requests: read  # list")
    assert _found(merged) == [(CI, _line(merged[CI], "issues: read"), "least-privilege-token")]


def test_job_write_all() -> None:
    merged = _edit(REL, "    permissions:\n      contents: read  # check out the ZAP", "    permissions: write-all\n#")
    assert _found(merged) == [(REL, _line(merged[REL], "permissions: write-all"), "least-privilege-token")]


def test_lowering_a_scope_is_no_weakening() -> None:
    assert _found(_edit(CI, "security-events: write", "security-events: read")) == []


def test_unpinned_action() -> None:
    kit = _kit(FULL)
    pinned = SHA.search(kit[CI])
    assert pinned is not None
    merged = _edit(CI, pinned.group() + " # v7.0.1", "@v7")
    line = _line(merged[CI], "actions/checkout@v7")
    assert _found(merged) == [(CI, line, "pinned-dependencies")]


def test_unpinned_action_in_a_user_job_and_local_actions() -> None:
    job = (
        "\n  extra:\n    runs-on: ubuntu-24.04\n    timeout-minutes: 5\n    permissions: {}\n    steps:\n"
        "      - uses: ./.github/actions/local\n"
        "      - uses: docker://alpine@sha256:" + "a" * 64 + "\n"
        "      - uses: some/action@main\n"
    )
    merged = {**_kit(FULL), CI: _kit(FULL)[CI] + job}
    assert _found(merged) == [(CI, _line(merged[CI], "some/action@main"), "pinned-dependencies")]


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("  pull_request:\n", "  pull_request_target:\n"),
        ("on:\n  push:\n", "on:\n  workflow_run:\n    workflows: [ci]\n  push:\n"),
    ],
)
def test_dangerous_trigger_added(old: str, new: str) -> None:
    merged = _edit(CI, old, new)
    trigger = "pull_request_target" if "target" in new else "workflow_run"
    assert _found(merged) == [(CI, _line(merged[CI], trigger), "no-dangerous-triggers")]


def test_dangerous_trigger_in_a_list() -> None:
    kit = _kit(FULL)
    start = kit[CI].index("on:\n")
    end = kit[CI].index("\n# No token scopes")
    merged = {**kit, CI: kit[CI][:start] + "on: [push, pull_request_target]\n" + kit[CI][end:]}
    assert _found(merged) == [(CI, _line(merged[CI], "on: [push"), "no-dangerous-triggers")]


def test_secret_scan_job_removed() -> None:
    merged = {**_kit(FULL), CI: _cut(_kit(FULL)[CI], "  secrets:\n", "  sast:\n")}
    # The job was where the next job now starts.
    assert _found(merged) == [(CI, _line(merged[CI], "  sast:"), "secret-scan")]


def test_gitleaks_step_removed() -> None:
    merged = {**_kit(FULL), CI: _cut(_kit(FULL)[CI], "      - name: Scan the history for secrets", "\n  sast:")}
    # The step was the last of its job: reported at the job's last line.
    assert _found(merged) == [(CI, _line(merged[CI], "fetch-depth: 0"), "secret-scan")]


def test_trivy_image_scan_step_removed() -> None:
    merged = {**_kit(FULL), REL: _cut(_kit(FULL)[REL], "      - name: Scan the image", "      - name: Assume the AWS")}
    assert _found(merged) == [(REL, _line(merged[REL], "- name: Assume the AWS"), "image-scan")]


def test_scan_moved_to_a_new_workflow_is_no_weakening() -> None:
    kit = _kit(FULL)
    job = kit[CI][kit[CI].index("  secrets:\n") : kit[CI].index("  sast:\n")]
    moved = "---\nname: secrets\non:\n  push:\npermissions: {}\nconcurrency:\n  group: secrets\njobs:\n" + job
    merged = {**kit, CI: _cut(kit[CI], "  secrets:\n", "  sast:\n"), ".github/workflows/secrets.yml": moved}
    assert _found(merged) == []


def test_image_scan_weakened_is_found_by_the_generic_check() -> None:
    old = 'exit-code: "1"\n          cache: false'
    merged = _edit(REL, old, old.replace('"1"', '"0"'))
    assert _found(merged) == [(REL, _line(merged[REL], 'exit-code: "0"'), "image-scan")]


USER_JOBS = f"""
  docs:
    runs-on: ubuntu-24.04
    timeout-minutes: 5
    permissions:
      contents: read  # check out the docs
      pull-requests: read  # list the changes
    steps:
      - uses: actions/checkout@{"0" * 40} # v0
        with:
          persist-credentials: false
  notify:
    runs-on: ubuntu-24.04
    timeout-minutes: 5
    permissions: {{}}
    steps:
      - run: echo done
  quiet:
    runs-on: ubuntu-24.04
    timeout-minutes: 5
    steps:
      - run: echo no token at all
"""


def test_user_jobs_that_are_pinned_and_read_only_are_no_weakening() -> None:
    assert _found({**_kit(FULL), CI: _kit(FULL)[CI] + USER_JOBS}) == []


def test_user_job_with_write_scope() -> None:
    merged = {**_kit(FULL), CI: _kit(FULL)[CI] + USER_JOBS.replace("pull-requests: read", "pull-requests: write")}
    assert _found(merged) == [(CI, _line(merged[CI], "pull-requests: write"), "least-privilege-token")]


def test_user_job_without_permissions_under_wide_top_level() -> None:
    kit = _kit(FULL)
    merged = {**kit, CI: kit[CI].replace("permissions: {}", "permissions: read-all") + USER_JOBS}
    assert _found(merged) == [
        (CI, _line(merged[CI], "permissions: read-all"), "least-privilege-token"),
        (CI, _line(merged[CI], "  quiet:"), "least-privilege-token"),
    ]


def test_user_added_workflow_is_checked() -> None:
    workflow = (
        "---\nname: extra\non:\n  pull_request_target:\nconcurrency:\n  group: extra\njobs:\n"
        "  one:\n    runs-on: ubuntu-24.04\n    timeout-minutes: 5\n    steps:\n      - uses: some/action@v1\n"
    )
    path = ".github/workflows/extra.yml"
    assert _found({**_kit(FULL), path: workflow}) == [
        (path, 1, "least-privilege-token"),  # no top-level permissions: {}
        (path, _line(workflow, "pull_request_target"), "no-dangerous-triggers"),
        (path, _line(workflow, "  one:"), "least-privilege-token"),  # no permissions of its own
        (path, _line(workflow, "some/action@v1"), "pinned-dependencies"),
    ]


# GitLab CI


def test_gitlab_unpinned_image() -> None:
    kit = _kit(FULL)
    lint = kit[GL].index("lint:\n")
    digest = DIGEST.search(kit[GL], lint)
    assert digest is not None
    merged = {**kit, GL: kit[GL][: digest.start()] + kit[GL][digest.end() :]}
    assert _found(merged) == [(GL, _line(merged[GL], "image:", _line(merged[GL], "lint:")), "pinned-dependencies")]


def test_gitlab_unpinned_image_name() -> None:
    merged = _edit(
        GL, "    name: ghcr.io/gitleaks/gitleaks:v8.30.1@sha256:", "    name: ghcr.io/gitleaks/gitleaks:v8.30.1 #"
    )
    assert _found(merged) == [(GL, _line(merged[GL], "gitleaks:v8.30.1 #"), "pinned-dependencies")]


def test_gitlab_image_from_variables() -> None:
    merged = _edit(GL, "  image: ghcr.io/zaproxy/zaproxy", "  image: $ZAP_IMAGE\n  # was ghcr.io/zaproxy/zaproxy")
    assert _found(merged) == [(GL, _line(merged[GL], "image: $ZAP_IMAGE"), "pinned-dependencies")]


def test_gitlab_secret_scan_job_removed() -> None:
    merged = {**_kit(FULL), GL: _cut(_kit(FULL)[GL], "secret-scan:\n", "sast:\n")}
    assert _found(merged) == [(GL, _line(merged[GL], "sast:"), "secret-scan")]


def test_gitlab_image_scan_job_removed() -> None:
    # The SBOM job scans the pushed image too; the kit's pre-push scan job is still missing.
    merged = {**_kit(FULL), GL: _cut(_kit(FULL)[GL], "image-scan:\n", "image-publish:\n")}
    assert _found(merged) == [(GL, _line(merged[GL], "image-publish:"), "image-scan")]


def test_gitlab_debug_trace_is_found_by_the_generic_check() -> None:
    merged = _edit(GL, "variables:\n", 'variables:\n  CI_DEBUG_TRACE: "true"\n')
    assert _found(merged) == [(GL, _line(merged[GL], "CI_DEBUG_TRACE"), "no-debug-tracing")]


# Jenkins


def test_jenkins_unpinned_agent_image() -> None:
    kit = _kit(FULL)
    start = kit[JK].index("stage('SAST')")
    digest = DIGEST.search(kit[JK], start)
    assert digest is not None
    merged = {**kit, JK: kit[JK][: digest.start()] + kit[JK][digest.end() :]}
    assert _found(merged) == [(JK, _line(merged[JK], "semgrep/semgrep:1.179.0'"), "pinned-dependencies")]


def test_jenkins_scan_stage_removed() -> None:
    merged = {**_kit(FULL), JK: _cut(_kit(FULL)[JK], "        stage('Secret scan') {", "        stage('SAST') {")}
    assert _found(merged) == [(JK, _line(merged[JK], "stage('SAST')"), "secret-scan")]


def test_jenkins_line_from_the_generic_check() -> None:
    merged = _edit(JK, "args '--entrypoint='", "args '--entrypoint= --privileged'")
    assert _found(merged) == [(JK, _line(merged[JK], "--privileged"), "rootless-image-build")]


# Dockerfile


def test_dockerfile_user_root() -> None:
    merged = _edit(DF, "USER 10001:10001", "USER root")
    assert _found(merged) == [(DF, _line(merged[DF], "USER root"), "image-non-root-user")]


def test_dockerfile_user_removed() -> None:
    kit = _kit(FULL)
    merged = _edit(DF, "USER 10001:10001\n", "")
    # Reported at the line that took the USER line's place.
    assert _found(merged) == [(DF, _line(kit[DF], "USER 10001:10001"), "image-non-root-user")]


def test_dockerfile_unpinned_from() -> None:
    kit = _kit(FULL)
    runtime = _line(kit[DF], "AS runtime")
    digest = DIGEST.search(kit[DF].splitlines()[runtime - 1])
    assert digest is not None
    merged = _edit(DF, digest.group() + " AS runtime", " AS runtime")
    assert _found(merged) == [(DF, runtime, "image-pinned-bases")]


def test_container_files_are_not_checked_without_a_container() -> None:
    name = "python-no-container"
    merged = {**_kit(name), DF: "FROM python:3\nUSER root\n"}
    assert _found(merged, name) == []


# Files the merge reports as conflicts


def test_files_with_conflict_markers_are_skipped() -> None:
    merged = _edit(
        CI, "permissions: {}", "<<<<<<< ours\npermissions: write-all\n=======\npermissions: {}\n>>>>>>> theirs"
    )
    assert _found(merged) == []
    merged = _edit(DF, "USER 10001:10001", "<<<<<<< ours\nUSER root\n=======\nUSER 10001:10001\n>>>>>>> theirs")
    assert _found(merged) == []


def test_files_that_do_not_parse_are_skipped() -> None:
    assert _found(_edit(GL, "stages:\n", "stages: [\n")) == []
    assert _found(_edit(JK, "  stages {", "  stages {{")) == []


def test_a_deleted_ci_file_loses_its_scans() -> None:
    merged = {path: text for path, text in _kit(FULL).items() if path != CI}
    controls = {(path, line, control) for path, line, control in _found(merged)}
    assert controls == {(CI, 1, c) for c in ("secret-scan", "sast", "dependency-scan", "coverage-gate")}


def test_each_weakening_names_its_problem() -> None:
    merged = _edit(CI, "permissions: {}", "permissions: write-all")
    [found] = weakenings(theirs=_kit(FULL), merged=merged, answers=_answers(FULL))
    assert found.message == "top-level permissions are write-all, not {}"


# Line mapping


def test_a_removed_block_maps_to_where_it_started() -> None:
    theirs = "a {\n  x\n}\nb {\n  x\n}\nc {\n  x\n}\n"
    merged = "a {\n  x\n}\nc {\n  x\n}\n"
    assert Pair(theirs, merged).mapped(4) == 4
    assert Pair(theirs, merged).mapped(7) == 4
    assert Pair(theirs, merged).first_difference() in (2, 3, 4)


# Every weakening the control checks catch


@pytest.mark.parametrize("mutation", MUTATIONS, ids=[f"{m.platform}-{m.control}" for m in MUTATIONS])
def test_every_mutation_of_the_checks_is_a_weakening_near_the_edit(mutation: Mutation) -> None:
    kit = _kit(mutation.answer_set)
    text, replaced = re.subn(mutation.pattern, mutation.replacement, kit[mutation.path], count=mutation.times)
    assert replaced
    found = weakenings(theirs=kit, merged={**kit, mutation.path: text}, answers=_answers(mutation.answer_set))
    assert {(w.path, w.control) for w in found} == {(mutation.path, mutation.control)}
    changes = [
        op
        for op in difflib.SequenceMatcher(None, kit[mutation.path].splitlines(), text.splitlines(), False).get_opcodes()
        if op[0] != "equal"
    ]
    first, last = changes[0][3] + 1, max(changes[-1][4], changes[-1][3] + 1)
    # The line is on the edit, or next to where lines were removed.
    assert all(first - 2 <= w.line <= last + 1 for w in found), (first, last, found)


def test_a_workflow_of_the_wrong_shape_is_a_weakening_not_an_error() -> None:
    found = _found({**_kit(FULL), CI: "---\njobs: [1, 2]\n"})
    assert {path for path, _, _ in found} == {CI}
    assert {"secret-scan", "least-privilege-token"} <= {control for _, _, control in found}


# Cost: one alignment per pair of texts, linear line look-ups


def _reference_first_difference(theirs: str | None, merged: str, start: int = 1) -> int:
    """The original quadratic look-ups, kept as the specification of the fast ones."""
    lines = merged.splitlines()
    opcodes = difflib.SequenceMatcher(None, (theirs or "").splitlines(), lines, False).get_opcodes()

    def filled(line: int) -> int:
        candidates = [*range(line, 0, -1), *range(line + 1, len(lines) + 1)]
        return next((n for n in candidates if n <= len(lines) and lines[n - 1].strip()), line)

    def clamp(line: int) -> int:
        return max(1, min(line, len(lines)))

    for tag, _, _, j1, j2 in opcodes:
        if tag != "equal" and max(j1 + 1, j2) >= start:
            return clamp(filled(max(j1 + 1, start)))
    return clamp(start)


def _reference_mapped(theirs: str, merged: str, theirs_line: int) -> int:
    kit_lines, lines = theirs.splitlines(), merged.splitlines()
    opcodes = difflib.SequenceMatcher(None, kit_lines, lines, False).get_opcodes()

    def filled(line: int) -> int:
        candidates = [*range(line, 0, -1), *range(line + 1, len(lines) + 1)]
        return next((n for n in candidates if n <= len(lines) and lines[n - 1].strip()), line)

    def clamp(line: int) -> int:
        return max(1, min(line, len(lines)))

    for tag, i1, i2, j1, _ in opcodes:
        if not i1 <= theirs_line - 1 < i2:
            continue
        if tag == "equal":
            return clamp(j1 + theirs_line - i1)
        slide = 0
        while tag == "delete" and i1 + slide < theirs_line - 1 and i2 + slide < len(kit_lines):
            if kit_lines[i1 + slide] != kit_lines[i2 + slide]:
                break
            slide += 1
        return clamp(filled(j1 + slide + 1))
    return clamp(theirs_line)


_LINES = st.lists(st.sampled_from(["a", "b", "", "  ", "}", "c"]), max_size=25).map(lambda ls: "\n".join(ls))


@settings(max_examples=400, deadline=None)
@given(_LINES, _LINES, st.integers(min_value=0, max_value=30))
def test_the_fast_line_look_ups_agree_with_the_original_ones(theirs: str, merged: str, line: int) -> None:
    pair = Pair(theirs, merged)
    assert pair.first_difference(max(line, 1)) == _reference_first_difference(theirs, merged, max(line, 1))
    assert pair.mapped(line) == _reference_mapped(theirs, merged, line)


def test_many_weakenings_in_a_large_file_align_each_file_once(monkeypatch: pytest.MonkeyPatch) -> None:
    """2,500 jobs without timeouts in a 128 KB workflow: each weakening's line used to re-align the whole file
    (15-18 s). Now each pair of texts is aligned once per run, and parsed once."""
    aligned: list[int] = []
    real = difflib.SequenceMatcher

    def counting(*args: Any, **kwargs: Any) -> difflib.SequenceMatcher[str]:
        aligned.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(posture_rules.difflib, "SequenceMatcher", counting)
    jobs = "".join(f"  j{index}:\n    runs-on: x\n    steps:\n      - run: a\n" for index in range(2500))
    merged = _edit(CI, "jobs:\n", "jobs:\n" + jobs)
    with hang_guard():
        found = _found(merged)
    assert sum(control == "timeouts" for _, _, control in found) == 2500
    assert len(aligned) <= 2  # the kit's file against itself and against the merged one
