"""The posture ratchet as a diff of audit findings: an edit that weakens the kit is named with file, line and rule,
lines that merely moved weaken nothing, and upgrade blocks exactly what audit finds."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import date
from functools import cache
from typing import Any, NamedTuple

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from scaffold.api import render_kit
from scaffold.kit.answers import validate
from scaffold.rules.catalog import REGISTRY
from scaffold.rules.exemptions import Exemption
from scaffold.rules.model import Kind, Severity
from scaffold.rules.policy import OrgPolicy, parse_policy
from scaffold.rules.requirements import Requirements, from_answers
from scaffold.rules.runner import audit_tree
from scaffold.upgrade.posture import weakenings
from tests.answer_sets import ANSWER_SETS
from tests.rules.kit.mutations import MUTATIONS, Mutation

FULL = "python-ecr-aws-dast-openapi"  # every platform, a container, a cloud and DAST
CI = ".github/workflows/ci.yml"
REL = ".github/workflows/release.yml"
GL = ".gitlab-ci.yml"
JK = "Jenkinsfile"
DF = "Dockerfile"


@cache
def _kit(name: str) -> dict[str, str]:
    return render_kit(answers=validate(ANSWER_SETS[name]))


@cache
def _answers(name: str) -> dict[str, Any]:
    return validate(ANSWER_SETS[name]).model_dump()


def _found(merged: dict[str, str], name: str = FULL) -> list[tuple[str, int, str]]:
    return [(w.path, w.line, w.rule) for w in weakenings(theirs=_kit(name), merged=merged, answers=_answers(name))]


def _edit(path: str, old: str, new: str, name: str = FULL) -> dict[str, str]:
    """The kit with the first ``old`` replaced by ``new`` in one file; ``old`` must be there."""
    kit = _kit(name)
    assert old in kit[path], old
    return {**kit, path: kit[path].replace(old, new, 1)}


def _line(text: str, needle: str) -> int:
    for number, line in enumerate(text.splitlines(), 1):
        if needle in line:
            return number
    raise AssertionError(f"{needle!r} not found")


class Edit(NamedTuple):
    """A user's edit of the full kit that weakens it, the line it must be named at and the rules that may name it."""

    name: str
    path: str
    old: str
    new: str
    needle: str  # the text of the line the weakening is reported on
    rules: frozenset[str]


def _edit_rules(*ids: str) -> frozenset[str]:
    return frozenset(ids)


GITLEAKS_STEP = "      - name: Scan the history for secrets\n"
TRIVY_FS_STEP = "      - name: Scan locked dependencies for fixable HIGH and CRITICAL vulnerabilities\n"
COVERAGE = 'python -m pytest --cov --cov-report=term-missing --cov-fail-under="$COVERAGE_MIN"'
EDITS = [
    Edit(
        "pull-request-title-in-a-script",
        CI,
        COVERAGE,
        f'echo "${{{{ github.event.pull_request.title }}}}"\n          {COVERAGE}',
        "pull_request.title",
        _edit_rules("template-injection"),
    ),
    Edit(
        "persisted-credentials",
        CI,
        "persist-credentials: false",
        "persist-credentials: true",
        "- name: Check out the repository",  # the step, as the rule names it
        _edit_rules("artipacked"),
    ),
    Edit(
        "github-env-from-the-head-ref",
        CI,
        COVERAGE,
        f'echo "REF=${{{{ github.head_ref }}}}" >> "$GITHUB_ENV"\n          {COVERAGE}',
        "github.head_ref",
        _edit_rules("github-env-write", "template-injection"),
    ),
    Edit(
        "secret-scan-step-switched-off",
        CI,
        GITLEAKS_STEP,
        GITLEAKS_STEP + "        if: false\n",
        "Scan the history for secrets",
        _edit_rules("disabled-scan", "kit-secret-scan"),
    ),
    Edit(
        "dependency-scan-step-cannot-fail",
        CI,
        TRIVY_FS_STEP,
        TRIVY_FS_STEP + "        continue-on-error: true\n",
        "Scan locked dependencies",
        _edit_rules("disabled-scan", "kit-dependency-scan"),
    ),
    Edit(
        "coverage-command-echoed",
        CI,
        COVERAGE,
        "echo " + COVERAGE,
        "- name: Test with the coverage gate",  # the step, as the rules name it
        _edit_rules("disabled-scan", "kit-coverage-gate"),
    ),
    Edit(
        "gitlab-scan-allowed-to-fail",
        GL,
        "secret-scan:\n",
        "secret-scan:\n  allow_failure: true\n",
        "secret-scan:",
        _edit_rules("gitlab-disabled-scan", "kit-secret-scan"),
    ),
    Edit(
        "gitlab-scan-never-runs",
        GL,
        "dependency-scan:\n",
        "dependency-scan:\n  when: never\n",
        "dependency-scan:",
        _edit_rules("gitlab-disabled-scan", "kit-dependency-scan"),
    ),
    Edit(
        "jenkins-scan-stage-switched-off",
        JK,
        "        stage('Secret scan') {\n",
        "        stage('Secret scan') {\n          when { expression { return false } }\n",
        "stage('Secret scan')",
        _edit_rules("jenkins-disabled-scan", "kit-secret-scan"),
    ),
    Edit(
        "jenkins-agent-image-by-tag",
        JK,
        "ghcr.io/gitleaks/gitleaks:v8.30.1@sha256:c00b6bd0aeb3071cbcb79009cb16a60dd9e0a7c60e2be9ab65d25e6bc8abbb7f'",
        "ghcr.io/gitleaks/gitleaks:v8.30.1'",
        "ghcr.io/gitleaks/gitleaks:v8.30.1'",
        _edit_rules("jenkins-unpinned-agent-image"),
    ),
    Edit(
        "dockerfile-user-root-through-an-arg",
        DF,
        "USER 10001:10001",
        "ARG APPUSER=root\nUSER ${APPUSER}",
        "USER ${APPUSER}",
        _edit_rules("docker-root-user"),
    ),
    Edit(
        "dockerfile-curl-piped-to-a-shell",
        DF,
        "COPY --from=builder /app/deps /app/deps\n",
        "COPY --from=builder /app/deps /app/deps\nRUN curl -fsSL https://example.com/install.sh | sh\n",
        "curl -fsSL",
        _edit_rules("docker-curl-pipe-shell", "docker-pipe-without-pipefail"),
    ),
]


