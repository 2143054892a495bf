"""GitLab CI rules on malformed pipelines (a shape they do not expect gives no finding and no error), and
gitlab-disabled-scan with the helpers it shares with the kit judges."""

from __future__ import annotations

import json

import pytest

from scaffold.rules.catalog import REGISTRY
from scaffold.rules.gitlab import gates
from scaffold.rules.model import Kind
from scaffold.rules.runner import audit_tree
from tests.support.hang_guard import hang_guard

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


# ---- gitlab-disabled-scan and what it shares with the kit judges ---------------------------------------------------


def _disabled(text: str) -> list[str]:
    rules = [rule for rule in RULES if rule.id == "gitlab-disabled-scan"]
    report = audit_tree({".gitlab-ci.yml": text}, rules=rules)
    assert report.errors == []
    return [f"{finding.line} {finding.message} [{finding.subject}]" for finding in report.findings]


def test_a_disabled_scan_is_one_finding_per_job_on_the_setting_with_the_job_as_subject() -> None:
    text = (
        "sbom:\n  when: never\n  allow_failure: true\n  script:\n"
        "    - trivy image --format cyclonedx x || true\n    - cosign attest --predicate sbom.json x\n"
    )
    assert _disabled(text) == ["1 job sbom: the SBOM and the signing are switched off (when: never) [job sbom]"]


def test_a_job_that_only_names_a_scanner_or_runs_it_for_a_report_is_no_disabled_scan() -> None:
    text = (
        'notify:\n  allow_failure: true\n  script:\n    - echo "the trivy image scan passed"\n'
        "    - '# gitleaks ran in secret-scan'\n"
        "scan:\n  script:\n    - trivy fs --exit-code 0 --format table .\n    - trivy fs --exit-code 1 .\n"
    )
    assert _disabled(text) == []


def test_the_dast_job_may_allow_failure_but_not_be_switched_off() -> None:
    zap = "dast:\n  allow_failure: true\n{extra}  script:\n    - /zap/zap-api-scan.py -t x -f openapi\n"
    assert _disabled(zap.format(extra="")) == []
    assert _disabled(zap.format(extra="  rules:\n    - when: never\n")) == [
        "1 job dast: the DAST scan is switched off (rules that are all when: never) [job dast]"
    ]


def test_the_disabled_scan_rule_reads_a_long_line_in_linear_time() -> None:
    for chunk in ("trivy fs ", "|| ", "'", '"', "# ", "echo gitleaks "):
        line = chunk * (100_000 // len(chunk))
        text = "a:\n  allow_failure: true\n  script:\n    - " + json.dumps(line) + "\n"
        with hang_guard():
            _disabled(text)


def test_a_setting_inherited_through_extends_is_found_on_the_templates_key() -> None:
    from scaffold.rules.document import Document
    from scaffold.rules.gitlab.pipeline import Pipeline

    text = ".a:\n  when: never\n.b:\n  extends: .a\njob:\n  extends: [.b]\n  script: [x]\n"
    pipeline = Pipeline(Document(".gitlab-ci.yml", Kind.GITLAB_CI, text))
    found = pipeline.lookup_key(pipeline.by_name["job"], "when")
    assert found is not None and (found[0].line, found[1].text) == (2, "never")
    assert pipeline.lookup_key(pipeline.by_name["job"], "image") is None


@pytest.mark.parametrize(
    ("expression", "constant"),
    [
        ('"a" == "b"', False),
        ("'a' == 'b'", False),
        ("1 == 2", False),
        ('"a" != "a"', False),
        ('"a" == "a"', True),
        ('("a" == "b") || ("c" == "d")', False),
        ('"a" == "b" && $CI_COMMIT_TAG', False),
        ('"a" == "a" || $CI_COMMIT_TAG', True),
        ('$CI_COMMIT_BRANCH == "main"', None),
        ('"$CI_COMMIT_BRANCH" == "main"', None),
        ("$CI_COMMIT_BRANCH =~ /^release/", None),
        ('"a" =~ /a/', None),
        ("$CI_COMMIT_TAG", None),
        ('"a" == "b" extra', None),
        ('"unterminated == "b', None),
        ("(" * 20 + '"a" == "b"' + ")" * 20, None),
        ("", None),
    ],
)
def test_a_rules_if_is_constant_only_when_it_compares_literals(expression: str, constant: bool | None) -> None:
    assert gates.constant_if(expression) is constant


def test_a_long_rules_if_is_read_in_linear_time() -> None:
    with hang_guard():
        for text in ('"a" == "b" && ' * 20_000 + "$X", "(" * 50_000, '"' * 50_001, "$X" * 50_000):
            gates.constant_if(text)
