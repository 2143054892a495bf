"""The forge settings files (settings/github/, settings/gitlab/) of every answer set, read the way a team applies
them: each `gh api` / `glab api` command in docs/ci-security.md is parsed, and the body it sends must match the
request-body schema of that method and endpoint in the forge's published API description (tests/data/forge-api/,
where README.md says where each came from), with no property the description does not name. The files must also
agree with the rest of the kit: the allow list is exactly the actions the workflows use, the required checks are
exactly the jobs of the ci workflow, the environments are the answered ones, and every ref is the default branch.
Workflows are read from the rendered files, never from a list kept here."""

from __future__ import annotations

import copy
import json
import re
import shlex
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import quote

import jsonschema
import pytest
import yaml

from scaffold.api import render_kit
from scaffold.kit.answers import Answers, validate
from tests.answer_sets import ANSWER_SETS

DATA = Path(__file__).parents[1] / "data" / "forge-api"
GITHUB_ACTIONS_APP = 15368

# Beyond the shared answer sets: a public repository with a user and a team as code owners, and a self-managed
# GitLab whose default branch has a slash (it must be URL-encoded in the endpoint).
EXTRA_SETS: dict[str, dict[str, Any]] = {
    "public-user-and-team-owners": {
        "name": "site",
        "visibility": "public",
        "container": False,
        "code_owners": ["@octocat", "@acme/web-team"],
        "source_repo": "acme/site",
    },
    "gitlab-self-managed-slash-branch": {
        "name": "tracker",
        "platforms": ["gitlab"],
        "container": False,
        "gitlab_url": "https://gitlab.example.com",
        "default_branch": "release/main",
        "source_repo": "acme/tools/tracker",
        "environments": ["qa", "prod"],
    },
}
SETS = {**ANSWER_SETS, **EXTRA_SETS}


def _platforms(name: str) -> list[str]:
    return list(SETS[name].get("platforms", ["github"]))


GITHUB_SETS = sorted(name for name in SETS if "github" in _platforms(name))
GITLAB_SETS = sorted(name for name in SETS if "gitlab" in _platforms(name))
FORGE_SETS = sorted(set(GITHUB_SETS) | set(GITLAB_SETS))


@cache
def _kit(name: str) -> tuple[Answers, dict[str, str]]:
    answers = validate(SETS[name])
    return answers, render_kit(answers=answers)


def _json(files: dict[str, str], path: str) -> Any:
    text = files[path]
    value = json.loads(text)
    assert text == json.dumps(value, indent=2) + "\n", f"{path} is not in the 2-space, newline-terminated form"
    return value


# --- the forges' schemas --------------------------------------------------------------------------------------------


def _strict(schema: Any) -> Any:
    """An OpenAPI 3.0 / Swagger 2.0 schema as a JSON Schema (draft 4) that refuses properties it does not name:
    ``nullable`` becomes a null type, Swagger's ``file`` type any value, and every object that lists its properties
    and says nothing about others is closed."""
    if isinstance(schema, list):
        return [_strict(item) for item in schema]
    if not isinstance(schema, dict):
        return schema
    result = {key: _strict(value) for key, value in schema.items() if key not in ("nullable", "example")}
    if schema.get("type") == "file":
        del result["type"]
    if schema.get("nullable") is True and isinstance(schema.get("type"), str):
        result["type"] = [schema["type"], "null"]
    if "properties" in schema and "additionalProperties" not in schema:
        result["additionalProperties"] = False
    return result


@cache
def _descriptions() -> tuple[dict[str, Any], ...]:
    return tuple(
        json.loads((DATA / name).read_text(encoding="utf-8"))
        for name in ("github-request-bodies.json", "gitlab-request-bodies.json", "gitlab-documented-parameters.json")
    )


def _validator(operation: str) -> jsonschema.Draft4Validator:
    """The strict validator of ``METHOD /path``'s request body, from the description that has the operation."""
    for description in _descriptions():
        if operation in description["operations"]:
            root = {key: value for key, value in description.items() if key in ("components", "definitions")}
            return jsonschema.Draft4Validator(_strict({"allOf": [description["operations"][operation]], **root}))
    raise AssertionError(f"no published schema for {operation}")


def _problems(operation: str, body: Any) -> list[str]:
    return [
        f"{'/'.join(map(str, e.absolute_path)) or '(body)'}: {e.message}"
        for e in _validator(operation).iter_errors(body)
    ]


# --- the documented commands ----------------------------------------------------------------------------------------

_VALUED_OPTIONS = {"--method", "-X", "-H", "--header", "--input", "--hostname", "-f", "-F", "--raw-field", "--field"}
_VALUED_OPTIONS |= {"--jq", "-q"}


@dataclass(frozen=True)
class Command:
    tool: str
    """gh or glab"""
    method: str
    endpoint: str
    """As typed, e.g. repos/acme/api/rulesets or projects/acme%2Fapi/protected_tags."""
    source: str | None
    """The settings file whose content is sent (directly, or through the jq filter before it), else None."""
    body: Any
    """What is sent: the file's JSON (with the reviewers jq adds), the -f fields, or None."""
    options: tuple[str, ...]