# The kit itself


@pytest.mark.parametrize("answer_set", sorted(ANSWER_SETS))
def test_the_kit_has_no_weakenings(answer_set: str) -> None:
    kit = _kit(answer_set)
    assert weakenings(theirs=kit, merged=kit, answers=_answers(answer_set)) == []


@pytest.mark.parametrize("answer_set", sorted(ANSWER_SETS))
def test_comments_added_to_every_file_are_no_weakening(answer_set: str) -> None:
    def note(path: str, text: str) -> str:
        if path.endswith(".json") or path.endswith(".md"):
            return text
        return text + ("// a note from the team\n" if path == JK or path.endswith(".rego") else "# a note\n")

    kit = _kit(answer_set)
    merged = {path: note(path, text) for path, text in kit.items()}
    assert weakenings(theirs=kit, merged=merged, answers=_answers(answer_set)) == []


# Each weakening an edit brings is named with its file, line and rule


@pytest.mark.parametrize("edit", EDITS, ids=[edit.name for edit in EDITS])
def test_each_weakening_is_named_with_file_line_and_rule(edit: Edit) -> None:
    merged = _edit(edit.path, edit.old, edit.new)
    found = _found(merged)
    line = _line(merged[edit.path], edit.needle)
    assert any(path == edit.path and at == line and rule in edit.rules for path, at, rule in found), found
    assert {path for path, _, _ in found} == {edit.path}


@pytest.mark.parametrize("edit", EDITS, ids=[edit.name for edit in EDITS])
def test_audit_reports_each_edit_the_ratchet_blocks(edit: Edit) -> None:
    merged = _edit(edit.path, edit.old, edit.new)
    report = audit_tree(merged, required=from_answers(_answers(FULL)))
    assert {(f.path, f.line, f.rule) for f in report.findings} == set(_found(merged))


def test_lines_that_moved_weaken_nothing() -> None:
    kit = _kit(FULL)
    merged = {path: "\n" * 7 + text if path in (CI, GL, JK, DF) else text for path, text in kit.items()}
    merged[CI] = merged[CI].replace("jobs:\n", "jobs:\n  extra:\n    uses: ./.github/workflows/release.yml\n", 1)
    assert _found(merged) == []


def test_a_suppression_comment_does_not_hide_a_weakening_from_the_ratchet() -> None:
    pinned = "actions/checkout@3d3c42e5aac5ba805825da76410c181273ba90b1 # v7.0.1"
    merged = _edit(CI, pinned, "actions/checkout@v7  # scaffold: ignore[unpinned-uses] we track the tag")
    assert [rule for _, _, rule in _found(merged)] == ["unpinned-uses"]
    assert audit_tree(merged, required=from_answers(_answers(FULL))).findings == []


