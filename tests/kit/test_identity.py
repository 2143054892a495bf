"""Identity consistency, read from the generated files only.

For every answer set, and for more cloud x registry x platform combinations, each CI job that signs in to a cloud
presents an OIDC subject that the trust under ``cloud/`` admits for the identity it signs in as; every subject the
trust admits is some job's; and no job holds an id token or a cloud login that none of its steps uses.

The jobs come from ``.github/workflows/*.yml`` and ``.gitlab-ci.yml``: a GitHub job's subject is its environment,
else the refs its workflow is triggered by; a GitLab job's subject is the branch its rules pin. The trust comes from
the files under ``cloud/`` and from the commands in ``docs/ci-security.md`` that say which identity each file is for.
The repository path, default branch and GitLab URL come from the kit record ``.scaffold.yml``.
"""

from __future__ import annotations

import itertools
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import botocore.session
import parliament
import pytest
import yaml
from botocore.validate import validate_parameters

from scaffold.api import render_kit
from scaffold.errors import UsageError
from scaffold.kit.answers import validate
from tests.answer_sets import ANSWER_SETS, AWS, AZURE, GCP

googleapiclient = pytest.importorskip("googleapiclient")

GITHUB_ISSUER = "https://token.actions.githubusercontent.com"
AWS_AUDIENCE = "sts.amazonaws.com"
AZURE_AUDIENCE = "api://AzureADTokenExchange"
LOGINS = {
    "aws-actions/configure-aws-credentials": ("aws", "role-to-assume"),
    "google-github-actions/auth": ("gcp", "service_account"),
    "azure/login": ("azure", "client-id"),
}
# Steps whose work needs the cloud credential a login step before them obtained.
_DEPLOY_HOOK = re.compile(r"\bdeploy/deploy\.sh\b")
_KEYLESS = re.compile(r"\bcosign\s+(?:sign|attest)(?:-blob)?\b(?![^\n]*--key\b)")


@dataclass(frozen=True)
class Grant:
    """One identity signed in to by one OIDC subject of one issuer."""

    cloud: str
    identity: str
    issuer: str
    subject: str


@dataclass
class Found:
    grants: set[Grant] = field(default_factory=set)
    problems: list[str] = field(default_factory=list)
    gcp_providers: set[tuple[str, str, str]] = field(default_factory=set)
    """(provider, issuer, subject) of each GCP sign-in: the provider must trust the issuer and admit the claims."""


# ---- the kits ------------------------------------------------------------------------------------------------------


def _combinations() -> Iterator[tuple[str, str, list[str], list[str], str]]:
    """(cloud, registry, platforms, environments, visibility): every registry kind on each forge, then a dev
    stage among the environments, a public repository, a Jenkins-only kit and Jenkins beside GitHub."""
    for cloud in ("aws", "gcp", "azure"):
        for registry, platforms in itertools.product(
            ("own", "ghcr", "harbor", "none"), (["github"], ["gitlab"], ["github", "gitlab"])
        ):
            yield cloud, registry, platforms, ["staging", "production"], "private"
        yield cloud, "own", ["github", "gitlab"], ["dev", "qa", "prod"], "private"
        yield cloud, "own", ["github"], ["prod"], "public"
        yield cloud, "own", ["jenkins"], ["staging", "production"], "private"
        yield cloud, "harbor", ["github", "jenkins"], ["staging", "production"], "internal"


