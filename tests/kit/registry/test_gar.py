"""registry/gar/: Artifact Registry repository bodies and IAM policies per stage, validated against Google's
published discovery document (google-api-python-client ships it), plus the gcloud cleanup-policy file."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from scaffold.api import render_kit
from scaffold.errors import UsageError
from scaffold.kit import registry_layout
from scaffold.kit.answers import validate
from tests.answer_sets import ANSWER_SETS

googleapiclient = pytest.importorskip("googleapiclient")
DISCOVERY = Path(googleapiclient.__file__).parent / "discovery_cache" / "documents" / "artifactregistry.v1.json"
SCHEMAS: dict[str, Any] = json.loads(DISCOVERY.read_text())["schemas"]
_DURATION = re.compile(r"[0-9]+(?:\.[0-9]{1,9})?s")
_JSON_TYPES = {"string": str, "boolean": bool, "integer": int, "array": list, "object": dict}


def _check(value: Any, schema: dict[str, Any], where: str) -> list[str]:
    """Problems of a request value against a discovery schema: unknown or read-only fields, wrong types, values
    outside an enum, malformed durations. Discovery documents are not JSON Schema, so this walks them directly."""
    if "$ref" in schema:
        return _check(value, SCHEMAS[schema["$ref"]], where)
    kind = schema.get("type")
    if kind == "integer":
        # Discovery encodes int32 as JSON numbers and int64 as strings.
        expected: type = str if schema.get("format") == "int64" else int
        return [] if isinstance(value, expected) and not isinstance(value, bool) else [f"{where}: not an integer"]
    if kind and not isinstance(value, _JSON_TYPES[kind]):
        return [f"{where}: expected {kind}"]
    if "enum" in schema and value not in schema["enum"]:
        return [f"{where}: {value!r} not in {schema['enum']}"]
    if schema.get("format") == "google-duration" and not _DURATION.fullmatch(value):
        return [f"{where}: {value!r} is not a duration"]
    problems: list[str] = []
    if kind == "array":
        for index, item in enumerate(value):
            problems += _check(item, schema["items"], f"{where}[{index}]")
    elif kind == "object":
        properties = schema.get("properties")
        if properties is None:
            for key, item in value.items():
                problems += _check(item, schema["additionalProperties"], f"{where}.{key}")
        for key, item in value.items() if properties is not None else ():
            if key not in properties:
                problems.append(f"{where}.{key}: unknown field")
            elif properties[key].get("readOnly"):
                problems.append(f"{where}.{key}: output only")
            else:
                problems += _check(item, properties[key], f"{where}.{key}")
    return problems


def _kit(answers: dict[str, Any]) -> tuple[dict[str, str], list[registry_layout.Stage], int]:
    finished = validate(answers)
    data = finished.model_dump()
    return render_kit(answers=finished), registry_layout.stages(data), int(data["keep_images"])


@pytest.fixture(scope="module")
def kit() -> tuple[dict[str, str], list[registry_layout.Stage], int]:
    return _kit(ANSWER_SETS["go-gar-gcp"])


def test_the_checker_rejects_what_the_api_would() -> None:
    assert _check({"format": "DOCKR"}, {"$ref": "Repository"}, "r") != []
    assert _check({"dockerConfig": {"immutable": True}}, {"$ref": "Repository"}, "r") != []
    assert _check({"createTime": "x"}, {"$ref": "Repository"}, "r") != []
    assert _check({"cleanupPolicies": {"a": {"condition": {"olderThan": "7d"}}}}, {"$ref": "Repository"}, "r") != []


def test_repository_bodies_match_the_discovery_document(
    kit: tuple[dict[str, str], list[registry_layout.Stage], int],
) -> None:
    files, stages, keep = kit
    assert {p for p in files if p.startswith("registry/")} == {
        "registry/README.md",
        "registry/gar/cleanup-policies.json",
        *(f"registry/gar/{s.name}/{f}" for s in stages for f in ("repository.json", "iam-policy.json")),
    }
    for stage in stages:
        body = json.loads(files[f"registry/gar/{stage.name}/repository.json"])
        assert _check(body, {"$ref": "Repository"}, "Repository") == []
        assert body["format"] == "DOCKER" and body["dockerConfig"] == {"immutableTags": True}
        assert body["cleanupPolicyDryRun"] is False
        policies = body["cleanupPolicies"]
        assert all(policy["id"] == key for key, policy in policies.items())
        keeps = [p for p in policies.values() if p["action"] == "KEEP"]
        deletes = [p for p in policies.values() if p["action"] == "DELETE"]
        assert {"tagState": "TAGGED", "tagPrefixes": ["v"]} in [p.get("condition") for p in keeps]
        assert {"keepCount": keep} in [p.get("mostRecentVersions") for p in keeps]
        assert {"tagState": "UNTAGGED", "olderThan": "604800s"} in [p["condition"] for p in deletes]
        # Release tags: only keep policies mention them, and Artifact Registry applies keep over delete.
        assert not any("v" in p["condition"].get("tagPrefixes", []) for p in deletes)


def test_iam_policies_grant_push_only_to_the_stage_pusher(
    kit: tuple[dict[str, str], list[registry_layout.Stage], int],
) -> None:
    files, stages, _ = kit
    for index, stage in enumerate(stages):
        policy = json.loads(files[f"registry/gar/{stage.name}/iam-policy.json"])
        assert _check(policy, {"$ref": "Policy"}, "Policy") == []
        members = [m for binding in policy["bindings"] for m in binding["members"]]
        assert not {"allUsers", "allAuthenticatedUsers"} & set(members)
        by_role = {b["role"]: b["members"] for b in policy["bindings"]}
        assert by_role["roles/artifactregistry.writer"] == [f"serviceAccount:{stage.pusher}"]
        assert set(by_role) <= {"roles/artifactregistry.writer", "roles/artifactregistry.reader"}
        following = stages[index + 1 :][:1]
        assert by_role.get("roles/artifactregistry.reader", []) == [f"serviceAccount:{s.pusher}" for s in following]


def test_gcloud_cleanup_policy_file_names_every_field(
    kit: tuple[dict[str, str], list[registry_layout.Stage], int],
) -> None:
    """The gcloud file format has no published schema: each entry has name, action.type (Keep or Delete) and
    either condition (tagState, tagPrefixes, olderThan as '7d') or mostRecentVersions.keepCount (Keep only)."""
    files, _, keep = kit
    entries = json.loads(files["registry/gar/cleanup-policies.json"])
    for entry in entries:
        assert set(entry) in ({"name", "action", "condition"}, {"name", "action", "mostRecentVersions"})
        assert re.fullmatch(r"[a-z][a-z0-9-]{0,62}", entry["name"])
        assert entry["action"]["type"] in ("Keep", "Delete")
        if "condition" in entry:
            assert set(entry["condition"]) <= {"tagState", "tagPrefixes", "olderThan"}
            assert entry["condition"]["tagState"] in ("tagged", "untagged", "any")
        else:
            assert entry["action"]["type"] == "Keep" and entry["mostRecentVersions"] == {"keepCount": keep}
    by_name = {e["name"]: e for e in entries}
    assert by_name["keep-release-tags"]["condition"] == {"tagState": "tagged", "tagPrefixes": ["v"]}
    assert by_name["delete-untagged-after-7-days"]["condition"] == {"tagState": "untagged", "olderThan": "7d"}


def test_readme_says_where_vulnerable_pulls_are_blocked(
    kit: tuple[dict[str, str], list[registry_layout.Stage], int],
) -> None:
    readme = kit[0]["registry/README.md"]
    assert "containerscanning.googleapis.com" in readme
    assert "cannot block pulls of vulnerable images" in readme and "policy/kubernetes/" in readme


_ID = r"[a-z][a-z0-9-]{4,20}[a-z0-9]"
GAR_ANSWERS = st.fixed_dictionaries(
    {
        "name": st.from_regex(r"[a-z](?:[a-z0-9-]{0,10}[a-z0-9])?", fullmatch=True),
        "location": st.sampled_from(["europe", "us", "europe-west1", "asia-east2"]),
        "project": st.from_regex(_ID, fullmatch=True),
        "repository": st.from_regex(r"[a-z](?:[a-z0-9-]{0,20}[a-z0-9])?", fullmatch=True),
        "image": st.from_regex(r"[a-z0-9]{1,8}(?:[._-][a-z0-9]{1,6}){0,2}", fullmatch=True),
        "account": st.from_regex(_ID, fullmatch=True),
        "environments": st.lists(
            st.from_regex(r"[a-z](?:[a-z0-9-]{0,6}[a-z0-9])?", fullmatch=True), min_size=1, max_size=4, unique=True
        ),
        "keep_images": st.integers(min_value=1, max_value=1000),
    }
)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(GAR_ANSWERS)
def test_any_valid_answers_reach_the_documents_unchanged(drawn: dict[str, Any]) -> None:
    project = drawn["project"]
    answers = {
        "name": drawn["name"],
        "registry": "gar",
        "image": f"{drawn['location']}-docker.pkg.dev/{project}/{drawn['repository']}/{drawn['image']}",
        "environments": drawn["environments"],
        "cloud": "gcp",
        "gcp_workload_identity_provider": "projects/1/locations/global/workloadIdentityPools/pool/providers/prov",
        "gcp_service_account": f"{drawn['account']}@{project}.iam.gserviceaccount.com",
        "keep_images": drawn["keep_images"],
    }
    try:
        files, stages, keep = _kit(answers)
    except UsageError:
        assume(False)
        raise
    for stage in stages:
        body = json.loads(files[f"registry/gar/{stage.name}/repository.json"])
        assert _check(body, {"$ref": "Repository"}, "Repository") == []
        assert body["labels"] == {"scaffold-stage": stage.name}
        assert body["cleanupPolicies"]["keep-most-recent"]["mostRecentVersions"]["keepCount"] == keep
        policy = json.loads(files[f"registry/gar/{stage.name}/iam-policy.json"])
        assert policy["bindings"][0]["members"] == [f"serviceAccount:{stage.pusher}"]
    assert json.loads(files["registry/gar/cleanup-policies.json"])[1]["mostRecentVersions"]["keepCount"] == keep