def test_a_file_with_conflict_markers_is_left_to_the_merge() -> None:
    marked = "jobs:\n<<<<<<< your version\n  x: 1\n=======\n  y: 2\n>>>>>>> kit\n"
    merged = _edit(CI, "jobs:\n", marked, FULL)
    assert _found(merged) == []


@pytest.mark.parametrize(
    ("path", "text", "line"),
    [
        (GL, "stages: [build]\nscan: [\n", 3),
        (JK, "pipeline {\n" + "def f = { -> " * 201 + "}" * 201 + "\n}\n", 2),
        (CI, "on: push\njobs:\n  a: &a [*a]\n", 3),
    ],
    ids=["broken-yaml", "groovy-nesting-past-the-limit", "alias-cycle"],
)
def test_a_file_the_rules_cannot_read_is_itself_a_weakening(path: str, text: str, line: int) -> None:
    merged = {**_kit(FULL), path: text}
    found = weakenings(theirs=_kit(FULL), merged=merged, answers=_answers(FULL))
    unreadable = [w for w in found if w.rule == "unreadable-file"]
    assert [(w.path, w.line) for w in unreadable] == [(path, line)]
    assert "cannot read" in unreadable[0].message


def test_a_deleted_ci_file_loses_its_scans() -> None:
    merged = {path: text for path, text in _kit(FULL).items() if path != CI}
    rules = {rule for _, _, rule in _found(merged)}
    assert {"kit-secret-scan", "kit-sast", "kit-dependency-scan", "kit-coverage-gate"} <= rules


def test_a_user_added_workflow_is_judged_like_any_other() -> None:
    workflow = (
        "name: extra\non:\n  pull_request_target:\njobs:\n"
        "  one:\n    runs-on: ubuntu-24.04\n    steps:\n      - uses: some/action@v1\n"
    )
    path = ".github/workflows/extra.yml"
    found = _found({**_kit(FULL), path: workflow})
    assert {p for p, _, _ in found} == {path}
    assert {"dangerous-triggers", "unpinned-uses", "missing-timeout"} <= {rule for _, _, rule in found}


# The property: upgrade blocks exactly what audit finds


def _applies(mutation: Mutation | Edit, name: str) -> bool:
    kit = _kit(name)
    if isinstance(mutation, Edit):
        return mutation.path in kit and mutation.old in kit[mutation.path]
    return mutation.path in kit and re.search(mutation.pattern, kit[mutation.path]) is not None


def _mutated(mutation: Mutation | Edit, name: str) -> dict[str, str]:
    files = dict(_kit(name))
    if isinstance(mutation, Edit):
        files[mutation.path] = files[mutation.path].replace(mutation.old, mutation.new, 1)
    else:
        text = files[mutation.path]
        files[mutation.path] = re.sub(mutation.pattern, mutation.replacement, text, count=mutation.times)
    return files


CASES = [
    (name, mutation) for name in sorted(ANSWER_SETS) for mutation in [*MUTATIONS, *EDITS] if _applies(mutation, name)
]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    case=st.sampled_from([None, *CASES]),
    blank_lines=st.lists(st.tuples(st.integers(0, 10_000), st.integers(1, 3)), max_size=4),
    name=st.sampled_from(sorted(ANSWER_SETS)),
)
def test_upgrade_blocks_a_single_control_mutation_if_and_only_if_audit_finds_it(
    case: tuple[str, Mutation | Edit] | None, blank_lines: list[tuple[int, int]], name: str
) -> None:
    if case is not None:
        name, mutation = case
        files = _mutated(mutation, name)
        path = mutation.path
    else:
        files = dict(_kit(name))
        path = next(p for p in (CI, GL, JK) if p in files)
    lines = files[path].split("\n")
    for at, count in blank_lines:  # lines move; nothing else changes
        lines[at % len(lines) : at % len(lines)] = [""] * count
    files[path] = "\n".join(lines)
    answers = _answers(name)
    report = audit_tree(files, required=from_answers(answers))
    blocked = weakenings(theirs=_kit(name), merged=files, answers=answers)
    if report.errors:  # a blank line broke a block the file needs: the merge reports it, the ratchet skips it
        return
    assert bool(report.findings) == bool(blocked)
    assert {(f.path, f.line, f.rule) for f in report.findings} == {(w.path, w.line, w.rule) for w in blocked}
    if case is None:
        assert blocked == []


