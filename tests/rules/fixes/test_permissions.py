"""scaffold.rules.fixes.permissions: the GITHUB_TOKEN scopes a job needs, from scaffold/data/permissions.yml."""

from __future__ import annotations

import re

import pytest

from scaffold.rules import yaml_view
from scaffold.rules.fixes import permissions
from scaffold.rules.fixes.permissions import JobNeeds, job_needs, pushes
from scaffold.rules.yaml_view import YNode


def _job(text: str) -> YNode:
    node = yaml_view.parse(text)
    assert node is not None
    return node


def _needs(text: str) -> JobNeeds:
    return job_needs(_job(text))


# actions ------------------------------------------------------------------------------------------------------


def test_checkout_needs_contents_read() -> None:
    needs = _needs("steps:\n  - uses: actions/checkout@v4\n  - run: make test\n")
    assert needs.scopes == {"contents": "read"}
    assert needs.reasons == {"contents": "actions/checkout"}
    assert needs.unknown == []
    assert needs.lines() == ["permissions:", "  contents: read # actions/checkout"]
    assert needs.flow() == "{contents: read}"


def test_docker_login_to_ghcr_needs_packages_write() -> None:
    needs = _needs(
        "steps:\n"
        "  - uses: docker/login-action@v4\n"
        "    with:\n"
        "      registry: ghcr.io\n"
        "      username: ${{ github.actor }}\n"
        "      password: ${{ secrets.GITHUB_TOKEN }}\n"
    )
    assert needs.scopes == {"packages": "write"}
    assert needs.unknown == []


def test_docker_login_to_ghcr_with_a_personal_token_needs_nothing_from_the_job_token() -> None:
    needs = _needs(
        "steps:\n  - uses: docker/login-action@v4\n    with:\n      registry: ghcr.io\n"
        "      password: ${{ secrets.GHCR_PAT }}\n"
    )
    assert (needs.scopes, needs.unknown) == ({}, [])


def test_docker_login_to_another_registry_needs_nothing() -> None:
    needs = _needs("steps:\n  - uses: docker/login-action@v4\n    with:\n      registry: registry.example.com\n")
    assert needs.scopes == {}
    assert needs.unknown == []
    assert needs.lines() == ["permissions: {}"]
    assert needs.flow() == "{}"


def test_pypi_publish_without_a_password_needs_id_token_write() -> None:
    needs = _needs("steps:\n  - uses: pypa/gh-action-pypi-publish@release/v1\n")
    assert needs.scopes == {"id-token": "write"}
    assert needs.unknown == []


def test_pypi_publish_with_a_password_needs_nothing() -> None:
    needs = _needs(
        "steps:\n  - uses: pypa/gh-action-pypi-publish@release/v1\n    with:\n      password: ${{ secrets.PYPI }}\n"
    )
    assert needs.scopes == {}
    assert needs.unknown == []


def test_the_reason_for_a_scope_granted_on_an_absent_input_does_not_claim_the_input_is_there() -> None:
    needs = _needs("steps:\n  - uses: pypa/gh-action-pypi-publish@release/v1\n")
    assert "with password" not in needs.reasons["id-token"]


def test_github_script_is_unknown() -> None:
    needs = _needs("steps:\n  - uses: actions/github-script@v8\n    with:\n      script: console.log(1)\n")
    assert needs.scopes == {}
    assert len(needs.unknown) == 1
    assert needs.unknown[0].startswith("step 1 uses actions/github-script@v8: ")


def test_a_reusable_workflow_job_is_unknown_and_gets_contents_read() -> None:
    needs = _needs("uses: octo/repo/.github/workflows/build.yml@v1\nwith:\n  x: 1\n")
    assert needs.scopes == {"contents": "read"}
    assert needs.unknown == [
        "the called workflow octo/repo/.github/workflows/build.yml@v1, whose steps scaffold does not read"
    ]


def test_an_action_missing_from_the_table_is_unknown() -> None:
    needs = _needs("steps:\n  - uses: someone/unknown-action@v1\n")
    assert needs.scopes == {}
    assert needs.unknown == ["step 1 uses someone/unknown-action@v1, which scaffold's permissions base does not know"]


def test_actions_with_a_path_are_looked_up_by_the_longest_known_prefix_ignoring_case() -> None:
    needs = _needs("steps:\n  - uses: GitHub/CodeQL-Action/upload-sarif@v4\n")
    assert needs.scopes == {"actions": "read", "contents": "read", "security-events": "write"}
    assert needs.unknown == []


def test_an_unknown_sub_action_of_a_known_repository_is_unknown() -> None:
    needs = _needs("steps:\n  - uses: github/codeql-action/something-new@v4\n")
    assert needs.unknown == [
        "step 1 uses github/codeql-action/something-new@v4, which scaffold's permissions base does not know"
    ]


def test_a_docker_action_needs_nothing_unless_it_gets_the_token() -> None:
    assert _needs("steps:\n  - uses: docker://alpine:3\n").unknown == []
    given = _needs("steps:\n  - uses: docker://alpine:3\n    env:\n      T: ${{ github.token }}\n")
    assert given.unknown == ["step 1 runs the container docker://alpine:3 and gives it the token"]


def test_an_action_that_pushes_needs_contents_write() -> None:
    needs = _needs("steps:\n  - uses: actions/checkout@v4\n  - uses: stefanzweifel/git-auto-commit-action@v7\n")
    assert needs.scopes == {"contents": "write"}
    assert needs.reasons["contents"] == "stefanzweifel/git-auto-commit-action pushes with git"


