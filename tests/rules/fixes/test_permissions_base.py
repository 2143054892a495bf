"""scaffold/data/permissions.yml as a knowledge base: inputs that change an action's needs, which token an action is
handed, run: commands that use the token or the git remote, and the safety of the excessive-permissions fix built on
it (never a safe fix that drops a scope a step uses)."""

from __future__ import annotations

import re

import pytest

from scaffold.rules import yaml_view
from scaffold.rules.document import Document
from scaffold.rules.fixes import permissions
from scaffold.rules.fixes.model import Fix, Safety
from scaffold.rules.fixes.permissions import JobNeeds, job_needs
from scaffold.rules.github import excessive_permissions
from scaffold.rules.kinds import classify

ALLOWED_SCOPES = {
    "actions",
    "attestations",
    "checks",
    "contents",
    "deployments",
    "discussions",
    "id-token",
    "issues",
    "packages",
    "pages",
    "pull-requests",
    "security-events",
    "statuses",
}


def _needs(text: str) -> JobNeeds:
    node = yaml_view.parse(text)
    assert node is not None
    return job_needs(node)


def _step(uses: str, inputs: dict[str, str] | None = None) -> str:
    lines = [f"steps:\n  - uses: {uses}\n"]
    if inputs:
        lines.append("    with:\n" + "".join(f"      {key}: {value}\n" for key, value in inputs.items()))
    return "".join(lines)


# the table itself ---------------------------------------------------------------------------------------------------


def test_every_action_entry_names_its_source_and_only_allowed_fields_and_scopes() -> None:
    fields = {"permissions", "token", "token_inputs", "token_env", "pushes", "when", "script_input", "unknown"}
    fields |= {"source", "exact"}
    for name, entry in permissions._knowledge()["actions"].items():
        assert re.fullmatch(r"[\w.-]+/[\w.-]+(?:/[\w./-]+)?", name), name
        assert set(entry) <= fields, name
        assert "tag" in entry["source"] or "branch" in entry["source"], name
        assert ("permissions" in entry) != ("unknown" in entry), name
        scopes = dict(entry.get("permissions") or {})
        for condition in entry.get("when") or []:
            assert ("input" in condition) != ("env" in condition), name
            assert len({"contains", "equals", "absent", "present"} & set(condition)) == 1, name
            scopes.update(condition["add"])
        assert set(scopes) <= ALLOWED_SCOPES, name
        token = entry.get("token")
        assert token is None or set(token) in ({"input"}, {"input", "default"}, {"env"}), name


def test_the_table_covers_the_most_used_actions() -> None:
    expected = [
        "actions/checkout",
        "actions/deploy-pages",
        "actions/configure-pages",
        "actions/upload-pages-artifact",
        "peaceiris/actions-gh-pages",
        "JamesIves/github-pages-deploy-action",
        "softprops/action-gh-release",
        "ncipollo/release-action",
        "release-drafter/release-drafter",
        "changesets/action",
        "marocchino/sticky-pull-request-comment",
        "dorny/paths-filter",
        "EndBug/add-and-commit",
        "astral-sh/setup-uv",
        "dtolnay/rust-toolchain",
        "Swatinem/rust-cache",
        "pnpm/action-setup",
        "oven-sh/setup-bun",
        "hashicorp/setup-terraform",
        "slackapi/slack-github-action",
    ]
    assert [name for name in expected if not permissions.known(f"{name}@v1")] == []
    assert len(permissions._knowledge()["actions"]) >= 100


def test_every_run_pattern_has_one_outcome_and_known_flags() -> None:
    for pattern in permissions._knowledge()["runs"]:
        re.compile(pattern["pattern"])
        assert ("add" in pattern) != ("unknown" in pattern), pattern["pattern"]
        assert set(pattern) <= {"pattern", "add", "unknown", "why", "tool", "needs_token", "unless"}
        assert pattern.get("tool") in (None, "git", "gh")
        assert set(pattern.get("add") or {}) <= ALLOWED_SCOPES
        if "unless" in pattern:
            re.compile(pattern["unless"])