def _extra_sets() -> dict[str, dict[str, Any]]:
    """The combinations the answers accept (ghcr only with GitHub alone), beyond tests/answer_sets.py."""
    clouds = {"aws": AWS, "gcp": GCP, "azure": AZURE}
    own = {
        "aws": ("ecr", "123456789012.dkr.ecr.eu-west-1.amazonaws.com/acme/{name}"),
        "gcp": ("gar", "europe-west1-docker.pkg.dev/acme-prod/images/{name}"),
        "azure": ("acr", "acmeprod.azurecr.io/acme/{name}"),
    }
    sets: dict[str, dict[str, Any]] = {}
    for cloud, registry, platforms, environments, visibility in _combinations():
        name = f"svc-{len(sets)}"
        data: dict[str, Any] = {
            "name": name,
            "platforms": platforms,
            "environments": environments,
            "visibility": visibility,
            "source_repo": "acme/platform/shop" if platforms == ["gitlab"] else "acme/shop.api",
            "default_branch": "trunk" if len(sets) % 2 else "main",
            **clouds[cloud],
        }
        if registry == "none":
            data["container"] = False
        elif registry == "own":
            data["registry"], image = own[cloud]
            data["image"] = image.format(name=name)
        elif registry == "harbor":
            data["registry"], data["image"] = "harbor", f"harbor.acme.example/shop/{name}"
        else:
            data["registry"], data["image"] = registry, f"ghcr.io/acme/{name}"
        if "gitlab" in platforms:
            data["gitlab_url"] = "https://git.acme.example"
        try:
            validate(data)
        except UsageError:
            continue
        sets[f"{cloud}-{registry}-{'+'.join(platforms)}-{len(environments)}env-{visibility}"] = data
    return sets


EXTRA_SETS = _extra_sets()
ALL_SETS = {**ANSWER_SETS, **EXTRA_SETS}


@pytest.fixture(scope="module")
def kits() -> dict[str, dict[str, str]]:
    return {name: render_kit(answers=validate(data)) for name, data in ALL_SETS.items()}


def _record(files: dict[str, str]) -> dict[str, Any]:
    answers: dict[str, Any] = yaml.safe_load(files[".scaffold.yml"])["answers"]
    return answers


# ---- GitHub: the jobs ----------------------------------------------------------------------------------------------


def _action(step: dict[str, Any]) -> str:
    return str(step.get("uses", "")).split("@", 1)[0].lower()


def _github_subjects(workflow: dict[str, Any], job: dict[str, Any], repo: str) -> list[str] | str:
    """The subjects a job presents, or why they cannot be known."""
    environment = job.get("environment")
    if environment is not None:
        name = environment["name"] if isinstance(environment, dict) else environment
        return [f"repo:{repo}:environment:{name}"]
    on = workflow.get(True, workflow.get("on"))
    subjects: list[str] = []
    for event, spec in on.items() if isinstance(on, dict) else []:
        if event == "push" and isinstance(spec, dict) and (spec.get("branches") or spec.get("tags")):
            subjects += [f"repo:{repo}:ref:refs/heads/{branch}" for branch in spec.get("branches") or []]
            subjects += [f"repo:{repo}:ref:refs/tags/{tag}" for tag in spec.get("tags") or []]
        elif event == "pull_request":
            subjects.append(f"repo:{repo}:pull_request")
        else:
            return f"its workflow's trigger {event} gives no subject a trust can pin"
    return subjects


def _github(files: dict[str, str], record: dict[str, Any], found: Found) -> None:
    repo = record["source_repo"]
    for path in sorted(p for p in files if p.startswith(".github/workflows/")):
        workflow = yaml.safe_load(files[path])
        for name, job in workflow["jobs"].items():
            where = f"{path} job {name}"
            steps: list[dict[str, Any]] = job.get("steps", [])
            id_token = (job.get("permissions") or {}).get("id-token") == "write"
            logins = [(index, step) for index, step in enumerate(steps) if _action(step) in LOGINS]
            keyless = [
                step for step in steps if _action(step) == "actions/attest" or _KEYLESS.search(step.get("run", ""))
            ]
            if id_token and not logins and not keyless:
                found.problems.append(f"{where}: has id-token: write but no step signs or logs in to a cloud")
            if logins and not id_token:
                found.problems.append(f"{where}: logs in to a cloud without id-token: write")
            for index, step in logins:
                cloud, key = LOGINS[_action(step)]
                later = steps[index + 1 :]
                if not any(_uses_cloud(cloud, other) for other in later):
                    found.problems.append(f"{where}: logs in to {cloud} but no later step uses the credential")
                identity = str(step["with"][key])
                subjects = _github_subjects(workflow, job, repo)
                if isinstance(subjects, str):
                    found.problems.append(f"{where}: {subjects}")
                    continue
                for subject in subjects:
                    found.grants.add(Grant(cloud, identity, GITHUB_ISSUER, subject))
                    if cloud == "gcp":
                        found.gcp_providers.add((step["with"]["workload_identity_provider"], GITHUB_ISSUER, subject))


