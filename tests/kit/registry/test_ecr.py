"""registry/ecr/: the ECR documents per promotion stage, checked against botocore's ECR API model, parliament's IAM
grammar, checkov and our own rules (push only by the stage's role, no public principal, no delete, release tags
never expire)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import botocore.session
import parliament
import pytest
from botocore.validate import validate_parameters
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from scaffold.api import render_kit
from scaffold.errors import UsageError
from scaffold.kit import registry_layout
from scaffold.kit.answers import validate
from tests.answer_sets import ANSWER_SETS
from tests.support import checkers, hcl

ECR_SETS = ["node-ecr-aws", "python-ecr-aws-dast-openapi"]
PUSH = {"ecr:PutImage", "ecr:InitiateLayerUpload", "ecr:UploadLayerPart", "ecr:CompleteLayerUpload"}
DELETE = {"ecr:BatchDeleteImage", "ecr:DeleteRepository"}
# ECR's default quota of images per repository: a count rule above it can never select an image.
IMAGES_PER_REPOSITORY_QUOTA = 20000


def _kit(answers: dict[str, Any]) -> tuple[dict[str, str], list[registry_layout.Stage], int]:
    finished = validate(answers)
    data = finished.model_dump()
    return render_kit(answers=finished), registry_layout.stages(data), int(data["keep_images"])


@pytest.fixture(scope="module", params=ECR_SETS)
def kit(request: pytest.FixtureRequest) -> tuple[dict[str, str], list[registry_layout.Stage], int]:
    return _kit(ANSWER_SETS[request.param])


def _input_shape(operation: str) -> Any:
    return botocore.session.get_session().get_service_model("ecr").operation_model(operation).input_shape


def _statements(policy: dict[str, Any]) -> list[dict[str, Any]]:
    statements = policy["Statement"]
    return statements if isinstance(statements, list) else [statements]


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _principals(statement: dict[str, Any]) -> list[str]:
    principal = statement["Principal"]
    if principal == "*":
        return ["*"]
    return [str(p) for p in _as_list(principal["AWS"])]


def test_every_stage_has_its_files(kit: tuple[dict[str, str], list[registry_layout.Stage], int]) -> None:
    files, stages, _ = kit
    expected = {
        f"registry/ecr/{s.name}/{f}" for s in stages for f in ("create-repository.json", "repository-policy.json")
    }
    expected |= {"registry/ecr/lifecycle-policy.json", "registry/ecr/registry-scanning-configuration.json"}
    expected |= {"registry/ecr/main.tf", "registry/README.md"}
    assert expected == {p for p in files if p.startswith("registry/")}
    for path, text in files.items():
        if path.startswith("registry/") and path.endswith(".json"):
            assert text.endswith("}\n") and json.loads(text)


def test_create_repository_matches_the_ecr_api_model(
    kit: tuple[dict[str, str], list[registry_layout.Stage], int],
) -> None:
    files, stages, _ = kit
    for stage in stages:
        params = json.loads(files[f"registry/ecr/{stage.name}/create-repository.json"])
        validate_parameters(params, _input_shape("CreateRepository"))
        assert params["repositoryName"] == stage.repository
        assert params["imageTagMutability"] == "IMMUTABLE"
        assert params["imageScanningConfiguration"] == {"scanOnPush": True}
        assert params["encryptionConfiguration"]["encryptionType"] == "KMS"


def test_repository_policy_matches_the_ecr_api_model(
    kit: tuple[dict[str, str], list[registry_layout.Stage], int],
) -> None:
    files, stages, _ = kit
    for stage in stages:
        text = files[f"registry/ecr/{stage.name}/repository-policy.json"]
        validate_parameters(
            {"repositoryName": stage.repository, "policyText": text}, _input_shape("SetRepositoryPolicy")
        )


def test_lifecycle_and_scanning_match_the_ecr_api_model(
    kit: tuple[dict[str, str], list[registry_layout.Stage], int],
) -> None:
    files, stages, _ = kit
    lifecycle = files["registry/ecr/lifecycle-policy.json"]
    validate_parameters(
        {"repositoryName": stages[0].repository, "lifecyclePolicyText": lifecycle}, _input_shape("PutLifecyclePolicy")
    )
    scanning = json.loads(files["registry/ecr/registry-scanning-configuration.json"])
    validate_parameters(scanning, _input_shape("PutRegistryScanningConfiguration"))
    assert scanning["scanType"] == "ENHANCED"
    filters = [f["filter"] for rule in scanning["rules"] for f in rule["repositoryFilters"]]
    assert filters == [s.repository for s in stages]
    assert {rule["scanFrequency"] for rule in scanning["rules"]} == {"CONTINUOUS_SCAN"}


def test_repository_policy_passes_parliament(kit: tuple[dict[str, str], list[registry_layout.Stage], int]) -> None:
    """parliament lints identity policies and reports MALFORMED (HIGH) for a statement without Resource. ECR
    repository policies have none (the repository is implied), so the repository's ARN is added before linting."""
    files, stages, _ = kit
    account, _, _, region = stages[0].host.split(".")[:4]
    for stage in stages:
        policy = json.loads(files[f"registry/ecr/{stage.name}/repository-policy.json"])
        for statement in _statements(policy):
            assert "Resource" not in statement
            statement["Resource"] = f"arn:aws:ecr:{region}:{account}:repository/{stage.repository}"
        result = parliament.analyze_policy_string(json.dumps(policy), include_community_auditors=True)
        above_low = [f"{f.issue} {f.severity}: {f.detail}" for f in result.findings if f.severity not in ("LOW", "")]
        assert above_low == []