def test_a_when_condition_matching_an_input_value() -> None:
    needs = _needs(
        "steps:\n  - uses: actions/setup-node@v7\n    with:\n      registry-url: https://npm.pkg.github.com\n"
    )
    assert needs.scopes == {"contents": "read", "packages": "write"}


def test_a_when_condition_on_an_equals_value_ignores_case_and_space() -> None:
    needs = _needs("steps:\n  - uses: codecov/codecov-action@v5\n    with:\n      use_oidc: ' True'\n")
    assert needs.scopes == {"id-token": "write"}
    assert _needs("steps:\n  - uses: codecov/codecov-action@v5\n    with:\n      use_oidc: false\n").scopes == {}


# run: commands ------------------------------------------------------------------------------------------------


def test_git_push_needs_contents_write() -> None:
    needs = _needs("steps:\n  - uses: actions/checkout@v4\n  - run: |\n      git commit -am x\n      git push\n")
    assert needs.scopes == {"contents": "write"}
    assert needs.reasons == {"contents": "run: git push"}
    assert needs.lines() == ["permissions:", "  contents: write # run: git push"]


def test_gh_pr_create_needs_pull_requests_write() -> None:
    needs = _needs("steps:\n  - run: gh pr create --fill\n    env:\n      GH_TOKEN: ${{ github.token }}\n")
    assert needs.scopes == {"pull-requests": "write"}
    assert needs.reasons == {"pull-requests": "run: gh pr create"}
    assert needs.unknown == []


def test_write_wins_over_read_and_keeps_its_own_reason() -> None:
    needs = _needs("steps:\n  - uses: actions/checkout@v4\n  - run: git push\n  - uses: actions/checkout@v4\n")
    assert needs.scopes == {"contents": "write"}
    assert needs.reasons == {"contents": "run: git push"}


def test_lines_and_flow_list_scopes_in_sorted_order() -> None:
    needs = _needs("steps:\n  - run: gh pr create\n  - run: git push\n")
    assert needs.lines() == [
        "permissions:",
        "  contents: write # run: git push",
        "  pull-requests: write # run: gh pr create",
    ]
    assert needs.flow() == "{contents: write, pull-requests: write}"


def test_gh_api_with_the_token_is_unknown() -> None:
    needs = _needs("steps:\n  - run: gh api repos/o/r/issues\n    env:\n      GH_TOKEN: ${{ github.token }}\n")
    assert needs.scopes == {}
    assert needs.unknown == ["step 1 runs `gh api`: the REST or GraphQL endpoint called decides the scope"]


def test_gh_api_without_any_token_cannot_authenticate_and_needs_nothing() -> None:
    assert _needs("steps:\n  - run: gh api repos/o/r/issues\n").unknown == []


@pytest.mark.parametrize(
    "script",
    [
        "curl -u x:${{ github.token }} https://example.com",
        "echo ${{ secrets.GITHUB_TOKEN }} > token.txt",
        "./deploy.sh ${{ github.token }}",
    ],
)
def test_a_script_that_uses_the_token_inline_for_unknown_commands_is_unknown(script: str) -> None:
    needs = _needs(f"steps:\n  - run: {script}\n")
    assert len(needs.unknown) == 1, needs.unknown
    assert needs.unknown[0].startswith("step 1 runs `")
    assert needs.unknown[0].endswith("with the token, which scaffold's base does not know")


def test_the_token_in_the_jobs_env_makes_the_job_unknown() -> None:
    needs = _needs("env:\n  T: ${{ secrets.GITHUB_TOKEN }}\nsteps:\n  - run: make\n")
    assert needs.unknown == ["the job's env: hands the token to every step"]


def test_a_run_step_that_uses_the_token_for_unknown_commands_is_unknown() -> None:
    needs = _needs("steps:\n  - run: ./deploy.sh\n    env:\n      TOKEN: ${{ secrets.GITHUB_TOKEN }}\n")
    assert needs.unknown == ["step 1 runs `./deploy.sh` with the token, which scaffold's base does not know"]


def test_a_run_step_without_the_token_or_known_commands_needs_nothing() -> None:
    needs = _needs("steps:\n  - run: make test\n")
    assert needs.scopes == {}
    assert needs.unknown == []


def test_a_job_without_steps_needs_nothing() -> None:
    needs = _needs("runs-on: ubuntu-latest\n")
    assert (needs.scopes, needs.unknown) == ({}, [])


# pushes, the table ------------------------------------------------------------------------------------------------


def test_pushes() -> None:
    assert pushes("stefanzweifel/git-auto-commit-action@v7")
    assert not pushes("actions/checkout@v4")
    assert not pushes("someone/unknown-action@v1")


def test_every_scope_in_the_table_is_read_or_write() -> None:
    knowledge = permissions._knowledge()
    scopes = []
    for entry in knowledge["actions"].values():
        scopes += list((entry.get("permissions") or {}).items())
        scopes += [item for condition in entry.get("when") or [] for item in condition["add"].items()]
    scopes += [item for pattern in knowledge["runs"] for item in (pattern.get("add") or {}).items()]
    assert scopes
    assert {level for _, level in scopes} <= {"read", "write"}


def test_every_run_pattern_in_the_table_compiles() -> None:
    for pattern in permissions._knowledge()["runs"]:
        re.compile(pattern["pattern"])
        assert ("add" in pattern) != ("unknown" in pattern)