def _uses_cloud(cloud: str, step: dict[str, Any]) -> bool:
    """Whether a step needs the cloud credential: a registry login that rides on it, or the deploy hook."""
    run, action, options = step.get("run", ""), _action(step), step.get("with") or {}
    if _DEPLOY_HOOK.search(run):
        return True
    if cloud == "aws":
        return action == "aws-actions/amazon-ecr-login"
    if cloud == "gcp":
        return "steps.gcp-auth.outputs.access_token" in str(options.get("password", ""))
    return bool(re.search(r"\baz\s+acr\s+login\b", run))


# ---- GitLab: the jobs ----------------------------------------------------------------------------------------------


class _Loader(yaml.SafeLoader):
    """GitLab's YAML with its !reference tag read as a plain list."""


_Loader.add_constructor("!reference", lambda loader, node: loader.construct_sequence(node))  # type: ignore[arg-type]
_IDENTITY = {
    "aws": re.compile(r"arn:aws[a-z-]*:iam::\d{12}:role/\S+"),
    "gcp": re.compile(r"[a-z][a-z0-9-]{4,28}[a-z0-9]@[a-z0-9-]+\.iam\.gserviceaccount\.com"),
    "azure": re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"),
}
_KEYWORDS = {
    "stages",
    "variables",
    "workflow",
    "default",
    "include",
    "image",
    "services",
    "cache",
    "before_script",
    "after_script",
}


def _merged(base: dict[str, Any], override: dict[str, Any]) -> dict[str, Any]:
    result = dict(base)
    for key, value in override.items():
        result[key] = (
            _merged(result[key], value) if isinstance(value, dict) and isinstance(result.get(key), dict) else value
        )
    return result


def _resolved(pipeline: dict[str, Any], name: str, depth: int = 0) -> dict[str, Any]:
    """A job with its ``extends`` applied (GitLab merges hashes deeply and replaces everything else)."""
    job = pipeline[name]
    parents = job.get("extends") or []
    result: dict[str, Any] = {}
    for parent in [parents] if isinstance(parents, str) else parents:
        assert depth < 10, f"extends too deep at {name}"
        result = _merged(result, _resolved(pipeline, parent, depth + 1))
    return _merged(result, {key: value for key, value in job.items() if key != "extends"})


def _script(job: dict[str, Any]) -> str:
    lines: list[str] = []
    for key in ("before_script", "script", "after_script"):
        value = job.get(key) or []
        for line in [value] if isinstance(value, str) else value:
            lines += [str(item) for item in line] if isinstance(line, list) else [str(line)]
    return "\n".join(lines)


_DEFAULT_BRANCH = re.compile(r"\$CI_COMMIT_(?:BRANCH|REF_NAME)\s*==\s*\$CI_DEFAULT_BRANCH\b")
_NAMED_BRANCH = re.compile(r"\$CI_COMMIT_(?:BRANCH|REF_NAME)\s*==\s*[\"']([^\"']+)[\"']")
_TAG_PREFIX = re.compile(r"\$CI_COMMIT_TAG\s*=~\s*/\^([A-Za-z0-9._-]*)/")


def _gitlab_subjects(job: dict[str, Any], project: str, default_branch: str) -> list[str] | str:
    """The subject of each rule that can run the job, or why the branch is not pinned."""
    rules = job.get("rules")
    if not rules:
        return "has no rules, so it runs on any ref the workflow allows"
    subjects: list[str] = []
    for rule in rules:
        if rule.get("when") == "never":
            continue
        condition = str(rule.get("if", ""))
        if "||" in condition:
            return f"rule {condition!r} has an alternative that may run it on another ref"
        if _DEFAULT_BRANCH.search(condition):
            subjects.append(f"project_path:{project}:ref_type:branch:ref:{default_branch}")
        elif match := _NAMED_BRANCH.search(condition):
            subjects.append(f"project_path:{project}:ref_type:branch:ref:{match.group(1)}")
        elif match := _TAG_PREFIX.search(condition):
            # Any tag with this prefix: a trust admits it only with a pattern, which this kit never writes.
            subjects.append(f"project_path:{project}:ref_type:tag:ref:{match.group(1)}*")
        else:
            return f"rule {condition!r} does not pin the branch, so its subject could be any protected ref"
    return subjects


