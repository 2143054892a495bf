"""Inline suppressions: scaffold's own comment needs a reason; zizmor's comment, in zizmor's syntax, silences the
scaffold rules its ident maps to, over the span of YAML it sits in."""

from __future__ import annotations

import pytest

from scaffold.rules.catalog import REGISTRY
from scaffold.rules.runner import audit_tree
from scaffold.rules.suppression import ZIZMOR_RULES, scaffold_rules, suppressions

WORKFLOW = """\
on:
  pull_request_target:{trigger}
permissions: {{}}
jobs:
  build:
    runs-on: ubuntu-24.04
    steps:
      - uses: actions/checkout@v4{checkout}
        with:
          ref: main
      - name: greet
{inside}        env:
          A: b
        run: |{run}
          echo "${{{{ github.event.issue.title }}}}"
"""


def _rules(**comments: str) -> set[str]:
    """The rules with findings in WORKFLOW with the given comments put in place."""
    slots = {"trigger": "", "checkout": "", "inside": "", "run": ""} | comments
    report = audit_tree({".github/workflows/ci.yml": WORKFLOW.format(**slots)})
    assert report.errors == []
    return {item.rule for item in report.findings}


WATCHED = {"dangerous-triggers", "unpinned-uses", "artipacked", "template-injection"}


def test_without_comments_the_workflow_has_the_four_findings() -> None:
    assert _rules() >= WATCHED


@pytest.mark.parametrize(
    ("slot", "comment", "silenced"),
    [
        ("trigger", " # zizmor: ignore[dangerous-triggers]", {"dangerous-triggers"}),
        ("checkout", " # zizmor: ignore[unpinned-uses,artipacked] reviewed", {"unpinned-uses", "artipacked"}),
        ("run", " # zizmor: ignore[template-injection]", {"template-injection"}),
        ("inside", "        # zizmor: ignore[template-injection]\n", {"template-injection"}),
        ("checkout", " # zizmor: ignore[ artipacked ,, unpinned-uses ]", {"unpinned-uses", "artipacked"}),
    ],
    ids=["trigger-line", "uses-line-with-text", "run-block-opener", "inside-the-step", "spaces-and-empty-items"],
)
def test_a_zizmor_comment_silences_the_mapped_rules_where_zizmor_honours_it(
    slot: str, comment: str, silenced: set[str]
) -> None:
    assert _rules(**{slot: comment}) & WATCHED == WATCHED - silenced


@pytest.mark.parametrize(
    "comment",
    [
        " # zizmor:ignore[template-injection]",
        " #zizmor: ignore[template-injection]",
        " # zizmor: ignore[template-injection]because",
        " # zizmor: ignore[]",
        " # zizmor: ignore[template injection]",
        " # zizmor: ignore[ref-confusion]",  # a zizmor audit scaffold has no rule for
        " # scaffold: ignore[template-injection]",  # scaffold's own comment without a reason
    ],
)
def test_a_comment_zizmor_would_not_read_or_that_maps_to_nothing_silences_nothing(comment: str) -> None:
    assert "template-injection" in _rules(run=comment)


def test_scaffold_own_comment_still_needs_a_reason_and_works_with_one() -> None:
    assert "template-injection" not in _rules(run=" # scaffold: ignore[template-injection] titles are escaped")


def test_a_zizmor_comment_in_one_step_leaves_the_next_step_alone() -> None:
    text = (
        "on: issues\npermissions: {}\njobs:\n  t:\n    runs-on: x\n    steps:\n"
        "      - run: echo ${{ github.event.issue.title }} # zizmor: ignore[template-injection]\n"
        "      - run: echo ${{ github.event.issue.body }}\n"
    )
    found = [
        item.line
        for item in audit_tree({".github/workflows/ci.yml": text}).findings
        if item.rule == "template-injection"
    ]
    assert found == [8]


def test_the_harden_fix_skips_what_a_zizmor_comment_silences() -> None:
    from scaffold.harden.runner import harden_tree
    from scaffold.rules.fixes.model import Safety

    files = {
        ".github/workflows/ci.yml": WORKFLOW.format(
            trigger="", checkout="", inside="", run=" # zizmor: ignore[template-injection]"
        )
    }
    template = [rule for rule in REGISTRY if rule.id == "template-injection"]
    report = harden_tree(files, Safety.UNSAFE, rules=template)
    assert [result.path for result in report.changed] == []


def test_every_mapped_rule_exists_and_scaffold_rules_reads_the_idents() -> None:
    known = {rule.id for rule in REGISTRY} | {"cache-poisoning"}  # cache-poisoning: a rule being added alongside
    assert {rule for rules in ZIZMOR_RULES.values() for rule in rules} <= known
    assert scaffold_rules("bot-conditions, unsound-contains,nope") == {"unsound-condition"}


def test_nested_blocks_full_of_comments_stay_linear() -> None:
    """Each comment's span is bounded: a block scalar whose every deeper line holds a comment cannot make the
    suppression table grow with the square of the file."""
    lines = ["run: |"] + [" " * (2 + index) + "x # zizmor: ignore[template-injection]" for index in range(3_000)]
    table = suppressions(lines)
    assert sum(len(items) for items in table.values()) < 250_000  # unbounded, it would be 4.5 million
    assert all(table[number] for number in range(2, 3_002))