# inputs that change the need ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("step", "scopes"),
    [
        (_step("aws-actions/configure-aws-credentials@v6", {"role-to-assume": "arn:x"}), {"id-token": "write"}),
        (_step("aws-actions/configure-aws-credentials@v6", {"aws-access-key-id": "${{ secrets.K }}"}), {}),
        (_step("google-github-actions/auth@v3", {"workload_identity_provider": "p"}), {"id-token": "write"}),
        (_step("google-github-actions/auth@v3", {"credentials_json": "${{ secrets.GCP }}"}), {}),
        (_step("azure/login@v3", {"client-id": "x", "tenant-id": "y"}), {"id-token": "write"}),
        (_step("azure/login@v3", {"creds": "${{ secrets.AZURE }}"}), {}),
        (_step("softprops/action-gh-release@v3"), {"contents": "write"}),
        (_step("softprops/action-gh-release@v3", {"token": "${{ secrets.RELEASE_PAT }}"}), {}),
        (
            _step("peaceiris/actions-gh-pages@v4", {"github_token": "${{ secrets.GITHUB_TOKEN }}"}),
            {"contents": "write"},
        ),
        (_step("peaceiris/actions-gh-pages@v4", {"deploy_key": "${{ secrets.KEY }}"}), {}),
        (_step("peaceiris/actions-gh-pages@v4", {"personal_token": "${{ secrets.PAT }}"}), {}),
        (_step("codecov/codecov-action@v5", {"use_oidc": "true"}), {"id-token": "write"}),
        (_step("codecov/codecov-action@v5", {"token": "${{ secrets.CODECOV_TOKEN }}"}), {}),
        (_step("pypa/gh-action-pypi-publish@release/v1"), {"id-token": "write"}),
        (_step("pypa/gh-action-pypi-publish@release/v1", {"password": "${{ secrets.PYPI }}"}), {}),
        (_step("actions/deploy-pages@v5"), {"id-token": "write", "pages": "write"}),
        # another token for the API still leaves the OIDC token to the job
        (_step("actions/deploy-pages@v5", {"token": "${{ secrets.PAT }}"}), {"id-token": "write"}),
        (
            _step("ncipollo/release-action@v1", {"discussionCategory": "Releases"}),
            {"contents": "write", "discussions": "write"},
        ),
        (_step("amannn/action-semantic-pull-request@v6"), {}),
        (
            _step("ossf/scorecard-action@v2", {"publish_results": "true"}),
            {"actions": "read", "checks": "read", "contents": "read", "id-token": "write", "issues": "read"}
            | {"pull-requests": "read"},
        ),
    ],
)
def test_inputs_change_what_an_action_needs(step: str, scopes: dict[str, str]) -> None:
    needs = _needs(step)
    assert needs.scopes == scopes
    assert needs.unknown == []


def test_an_action_reading_the_token_from_env_needs_its_scopes_only_when_given_it() -> None:
    given = _needs(
        "steps:\n  - uses: amannn/action-semantic-pull-request@v6\n    env:\n      GITHUB_TOKEN: ${{ github.token }}\n"
    )
    assert given.scopes == {"pull-requests": "read"}
    assert given.unknown == []


def test_a_when_condition_on_an_environment_variable() -> None:
    needs = _needs(
        "steps:\n  - uses: super-linter/super-linter@v8\n    env:\n      GITHUB_TOKEN: ${{ secrets.GITHUB_TOKEN }}\n"
        "      ENABLE_GITHUB_PULL_REQUEST_SUMMARY_COMMENT: true\n"
    )
    assert needs.scopes == {
        "contents": "read",
        "issues": "write",
        "packages": "read",
        "pull-requests": "write",
        "statuses": "write",
    }