def _gitlab(files: dict[str, str], record: dict[str, Any], found: Found) -> None:
    pipeline = yaml.load(files[".gitlab-ci.yml"], Loader=_Loader)  # noqa: S506 - a SafeLoader subclass
    variables = {key: str(value) for key, value in (pipeline.get("variables") or {}).items()}
    cloud, issuer = record["cloud"], record["gitlab_url"]
    audiences = {"aws": AWS_AUDIENCE, "azure": AZURE_AUDIENCE}
    for name in pipeline:
        if name in _KEYWORDS or name.startswith(".") or not isinstance(pipeline[name], dict):
            continue
        job = _resolved(pipeline, name)
        if "script" not in job:
            continue
        where = f".gitlab-ci.yml job {name}"
        script = _script(job)
        scoped = {**variables, **{key: str(value) for key, value in (job.get("variables") or {}).items()}}
        for token, spec in (job.get("id_tokens") or {}).items():
            audience = str(spec.get("aud"))
            if audience == "sigstore":
                if not _KEYLESS.search(script):
                    found.problems.append(f"{where}: has the id token {token} for sigstore but signs nothing keyless")
                continue
            if not re.search(rf"\${{?{token}\b", script):
                found.problems.append(f"{where}: has the id token {token} but no script line reads it")
            if cloud == "none":
                found.problems.append(f"{where}: has a cloud id token {token} but the kit answers no cloud")
                continue
            # Every identity the job's variables name: a promotion can sign in as a second one.
            identities = sorted(
                {
                    value
                    for key, value in scoped.items()
                    if _IDENTITY[cloud].fullmatch(value) and (cloud != "azure" or key.endswith("CLIENT_ID"))
                }
            )
            provider = scoped.get("GCP_WORKLOAD_IDENTITY_PROVIDER", "")
            expected = audiences.get(cloud, f"https://iam.googleapis.com/{provider}")
            if audience != expected:
                found.problems.append(
                    f"{where}: id token {token} has the audience {audience}, its cloud takes {expected}"
                )
            if not identities:
                found.problems.append(f"{where}: has a cloud id token but names no {cloud} identity")
                continue
            subjects = _gitlab_subjects(job, record["source_repo"], record["default_branch"])
            if isinstance(subjects, str):
                found.problems.append(f"{where}: {subjects}")
                continue
            for subject, identity in itertools.product(subjects, identities):
                found.grants.add(Grant(cloud, identity, issuer, subject))
                if cloud == "gcp":
                    found.gcp_providers.add((provider, issuer, subject))


def used(files: dict[str, str]) -> Found:
    """Every (identity, issuer, subject) a job of the kit signs in with, and every credential no step uses."""
    found, record = Found(), _record(files)
    _github(files, record, found)
    if ".gitlab-ci.yml" in files:
        _gitlab(files, record, found)
    return found


# ---- the trust -----------------------------------------------------------------------------------------------------


def _commands(files: dict[str, str]) -> list[str]:
    """The shell commands of the docs' code blocks, continuation lines joined."""
    blocks = re.findall(r"```sh\n(.*?)```", files.get("docs/ci-security.md", ""), flags=re.DOTALL)
    return [line for block in blocks for line in block.replace("\\\n", " ").splitlines()]


def _applied(files: dict[str, str], pattern: str) -> dict[str, str]:
    """File -> identity for each docs command matching ``pattern`` (groups: identity, file)."""
    result: dict[str, str] = {}
    for command in _commands(files):
        if match := re.search(pattern, command):
            identity, path = match.group(1).strip("'"), match.group(2).strip("'")
            assert path not in result, f"{path} is applied twice"
            result[path.removeprefix("file://")] = identity
    return result


