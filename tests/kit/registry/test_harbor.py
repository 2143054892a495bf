"""Harbor registry policy (templates/registry/harbor): every document parses, matches Harbor's API v2 model and obeys
the kit's rules (security bar section 6).

The field sets come from ``harborapi.models`` (pydantic models generated from Harbor's swagger). Those models allow
extra keys and mark nothing required, so the keys are also compared recursively here, and the fields that Harbor's
server refuses to go without are listed from its source (beego ``valid:"Required"`` tags in
src/pkg/retention/policy/models.go, src/pkg/retention/policy/rule/models.go, src/pkg/immutable/model/rule.go, and the
robot checks in src/server/v2.0/handler/robot.go).
"""

from __future__ import annotations

import json
import re
import typing
from fnmatch import fnmatchcase
from typing import Any

import pytest
from harborapi import models
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import BaseModel

from scaffold.api import render_kit
from scaffold.kit.answers import validate
from tests.answer_sets import ANSWER_SETS
from tests.kit.registry.support import assert_names_every_control, load, render

LOCAL: dict[str, dict[str, Any]] = {
    "harbor-critical-two-envs": {
        "name": "billing",
        "platforms": ["gitlab"],
        "registry": "harbor",
        "image": "registry.acme.example:8443/payments/billing",
        "environments": ["qa", "prod"],
        "block_severity": "critical",
        "keep_images": 7,
    },
    "harbor-one-env-medium": {
        "name": "api",
        "platforms": ["jenkins"],
        "registry": "harbor",
        "image": "harbor.example.com/team.a/api",
        "environments": ["prod"],
        "block_severity": "medium",
        "keep_images": 1000,
    },
}
SETS = {name: ANSWER_SETS[name] for name in ("python-harbor-dast", "node-jenkins-harbor-azure")} | LOCAL
DOCUMENTS: dict[str, type[BaseModel]] = {
    "project.json": models.ProjectReq,
    "robot.json": models.RobotCreate,
    "immutable-tag-rule.json": models.ImmutableRule,
    "retention-policy.json": models.RetentionPolicy,
}
SEVERITIES = {"none", "low", "medium", "high", "critical"}  # ProjectMetadata.severity in Harbor's swagger
RETENTION_TEMPLATES = {"latestPushedK", "latestPulledN", "nDaysSinceLastPush", "nDaysSinceLastPull", "always"}
TAG_DECORATIONS = {"matches", "excludes"}
REPO_DECORATIONS = {"repoMatches", "repoExcludes"}
ROBOT_NAME = re.compile(r"[a-z0-9]+(?:[._-][a-z0-9]+)*")  # validateName in Harbor's robot handler


