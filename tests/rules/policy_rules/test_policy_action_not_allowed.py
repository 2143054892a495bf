"""policy-action-not-allowed: every `uses:` of a workflow (steps and reusable-workflow calls) against the policy's
allowed_actions; local actions always pass, docker:// images are the registry rule's, and no list means no run."""

from __future__ import annotations

from scaffold.rules.catalog import REGISTRY
from scaffold.rules.config import AuditConfig
from scaffold.rules.model import Finding
from scaffold.rules.requirements import Requirements
from scaffold.rules.runner import audit_tree

RULE = next(rule for rule in REGISTRY if rule.id == "policy-action-not-allowed")
SHA = "3d3c42e5aac5ba805825da76410c181273ba90b1"
WORKFLOW = f"""\
on: push
jobs:
  build:
    runs-on: ubuntu-24.04
    steps:
      - uses: actions/checkout@{SHA}
      - uses: ./.github/actions/setup
      - uses: docker://alpine:3.20
      - uses: someone/setup-tool@{SHA}
      - uses: Actions/Cache/restore@{SHA}
      - run: make
  deploy:
    uses: acme/workflows/.github/workflows/deploy.yml@{SHA}
"""
PATH = ".github/workflows/ci.yml"


def _findings(allowed: tuple[str, ...] | None, text: str = WORKFLOW) -> list[Finding]:
    return audit_tree({PATH: text}, rules=[RULE], required=Requirements(allowed_actions=allowed)).findings


def test_actions_outside_the_list_are_found_at_their_uses_with_their_name_as_subject() -> None:
    found = _findings(("actions/*",))
    assert [(item.line, item.column, item.subject) for item in found] == [
        (9, 15, "someone/setup-tool"),
        (13, 11, "acme/workflows/.github/workflows/deploy.yml"),
    ]
    assert found[0].message == (
        f"job build: someone/setup-tool@{SHA} is not an action the org policy's allowed_actions lists"
    )
    assert found[1].message.startswith("job deploy: acme/workflows/.github/workflows/deploy.yml@")


def test_listed_owners_and_repositories_pass() -> None:
    assert _findings(("actions/*", "someone/setup-tool", "acme/workflows")) == []


def test_an_empty_list_allows_local_actions_only() -> None:
    assert [item.subject for item in _findings(())] == [
        "actions/checkout",
        "someone/setup-tool",
        "actions/cache/restore",
        "acme/workflows/.github/workflows/deploy.yml",
    ]


def test_without_the_list_the_rule_does_not_run() -> None:
    assert _findings(None) == []


def test_a_comment_does_not_hide_a_finding_of_an_enforced_policy_rule() -> None:
    text = WORKFLOW.replace(f"someone/setup-tool@{SHA}", f"someone/setup-tool@{SHA}  # scaffold: ignore[{RULE.id}] ok")
    required = Requirements(allowed_actions=("actions/*", "acme/*"))
    assert audit_tree({PATH: text}, rules=[RULE], required=required).findings == []
    config = AuditConfig(enforced=frozenset({RULE.id}))
    assert len(audit_tree({PATH: text}, config, rules=[RULE], required=required).findings) == 1


COMPOSITE = f"""\
name: setup
runs:
  using: composite
  steps:
    - uses: actions/setup-python@{SHA}
    - uses: ./.github/actions/other
    - uses: evil/act@{SHA}
"""


def test_the_steps_of_a_composite_action_are_judged_like_a_workflows() -> None:
    report = audit_tree(
        {".github/actions/setup/action.yml": COMPOSITE, "action.yml": COMPOSITE},
        rules=[RULE],
        required=Requirements(allowed_actions=("actions/*",)),
    )
    assert report.errors == []
    assert [(item.path, item.line, item.column, item.subject) for item in report.findings] == [
        (".github/actions/setup/action.yml", 7, 13, "evil/act"),
        ("action.yml", 7, 13, "evil/act"),
    ]
    assert (
        report.findings[0].message
        == f"job runs: evil/act@{SHA} is not an action the org policy's allowed_actions lists"
    )