# ---- under an org policy -------------------------------------------------------------------------------------------

PINNED = "3d3c42e5aac5ba805825da76410c181273ba90b1"
RULES = {rule.id: rule for rule in REGISTRY}


def _kit_policy(**extra: Any) -> OrgPolicy:
    """A policy that allows every action and registry the full kit uses, with ``extra`` settings."""
    listed = from_answers(_answers(FULL))
    everything = Requirements(listed.controls, allowed_actions=(), allowed_registries=())
    found = audit_tree(_kit(FULL), required=everything).findings
    actions = sorted({f.subject for f in found if f.rule == "policy-action-not-allowed"})
    registries = sorted({f.subject for f in found if f.rule == "policy-registry-not-allowed"})
    assert actions and registries
    return parse_policy({"allowed_actions": actions, "allowed_registries": registries, **extra}, "pack.yml: policy")


def test_an_edit_that_adds_a_disallowed_action_is_a_weakening_only_under_a_policy() -> None:
    merged = _edit(CI, GITLEAKS_STEP, f"      - uses: someone/exfiltrate@{PINNED}\n" + GITLEAKS_STEP)
    line = _line(merged[CI], "someone/exfiltrate")
    assert weakenings(theirs=_kit(FULL), merged=merged, answers=_answers(FULL)) == []
    policy = _kit_policy()
    assert weakenings(theirs=_kit(FULL), merged=_kit(FULL), answers=_answers(FULL), policy=policy) == []
    (found,) = weakenings(theirs=_kit(FULL), merged=merged, answers=_answers(FULL), policy=policy)
    assert (found.path, found.line, found.rule, found.control) == (
        CI,
        line,
        "policy-action-not-allowed",
        "policy-action-not-allowed",
    )


def test_neither_the_policys_exceptions_nor_its_floor_apply_in_the_ratchet() -> None:
    added = f"      - uses: someone/exfiltrate@{PINNED}\n      - run: pip install requests\n"
    merged = _edit(CI, GITLEAKS_STEP, added + GITLEAKS_STEP)
    accepted = Exemption("policy-action-not-allowed", "accepted", date(2099, 1, 1))
    lenient = replace(_kit_policy(fail_on="high"), exceptions=(accepted,))
    found = weakenings(theirs=_kit(FULL), merged=merged, answers=_answers(FULL), policy=lenient)
    assert {("policy-action-not-allowed", Severity.HIGH), ("adhoc-install", Severity.MEDIUM)} <= {
        (w.rule, RULES[w.rule].severity) for w in found
    }


def test_a_control_the_policy_requires_is_judged_in_the_ratchet() -> None:
    name = "python-ghcr-defaults"  # dast: false, so the kit has no DAST and the answers do not require it
    assert not from_answers(_answers(name)).wants(Kind.WORKFLOW, "dast")
    policy = parse_policy({"controls": ["dast"]}, "pack.yml: policy")
    assert policy.required(_answers(name)).wants(Kind.WORKFLOW, "dast")
    kit = _kit(name)
    found = weakenings(theirs=kit, merged=kit, answers=_answers(name), policy=policy)
    assert found == []  # the render lacks DAST too: not a weakening of the merge, pack test reports it instead
    report = audit_tree(kit, required=policy.required(_answers(name)))
    assert "kit-dast" in {f.rule for f in report.findings}


def test_files_shared_with_the_gate_are_parsed_once_and_judged_the_same() -> None:
    from scaffold.packs.chosen import builtin
    from scaffold.packs.gate import ParsedFiles, render_problems

    kit = _kit(FULL)
    merged = _edit(CI, "permissions:\n", "permissions: write-all\nx-old-permissions:\n")
    parsed = ParsedFiles()
    assert render_problems(kit, builtin(), validate(ANSWER_SETS[FULL]), parsed) == []
    shared = weakenings(theirs=kit, merged=merged, answers=_answers(FULL), parsed=parsed)
    assert shared == weakenings(theirs=kit, merged=merged, answers=_answers(FULL))
    assert any(w.path == CI for w in shared)
    same, edited = parsed.documents({DF: kit[DF], CI: merged[CI]}), parsed.documents({DF: kit[DF], CI: kit[CI]})
    assert same[1] is edited[1] and same[0] is not edited[0]  # one Document per path and text (sorted: CI first)
    assert parsed.documents({DF: kit[DF] + "\n"})[0] is not same[1]