def _model_of(annotation: Any) -> Any:
    """The pydantic model inside an annotation like Optional[List[Model]] or Dict[str, List[Model]], else None."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in typing.get_args(annotation):
        found = _model_of(arg)
        if found is not None:
            return found
    return None


def unknown_keys(model: type[BaseModel], value: Any, where: str = "") -> list[str]:
    """Keys in ``value`` that are not fields of ``model``, recursively through nested models, lists and maps."""
    problems: list[str] = []
    assert isinstance(value, dict), where
    for key, item in value.items():
        if key not in model.model_fields:
            problems.append(f"{where}.{key}")
            continue
        annotation = model.model_fields[key].annotation
        nested = _model_of(annotation)
        if nested is None:
            continue
        origin_args = [typing.get_origin(a) for a in typing.get_args(annotation)] + [typing.get_origin(annotation)]
        if isinstance(item, list):
            for index, element in enumerate(item):
                problems += unknown_keys(nested, element, f"{where}.{key}[{index}]")
        elif dict in origin_args and not item.keys() & nested.model_fields.keys():
            for map_key, elements in item.items():  # Dict[str, List[Model]], e.g. scope_selectors
                for index, element in enumerate(elements):
                    problems += unknown_keys(nested, element, f"{where}.{key}.{map_key}[{index}]")
        else:
            problems += unknown_keys(nested, item, f"{where}.{key}")
    return problems


def test_unknown_keys_catches_a_typo() -> None:
    assert unknown_keys(models.RetentionPolicy, {"rules": [{"tag_selector": []}]}) == [".rules[0].tag_selector"]
    assert unknown_keys(models.ImmutableRule, {"scope_selectors": {"repository": [{"kinds": "x"}]}}) == [
        ".scope_selectors.repository[0].kinds"
    ]


def _selectors(rule: dict[str, Any]) -> None:
    assert rule["tag_selectors"], "Harbor requires tag_selectors"
    for selector in rule["tag_selectors"]:
        assert selector["kind"] == "doublestar"
        assert selector["decoration"] in TAG_DECORATIONS
        assert selector["pattern"]
    assert set(rule["scope_selectors"]) == {"repository"}
    for selector in rule["scope_selectors"]["repository"]:
        assert selector["kind"] == "doublestar"
        assert selector["decoration"] in REPO_DECORATIONS
        assert selector["pattern"] == "**"


@pytest.mark.parametrize("name", sorted(SETS))
def test_every_stage_has_valid_harbor_documents(name: str) -> None:
    files, stages, answers = render(SETS[name])
    harbor = {path for path in files if path.startswith("registry/harbor/")}
    assert harbor == {f"registry/harbor/{s['name']}/{doc}" for s in stages for doc in DOCUMENTS}
    assert not any(path.startswith(("registry/artifactory/", "registry/gitlab/")) for path in files)
    for stage in stages:
        for document, model in DOCUMENTS.items():
            value = load(files[f"registry/harbor/{stage['name']}/{document}"])
            model.model_validate(value)
            assert unknown_keys(model, value) == [], document
    assert answers.keep_images >= 1


@pytest.mark.parametrize("name", sorted(SETS))
def test_projects_are_private_scanned_and_gated(name: str) -> None:
    files, stages, answers = render(SETS[name])
    for stage in stages:
        project = load(files[f"registry/harbor/{stage['name']}/project.json"])
        assert project["project_name"] == stage["namespace"]
        assert project["public"] is False
        meta = project["metadata"]
        assert meta["public"] == "false"
        assert meta["auto_scan"] == "true"
        assert meta["prevent_vul"] == "true"
        assert meta["severity"] in SEVERITIES
        assert meta["severity"] == answers.block_severity
        assert meta["enable_content_trust_cosign"] == "true"
        assert all(isinstance(v, str) and v in ("true", "false") for k, v in meta.items() if k != "severity")


@pytest.mark.parametrize("name", sorted(SETS))
def test_robots_push_only_to_their_own_project(name: str) -> None:
    files, stages, _ = render(SETS[name])
    by_name = {stage["name"]: stage for stage in stages}
    for stage in stages:
        robot = load(files[f"registry/harbor/{stage['name']}/robot.json"])
        assert robot["name"] == stage["pusher"]
        assert ROBOT_NAME.fullmatch(robot["name"])
        assert robot["disable"] is False
        assert 0 < robot["duration"] <= 365, "a finite lifetime in days (-1 would mean never expires)"
        grants: dict[str, set[tuple[str, str]]] = {}
        for permission in robot["permissions"]:
            assert permission["kind"] == "project"
            assert permission["access"], "Harbor refuses an empty access list"
            grants[permission["namespace"]] = {(a["resource"], a["action"]) for a in permission["access"]}
        assert grants[stage["namespace"]] == {("repository", "push"), ("repository", "pull")}
        if stage["promoted_from"] is None:
            assert robot["level"] == "project"
            assert set(grants) == {stage["namespace"]}
        else:
            source = by_name[stage["promoted_from"]]["namespace"]
            assert robot["level"] == "system"
            assert grants == {
                stage["namespace"]: {("repository", "push"), ("repository", "pull")},
                source: {("repository", "pull")},
            }
        pushes = [ns for ns, access in grants.items() if ("repository", "push") in access]
        assert pushes == [stage["namespace"]]
        assert not any(action in ("delete", "*") for access in grants.values() for _, action in access)


def _immutable(rule: dict[str, Any], tag: str) -> bool:
    """Whether a tag is protected by the rule, for the single-selector doublestar patterns the kit uses."""
    (selector,) = rule["tag_selectors"]
    matched = fnmatchcase(tag, selector["pattern"])
    return matched if selector["decoration"] == "matches" else not matched


@pytest.mark.parametrize("name", sorted(SETS))
def test_release_and_commit_tags_are_immutable(name: str) -> None:
    files, stages, _ = render(SETS[name])
    for stage in stages:
        rule = load(files[f"registry/harbor/{stage['name']}/immutable-tag-rule.json"])
        assert rule["action"] == "immutable"
        assert rule["template"] == "immutable_template"
        assert rule["disabled"] is False
        _selectors(rule)
        for tag in ("v1.2.3", "v2", "0123456789abcdef0123456789abcdef01234567", "latest"):
            assert _immutable(rule, tag), tag
        assert not _immutable(rule, "sha256-" + "a" * 64 + ".sig"), "cosign must be able to add signatures"


@pytest.mark.parametrize("name", sorted(SETS))
def test_retention_keeps_recent_and_release_tags_and_drops_untagged(name: str) -> None:
    files, stages, answers = render(SETS[name])
    for stage in stages:
        policy = load(files[f"registry/harbor/{stage['name']}/retention-policy.json"])
        assert policy["algorithm"] == "or"
        assert policy["trigger"]["kind"] == "Schedule"
        assert len(policy["trigger"]["settings"]["cron"].split()) == 6, "Harbor crons have a seconds field"
        assert policy["scope"] == {"level": "project", "ref": 0}, "README fills in the project id"
        rules = {rule["template"]: rule for rule in policy["rules"]}
        assert set(rules) <= RETENTION_TEMPLATES
        for rule in policy["rules"]:
            assert rule["action"] == "retain"
            assert rule["disabled"] is False
            assert isinstance(rule["params"], dict)
            _selectors(rule)
            for selector in rule["tag_selectors"]:
                assert json.loads(selector["extras"]) == {"untagged": False}
        latest = rules["latestPushedK"]
        assert latest["params"] == {"latestPushedK": answers.keep_images}
        assert latest["tag_selectors"][0]["pattern"] == "**"
        always = rules["always"]
        assert always["params"] == {}
        assert [(s["decoration"], s["pattern"]) for s in always["tag_selectors"]] == [("matches", "v*")]


@pytest.mark.parametrize("name", sorted(SETS))
def test_readme_applies_every_stage_and_names_each_control(name: str) -> None:
    files, stages, answers = render(SETS[name])
    readme = files["registry/README.md"]
    for stage in stages:
        assert f"`{stage['namespace']}`" in readme
        assert f"`{stage['pusher']}`" in readme
        assert f"registry/harbor/{stage['name']}" in readme
    assert_names_every_control(readme)
    assert "api/v2.0/retentions" in readme and ".scope.ref = $id" in readme
    assert f"`{answers.block_severity}`" in readme


def test_no_registry_files_without_a_container() -> None:
    files = render_kit(answers=validate({**ANSWER_SETS["python-harbor-dast"], "container": False}))
    assert not any(path.startswith("registry/") for path in files)


_COMPONENT = st.from_regex(r"[a-z0-9]{1,8}(?:[._-][a-z0-9]{1,8})?", fullmatch=True)
_ENVIRONMENT = st.from_regex(r"[a-z][a-z0-9]{0,6}(?:-[a-z0-9]{1,6})?", fullmatch=True)


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    name=st.from_regex(r"[a-z][a-z0-9]{0,10}(?:-[a-z0-9]{1,8})?", fullmatch=True),
    project=_COMPONENT,
    environments=st.lists(_ENVIRONMENT, min_size=1, max_size=3, unique=True),
    severity=st.sampled_from(["critical", "high", "medium"]),
    keep=st.integers(min_value=1, max_value=1000),
)
def test_varied_names_arrive_unchanged(
    name: str, project: str, environments: list[str], severity: str, keep: int
) -> None:
    data = {
        "name": name,
        "platforms": ["jenkins"],
        "registry": "harbor",
        "image": f"harbor.example.com/{project}/{name}",
        "environments": environments,
        "block_severity": severity,
        "keep_images": keep,
    }
    files, stages, _ = render(data)
    expected = ["dev", *[e for e in environments if e != "dev"]]
    assert [stage["name"] for stage in stages] == expected
    for stage in stages:
        namespace = project if stage["name"] == "dev" else f"{project}-{stage['name']}"
        folder = f"registry/harbor/{stage['name']}"
        project_doc = load(files[f"{folder}/project.json"])
        assert project_doc["project_name"] == namespace
        assert project_doc["metadata"]["severity"] == severity
        robot = load(files[f"{folder}/robot.json"])
        assert robot["name"] == f"{name}-{stage['name']}-push"
        assert robot["permissions"][0]["namespace"] == namespace
        retention = load(files[f"{folder}/retention-policy.json"])
        assert retention["rules"][0]["params"]["latestPushedK"] == keep
        load(files[f"{folder}/immutable-tag-rule.json"])