def _logical_lines(markdown: str) -> list[str]:
    lines: list[str] = []
    for block in re.findall(r"```sh\n(.*?)```", markdown, re.DOTALL):
        pending = ""
        for line in block.splitlines():
            if line.endswith("\\"):
                pending += line[:-1] + " "
                continue
            lines.append(pending + line)
            pending = ""
    return [line for line in lines if line.strip() and not line.lstrip().startswith("#")]


def _commands(files: dict[str, str]) -> list[Command]:
    """Every `gh api` / `glab api` command of the docs' shell blocks that is not inside a $( ) lookup."""
    commands = []
    for line in _logical_lines(files["docs/ci-security.md"]):
        words = shlex.split(line)
        segments: list[list[str]] = [[]]
        for word in words:
            if word == "|":
                segments.append([])
            else:
                segments[-1].append(word)
        for position, segment in enumerate(segments):
            if segment[:2] not in (["gh", "api"], ["glab", "api"]):
                continue
            commands.append(_command(segment, segments[position - 1] if position else None, files))
    return commands


def _command(words: list[str], piped_from: list[str] | None, files: dict[str, str]) -> Command:
    options: dict[str, list[str]] = {}
    positional = []
    rest = iter(words[2:])
    for word in rest:
        if word in _VALUED_OPTIONS:
            options.setdefault(word, []).append(next(rest))
        else:
            positional.append(word)
    assert len(positional) == 1, f"one endpoint per command: {words}"
    source, body = None, None
    if "--input" in options:
        (given,) = options["--input"]
        if given == "-":
            assert piped_from is not None and piped_from[0] == "jq", f"--input - reads what jq made: {words}"
            assert piped_from[-2] == ".reviewers = $reviewers", piped_from
            source = piped_from[-1]
            body = {**_json(files, source), "reviewers": [{"type": "Team", "id": 1}]}
        else:
            source = given
            body = _json(files, source)
    elif "-f" in options:
        body = dict(field.split("=", 1) for field in options["-f"])
    method = options.get("--method", ["GET"])[0]
    flags = tuple(word for key, values in options.items() for word in (key, *values))
    return Command(words[0], method, positional[0], source, body, flags)


def _github_operation(endpoint: str, repo: str) -> str:
    prefix = f"repos/{repo}"
    assert endpoint == prefix or endpoint.startswith(prefix + "/"), f"{endpoint} is not about {repo}"
    rest = endpoint.removeprefix(prefix)
    rest = re.sub(r"^/environments/[^/]+", "/environments/{environment_name}", rest)
    return "/repos/{owner}/{repo}" + rest


def _gitlab_operation(endpoint: str, project: str) -> str:
    prefix = f"projects/{quote(project, safe='')}"
    assert endpoint == prefix or endpoint.startswith(prefix + "/"), f"{endpoint} is not about {project}"
    return "/projects/:id" + endpoint.removeprefix(prefix)


def _operation(command: Command, answers: Answers) -> str:
    assert answers.source_repo is not None
    if command.tool == "gh":
        path = _github_operation(command.endpoint, answers.source_repo)
    else:
        path = _gitlab_operation(command.endpoint, answers.source_repo)
    return f"{command.method} {path}"


# --- tests ----------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("answer_set", FORGE_SETS)
def test_every_documented_command_sends_what_the_forge_api_accepts(answer_set: str) -> None:
    answers, files = _kit(answer_set)
    sent = [command for command in _commands(files) if command.body is not None]
    tools = {command.tool for command in sent}
    assert tools == {{"github": "gh", "gitlab": "glab"}[p] for p in answers.platforms if p != "jenkins"}
    for command in sent:
        operation = _operation(command, answers)
        assert _problems(operation, command.body) == [], f"{operation} with {command.source or command.body}"


@pytest.mark.parametrize("answer_set", FORGE_SETS)
def test_every_settings_file_is_sent_by_a_documented_command(answer_set: str) -> None:
    _, files = _kit(answer_set)
    settings = {path for path in files if path.startswith("settings/")}
    sent = {command.source for command in _commands(files) if command.source}
    assert settings
    assert sent == settings


@pytest.mark.parametrize("answer_set", GITHUB_SETS)
def test_allow_list_is_exactly_the_actions_the_workflows_use(answer_set: str) -> None:
    _, files = _kit(answer_set)
    used: list[str] = []
    for path in sorted(p for p in files if p.startswith(".github/workflows/")):
        for job in (yaml.safe_load(files[path]).get("jobs") or {}).values():
            steps = [job, *(job.get("steps") or [])]
            used += [
                str(s["uses"]) for s in steps if "uses" in s and not str(s["uses"]).startswith(("./", "docker://"))
            ]
    assert used, "the workflows use actions"
    expected = {f"{reference.split('@')[0]}@*" for reference in used}
    body = _json(files, "settings/github/actions-selected-actions.json")
    assert sorted(body["patterns_allowed"]) == sorted(expected)
    assert body["github_owned_allowed"] is False and body["verified_allowed"] is False
    permissions = _json(files, "settings/github/actions-permissions.json")
    assert permissions == {"enabled": True, "allowed_actions": "selected", "sha_pinning_required": True}


