"""GitLab CI rules on malformed pipelines: a shape they do not expect gives no finding and no error."""

from __future__ import annotations

import pytest

from scaffold.audit.model import Kind
from scaffold.audit.runner import audit_tree
from scaffold.rules import REGISTRY

RULES = [rule for rule in REGISTRY if Kind.GITLAB_CI in rule.kinds]


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
    "base: &base {script: [curl x | sh]}\njob: {<<: [*base, 5], variables: {<<: 3}}\n",
    "job: {only: [main], except: {variables: [x]}, trigger: {include: [{template: [x]}]}, hooks: [x]}\n",
]


@pytest.mark.parametrize("text", ODD_DOCUMENTS)
def test_odd_shapes_never_raise(text: str) -> None:
    report = audit_tree({".gitlab-ci.yml": text}, rules=RULES)
    assert report.errors == []


def test_an_alias_inside_its_own_anchor_is_a_file_error() -> None:
    text = "base: &base {script: [curl x | sh], child: *base}\njob: {<<: [*base, 5]}\n"
    report = audit_tree({".gitlab-ci.yml": text}, rules=RULES)
    assert [error.message for error in report.errors] == [
        "is not valid YAML at line 1: alias *base refers to a node that contains it"
    ]