def _aws(files: dict[str, str], record: dict[str, Any]) -> set[Grant]:
    applied = _applied(files, r"aws iam update-assume-role-policy --role-name (\S+)\s+--policy-document (\S+)")
    grants: set[Grant] = set()
    for path in sorted(p for p in files if p.startswith("cloud/aws/")):
        assert path in applied, f"{path}: no command in docs/ci-security.md applies it"
        policy = json.loads(files[path])
        for statement in policy["Statement"]:
            provider = statement["Principal"]["Federated"]
            account, host = re.fullmatch(r"arn:aws[a-z-]*:iam::(\d{12}):oidc-provider/(.+)", provider).groups()  # type: ignore[union-attr]
            assert statement["Action"] == "sts:AssumeRoleWithWebIdentity"
            assert set(statement["Condition"]) == {"StringEquals"}, f"{path}: only exact subjects, never patterns"
            equals = statement["Condition"]["StringEquals"]
            assert equals[f"{host}:aud"] == AWS_AUDIENCE
            for subject in equals[f"{host}:sub"]:
                # A job names its role by ARN; the docs name it by role name: the account comes from the provider.
                grants.add(Grant("aws", f"{account}/{applied[path]}", f"https://{host}", subject))
    return grants


def _aws_key(grant: Grant) -> Grant:
    """A job's grant keyed like the trust's: account and role name instead of the ARN."""
    account, name = re.fullmatch(r"arn:aws[a-z-]*:iam::(\d{12}):role/(?:.*/)?([^/]+)", grant.identity).groups()  # type: ignore[union-attr]
    return Grant("aws", f"{account}/{name}", grant.issuer, grant.subject)


def _gcp(files: dict[str, str]) -> tuple[set[Grant], dict[str, dict[str, Any]]]:
    """The service account grants (issuer left empty: a pool admits subjects of any of its providers) and each
    provider's body by its full resource name."""
    applied = _applied(files, r"gcloud iam service-accounts set-iam-policy (\S+) (\S+)")
    providers: dict[str, dict[str, Any]] = {}
    for command in _commands(files):
        if match := re.search(
            r"--data @(\S+-provider\.json)\s+'?https://iam\.googleapis\.com/v1/(\S+)/providers"
            r"\?workloadIdentityPoolProviderId=([a-z0-9-]+)'?",
            command,
        ):
            body, pool, provider_id = match.groups()
            providers[f"{pool}/providers/{provider_id}"] = json.loads(files[body])
    grants: set[Grant] = set()
    for path in sorted(p for p in files if p.startswith("cloud/gcp/") and p.endswith("iam-policy.json")):
        assert path in applied, f"{path}: no command in docs/ci-security.md applies it"
        (binding,) = json.loads(files[path])["bindings"]
        assert binding["role"] == "roles/iam.workloadIdentityUser"
        for member in binding["members"]:
            pool, subject = re.fullmatch(r"principal://iam\.googleapis\.com/(.+)/subject/(.+)", member).groups()  # type: ignore[union-attr]
            grants.add(Grant("gcp", applied[path], pool, subject))
    provider_files = {p for p in files if p.startswith("cloud/gcp/") and p.endswith("-provider.json")}
    assert len(provider_files) == len(providers), "every provider file is created by one docs command"
    return grants, providers


def _condition_holds(condition: str, claims: dict[str, str]) -> bool:
    """Evaluate the conjunction of ``assertion.CLAIM == "VALUE"`` terms the kit writes; anything else fails."""
    for term in condition.split("&&"):
        match = re.fullmatch(r'\s*assertion\.(\w+) == "([^"]*)"\s*', term)
        assert match, f"an attribute condition term this test cannot read: {term!r}"
        if claims.get(match.group(1)) != match.group(2):
            return False
    return True


