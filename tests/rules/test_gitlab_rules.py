"""GitLab CI rules on their fixtures."""

from __future__ import annotations

import pytest
from syrupy.assertion import SnapshotAssertion

from scaffold.audit.runner import audit_tree
from scaffold.rules import REGISTRY, Rule
from tests.rules.support import assert_bad_matches_snapshot, assert_good_is_clean, rules_of

RULES = rules_of("gitlab", REGISTRY)


@pytest.mark.parametrize("rule", RULES, ids=[rule.id for rule in RULES])
def test_bad_fixtures_give_exactly_the_snapshot(rule: Rule, snapshot: SnapshotAssertion) -> None:
    assert_bad_matches_snapshot(rule, snapshot)


@pytest.mark.parametrize("rule", RULES, ids=[rule.id for rule in RULES])
def test_good_fixtures_give_no_finding(rule: Rule) -> None:
    assert_good_is_clean(rule)


ODD_DOCUMENTS = [
    "",
    "just a scalar\n",
    "- a\n- list\n",
    "include: 5\nimage: [1, 2]\nservices: {name: x}\nvariables: [a]\ndefault: []\nworkflow: {rules: x}\n",
    "include: [[nested], {project: 7}, {component: '@'}, {remote: null}, null]\n",
    "job: {image: {name: [x]}, services: [[a], {alias: b}], rules: [[], x, {if: [1]}], only: {refs: 5}}\n",
    "job: {id_tokens: [a], script: {a: b}, variables: {A: [1], B: {value: [2]}}, extends: [[x]]}\n",
    "job: {environment: [x], stage: [deploy], rules: !reference [.nowhere, rules], script: !reference [1]}\n",
    "deploy: {script: [!reference [deploy, script]], extends: deploy}\n.a: {extends: .b}\n.b: {extends: .a}\n",
    "base: &base {script: [curl x | sh], child: *base}\njob: {<<: [*base, 5], variables: {<<: 3}}\n",
    "job: {only: [main], except: {variables: [x]}, trigger: {include: [{template: [x]}]}, hooks: [x]}\n",
]


@pytest.mark.parametrize("text", ODD_DOCUMENTS)
def test_odd_shapes_never_raise(text: str) -> None:
    report = audit_tree({".gitlab-ci.yml": text}, rules=RULES)
    assert report.errors == []