def test_only_the_stage_pusher_can_push_and_nobody_deletes(
    kit: tuple[dict[str, str], list[registry_layout.Stage], int],
) -> None:
    files, stages, _ = kit
    for stage in stages:
        statements = _statements(json.loads(files[f"registry/ecr/{stage.name}/repository-policy.json"]))
        allows = [s for s in statements if s["Effect"] == "Allow"]
        denies = [s for s in statements if s["Effect"] == "Deny"]
        for allow in allows:
            assert "*" not in _principals(allow), "no Allow for a public principal"
            assert not any("*" in action for action in _as_list(allow["Action"])), "no wildcard actions"
            if PUSH & set(_as_list(allow["Action"])):
                assert _principals(allow) == [stage.pusher]
        assert any(PUSH & set(_as_list(a["Action"])) for a in allows), "the stage pusher is allowed to push"
        assert not any(DELETE & set(_as_list(a["Action"])) for a in allows)
        push_deny = [d for d in denies if set(_as_list(d["Action"])) >= PUSH]
        assert push_deny and all(
            _principals(d) == ["*"] and d["Condition"] == {"ArnNotEquals": {"aws:PrincipalArn": stage.pusher}}
            for d in push_deny
        ), "push is denied to every principal except the stage pusher"
        delete_deny = [d for d in denies if set(_as_list(d["Action"])) >= DELETE]
        assert delete_deny and all(_principals(d) == ["*"] and "Condition" not in d for d in delete_deny)


def test_lifecycle_rules_are_complete_and_never_expire_release_tags(
    kit: tuple[dict[str, str], list[registry_layout.Stage], int],
) -> None:
    files, _, keep = kit
    rules = json.loads(files["registry/ecr/lifecycle-policy.json"])["rules"]
    for rule in rules:
        assert {"rulePriority", "description", "selection", "action"} <= set(rule)
        assert {"tagStatus", "countType", "countNumber"} <= set(rule["selection"])
        assert rule["action"] == {"type": "expire"}
        assert isinstance(rule["selection"]["countNumber"], int) and rule["selection"]["countNumber"] >= 1
    priorities = [rule["rulePriority"] for rule in rules]
    assert len(set(priorities)) == len(priorities)
    by_priority = sorted(rules, key=lambda rule: rule["rulePriority"])
    # An image matched by a higher-priority rule is never expired by a lower-priority one (ECR user guide), so the
    # release rule comes first and its count can never be exceeded.
    release = by_priority[0]["selection"]
    assert release["tagStatus"] == "tagged" and release["tagPrefixList"] == ["v"]
    assert release["countType"] == "imageCountMoreThan"
    assert release["countNumber"] >= IMAGES_PER_REPOSITORY_QUOTA
    untagged = [r["selection"] for r in rules if r["selection"]["tagStatus"] == "untagged"]
    assert untagged == [
        {"tagStatus": "untagged", "countType": "sinceImagePushed", "countUnit": "days", "countNumber": 7}
    ]
    last = by_priority[-1]["selection"]
    assert last == {"tagStatus": "any", "countType": "imageCountMoreThan", "countNumber": keep}
    assert sum(r["selection"]["tagStatus"] == "any" for r in rules) == 1


