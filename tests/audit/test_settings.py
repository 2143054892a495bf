"""Audit settings under an org policy: the record's ``policy:`` section (or the one a caller passes instead) is
enforced by ``scaffold audit``; the repository's own settings, flags and comments cannot switch it off; a broken
section is exit 2 naming its field."""

from __future__ import annotations

import datetime
import json
from pathlib import Path

import pytest

from scaffold import cli
from scaffold.audit import settings
from scaffold.audit.run import audit_paths
from scaffold.errors import UsageError
from scaffold.rules.model import Severity
from scaffold.rules.policy import OrgPolicy, parse_policy

SHA = "3d3c42e5aac5ba805825da76410c181273ba90b1"
WORKFLOW = (
    "permissions: {}\non: push\nconcurrency: ci\njobs:\n  t:\n    runs-on: x\n    timeout-minutes: 5\n    steps:\n"
    f"      - uses: actions/checkout@{SHA}\n        with:\n          persist-credentials: false\n"
    f"      - uses: someone/setup-tool@{SHA}\n"
)
CI = ".github/workflows/ci.yml"
POLICY = 'policy:\n  allowed_actions: ["actions/*"]\n'
TODAY = datetime.date(2027, 1, 15)


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    root = tmp_path / "service"
    (root / ".github/workflows").mkdir(parents=True)
    (root / CI).write_text(WORKFLOW)
    (root / ".scaffold.yml").write_text(POLICY)
    return root


def _json(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, list[str], str]:
    code = cli.main(["audit", *argv, "--format", "json"])
    captured = capsys.readouterr()
    findings = json.loads(captured.out)["findings"] if captured.out else []
    return code, [f"{item['rule']} {item['message']}" for item in findings], captured.err


def test_audit_enforces_the_records_policy(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, found, _ = _json(capsys, str(repo))
    assert code == 1
    assert found == [
        f"policy-action-not-allowed job t: someone/setup-tool@{SHA} is not an action the org policy's "
        "allowed_actions lists"
    ]
    (repo / ".scaffold.yml").write_text("audit:\n  min_severity: low\n")
    assert _json(capsys, str(repo))[0] == 0


@pytest.mark.parametrize(
    ("section", "message"),
    [
        ("policy: [all]\n", ".scaffold.yml: policy: must be a mapping"),
        ("policy:\n  fail_on: urgent\n", ".scaffold.yml: policy.fail_on: must be low, medium or high"),
        ("policy:\n  controls: [no-such-control]\n", ".scaffold.yml: policy.controls[0]: 'no-such-control' is not"),
        (
            "policy:\n  exceptions:\n    - {rule: unpinned-uses, reason: x}\n",
            ".scaffold.yml: policy.exceptions[0].expires: must be a date YYYY-MM-DD",
        ),
    ],
)
def test_a_broken_policy_section_is_exit_2_naming_its_field(
    repo: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], section: str, message: str
) -> None:
    monkeypatch.chdir(repo)
    (repo / ".scaffold.yml").write_text(section)
    code, found, err = _json(capsys)
    assert code == 2
    assert found == []
    assert message in err
    assert len(err.strip().splitlines()) == 1


def test_settings_flags_and_comments_cannot_hide_a_policy_finding(
    repo: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(repo)
    (repo / ".scaffold.yml").write_text(
        POLICY + "audit:\n  disable: [policy-action-not-allowed]\n  min_severity: high\n"
        "  exceptions:\n    - {rule: policy-action-not-allowed, reason: ours, expires: 2020-01-01}\n"
    )
    text = WORKFLOW.replace(f"@{SHA}\n", f"@{SHA}  # scaffold: ignore[policy-action-not-allowed] trusted\n")
    (repo / CI).write_text(text)
    for argv in ([], ["--ignore", "policy-action-not-allowed"], ["--select", "unpinned-uses"]):
        code, found, _ = _json(capsys, *argv)
        assert code == 1, argv
        assert [line.split()[0] for line in found] == ["policy-action-not-allowed"], argv


def test_the_repositorys_floor_may_be_lower_than_the_policys_never_higher(repo: Path) -> None:
    def floor(record: str, flag: str | None = None) -> Severity:
        (repo / ".scaffold.yml").write_text(record)
        return settings.load(repo, min_severity=flag).min_severity

    strict = "policy:\n  fail_on: medium\n"
    assert floor(strict) is Severity.MEDIUM
    assert floor(strict + "audit:\n  min_severity: low\n") is Severity.LOW
    assert floor(strict + "audit:\n  min_severity: high\n") is Severity.MEDIUM
    assert floor(strict, "high") is Severity.MEDIUM
    assert floor(strict + "audit:\n  min_severity: high\n", "low") is Severity.LOW
    assert floor("audit:\n  min_severity: high\n") is Severity.HIGH  # no policy: the repository decides


def test_exceptions_from_the_policy_and_the_repository_by_path_from_any_folder(
    repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (repo / ".github/workflows/legacy.yml").write_text(WORKFLOW.replace("actions/checkout", "vendor/tool"))
    (repo / CI).write_text(WORKFLOW.replace("    timeout-minutes: 5\n", ""))
    (repo / ".scaffold.yml").write_text(
        POLICY + "  exceptions:\n"
        "    - rule: policy-action-not-allowed\n      path: .github/workflows/legacy.yml\n"
        "      reason: vendor action, replaced in Q1\n      expires: 2027-03-31\n"
        "audit:\n  exceptions:\n"
        "    - {rule: missing-timeout, path: '**/ci.yml', reason: bounded by the runner, expires: 2027-02-01}\n"
    )
    for folder in (repo, repo / ".github/workflows"):
        monkeypatch.chdir(folder)
        config = settings.for_paths([Path()], today=TODAY)
        assert config.root == str(repo)
        found = [(item.path.rsplit("/", 1)[-1], item.subject) for item in audit_paths([Path()], config).findings]
        assert found == [("ci.yml", "someone/setup-tool")], folder
    later = settings.load(repo, today=datetime.date(2027, 4, 1))
    expired = [item for item in audit_paths([repo], later).findings if item.path.endswith("legacy.yml")]
    assert [item.message.rsplit("(", 1)[-1] for item in expired] == ["its exception expired 2027-03-31)"] * 2


def test_a_policy_passed_in_replaces_the_records(repo: Path) -> None:
    (repo / ".scaffold.yml").write_text("policy:\n  fail_on: urgent\n")
    with pytest.raises(UsageError, match=r"\.scaffold\.yml: policy\.fail_on"):
        settings.load(repo)
    pack = parse_policy({"allowed_registries": ["harbor.acme.example"]}, "pack.yml: policy")
    config = settings.load(repo, policy=pack)
    assert config.required.allowed_registries == ("harbor.acme.example",)
    assert config.required.allowed_actions is None
    assert "policy-registry-not-allowed" in config.enforced
    assert settings.load(repo, policy=OrgPolicy()).required.allowed_actions is None


def test_the_policys_controls_are_required_on_the_records_platforms(repo: Path) -> None:
    answers = "answers:\n  platforms: [github]\n  container: false\n  dast: false\n  cloud: none\n"
    (repo / ".scaffold.yml").write_text(answers + "policy:\n  controls: [dast]\n")
    config = settings.load(repo)
    assert "dast" in next(iter(config.required.controls.values()))
    rules = {item.rule for item in audit_paths([repo], config).findings}
    assert "kit-dast" in rules
