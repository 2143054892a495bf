"""Registries with little native policy: GitLab (cleanup policy, registry visibility and repository protection rules
as JSON request bodies), GitHub Container Registry and Docker Hub (the apply guide only).

GitLab API fields as documented: PUT /api/v4/projects/:id accepts "container_registry_access_level"
(disabled|private|enabled) and "container_expiration_policy_attributes" {"cadence", "enabled", "keep_n", "older_than",
"name_regex", "name_regex_keep"}; keep_n is one of 1, 5, 10, 25, 50, 100 and older_than one of 7d, 14d, 30d, 60d, 90d.
POST /api/v4/projects/:id/registry/protection/repository/rules takes "repository_path_pattern" (required),
"minimum_access_level_for_push" and "minimum_access_level_for_delete" (maintainer|owner|admin).
"""

from __future__ import annotations

import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from scaffold.api import render_kit
from scaffold.kit.answers import validate
from tests.answer_sets import ANSWER_SETS
from tests.kit.registry.support import CONTROLS, load, render

CADENCES = {"1d", "7d", "14d", "1month", "3month"}
KEEP_N = [1, 5, 10, 25, 50, 100]
OLDER_THAN = {"7d", "14d", "30d", "60d", "90d"}
ACCESS_LEVELS = {"maintainer", "owner", "admin"}
GITLAB_INSIDE = {
    "name": "billing",
    "platforms": ["gitlab"],
    "registry": "gitlab",
    "image": "registry.gitlab.com/acme/billing/app",
    "source_repo": "acme/billing",
    "environments": ["qa", "prod"],
    "keep_images": 101,
}
GITLAB_SETS = {
    "java-gitlab-registry": ANSWER_SETS["java-gitlab-registry"],
    "python-gitlab-defaults": ANSWER_SETS["python-gitlab-defaults"],
    "node-one-environment": ANSWER_SETS["node-one-environment"],
    "gitlab-inside-project": GITLAB_INSIDE,
}
README_ONLY = {"python-ghcr-defaults": ANSWER_SETS["python-ghcr-defaults"], "go-dockerhub": ANSWER_SETS["go-dockerhub"]}


@pytest.mark.parametrize("name", sorted(GITLAB_SETS))
def test_gitlab_project_settings(name: str) -> None:
    files, _, answers = render(GITLAB_SETS[name])
    settings_doc = load(files["registry/gitlab/project-settings.json"])
    assert settings_doc.keys() == {"container_registry_access_level", "container_expiration_policy_attributes"}
    assert settings_doc["container_registry_access_level"] == "private"
    policy = settings_doc["container_expiration_policy_attributes"]
    assert policy.keys() == {"enabled", "cadence", "keep_n", "older_than", "name_regex", "name_regex_keep"}
    assert policy["enabled"] is True
    assert policy["cadence"] in CADENCES
    assert policy["older_than"] in OLDER_THAN
    assert policy["keep_n"] == min([n for n in KEEP_N if n >= answers.keep_images] or [100])
    keep = re.compile(policy["name_regex_keep"])
    assert keep.fullmatch("v1.2.3") and keep.fullmatch("sha256-" + "0" * 64 + ".sig")
    assert not keep.fullmatch("0123456789abcdef0123456789abcdef01234567"), "commit tags expire"
    assert re.compile(policy["name_regex"]).fullmatch("anything")


@pytest.mark.parametrize("name", sorted(GITLAB_SETS))
def test_gitlab_protection_rules(name: str) -> None:
    files, stages, _ = render(GITLAB_SETS[name])
    paths = {p for p in files if p.startswith("registry/gitlab/")}
    assert paths == {"registry/gitlab/project-settings.json"} | {
        f"registry/gitlab/{s['name']}/protection-rule.json" for s in stages
    }
    for stage in stages:
        rule = load(files[f"registry/gitlab/{stage['name']}/protection-rule.json"])
        assert rule.keys() == {
            "repository_path_pattern",
            "minimum_access_level_for_push",
            "minimum_access_level_for_delete",
        }
        assert rule["repository_path_pattern"] == stage["repository"]
        assert {rule["minimum_access_level_for_push"], rule["minimum_access_level_for_delete"]} <= ACCESS_LEVELS
        expected_push = "maintainer" if stage["promoted_from"] is None else "owner"
        assert rule["minimum_access_level_for_push"] == expected_push
        assert rule["minimum_access_level_for_delete"] == "owner"


def test_gitlab_readme_warns_when_stages_leave_the_project() -> None:
    outside, _, _ = render(ANSWER_SETS["python-gitlab-defaults"])
    inside, _, _ = render(GITLAB_INSIDE)
    assert "Outside the project" in outside["registry/README.md"]
    assert "Outside the project" not in inside["registry/README.md"]


@pytest.mark.parametrize("name", sorted(GITLAB_SETS) + sorted(README_ONLY))
def test_readme_says_what_the_registry_cannot_enforce(name: str) -> None:
    data = GITLAB_SETS.get(name) or README_ONLY[name]
    files, stages, _ = render(data)
    readme = files["registry/README.md"]
    rows = {
        row.split("|")[1].strip(): row.split("|")[2].strip()
        for row in readme.splitlines()
        if row.startswith("| ") and row.count("|") == 3
    }
    for control in CONTROLS:
        assert any(key.startswith(control) for key in rows), control
    for control in ("immutable tags", "block pulls of vulnerable", "signed-only pulls"):
        (where,) = [value for key, value in rows.items() if key.startswith(control)]
        assert "policy/kubernetes/" in where
    scan = next(value for key, value in rows.items() if key.startswith("scan on push"))
    assert "CI scans" in scan
    for stage in stages:
        assert f"`{stage['image']}`" in readme


@pytest.mark.parametrize("name", sorted(README_ONLY))
def test_ghcr_and_dockerhub_get_only_the_readme(name: str) -> None:
    files, _, _ = render(README_ONLY[name])
    ours = [p for p in files if p.startswith("registry/")]
    assert ours == ["registry/README.md"]
    assert "no files are generated" in files["registry/README.md"]


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    group=st.from_regex(r"[a-z][a-z0-9]{0,8}(?:-[a-z0-9]{1,6})?", fullmatch=True),
    name=st.from_regex(r"[a-z][a-z0-9]{0,10}(?:-[a-z0-9]{1,8})?", fullmatch=True),
    environments=st.lists(
        st.from_regex(r"[a-z][a-z0-9]{0,6}(?:-[a-z0-9]{1,6})?", fullmatch=True), min_size=1, max_size=3, unique=True
    ),
    keep=st.integers(min_value=1, max_value=1000),
)
def test_varied_gitlab_names_arrive_unchanged(group: str, name: str, environments: list[str], keep: int) -> None:
    data = {
        "name": name,
        "platforms": ["gitlab"],
        "registry": "gitlab",
        "source_repo": f"{group}/{name}",
        "image": f"registry.gitlab.com/{group}/{name}/app",
        "environments": environments,
        "keep_images": keep,
    }
    files = render_kit(answers=validate(data))
    for stage in ["dev", *[e for e in environments if e != "dev"]]:
        rule = load(files[f"registry/gitlab/{stage}/protection-rule.json"])
        suffix = "" if stage == "dev" else f"/{stage}"  # a stage is a sub-repository of the project
        assert rule["repository_path_pattern"] == f"{group}/{name}/app{suffix}"
    policy = load(files["registry/gitlab/project-settings.json"])["container_expiration_policy_attributes"]
    assert policy["keep_n"] >= min(keep, 100)
    assert "Outside the project" not in files["registry/README.md"]