def _claims(issuer: str, subject: str, record: dict[str, Any]) -> dict[str, str]:
    """The claims of a token that matter to the kit's attribute conditions."""
    if issuer == GITHUB_ISSUER:
        return {"sub": subject, "repository": record["source_repo"]}
    # A default-branch pipeline runs on a protected ref: the GitLab settings protect the default branch.
    return {"sub": subject, "project_path": record["source_repo"], "ref_protected": "true"}


def _azure(files: dict[str, str]) -> set[Grant]:
    applied = _applied(files, r"az ad app federated-credential create --id (\S+)\s+--parameters (\S+)")
    grants: set[Grant] = set()
    for path in sorted(p for p in files if p.startswith("cloud/azure/")):
        assert path in applied, f"{path}: no command in docs/ci-security.md applies it"
        credential = json.loads(files[path])
        assert credential["audiences"] == [AZURE_AUDIENCE]
        grants.add(Grant("azure", applied[path], credential["issuer"], credential["subject"]))
    return grants


# ---- consistency ---------------------------------------------------------------------------------------------------


def _check(files: dict[str, str]) -> list[str]:
    """Every mismatch between the jobs and the trust, as readable lines."""
    found, record = used(files), _record(files)
    problems = list(found.problems)
    cloud = record["cloud"]
    jobs = found.grants
    if cloud == "aws":
        jobs, admitted = {_aws_key(grant) for grant in jobs}, _aws(files, record)
    elif cloud == "gcp":
        admitted, providers = _gcp(files)
        pools = {grant.issuer for grant in admitted}
        jobs = set()
        for provider, issuer, subject in found.gcp_providers:
            body = providers.get(provider)
            if body is None:
                problems.append(f"GCP provider {provider} of a {issuer} job is not one the docs create")
                continue
            if body["oidc"]["issuerUri"] != issuer:
                problems.append(
                    f"GCP provider {provider} trusts {body['oidc']['issuerUri']}, its job's issuer is {issuer}"
                )
            if not _condition_holds(body["attributeCondition"], _claims(issuer, subject, record)):
                problems.append(f"GCP provider {provider}: its attribute condition refuses {subject}")
        for grant in found.grants:
            provider = next(p for p, i, s in found.gcp_providers if (i, s) == (grant.issuer, grant.subject))
            jobs.add(Grant("gcp", grant.identity, provider.rsplit("/providers/", 1)[0], grant.subject))
        unused_providers = set(providers) - {p for p, _, _ in found.gcp_providers}
        problems += [f"GCP provider {p} is created but no job signs in through it" for p in sorted(unused_providers)]
        assert len(pools) <= 1
    elif cloud == "azure":
        admitted = _azure(files)
    else:
        admitted = set()
        assert not [p for p in files if p.startswith("cloud/")]
    problems += [f"not admitted: {grant}" for grant in sorted(jobs - admitted, key=str)]
    problems += [f"admitted but no job uses it: {grant}" for grant in sorted(admitted - jobs, key=str)]
    return problems


@pytest.mark.parametrize("name", sorted(ALL_SETS))
def test_every_cloud_sign_in_is_admitted_and_every_admission_used(kits: dict[str, dict[str, str]], name: str) -> None:
    assert _check(kits[name]) == []


def test_the_combinations_cover_every_cloud_registry_and_forge() -> None:
    covered = {tuple(key.split("-")[:3]) for key in EXTRA_SETS}
    for cloud in ("aws", "gcp", "azure"):
        for registry in ("own", "ghcr", "harbor", "none"):
            assert (cloud, registry, "github") in covered
            assert ((cloud, registry, "github+gitlab") in covered) == (registry != "ghcr")
        assert (cloud, "own", "gitlab") in covered
    assert len(EXTRA_SETS) == 3 * (4 * 3 - 2 + 4)