def test_github_script_and_goreleaser_are_unknown() -> None:
    assert (
        _needs(_step("actions/github-script@v8", {"script": "1"})).unknown[0].startswith("step 1 uses actions/github")
    )
    assert _needs(_step("goreleaser/goreleaser-action@v7")).unknown[0].startswith("step 1 uses goreleaser/")


def test_the_token_in_an_input_the_entry_does_not_cover_makes_the_step_unknown() -> None:
    needs = _needs(_step("hashicorp/setup-terraform@v4", {"cli_config_credentials_token": "${{ github.token }}"}))
    assert needs.unknown == [
        "step 1 gives hashicorp/setup-terraform the token in with: cli_config_credentials_token, "
        "which scaffold's base does not cover"
    ]


def test_an_action_that_pushes_needs_nothing_when_every_checkout_used_another_token() -> None:
    text = (
        "steps:\n  - uses: actions/checkout@v5\n    with:\n      token: ${{ secrets.BOT_PAT }}\n"
        "  - uses: EndBug/add-and-commit@v9\n"
    )
    assert _needs(text).scopes == {}
    assert _needs(text.replace("${{ secrets.BOT_PAT }}", "${{ github.token }}")).scopes == {"contents": "write"}


def test_a_script_input_is_read_like_a_run_step() -> None:
    needs = _needs(_step("nick-fields/retry@v4", {"command": "git push origin main"}))
    assert needs.scopes == {"contents": "write"}


# run: commands ------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("script", "env", "scopes"),
    [
        ("git tag v1 && git push --tags", "", {"contents": "write"}),
        ("git -C site push origin gh-pages", "", {"contents": "write"}),
        ("git fetch --tags", "", {"contents": "read"}),
        ("mkdocs gh-deploy --force", "", {"contents": "write"}),
        ("ghp-import -n -p -f _build/html", "", {"contents": "write"}),
        ("npx gh-pages -d dist", "", {"contents": "write"}),
        ("gh release create v1 dist/*", "GH_TOKEN: ${{ github.token }}", {"contents": "write"}),
        ("gh pr comment 1 --body hi", "GH_TOKEN: ${{ github.token }}", {"pull-requests": "write"}),
        (
            "gh pr merge --auto --squash $PR",
            "GH_TOKEN: ${{ github.token }}",
            {"contents": "write", "pull-requests": "write"},
        ),
        ("gh issue create -t x -b y", "GITHUB_TOKEN: ${{ secrets.GITHUB_TOKEN }}", {"issues": "write"}),
        ("gh workflow run deploy.yml", "GH_TOKEN: ${{ github.token }}", {"actions": "write"}),
        ("npm publish", "NODE_AUTH_TOKEN: ${{ secrets.GITHUB_TOKEN }}", {"packages": "write"}),
        ("npm publish", "NODE_AUTH_TOKEN: ${{ secrets.NPM_TOKEN }}", {}),
        ("docker push ghcr.io/o/app:1", "", {"packages": "write"}),
        ("./gradlew publish", "GITHUB_TOKEN: ${{ secrets.GITHUB_TOKEN }}", {"packages": "write"}),
        ("uv publish", "", {"id-token": "write"}),
        ("uv publish", "UV_PUBLISH_TOKEN: ${{ secrets.PYPI }}", {}),
        ("twine upload dist/*", "", {"id-token": "write"}),
        ("twine upload dist/*", "TWINE_PASSWORD: ${{ secrets.PYPI }}", {}),
        ("echo ${{ github.token }} | gh auth login --with-token", "", {}),
        ("make test", "", {}),
        ("echo $GH_TOKEN > /dev/null", "", {}),
    ],
)
def test_run_commands(script: str, env: str, scopes: dict[str, str]) -> None:
    text = f"steps:\n  - run: {script}\n" + (f"    env:\n      {env}\n" if env else "")
    needs = _needs(text)
    assert needs.scopes == scopes
    if "gh auth login" not in script:
        assert needs.unknown == []


