"""The org policy: every field's good and bad shapes, a canonical record that reads back the same, the controls it
requires on each platform, and the settings it governs (enforced rules, floor, exceptions) in the runner."""

from __future__ import annotations

import datetime

import pytest

from scaffold.rules.config import AuditConfig
from scaffold.rules.exemptions import Exemption
from scaffold.rules.model import Kind, Severity
from scaffold.rules.policy import OrgPolicy, PolicyError, Waiver, parse_policy
from scaffold.rules.requirements import NONE, Requirements, from_answers
from scaffold.rules.runner import audit_tree

TODAY = datetime.date(2027, 1, 15)
WHERE = "pack.yml: policy"
ANSWERS = {"platforms": ["github", "jenkins"], "container": False, "dast": False, "cloud": "none"}
EXCEPTION = {"rule": "unpinned-uses", "reason": "vendor action", "expires": datetime.date(2027, 3, 31)}
FULL = {
    "controls": ["sast", "pinned-dependencies", "dast"],
    "allowed_actions": ["github/codeql-action/*", "Actions/*", "actions/*"],
    "allowed_registries": ["harbor.acme.example/", "Index.docker.io/library"],
    "fail_on": "medium",
    "waive": [{"control": "timeouts", "reason": "runners stop jobs after an hour"}],
    "exceptions": [{**EXCEPTION, "path": ".github/workflows/legacy.yml"}],
}
WORKFLOW = ".github/workflows/ci.yml"
CI = (
    "permissions: {}\non: push\nconcurrency: ci\njobs:\n  t:\n    runs-on: x\n    timeout-minutes: 5\n    steps:\n"
    "      - uses: org/action@v1\n"
)


def _parse(raw: object) -> OrgPolicy:
    return parse_policy(raw, WHERE, today=TODAY)


def test_a_full_policy_reads_normalised_and_its_record_reads_back_the_same() -> None:
    policy = _parse(FULL)
    assert policy == OrgPolicy(
        controls=frozenset({"sast", "pinned-dependencies", "dast"}),
        allowed_actions=("actions/*", "github/codeql-action/*"),
        allowed_registries=("docker.io/library", "harbor.acme.example"),
        fail_on=Severity.MEDIUM,
        waive=(Waiver("timeouts", "runners stop jobs after an hour"),),
        exceptions=(
            Exemption("unpinned-uses", "vendor action", datetime.date(2027, 3, 31), FULL["exceptions"][0]["path"]),
        ),
    )
    record = policy.to_record()
    assert list(record) == sorted(record)
    assert record["controls"] == ["pinned-dependencies", "sast", "dast"]  # in the order of scaffold/kit/controls.py
    assert record["exceptions"] == [
        {
            "path": ".github/workflows/legacy.yml",
            "expires": "2027-03-31",
            "reason": "vendor action",
            "rule": "unpinned-uses",
        }
    ]
    assert _parse(record) == policy
    assert _parse(record).to_record() == record


@pytest.mark.parametrize("raw", [None, {}, {"controls": None, "allowed_actions": None, "fail_on": None}])
def test_an_empty_policy_requires_nothing_more(raw: object) -> None:
    policy = _parse(raw)
    assert policy == OrgPolicy()
    assert policy.to_record() == {"fail_on": "low"}
    assert policy.required(ANSWERS) == from_answers(ANSWERS)