@pytest.mark.parametrize("name", ["python-ghcr-aws-public", "python-ecr-aws-dast-openapi", "java-acr-azure"])
def test_a_ghcr_build_gets_no_cloud_login_and_a_cloud_registry_build_does(
    kits: dict[str, dict[str, str]], name: str
) -> None:
    """The issue's case: with ghcr the build needs no cloud and gets none; with the cloud's registry it signs in
    as the build identity, from the default branch, without an environment."""
    files, record = kits[name], _record(kits[name])
    build = yaml.safe_load(files[".github/workflows/release.yml"])["jobs"]["build"]
    logins = [step for step in build["steps"] if _action(step) in LOGINS]
    assert "environment" not in build
    if record["registry"] == "ghcr":
        assert logins == []
    else:
        (login,) = logins
        assert str(login["with"][LOGINS[_action(login)][1]]) in (
            record.get("aws_role_arn"),
            record.get("azure_client_id"),
        )


# ---- the checker can fail ------------------------------------------------------------------------------------------


def test_the_check_finds_an_unused_login_a_wrong_subject_and_an_unused_admission(
    kits: dict[str, dict[str, str]],
) -> None:
    files = dict(kits["python-ecr-aws-dast-openapi"])
    release = files[".github/workflows/release.yml"]
    # The build of the issue: a login no step uses.
    unused = release.replace("      - name: Log in to Amazon ECR\n", "      - name: Log in somewhere\n", 1).replace(
        "uses: aws-actions/amazon-ecr-login@", "uses: example/other@", 1
    )
    assert any(
        "no later step uses the credential" in p for p in _check({**files, ".github/workflows/release.yml": unused})
    )
    # A deploy job without its environment presents the branch subject, which its role does not admit.
    staging = release.replace('    environment:\n      name: "staging"\n', "", 1)
    problems = _check({**files, ".github/workflows/release.yml": staging})
    assert any(p.startswith("not admitted:") and "ref:refs/heads/main" in p for p in problems)
    assert any(p.startswith("admitted but no job uses it:") and "environment:staging" in p for p in problems)
    # An id token no step uses.
    ci = files[".github/workflows/ci.yml"].replace(
        "      contents: read  # check out the repository\n",
        "      contents: read  # check out the repository\n      id-token: write\n",
        1,
    )
    assert any("id-token: write but no step" in p for p in _check({**files, ".github/workflows/ci.yml": ci}))


def test_the_check_reads_gitlab_rules_and_tokens() -> None:
    record = {"source_repo": "acme/shop", "default_branch": "main", "gitlab_url": "https://gitlab.com", "cloud": "aws"}
    pipeline = {
        "variables": {"AWS_ROLE_ARN": "arn:aws:iam::123456789012:role/ci"},
        ".base": {"id_tokens": {"CLOUD_ID_TOKEN": {"aud": AWS_AUDIENCE}}},
        "publish": {
            "extends": ".base",
            "rules": [{"if": "$CI_COMMIT_BRANCH == $CI_DEFAULT_BRANCH"}],
            "script": ['printf %s "$CLOUD_ID_TOKEN" > token'],
        },
        "deploy": {"extends": ".base", "rules": [{"if": '$CI_COMMIT_REF_PROTECTED == "true"'}], "script": ["true"]},
    }
    found = Found()
    _gitlab({".gitlab-ci.yml": yaml.safe_dump(pipeline)}, record, found)
    assert found.grants == {
        Grant(
            "aws",
            "arn:aws:iam::123456789012:role/ci",
            "https://gitlab.com",
            "project_path:acme/shop:ref_type:branch:ref:main",
        )
    }
    assert any("deploy: has the id token CLOUD_ID_TOKEN but no script line reads it" in p for p in found.problems)
    assert any("deploy: rule" in p and "does not pin the branch" in p for p in found.problems)


# ---- the trust files themselves ------------------------------------------------------------------------------------


def _trust_files(kits: dict[str, dict[str, str]], prefix: str) -> Iterator[tuple[str, str, str]]:
    for name, files in sorted(kits.items()):
        for path in sorted(p for p in files if p.startswith(prefix)):
            yield name, path, files[path]


def test_trust_files_are_exact_two_space_json(kits: dict[str, dict[str, str]]) -> None:
    seen = 0
    for _, path, text in _trust_files(kits, "cloud/"):
        assert text == json.dumps(json.loads(text), indent=2) + "\n", path
        seen += 1
    assert seen > 100


