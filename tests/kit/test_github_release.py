"""The GitHub release workflow: promotion into each environment's repository, and what the repository's plan allows.

Promotion: each deploy job verifies the signature on the repository it copies from, copies the digest with its
signature and attestations (``cosign copy``) into its environment's repository (scaffold/kit/registry_layout.py)
with the environment's own credentials, verifies it there, and deploys that repository's reference. Plan limits:
``actions/attest`` and code-scanning uploads only on a public repository; elsewhere keyless cosign attestations and
CodeQL results kept as an artifact with a failing gate. The shell the workflows run for these is executed here with
bash and jq.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from scaffold.api import render_kit
from scaffold.kit import registry_layout
from scaffold.kit.answers import validate
from tests.answer_sets import ANSWER_SETS, AWS, AZURE, GCP

RELEASE = ".github/workflows/release.yml"
CI = ".github/workflows/ci.yml"

EXTRA: dict[str, dict[str, Any]] = {
    "harbor-dev-first": {
        "name": "shop",
        "registry": "harbor",
        "image": "harbor.acme.example/shop/api",
        "environments": ["qa", "dev", "prod"],
        "visibility": "internal",
    },
    "gar-public": {
        "name": "payments",
        "registry": "gar",
        "image": "europe-west1-docker.pkg.dev/acme-prod/images/payments",
        "visibility": "public",
        **GCP,
    },
    "ecr-dev-env": {
        "name": "search",
        "registry": "ecr",
        "image": "123456789012.dkr.ecr.eu-west-1.amazonaws.com/search",
        "environments": ["dev", "prod"],
        **AWS,
    },
    "ghcr-azure": {"name": "ledger", **AZURE},
}
SETS = {name: data for name, data in {**ANSWER_SETS, **EXTRA}.items() if "github" in data.get("platforms", ["github"])}
CONTAINER = sorted(name for name, data in SETS.items() if data.get("container", True))


@pytest.fixture(scope="module")
def kits() -> dict[str, tuple[dict[str, str], dict[str, Any]]]:
    result = {}
    for name, data in SETS.items():
        answers = validate(data)
        result[name] = (render_kit(answers=answers), answers.model_dump())
    return result


def _jobs(files: dict[str, str], path: str = RELEASE) -> dict[str, Any]:
    jobs: dict[str, Any] = yaml.safe_load(files[path])["jobs"]
    return jobs


def _index(steps: list[dict[str, Any]], needle: str) -> int:
    found = [i for i, step in enumerate(steps) if needle in step.get("run", "") or needle in step.get("uses", "")]
    assert len(found) == 1, f"{needle!r} in {len(found)} steps"
    return found[0]


# ---- promotion -----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", CONTAINER)
def test_each_environment_verifies_promotes_by_digest_and_deploys_its_own_repository(
    kits: dict[str, tuple[dict[str, str], dict[str, Any]]], name: str
) -> None:
    files, data = kits[name]
    stages = {stage.name: stage for stage in registry_layout.stages(data)}
    jobs = _jobs(files)
    assert set(jobs) >= {f"deploy-{environment}" for environment in data["environments"]}
    for environment in data["environments"]:
        job, stage = jobs[f"deploy-{environment}"], stages[environment]
        steps, env = job["steps"], job["env"]
        assert job["environment"]["name"] == environment
        assert env["TARGET"] == stage.image
        assert env["DIGEST"] == "${{ needs.build.outputs.digest }}"
        deploy = _index(steps, "deploy/deploy.sh")
        assert steps[deploy]["run"] == 'bash deploy/deploy.sh "$ENVIRONMENT" "${TARGET}@${DIGEST}"'
        if stage.promoted_from is None:  # the dev environment deploys what the build pushed
            assert "SOURCE" not in env and not any("cosign copy" in step.get("run", "") for step in steps)
            verify = _index(steps, 'cosign verify "${TARGET}@${DIGEST}"')
            assert verify < deploy
            continue
        assert env["SOURCE"] == stages[stage.promoted_from].image
        verify = _index(steps, 'cosign verify "${SOURCE}@${DIGEST}"')
        promote = _index(steps, "cosign copy")
        assert steps[promote]["run"] == 'cosign copy "${SOURCE}@${DIGEST}" "${TARGET}:${GITHUB_SHA}"'
        arrived = _index(steps, 'cosign verify "${TARGET}@${DIGEST}"')
        assert _index(steps, "sigstore/cosign-installer@") < verify < promote < arrived < deploy


@pytest.mark.parametrize("name", CONTAINER)
def test_a_deploy_job_pushes_with_its_environments_own_credentials(
    kits: dict[str, tuple[dict[str, str], dict[str, Any]]], name: str
) -> None:
    files, data = kits[name]
    stages = {stage.name: stage for stage in registry_layout.stages(data)}
    for environment in data["environments"]:
        job = _jobs(files)[f"deploy-{environment}"]
        stage, steps = stages[environment], job["steps"]
        logins = [step for step in steps if step.get("uses", "").split("@")[0] == "docker/login-action"]
        if data["registry"] in ("ecr", "gar"):
            (auth,) = [
                s for s in steps if "role-to-assume" in s.get("with", {}) or "service_account" in s.get("with", {})
            ]
            assert stage.pusher in auth["with"].values()
        elif data["registry"] == "ghcr":
            promotes = stage.promoted_from is not None
            assert job["permissions"].get("packages") == ("write" if promotes else "read")
        else:  # a robot or token per stage: the environment's own variable and secret replace the repository's
            (login,) = logins
            assert login["with"]["username"] == "${{ vars.REGISTRY_USERNAME }}"
            assert login["with"]["password"] == "${{ secrets.REGISTRY_PASSWORD }}"  # noqa: S105 - a reference
            assert not any("az acr login" in step.get("run", "") for step in steps)
    build = _jobs(files)["build"]
    assert "environment" not in build
    assert any(step.get("name") == "Push the scanned image to the dev repository" for step in build["steps"])


def test_the_release_runs_only_for_the_default_branch(kits: dict[str, tuple[dict[str, str], dict[str, Any]]]) -> None:
    for files, data in kits.values():
        on = yaml.safe_load(files[RELEASE])[True]
        assert on == {"push": {"branches": [data["default_branch"]]}}


# ---- plan limits ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(SETS))
def test_the_visibility_chooses_what_the_plan_allows(
    kits: dict[str, tuple[dict[str, str], dict[str, Any]]], name: str
) -> None:
    files, data = kits[name]
    public = data["visibility"] == "public"
    release, ci = files[RELEASE], files[CI]
    sast = _jobs(files, CI)["sast"]
    analyze = next(step for step in sast["steps"] if "codeql-action/analyze@" in step.get("uses", ""))
    permissions = [job.get("permissions", {}) for job in _jobs(files).values()]
    assert ("actions/attest@" in release) == public
    assert any("attestations" in p for p in permissions) == public
    assert ("security-events" in sast["permissions"]) == public
    assert ("upload" not in analyze["with"]) == public
    if public:
        return
    assert analyze["with"]["upload"] == "never"
    assert "GitHub Enterprise Cloud" in release and "GitHub Code Security" in ci
    gate = next(step for step in sast["steps"] if step.get("name") == "Fail on any CodeQL finding")
    assert _index(sast["steps"], "actions/upload-artifact@") < sast["steps"].index(gate)
    provenance = "--type slsaprovenance1" if data.get("container", True) else "cosign attest-blob --yes --statement"
    assert provenance in release
    docs = files["docs/ci-security.md"]
    assert "GitHub Enterprise Cloud" in docs and "GitHub Code Security" in docs


# ---- the workflow's own shell, run for real ------------------------------------------------------------------------


def _run(script: str, cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["bash", "-e", "-o", "pipefail", "-c", script],
        cwd=cwd,
        env={"PATH": os.environ["PATH"], **env},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


GITHUB_ENV = {
    "GITHUB_SERVER_URL": "https://github.com",
    "GITHUB_REPOSITORY": "acme/shop",
    "GITHUB_WORKFLOW_REF": "acme/shop/.github/workflows/release.yml@refs/heads/main",
    "GITHUB_REF": "refs/heads/main",
    "GITHUB_SHA": "0123456789abcdef0123456789abcdef01234567",
    "GITHUB_EVENT_NAME": "push",
    "GITHUB_REPOSITORY_ID": "42",
    "GITHUB_REPOSITORY_OWNER_ID": "7",
    "RUNNER_ENVIRONMENT": "github-hosted",
    "GITHUB_RUN_ID": "1001",
    "GITHUB_RUN_ATTEMPT": "2",
}


def test_the_provenance_statement_names_every_built_file(
    kits: dict[str, tuple[dict[str, str], dict[str, Any]]], tmp_path: Path
) -> None:
    files, _ = kits["python-no-container"]
    steps = _jobs(files)["build"]["steps"]
    describe = next(step for step in steps if step.get("name") == "Describe the build as SLSA provenance")
    subjects = next(
        step for step in steps if step.get("name") == "Name every built file as a subject of the provenance"
    )
    (tmp_path / "dist" / "sub").mkdir(parents=True)
    built = {"dist/app-1.0.tar.gz": b"sdist", "dist/sub/app-1.0-py3-none-any.whl": b"wheel"}
    for path, content in built.items():
        (tmp_path / path).write_bytes(content)
    result = _run(describe["run"], tmp_path, GITHUB_ENV)
    assert result.returncode == 0, result.stderr
    predicate = json.loads((tmp_path / "provenance.json").read_text())
    workflow = predicate["buildDefinition"]["externalParameters"]["workflow"]
    assert workflow == {
        "ref": "refs/heads/main",
        "repository": "https://github.com/acme/shop",
        "path": ".github/workflows/release.yml",
    }
    assert predicate["runDetails"]["builder"]["id"] == (
        "https://github.com/acme/shop/.github/workflows/release.yml@refs/heads/main"
    )
    assert predicate["runDetails"]["metadata"]["invocationId"].endswith("/actions/runs/1001/attempts/2")
    assert predicate["buildDefinition"]["resolvedDependencies"][0]["digest"] == {"gitCommit": GITHUB_ENV["GITHUB_SHA"]}
    result = _run(subjects["run"], tmp_path, subjects["env"])
    assert result.returncode == 0, result.stderr
    statement = json.loads((tmp_path / "provenance.intoto.json").read_text())
    assert statement["predicateType"] == "https://slsa.dev/provenance/v1"
    assert statement["predicate"] == predicate
    assert {subject["name"]: subject["digest"]["sha256"] for subject in statement["subject"]} == {
        path: hashlib.sha256(content).hexdigest() for path, content in built.items()
    }
    for path in built:
        (tmp_path / path).unlink()
    result = _run(subjects["run"], tmp_path, subjects["env"])
    assert result.returncode != 0 and "wrote no file" in result.stderr


def _sarif(results: list[dict[str, Any]]) -> str:
    return json.dumps({"version": "2.1.0", "runs": [{"tool": {"driver": {"name": "CodeQL"}}, "results": results}]})


def test_the_codeql_gate_fails_on_a_finding_and_passes_without(
    kits: dict[str, tuple[dict[str, str], dict[str, Any]]], tmp_path: Path
) -> None:
    files, _ = kits["python-ghcr-defaults"]
    gate = next(step for step in _jobs(files, CI)["sast"]["steps"] if step.get("name") == "Fail on any CodeQL finding")
    results = tmp_path / "codeql-results"
    results.mkdir()
    (results / "python.sarif").write_text(_sarif([]))
    assert _run(gate["run"], tmp_path, {}).returncode == 0
    finding = {
        "ruleId": "py/sql-injection",
        "message": {"text": "This query depends on a user-provided value."},
        "locations": [{"physicalLocation": {"artifactLocation": {"uri": "src/app.py"}, "region": {"startLine": 12}}}],
    }
    (results / "python.sarif").write_text(_sarif([finding]))
    result = _run(gate["run"], tmp_path, {})
    assert result.returncode == 1
    assert "finding py/sql-injection: This query depends on a user-provided value. at src/app.py:12" in result.stdout
    assert "CodeQL found 1 problem(s)" in result.stderr