def test_all_controls_and_empty_allow_lists() -> None:
    policy = _parse({"controls": "all", "allowed_actions": [], "allowed_registries": []})
    assert "dast" in policy.controls and "pinned-dependencies" in policy.controls
    assert policy.allowed_actions == () and policy.allowed_registries == ()
    assert _parse(policy.to_record()) == policy


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (["pinned-dependencies"], f"{WHERE}: must be a mapping of controls, allowed_actions"),
        ({"allow_actions": []}, f"{WHERE}.allow_actions: is not a policy setting (controls, allowed_actions"),
        ({3: []}, f"{WHERE}.3: is not a policy setting"),
        ({"controls": "everything"}, f"{WHERE}.controls: must be a list of control ids"),
        ({"controls": ["sast", "no-such"]}, f"{WHERE}.controls[1]: 'no-such' is not a control id (pinned-dependencies"),
        ({"controls": [["sast"]]}, f"{WHERE}.controls[0]: is not a control id"),
        ({"allowed_actions": "actions/*"}, f"{WHERE}.allowed_actions: must be a list of at most 500 entries"),
        ({"allowed_actions": ["actions"]}, f"{WHERE}.allowed_actions[0]: 'actions' must be owner/repo"),
        ({"allowed_actions": ["a/b@v1"]}, f"{WHERE}.allowed_actions[0]: 'a/b@v1' must be owner/repo"),
        ({"allowed_actions": [7]}, f"{WHERE}.allowed_actions[0]: must be text"),
        ({"allowed_actions": ["a/b"] * 501}, f"{WHERE}.allowed_actions: must be a list of at most 500 entries"),
        ({"allowed_registries": ["library"]}, f"{WHERE}.allowed_registries[0]: 'library' must be a registry host"),
        ({"allowed_registries": ["https://ghcr.io"]}, f"{WHERE}.allowed_registries[0]: 'https://ghcr.io' must be"),
        ({"fail_on": "critical"}, f"{WHERE}.fail_on: must be low, medium or high"),
        ({"fail_on": 2}, f"{WHERE}.fail_on: must be low, medium or high"),
        ({"waive": "dast"}, f"{WHERE}.waive: must be a list of controls, each with control and reason"),
        ({"waive": ["dast"]}, f"{WHERE}.waive[0]: must be a mapping with control and reason"),
        ({"waive": [{"control": "runtime-rules", "reason": "x"}]}, f"{WHERE}.waive[0].control: 'runtime-rules' must"),
        ({"waive": [{"control": "dast"}]}, f"{WHERE}.waive[0].reason: must say why"),
        ({"waive": [{"control": "dast", "reason": ""}]}, f"{WHERE}.waive[0].reason: must say why"),
        ({"waive": [{"control": "dast", "reason": "x", "by": "me"}]}, f"{WHERE}.waive[0].by: is not a field of a"),
        (
            {"waive": [{"control": "dast", "reason": "x"}, {"control": "dast", "reason": "y"}]},
            f"{WHERE}.waive[1].control: 'dast' is waived twice",
        ),
        (
            {"controls": ["dast"], "waive": [{"control": "dast", "reason": "x"}]},
            f"{WHERE}.waive[0].control: 'dast' is also required by {WHERE}.controls",
        ),
        ({"exceptions": {"rule": "x"}}, f"{WHERE}.exceptions: must be a list of exceptions"),
        ({"exceptions": [{**EXCEPTION, "rule": "nope"}]}, f"{WHERE}.exceptions[0].rule: 'nope' must be a rule id"),
        ({"exceptions": [EXCEPTION, {**EXCEPTION, "reason": ""}]}, f"{WHERE}.exceptions[1].reason: must say why"),
        (
            {"exceptions": [{**EXCEPTION, "expires": "soon"}]},
            f"{WHERE}.exceptions[0].expires: must be a date YYYY-MM-DD",
        ),
        ({"exceptions": [{**EXCEPTION, "expires": "2099-01-01"}]}, f"{WHERE}.exceptions[0].expires: must be at most"),
    ],
)
def test_a_bad_field_is_a_policy_error_of_one_line_naming_it(raw: object, message: str) -> None:
    with pytest.raises(PolicyError) as raised:
        _parse(raw)
    assert str(raised.value).startswith(message), str(raised.value)
    assert "\n" not in str(raised.value)


def test_exception_rule_ids_include_kit_and_policy_rules() -> None:
    rules = ["kit-secret-scan", "policy-action-not-allowed", "policy-registry-not-allowed"]
    policy = _parse({"exceptions": [{**EXCEPTION, "rule": rule} for rule in rules]})
    assert [item.rule for item in policy.exceptions] == rules


# ---- required controls ---------------------------------------------------------------------------------------------


def test_required_is_the_answers_controls_and_the_policys_minus_the_waived() -> None:
    policy = _parse({"controls": ["dast"], "waive": [{"control": "timeouts", "reason": "x"}]})
    base = from_answers(ANSWERS)
    required = policy.required(ANSWERS)
    assert set(required.controls) == {Kind.WORKFLOW, Kind.JENKINSFILE}  # the chosen platforms only
    for kind in (Kind.WORKFLOW, Kind.JENKINSFILE):
        assert "dast" not in base.controls[kind]  # dast: false leaves it out of the kit...
        assert required.controls[kind] == (base.controls[kind] | {"dast"}) - {"timeouts"}  # ...the policy does not
    assert required.allowed_actions is None and required.allowed_registries is None


def test_a_policy_control_is_required_only_on_platforms_that_can_express_it() -> None:
    answers = {**ANSWERS, "platforms": ["github", "gitlab", "jenkins"]}
    required = _parse({"controls": ["rootless-image-build", "provenance"]}).required(answers)
    assert required.wants(Kind.GITLAB_CI, "rootless-image-build")
    assert required.wants(Kind.JENKINSFILE, "rootless-image-build")
    assert not required.wants(Kind.WORKFLOW, "rootless-image-build")  # hosted runners: not applicable
    assert required.wants(Kind.WORKFLOW, "provenance")
    assert not required.wants(Kind.JENKINSFILE, "provenance")


def test_apply_without_platforms_requires_no_control_and_keeps_the_allow_lists() -> None:
    required = _parse({"controls": "all", "allowed_actions": ["actions/*"]}).apply(NONE)
    assert required.empty
    assert required.allowed_actions == ("actions/*",)
    assert required.only([Kind.DOCKERFILE]).allowed_actions == ("actions/*",)


