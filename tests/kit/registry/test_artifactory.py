"""Artifactory and Xray registry policy (templates/registry/artifactory).

JFrog publishes no installable schema for these request bodies, so the required fields are named here from JFrog's
REST API documentation, as confirmed while writing the templates:
- Repository Configuration JSON, local repository: "rclass" is the one mandatory ("+") element; "key",
  "packageType", "dockerApiVersion", "maxUniqueTags", "xrayIndex", "repoLayoutRef", "blackedOut" are optional
  elements (jfrog.com/confluence/display/JFROG/Repository+Configuration+JSON). "blockPushingSchema1" is the
  Docker local field the JFrog Terraform provider sends (json tag "blockPushingSchema1").
- Create or Replace Permission Target V2 (PUT /api/v2/security/permissions/{name}, since 6.6.0): "name", and
  "repo" with "include-patterns", "exclude-patterns", "repositories" and "actions" {"users", "groups"}; actions are
  read, write, annotate, delete, manage (jfrog.com/help/r/jfrog-rest-apis/create-or-replace-permission-target).
- Promote Docker Image (POST api/docker/<repoKey>/v2/promote): "targetRepo" and "dockerRepository" required,
  "tag", "targetTag", "copy" (default false = move) optional (jfrog.com/help/r/jfrog-rest-apis/promote-docker-image).
- Xray Create Policy: "name", "type" (security|license|operational_risk) and "rules" required; a rule has "name",
  "priority", "criteria" {"min_severity"} and "actions" {"block_download" {"active", "unscanned"}, "fail_build",
  "notify_deployer"} (jfrog.com/help/r/xray-rest-apis/create-policy).
- Xray Create Watch (POST /xray/api/v2/watches): "general_data" {"name" required, "description", "active"},
  "project_resources" {"resources" required: [{"type" required, "repo_type", "bin_mgr_id", "name" required}]},
  "assigned_policies" [{"name", "type"}] (jfrog.com/help/r/xray-rest-apis/create-watch).
"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from scaffold.api import render_kit
from scaffold.kit.answers import validate
from tests.answer_sets import ANSWER_SETS
from tests.kit.registry.support import assert_names_every_control, load, render

REPOSITORY = {
    "required": {"key", "rclass", "packageType"},
    "known": {
        "key",
        "rclass",
        "packageType",
        "description",
        "repoLayoutRef",
        "dockerApiVersion",
        "blockPushingSchema1",
        "maxUniqueTags",
        "xrayIndex",
        "blackedOut",
    },
}
PERMISSION = {"required": {"name", "repo"}, "repo": {"include-patterns", "exclude-patterns", "repositories", "actions"}}
ACTIONS = {"read", "write", "annotate", "delete", "manage", "managedXrayMeta", "distribute"}
PROMOTE = {
    "required": {"targetRepo", "dockerRepository"},
    "known": {"targetRepo", "dockerRepository", "targetDockerRepository", "tag", "targetTag", "copy"},
}
POLICY = {"required": {"name", "type", "rules"}, "rule": {"name", "priority", "criteria", "actions"}}
POLICY_ACTIONS = {
    "webhooks",
    "mails",
    "block_download",
    "block_release_bundle_distribution",
    "block_release_bundle_promotion",
    "fail_build",
    "notify_deployer",
    "notify_watch_recipients",
    "create_ticket_enabled",
    "build_failure_grace_period_in_days",
}
WATCH = {
    "required": {"general_data"},
    "known": {"general_data", "project_resources", "assigned_policies", "watch_recipients", "create_ticket_enabled"},
}
RESOURCE = {"required": {"type", "name"}, "known": {"type", "repo_type", "bin_mgr_id", "name", "filters"}}
MIN_SEVERITY = {"critical": "Critical", "high": "High", "medium": "Medium"}

LOCAL: dict[str, dict[str, Any]] = {
    "artifactory-four-envs": {
        "name": "ledger",
        "platforms": ["jenkins"],
        "registry": "artifactory",
        "image": "jfrog.acme.example/docker_local/team/ledger",
        "environments": ["qa", "uat", "staging", "prod"],
        "block_severity": "medium",
    },
    "artifactory-critical": {
        "name": "gw",
        "platforms": ["gitlab"],
        "registry": "artifactory",
        "image": "acme.jfrog.io/images/gw",
        "environments": ["prod"],
        "block_severity": "critical",
    },
}
SETS = {"node-artifactory-dast-openapi": ANSWER_SETS["node-artifactory-dast-openapi"]} | LOCAL


def shape(value: dict[str, Any], spec: dict[str, set[str]]) -> None:
    assert spec["required"] <= value.keys(), spec["required"] - value.keys()
    if "known" in spec:
        assert value.keys() <= spec["known"], value.keys() - spec["known"]


def writers(target: dict[str, Any]) -> set[str]:
    actions = target["repo"]["actions"]
    return {name for kind in ("users", "groups") for name, grants in actions[kind].items() if "write" in grants}


@pytest.mark.parametrize("name", sorted(SETS))
def test_files_per_stage(name: str) -> None:
    files, stages, _ = render(SETS[name])
    expected = {
        f"registry/artifactory/{s['name']}/{d}" for s in stages for d in ("repository.json", "permission-target.json")
    }
    expected |= {f"registry/artifactory/{s['name']}/promote.json" for s in stages if s["promoted_from"]}
    expected |= {"registry/artifactory/xray-policy.json", "registry/artifactory/xray-watch.json"}
    assert {p for p in files if p.startswith("registry/artifactory/")} == expected
    assert "registry/README.md" in files
    assert not any(p.startswith(("registry/harbor/", "registry/gitlab/")) for p in files)


@pytest.mark.parametrize("name", sorted(SETS))
def test_repositories_are_local_docker_and_indexed(name: str) -> None:
    files, stages, _ = render(SETS[name])
    for stage in stages:
        repo = load(files[f"registry/artifactory/{stage['name']}/repository.json"])
        shape(repo, REPOSITORY)
        assert repo["key"] == stage["namespace"]
        assert (repo["rclass"], repo["packageType"], repo["dockerApiVersion"]) == ("local", "docker", "V2")
        assert repo["xrayIndex"] is True
        assert repo["blockPushingSchema1"] is True
        assert repo["blackedOut"] is False


@pytest.mark.parametrize("name", sorted(SETS))
def test_only_the_stage_identity_writes_and_ci_writes_dev_only(name: str) -> None:
    files, stages, _ = render(SETS[name])
    dev_pusher = stages[0]["pusher"]
    ci_writes: list[str] = []
    for index, stage in enumerate(stages):
        target = load(files[f"registry/artifactory/{stage['name']}/permission-target.json"])
        assert PERMISSION["required"] <= target.keys()
        assert target["repo"].keys() == PERMISSION["repo"]
        assert target["repo"]["repositories"] == [stage["namespace"]]
        assert target["repo"]["include-patterns"] == ["**"]
        assert target["repo"]["actions"]["users"] == {}, "no user grants, so no anonymous either"
        assert "anonymous" not in files[f"registry/artifactory/{stage['name']}/permission-target.json"]
        groups = target["repo"]["actions"]["groups"]
        assert all(set(grants) <= ACTIONS for grants in groups.values())
        assert not any({"delete", "manage"} & set(grants) for grants in groups.values())
        assert writers(target) == {stage["pusher"]}
        assert groups[stage["pusher"]] == ["read", "write"]
        following = stages[index + 1]["pusher"] if index + 1 < len(stages) else None
        assert set(groups) == {stage["pusher"]} | ({following} if following else set())
        if following:
            assert groups[following] == ["read"]
        if dev_pusher in writers(target):
            ci_writes.append(stage["name"])
    assert ci_writes == ["dev"]


@pytest.mark.parametrize("name", sorted(SETS))
def test_promotion_copies_into_the_next_stage(name: str) -> None:
    files, stages, _ = render(SETS[name])
    by_name = {stage["name"]: stage for stage in stages}
    readme = files["registry/README.md"]
    for stage in stages[1:]:
        body = load(files[f"registry/artifactory/{stage['name']}/promote.json"])
        shape(body, PROMOTE)
        assert body["copy"] is True, "promotion copies, never moves"
        assert body["targetRepo"] == stage["namespace"]
        assert body["dockerRepository"] == stage["repository"].split("/", 1)[1]
        assert body["tag"] == "REPLACE_WITH_COMMIT_SHA"
        source = by_name[stage["promoted_from"]]["namespace"]
        assert f'/artifactory/api/docker/"{source}"/v2/promote' in readme or f"/api/docker/{source}/v2" in readme


@pytest.mark.parametrize("name", sorted(SETS))
def test_xray_blocks_downloads_at_the_answered_severity(name: str) -> None:
    files, _, answers = render(SETS[name])
    policy = load(files["registry/artifactory/xray-policy.json"])
    shape(policy, POLICY)
    assert policy["type"] == "security"
    (rule,) = policy["rules"]
    assert rule.keys() == POLICY["rule"]
    assert rule["criteria"] == {"min_severity": MIN_SEVERITY[answers.block_severity]}
    assert rule["actions"].keys() <= POLICY_ACTIONS
    assert rule["actions"]["block_download"] == {"active": True, "unscanned": True}
    assert rule["actions"]["fail_build"] is True


@pytest.mark.parametrize("name", sorted(SETS))
def test_watch_binds_the_policy_to_every_stage(name: str) -> None:
    files, stages, _ = render(SETS[name])
    watch = load(files["registry/artifactory/xray-watch.json"])
    policy = load(files["registry/artifactory/xray-policy.json"])
    shape(watch, WATCH)
    assert watch["general_data"]["name"] and watch["general_data"]["active"] is True
    resources = watch["project_resources"]["resources"]
    for resource in resources:
        shape(resource, RESOURCE)
        assert (resource["type"], resource["repo_type"], resource["bin_mgr_id"]) == ("repository", "local", "default")
    assert [r["name"] for r in resources] == [s["namespace"] for s in stages]
    assert watch["assigned_policies"] == [{"name": policy["name"], "type": "security"}]


@pytest.mark.parametrize("name", sorted(SETS))
def test_readme_names_each_control(name: str) -> None:
    files, stages, _ = render(SETS[name])
    readme = files["registry/README.md"]
    assert_names_every_control(readme)
    for stage in stages:
        assert f"`{stage['pusher']}`" in readme and f"`{stage['namespace']}`" in readme


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    name=st.from_regex(r"[a-z][a-z0-9]{0,10}(?:-[a-z0-9]{1,8})?", fullmatch=True),
    key=st.from_regex(r"[a-z0-9]{1,8}(?:[._-][a-z0-9]{1,8})?", fullmatch=True),
    environments=st.lists(
        st.from_regex(r"[a-z][a-z0-9]{0,6}(?:-[a-z0-9]{1,6})?", fullmatch=True), min_size=1, max_size=3, unique=True
    ),
    severity=st.sampled_from(["critical", "high", "medium"]),
)
def test_varied_names_arrive_unchanged(name: str, key: str, environments: list[str], severity: str) -> None:
    image = f"acme.jfrog.io/{key}/{name}"
    answers = validate(
        {
            "name": name,
            "platforms": ["jenkins"],
            "registry": "artifactory",
            "image": image,
            "environments": environments,
            "block_severity": severity,
        }
    )
    files = render_kit(answers=answers)
    names = ["dev", *[e for e in environments if e != "dev"]]
    keys = [key if stage == "dev" else f"{key}-{stage}" for stage in names]
    for stage, repo_key in zip(names, keys, strict=True):
        assert load(files[f"registry/artifactory/{stage}/repository.json"])["key"] == repo_key
        target = load(files[f"registry/artifactory/{stage}/permission-target.json"])
        assert target["repo"]["repositories"] == [repo_key]
        assert writers(target) == {f"{name}-{stage}-push"}
        if stage != "dev":
            body = load(files[f"registry/artifactory/{stage}/promote.json"])
            assert (body["targetRepo"], body["dockerRepository"]) == (repo_key, name)
    watch = load(files["registry/artifactory/xray-watch.json"])
    assert [r["name"] for r in watch["project_resources"]["resources"]] == keys
    policy = load(files["registry/artifactory/xray-policy.json"])
    assert policy["rules"][0]["criteria"]["min_severity"] == MIN_SEVERITY[severity]