def test_gh_with_another_token_needs_nothing_from_the_job_token() -> None:
    needs = _needs("steps:\n  - run: gh pr comment 1 --body hi\n    env:\n      GH_TOKEN: ${{ secrets.BOT }}\n")
    assert (needs.scopes, needs.unknown) == ({}, [])


def test_curl_to_the_api_with_the_token_is_unknown() -> None:
    command = 'curl -H "Authorization: Bearer $T" https://api.github.com/repos/o/r/dispatches'
    needs = _needs(f"steps:\n  - run: >-\n      {command}\n    env:\n      T: ${{{{ github.token }}}}\n")
    assert needs.unknown == [
        'step 1 runs `curl -H "Authorization: Bearer $T" https://api.github.com`: '
        "the REST endpoint called decides the scope"
    ]


def test_a_known_command_next_to_an_unknown_one_that_gets_the_token_is_unknown() -> None:
    needs = _needs(
        "steps:\n  - run: |\n      gh release create v1\n      python scripts/announce.py\n"
        "    env:\n      GH_TOKEN: ${{ github.token }}\n"
    )
    assert needs.scopes == {"contents": "write"}
    assert needs.unknown == [
        "step 1 runs `python scripts/announce.py` with the token, which scaffold's base does not know"
    ]


def test_inert_lines_next_to_a_known_command_keep_the_step_known() -> None:
    needs = _needs(
        "steps:\n  - run: |\n      set -euo pipefail\n      cd dist && ls\n      VERSION=1 # the tag\n"
        "      gh release upload v1 *.tgz --clobber\n      git config user.name bot\n"
        "    env:\n      GH_TOKEN: ${{ github.token }}\n"
    )
    assert needs.scopes == {"contents": "write"}
    assert needs.unknown == []


def test_a_run_step_that_does_not_touch_the_token_or_the_remote_needs_nothing() -> None:
    needs = _needs("steps:\n  - uses: actions/checkout@v5\n  - run: |\n      pip install -e .\n      pytest\n")
    assert needs.scopes == {"contents": "read"}
    assert needs.unknown == []


# the fix on top of the table ------------------------------------------------------------------------------------------

MKDOCS = """\
on:
  push:
    branches: [main]
jobs:
  deploy:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v5
      - uses: actions/setup-python@v6
        with:
          python-version: "3.12"
      - run: pip install mkdocs-material
      - run: mkdocs gh-deploy --force
"""


def _fixes(text: str) -> list[Fix]:
    kind = classify(".github/workflows/docs.yml")
    assert kind is not None
    return [
        p for p in excessive_permissions.fix(Document(".github/workflows/docs.yml", kind, text)) if isinstance(p, Fix)
    ]


def test_the_mkdocs_gh_deploy_job_gets_contents_write_in_a_safe_fix() -> None:
    # the example: a safe fix once gave this job contents: read, and the deploy broke
    job, top = _fixes(MKDOCS)
    assert job.safety is Safety.SAFE
    assert job.message == "job deploy: permissions {contents: write}"
    assert "contents: write # run: mkdocs gh-deploy" in job.edits[0].replacement
    assert top.safety is Safety.SAFE


def test_a_job_with_a_step_the_base_does_not_know_gets_an_unsafe_fix_naming_the_step() -> None:
    job, top = _fixes(MKDOCS.replace("actions/setup-python@v6", "foo/bar@v1"))
    assert job.safety is Safety.UNSAFE
    assert job.risk == "step 2 uses foo/bar@v1, which scaffold's permissions base does not know"
    assert top.safety is Safety.UNSAFE


def test_no_safe_fix_drops_a_scope_a_known_step_uses() -> None:
    text = MKDOCS.replace(
        "      - run: mkdocs gh-deploy --force\n",
        "      - run: mkdocs gh-deploy --force\n"
        "      - uses: softprops/action-gh-release@v3\n"
        "      - uses: marocchino/sticky-pull-request-comment@v3\n",
    )
    job, _ = _fixes(text)
    assert job.safety is Safety.SAFE
    assert job.message == "job deploy: permissions {contents: write, pull-requests: write}"