def test_enforced_rules_are_the_policy_rules_and_the_guards_of_its_controls() -> None:
    enforced = _parse({"controls": ["pinned-dependencies", "sast"]}).enforced()
    assert {"policy-action-not-allowed", "policy-registry-not-allowed"} <= enforced
    assert {
        "kit-pinned-dependencies",
        "unpinned-uses",
        "gitlab-unpinned-image",
        "jenkins-unpinned-agent-image",
    } <= enforced
    assert {"kit-sast", "disabled-scan", "gitlab-disabled-scan"} <= enforced
    assert "missing-timeout" not in enforced and "kit-timeouts" not in enforced


# ---- governed settings in the runner -------------------------------------------------------------------------------


def test_the_floor_is_the_policys_unless_the_repository_asks_for_a_lower_one() -> None:
    policy = _parse({"fail_on": "medium"})
    assert policy.govern(AuditConfig()).min_severity is Severity.MEDIUM
    assert policy.govern(AuditConfig(), min_severity=Severity.LOW).min_severity is Severity.LOW
    assert policy.govern(AuditConfig(), min_severity=Severity.HIGH).min_severity is Severity.MEDIUM


def test_findings_below_the_floor_are_not_reported() -> None:
    files = {"Dockerfile": "FROM python:3.13\nRUN make\n"}
    every = audit_tree(files, _parse({}).govern(AuditConfig())).findings
    assert {item.severity for item in every} == {Severity.LOW, Severity.MEDIUM}
    medium = audit_tree(files, _parse({"fail_on": "medium"}).govern(AuditConfig())).findings
    assert medium == [item for item in every if item.severity is Severity.MEDIUM] != []
    assert audit_tree(files, _parse({"fail_on": "high"}).govern(AuditConfig())).findings == []


def test_the_repository_cannot_switch_an_enforced_rule_off() -> None:
    policy = _parse({"controls": ["pinned-dependencies"]})
    settings = AuditConfig(
        disabled=frozenset({"unpinned-uses", "missing-concurrency"}),
        selected=frozenset({"dangerous-triggers"}),
        exemptions=(Exemption("unpinned-uses", "ours", datetime.date(2027, 3, 1)),),
    )
    governed = policy.govern(settings)
    assert governed.exemptions == ()  # the repository's own exception of an enforced rule is dropped
    assert governed.runs("unpinned-uses") and not governed.runs("missing-concurrency")
    commented = CI.replace("@v1\n", "@v1  # scaffold: ignore[unpinned-uses] we trust it\n")
    assert audit_tree({WORKFLOW: commented}).findings == []
    assert [item.rule for item in audit_tree({WORKFLOW: commented}, governed).findings] == ["unpinned-uses"]


def test_a_policy_exception_covers_an_enforced_finding_until_it_expires() -> None:
    policy = _parse({"controls": ["pinned-dependencies"], "exceptions": [{**EXCEPTION, "path": ".github/**"}]})
    before = policy.govern(AuditConfig(today=datetime.date(2027, 3, 31)))
    assert audit_tree({WORKFLOW: CI}, before).findings == []
    after = policy.govern(AuditConfig(today=datetime.date(2027, 4, 1)))
    (finding,) = audit_tree({WORKFLOW: CI}, after).findings
    assert finding.rule == "unpinned-uses"
    assert finding.message.endswith("(its exception expired 2027-03-31)")


def test_the_repositorys_exceptions_still_cover_rules_the_policy_does_not_enforce() -> None:
    own = Exemption("missing-timeout", "nightly only", datetime.date(2027, 3, 1), ".github/workflows/*.yml")
    governed = _parse({}).govern(AuditConfig(exemptions=(own,), today=TODAY))
    assert governed.exemptions == (own,)
    files = {WORKFLOW: CI.replace("    timeout-minutes: 5\n", "")}
    assert "missing-timeout" not in {item.rule for item in audit_tree(files, governed).findings}


def test_audit_config_runs_the_kit_rules_of_the_policys_controls_on_a_render() -> None:
    policy = _parse({"controls": ["secret-scan"], "allowed_actions": ["actions/*"]})
    config = policy.audit_config({**ANSWERS, "platforms": ["github"]}, today=TODAY)
    assert config.required.wants(Kind.WORKFLOW, "secret-scan")
    rules = {item.rule for item in audit_tree({WORKFLOW: CI}, config).findings}
    assert {"kit-secret-scan", "policy-action-not-allowed", "unpinned-uses"} <= rules
    assert "kit-secret-scan" not in {item.rule for item in audit_tree({WORKFLOW: CI}).findings}


def test_requirements_without_a_policy_run_no_policy_rule() -> None:
    required = Requirements({Kind.WORKFLOW: frozenset()})
    assert not {item.rule for item in audit_tree({WORKFLOW: CI}, required=required).findings} & {
        "policy-action-not-allowed",
        "policy-registry-not-allowed",
    }