def test_terraform_parses_and_carries_every_stage(kit: tuple[dict[str, str], list[registry_layout.Stage], int]) -> None:
    files, stages, _ = kit
    tf = hcl.load(files["registry/ecr/main.tf"])
    parsed = hcl.local_values(tf)["stages"]
    assert parsed == {s.name: {"repository": s.repository, "pusher": s.pusher} for s in stages}
    versions = tf["terraform"][0]["required_providers"][0]["aws"]
    assert versions["version"].startswith("~> ")
    assert {"aws_kms_key", "aws_ecr_repository", "aws_ecr_repository_policy", "aws_ecr_lifecycle_policy"} <= (
        hcl.resource_types(tf)
    )


@pytest.mark.validators
@pytest.mark.parametrize("name", ECR_SETS)
def test_terraform_passes_checkov(name: str, tmp_path: Path) -> None:
    files, _, _ = _kit(ANSWER_SETS[name])
    for path, text in files.items():
        if path.startswith("registry/ecr/") and "/" not in path.removeprefix("registry/ecr/"):
            (tmp_path / Path(path).name).write_text(text)
    report = checkers.checkov_report(tmp_path, "terraform")
    failed = [f"{c['check_id']} {c['resource']}" for c in report["results"]["failed_checks"]]
    assert failed == []
    assert report["summary"]["parsing_errors"] == 0
    passed = {c["check_id"] for c in report["results"]["passed_checks"]}
    assert {"CKV_AWS_32", "CKV_AWS_51", "CKV_AWS_136", "CKV_AWS_163", "CKV_AWS_7"} <= passed


# Answers from the answer grammar: names, ECR image paths, environments and role ARNs that validation accepts.
_COMPONENT = st.from_regex(r"[a-z0-9]{1,8}(?:[._-][a-z0-9]{1,6}){0,2}", fullmatch=True)
_ROLE = st.from_regex(r"[A-Za-z0-9+=,.@_-]{1,40}", fullmatch=True)
ECR_ANSWERS = st.fixed_dictionaries(
    {
        "name": st.from_regex(r"[a-z0-9](?:[a-z0-9-]{0,20}[a-z0-9])?", fullmatch=True),
        "account": st.from_regex(r"[0-9]{12}", fullmatch=True),
        "region": st.sampled_from(["us-east-1", "eu-west-1", "ap-southeast-2", "us-gov-west-1"]),
        "path": st.lists(_COMPONENT, min_size=1, max_size=3),
        "environments": st.lists(
            st.from_regex(r"[a-z](?:[a-z0-9-]{0,10}[a-z0-9])?", fullmatch=True), min_size=1, max_size=4, unique=True
        ),
        "role_path": st.lists(_ROLE, max_size=2),
        "role": _ROLE,
        "partition": st.sampled_from(["aws", "aws-cn", "aws-us-gov"]),
        "keep_images": st.integers(min_value=1, max_value=1000),
    }
)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(ECR_ANSWERS)
def test_any_valid_answers_reach_the_documents_unchanged(drawn: dict[str, Any]) -> None:
    role_path = "".join(f"{part}/" for part in drawn["role_path"])
    answers = {
        "name": drawn["name"],
        "registry": "ecr",
        "image": f"{drawn['account']}.dkr.ecr.{drawn['region']}.amazonaws.com/{'/'.join(drawn['path'])}",
        "environments": drawn["environments"],
        "cloud": "aws",
        "aws_role_arn": f"arn:{drawn['partition']}:iam::{drawn['account']}:role/{role_path}{drawn['role']}",
        "keep_images": drawn["keep_images"],
    }
    try:
        files, stages, keep = _kit(answers)
    except UsageError:
        assume(False)
        raise
    for stage in stages:
        create = json.loads(files[f"registry/ecr/{stage.name}/create-repository.json"])
        validate_parameters(create, _input_shape("CreateRepository"))
        assert create["repositoryName"] == stage.repository
        policy = _statements(json.loads(files[f"registry/ecr/{stage.name}/repository-policy.json"]))
        assert next(_principals(s) for s in policy if s["Effect"] == "Allow") == [stage.pusher]
        assert policy[2]["Condition"]["ArnNotEquals"]["aws:PrincipalArn"] == stage.pusher
    rules = json.loads(files["registry/ecr/lifecycle-policy.json"])["rules"]
    assert rules[-1]["selection"]["countNumber"] == keep
    scanning = json.loads(files["registry/ecr/registry-scanning-configuration.json"])
    assert [f["filter"] for f in scanning["rules"][0]["repositoryFilters"]] == [s.repository for s in stages]
    local_values = hcl.local_values(hcl.load(files["registry/ecr/main.tf"]))
    assert {k: v["pusher"] for k, v in local_values["stages"].items()} == {s.name: s.pusher for s in stages}