def test_aws_trust_policies_pass_the_iam_api_model_and_parliament(kits: dict[str, dict[str, str]]) -> None:
    """botocore's IAM model for UpdateAssumeRolePolicy takes each file; parliament lints it. Parliament reads every
    policy as an identity policy, so a trust policy's missing Resource and its OIDC provider (it knows only SAML and
    a few web identity providers) are the two findings it always makes; anything else fails."""
    shape = (
        botocore.session.get_session().get_service_model("iam").operation_model("UpdateAssumeRolePolicy").input_shape
    )
    expected = {"MALFORMED", "UNKNOWN_FEDERATION_SOURCE"}
    for _, path, text in _trust_files(kits, "cloud/aws/"):
        validate_parameters({"RoleName": "ci-deploy", "PolicyDocument": text}, shape)
        findings = parliament.analyze_policy_string(text, include_community_auditors=True).findings
        unexpected = [f"{f.issue}: {f.detail}" for f in findings if f.issue not in expected]
        assert unexpected == [], path
        assert all("Resource" in str(f.detail) or "oidc-provider/" in str(f.detail) for f in findings), path


_IAM = json.loads((Path(googleapiclient.__file__).parent / "discovery_cache/documents/iam.v1.json").read_text())[
    "schemas"
]


def _schema_problems(value: Any, schema: dict[str, Any], where: str) -> list[str]:
    """A request body against a Google discovery schema: unknown or read-only fields and wrong JSON types."""
    if "$ref" in schema:
        return _schema_problems(value, _IAM[schema["$ref"]], where)
    kinds = {"string": str, "boolean": bool, "integer": int, "array": list, "object": dict}
    kind = schema.get("type")
    if kind and not isinstance(value, kinds[kind]):
        return [f"{where}: expected {kind}"]
    problems: list[str] = []
    if kind == "array":
        for index, item in enumerate(value):
            problems += _schema_problems(item, schema["items"], f"{where}[{index}]")
    elif kind == "object" and "properties" in schema:
        for key, item in value.items():
            prop = schema["properties"].get(key)
            if prop is None or prop.get("readOnly"):
                problems.append(f"{where}.{key}: not a writable field")
            else:
                problems += _schema_problems(item, prop, f"{where}.{key}")
    elif kind == "object" and "additionalProperties" in schema:
        for key, item in value.items():
            problems += _schema_problems(item, schema["additionalProperties"], f"{where}.{key}")
    return problems


def test_gcp_files_match_the_iam_discovery_schemas(kits: dict[str, dict[str, str]]) -> None:
    seen = set()
    for _, path, text in _trust_files(kits, "cloud/gcp/"):
        body = json.loads(text)
        schema = "WorkloadIdentityPoolProvider" if path.endswith("-provider.json") else "Policy"
        assert _schema_problems(body, {"$ref": schema}, path) == []
        if schema == "WorkloadIdentityPoolProvider":
            assert len(body["displayName"]) <= 32
            assert body["attributeMapping"]["google.subject"] == "assertion.sub"
        seen.add(schema)
    assert seen == {"WorkloadIdentityPoolProvider", "Policy"}


def test_azure_federated_credentials_have_the_fields_and_names_entra_accepts(kits: dict[str, dict[str, str]]) -> None:
    """Entra ID's federatedIdentityCredential: a name of 3 to 120 letters, digits, '-' and '_' starting with a letter
    or digit, unique per app; issuer, subject and one audience of at most 600 characters."""
    names: dict[str, set[str]] = {}
    for kit, path, text in _trust_files(kits, "cloud/azure/"):
        credential = json.loads(text)
        assert set(credential) == {"name", "issuer", "subject", "description", "audiences"}, path
        assert re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_-]{2,119}", credential["name"]), path
        assert path.endswith(f"/{credential['name']}.json")
        assert all(len(credential[key]) <= 600 for key in ("issuer", "subject", "description"))
        assert credential["name"] not in names.setdefault(kit, set())
        names[kit].add(credential["name"])
    assert names