@pytest.mark.parametrize("answer_set", GITHUB_SETS)
def test_required_checks_are_exactly_the_jobs_of_the_ci_workflow(answer_set: str) -> None:
    _, files = _kit(answer_set)
    jobs = yaml.safe_load(files[".github/workflows/ci.yml"])["jobs"]
    names = sorted(str(job.get("name", job_id)) for job_id, job in jobs.items())
    ruleset = _json(files, "settings/github/ruleset-default-branch.json")
    (rule,) = [rule for rule in ruleset["rules"] if rule["type"] == "required_status_checks"]
    checks = rule["parameters"]["required_status_checks"]
    assert sorted(check["context"] for check in checks) == names
    assert {check["integration_id"] for check in checks} == {GITHUB_ACTIONS_APP}
    assert rule["parameters"]["strict_required_status_checks_policy"] is True


@pytest.mark.parametrize("answer_set", FORGE_SETS)
def test_environments_are_the_answered_environments(answer_set: str) -> None:
    answers, files = _kit(answer_set)
    if "github" in answers.platforms:
        github = sorted(Path(p).parent.name for p in files if p.startswith("settings/github/environments/"))
        assert github == sorted(answers.environments)
        put = [
            c.endpoint.rsplit("/", 1)[1]
            for c in _commands(files)
            if c.endpoint.count("/environments/") == 1 and c.method == "PUT"
        ]
        assert put == answers.environments
        reviewed = [c for c in _commands(files) if c.source and c.body.get("reviewers")]
        assert [c.endpoint.rsplit("/", 1)[1] for c in reviewed] == [answers.environments[-1]]
    if "gitlab" in answers.platforms:
        folder = "settings/gitlab/environments/"
        bodies = {Path(p).parent.name: _json(files, p) for p in files if p.startswith(folder)}
        assert sorted(bodies) == sorted(answers.environments)
        assert all(body["name"] == name for name, body in bodies.items())
        approved = [name for name, body in bodies.items() if body.get("approval_rules")]
        assert approved == [answers.environments[-1]]


@pytest.mark.parametrize("answer_set", FORGE_SETS)
def test_every_ref_is_the_default_branch(answer_set: str) -> None:
    answers, files = _kit(answer_set)
    branch = answers.default_branch
    if "github" in answers.platforms:
        ruleset = _json(files, "settings/github/ruleset-default-branch.json")
        assert ruleset["conditions"]["ref_name"]["include"] == [f"refs/heads/{branch}"]
        assert _json(files, "settings/github/deployment-branch-policy-branch.json")["name"] == branch
    if "gitlab" in answers.platforms:
        assert _json(files, "settings/gitlab/protected-branch.json")["name"] == branch
        deleted = [c.endpoint for c in _commands(files) if c.method == "DELETE"]
        assert deleted == [
            f"projects/{quote(str(answers.source_repo), safe='')}/protected_branches/{quote(branch, safe='')}"
        ]


def test_reviewers_are_looked_up_for_every_code_owner() -> None:
    answers, files = _kit("public-user-and-team-owners")
    docs = files["docs/ci-security.md"]
    assert '"$(gh api users/octocat --jq .id)"' in docs
    assert '"$(gh api orgs/acme/teams/web-team --jq .id)"' in docs
    assert '\'[{"type": "User", "id": $id1}, {"type": "Team", "id": $id2}]\'' in docs
    endpoints = [c.endpoint for c in _commands(files)]
    assert "repos/acme/site/actions/permissions/fork-pr-contributor-approval" in endpoints
    assert _json(files, "settings/github/actions-fork-pull-requests.json") == {
        "approval_policy": "all_external_contributors"
    }
    assert answers.visibility == "public"


def test_a_self_managed_gitlab_is_named_in_every_command() -> None:
    _, files = _kit("gitlab-self-managed-slash-branch")
    glab = [c for c in _commands(files) if c.tool == "glab"]
    assert glab
    assert all(c.options[c.options.index("--hostname") + 1] == "gitlab.example.com" for c in glab)


@pytest.mark.parametrize(
    ("operation", "body", "finding"),
    [
        ("PUT /repos/{owner}/{repo}/actions/permissions", {"enabled": True, "allowed_actions": "some"}, "'some'"),
        ("PUT /repos/{owner}/{repo}/actions/permissions", {"enabled": True, "sha_pinning": True}, "sha_pinning"),
        ("POST /repos/{owner}/{repo}/rulesets", {"name": "x", "enforcement": "active", "rules": [{"type": "x"}]}, ""),
        ("POST /projects/:id/protected_branches", {"name": "main", "push_access_level": 50}, "50"),
        ("PUT /projects/:id", {"only_allow_merge_if_pipeline_succeed": True}, "only_allow"),
        ("POST /projects/:id/protected_environments", {"name": "prod", "deploy_access_levels": [{}]}, ""),
    ],
)
def test_the_schemas_refuse_what_the_forges_refuse(operation: str, body: Any, finding: str) -> None:
    problems = _problems(operation, copy.deepcopy(body))
    assert problems
    assert any(finding in problem for problem in problems)
