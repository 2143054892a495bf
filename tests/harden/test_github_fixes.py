"""The fixes of the GitHub workflow rules, run through the harden engine on small inline workflows, and the
engine's own behaviour (suppressions, config, untouched files, idempotence, overlapping and breaking fixes)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from pathlib import Path

import pytest
import yaml

from scaffold.harden.engine import FileResult, harden_document
from scaffold.harden.runner import harden_tree
from scaffold.kit.pins import load_pins
from scaffold.rules.catalog import REGISTRY
from scaffold.rules.config import AuditConfig
from scaffold.rules.document import Document
from scaffold.rules.fixes import action_refs
from scaffold.rules.fixes.model import Fix, Proposal, Safety, TextEdit, Unfixable
from scaffold.rules.kinds import classify
from scaffold.rules.model import Confidence, Hit, Kind, Severity
from scaffold.rules.registry import Rule

WORKFLOW = ".github/workflows/ci.yml"

# From scaffold/data/action-refs.yml (checked against the table below).
CHECKOUT_V4 = "11d5960a326750d5838078e36cf38b85af677262"
CHECKOUT_V7 = "3d3c42e5aac5ba805825da76410c181273ba90b1"
SETUP_PYTHON_V6 = "ece7cb06caefa5fff74198d8649806c4678c61a1"
CODEQL_V4 = "8aad20d150bbac5944a9f9d289da16a4b0d87c1e"
PINNED_CHECKOUT = f"actions/checkout@{CHECKOUT_V4} # v4.4.0"


def _document(text: str, path: str = WORKFLOW) -> Document:
    kind = classify(path)
    assert kind is not None
    return Document(path, kind, text)


def _rule(rule_id: str) -> Rule:
    return next(rule for rule in REGISTRY if rule.id == rule_id)


def _harden(text: str, *rule_ids: str, level: Safety = Safety.SAFE, config: AuditConfig | None = None) -> FileResult:
    rules = [_rule(rule_id) for rule_id in rule_ids] if rule_ids else REGISTRY
    return harden_document(_document(text), level, config, rules)


def _proposals(text: str, rule_id: str) -> list[Proposal]:
    fix = _rule(rule_id).fix
    assert fix is not None
    return list(fix(_document(text)))


def _rules_of(result: FileResult) -> list[str]:
    return [change.rule for change in result.applied]


def test_the_shas_used_here_are_the_ones_in_the_table() -> None:
    for repo, ref, sha, version in [
        ("actions/checkout", "v4", CHECKOUT_V4, "v4.4.0"),
        ("actions/checkout", "v7", CHECKOUT_V7, "v7.0.1"),
        ("actions/setup-python", "v6", SETUP_PYTHON_V6, "v6.3.0"),
        ("github/codeql-action", "v4", CODEQL_V4, "v4.36.2"),
    ]:
        resolved = action_refs.lookup(repo, ref)
        assert resolved is not None
        assert (resolved.sha, resolved.version) == (sha, version)


# unpinned-uses ------------------------------------------------------------------------------------------------

UNPINNED = """\
on: push
jobs:
  build:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - run: make
"""


def test_unpinned_uses_pins_a_tag_to_its_sha_with_the_version_in_a_comment() -> None:
    result = _harden(UNPINNED, "unpinned-uses")
    assert result.after == UNPINNED.replace("actions/checkout@v4", PINNED_CHECKOUT)
    assert [(change.line, change.safety) for change in result.applied] == [(6, Safety.SAFE)]
    assert result.held == []
    assert result.notes == []


def test_unpinned_uses_keeps_double_quotes_and_puts_the_comment_after_them() -> None:
    text = UNPINNED.replace("actions/checkout@v4", '"actions/checkout@v4"')
    after = _harden(text, "unpinned-uses").after
    assert after == UNPINNED.replace("actions/checkout@v4", f'"actions/checkout@{CHECKOUT_V4}" # v4.4.0')


def test_unpinned_uses_keeps_single_quotes() -> None:
    text = UNPINNED.replace("actions/checkout@v4", "'actions/checkout@v4'")
    after = _harden(text, "unpinned-uses").after
    assert after == UNPINNED.replace("actions/checkout@v4", f"'actions/checkout@{CHECKOUT_V4}' # v4.4.0")


def test_unpinned_uses_keeps_an_existing_comment_after_the_version_comment() -> None:
    text = UNPINNED.replace("actions/checkout@v4", "actions/checkout@v4  # the repository")
    after = _harden(text, "unpinned-uses").after
    assert after == UNPINNED.replace("actions/checkout@v4", f"{PINNED_CHECKOUT}  # the repository")


def test_unpinned_uses_pins_an_action_in_a_subfolder_by_its_repository() -> None:
    text = UNPINNED.replace("actions/checkout@v4", "github/codeql-action/init@v4")
    after = _harden(text, "unpinned-uses").after
    assert after == UNPINNED.replace("actions/checkout@v4", f"github/codeql-action/init@{CODEQL_V4} # v4.36.2")


def test_unpinned_uses_in_a_flow_mapping_step_gets_no_comment_inside_the_braces() -> None:
    text = UNPINNED.replace("- uses: actions/checkout@v4", "- {uses: actions/checkout@v4, with: {fetch-depth: 0}}")
    after = _harden(text, "unpinned-uses").after
    expected = f"- {{uses: actions/checkout@{CHECKOUT_V4}, with: {{fetch-depth: 0}}}}"
    assert after == UNPINNED.replace("- uses: actions/checkout@v4", expected)


@pytest.mark.parametrize("ref", ["actions/cache@v99", "actions/checkout@main", "someone/unknown-action@v1"])
def test_unpinned_uses_with_an_unknown_ref_is_unfixable_and_left_alone(ref: str) -> None:
    text = UNPINNED.replace("actions/checkout@v4", ref)
    result = _harden(text, "unpinned-uses")
    assert result.after == text
    assert not result.changed
    assert result.applied == []
    assert [(note.line, note.rule) for note in result.notes] == [(6, "unpinned-uses")]
    assert result.notes[0].message.startswith(f"{ref}: ")
    assert all(isinstance(proposal, Unfixable) for proposal in _proposals(text, "unpinned-uses"))


@pytest.mark.parametrize(
    "uses",
    [
        f"actions/checkout@{CHECKOUT_V4} # v4.4.0",
        f"actions/checkout@{CHECKOUT_V4}",
        "./.github/actions/local",
    ],
)
def test_unpinned_uses_proposes_nothing_for_a_pinned_or_local_ref(uses: str) -> None:
    assert _proposals(UNPINNED.replace("actions/checkout@v4", uses), "unpinned-uses") == []


def test_unpinned_uses_pins_a_kit_pin_version() -> None:
    text = UNPINNED.replace("actions/checkout@v4", "actions/checkout@v7.0.1")
    after = _harden(text, "unpinned-uses").after
    assert after == UNPINNED.replace("actions/checkout@v4", f"actions/checkout@{CHECKOUT_V7} # v7.0.1")


def test_every_kit_pin_resolves_to_its_sha() -> None:
    for pin in load_pins().actions.values():
        resolved = action_refs.lookup(pin.repo, pin.version)
        assert resolved is not None, pin.name
        assert resolved.sha == pin.sha


def test_a_kit_pin_missing_from_the_refs_table_is_taken_from_pins_yml(monkeypatch: pytest.MonkeyPatch) -> None:
    real = (Path(action_refs.__file__).parents[2] / "data" / "action-refs.yml").read_text(encoding="utf-8")
    data = yaml.safe_load(real)
    del data["actions"]["actions/checkout"]["refs"]["v7.0.1"]
    pin = load_pins().action("checkout")
    assert (pin.repo, pin.version) == ("actions/checkout", "v7.0.1")
    try:
        with monkeypatch.context() as patch:
            patch.setattr(action_refs, "shipped_yaml", lambda name: data if name == "data/action-refs.yml" else None)
            action_refs._table.cache_clear()
            resolved = action_refs.lookup("actions/checkout", "v7.0.1")
            fallback_v7 = action_refs.lookup("actions/checkout", "v7")
    finally:
        action_refs._table.cache_clear()
    assert resolved is not None
    assert (resolved.sha, resolved.version, resolved.verified) == (pin.sha, "v7.0.1", pin.verified)
    assert fallback_v7 is not None  # the rest of the table was still read
    assert action_refs.lookup("actions/checkout", "v7.0.1") is not None


def test_unpinned_uses_pins_a_reusable_workflow_call_only_when_the_table_knows_it() -> None:
    text = "on: push\njobs:\n  call:\n    uses: octo/repo/.github/workflows/build.yml@v1\n"
    result = _harden(text, "unpinned-uses")
    assert result.after == text
    assert [note.line for note in result.notes] == [4]


# excessive-permissions ----------------------------------------------------------------------------------------

CHECKOUT_AND_RUN = f"""\
on: push

jobs:
  test:
    runs-on: ubuntu-latest
    steps:
      - uses: {PINNED_CHECKOUT}
      - run: make test
"""


def test_permissions_for_a_checkout_job_are_contents_read_and_the_top_level_is_empty() -> None:
    result = _harden(CHECKOUT_AND_RUN, "excessive-permissions")
    assert result.after == (
        "on: push\n"
        "\n"
        "permissions: {}\n"
        "\n"
        "jobs:\n"
        "  test:\n"
        "    runs-on: ubuntu-latest\n"
        "    permissions:\n"
        "      contents: read # actions/checkout\n"
        "    steps:\n"
        f"      - uses: {PINNED_CHECKOUT}\n"
        "      - run: make test\n"
    )
    assert [(change.line, change.safety) for change in result.applied] == [(3, Safety.SAFE), (4, Safety.SAFE)]
    assert result.held == []


UNKNOWN_ACTION = """\
on: push
jobs:
  test:
    runs-on: ubuntu-latest
    steps:
      - uses: someone/unknown-action@v1
      - run: make test
"""


def test_permissions_for_a_job_with_an_unknown_action_are_unsafe_and_held_under_safe() -> None:
    result = _harden(UNKNOWN_ACTION, "excessive-permissions")
    assert result.after == UNKNOWN_ACTION
    assert not result.changed
    assert result.applied == []
    assert [(change.line, change.safety) for change in result.held] == [(2, Safety.UNSAFE), (3, Safety.UNSAFE)]
    assert all(change.risk for change in result.held)
    assert "someone/unknown-action" in result.held[1].risk
    assert "test" in result.held[0].risk


def test_permissions_for_a_job_with_an_unknown_action_are_applied_under_unsafe() -> None:
    result = _harden(UNKNOWN_ACTION, "excessive-permissions", level=Safety.UNSAFE)
    assert result.after == (
        "on: push\n"
        "permissions: {}\n"
        "jobs:\n"
        "  test:\n"
        "    runs-on: ubuntu-latest\n"
        "    permissions: {}\n"
        "    steps:\n"
        "      - uses: someone/unknown-action@v1\n"
        "      - run: make test\n"
    )
    assert [change.safety for change in result.applied] == [Safety.UNSAFE, Safety.UNSAFE]
    assert result.held == []


def test_a_job_with_write_all_gets_a_flow_mapping_of_what_its_steps_need() -> None:
    text = (
        "on: push\n"
        "jobs:\n"
        "  release:\n"
        "    runs-on: ubuntu-latest\n"
        "    permissions: write-all\n"
        "    steps:\n"
        "      - run: git push origin v1\n"
        "      - run: gh pr create --fill\n"
    )
    result = _harden(text, "excessive-permissions")  # git push and gh pr create are known: the fix is safe
    assert result.held == []
    assert result.after == (
        "on: push\n"
        "permissions: {}\n"
        "jobs:\n"
        "  release:\n"
        "    runs-on: ubuntu-latest\n"
        "    permissions: {contents: write, pull-requests: write}\n"
        "    steps:\n"
        "      - run: git push origin v1\n"
        "      - run: gh pr create --fill\n"
    )
    assert [(change.line, change.safety) for change in result.applied] == [(2, Safety.SAFE), (5, Safety.SAFE)]


def test_a_job_with_read_all_and_nothing_needed_gets_an_empty_flow_mapping() -> None:
    text = "on: push\njobs:\n  t:\n    runs-on: x\n    permissions: read-all # broad\n    steps:\n      - run: make\n"
    result = _harden(text, "excessive-permissions")
    assert result.after == (
        "on: push\npermissions: {}\njobs:\n  t:\n    runs-on: x\n    permissions: {} # broad\n    steps:\n"
        "      - run: make\n"
    )


def test_top_level_write_all_becomes_empty_and_the_job_gets_its_needs() -> None:
    text = "on: push\npermissions: write-all\njobs:\n  t:\n    runs-on: x\n    steps:\n      - run: git push\n"
    result = _harden(text, "excessive-permissions", level=Safety.UNSAFE)
    assert result.after == (
        "on: push\npermissions: {}\njobs:\n  t:\n    runs-on: x\n    permissions:\n"
        "      contents: write # run: git push\n    steps:\n      - run: git push\n"
    )


def test_a_job_with_write_all_is_fixed_when_the_top_level_already_has_a_mapping() -> None:
    text = (
        "on: push\npermissions: {}\njobs:\n  t:\n    runs-on: x\n    permissions: write-all\n    steps:\n"
        "      - run: git push\n"
    )
    result = _harden(text, "excessive-permissions", level=Safety.UNSAFE)
    assert result.after == text.replace("permissions: write-all", "permissions: {contents: write}")


def test_a_top_level_mapping_with_a_write_scope_is_unfixable() -> None:
    text = "on: push\npermissions:\n  contents: write\njobs:\n  t:\n    runs-on: x\n    steps:\n      - run: make\n"
    result = _harden(text, "excessive-permissions", level=Safety.UNSAFE)
    assert result.after == text
    assert [(note.line, note.rule) for note in result.notes] == [(3, "excessive-permissions")]
    assert result.applied == result.held == []


def test_a_job_with_its_own_permissions_mapping_is_left_alone() -> None:
    text = (
        "on: push\njobs:\n  t:\n    runs-on: x\n    permissions:\n      contents: read\n    steps:\n      - run: make\n"
    )
    result = _harden(text, "excessive-permissions")
    assert result.after == "on: push\npermissions: {}\n" + text.removeprefix("on: push\n")
    assert [change.line for change in result.applied] == [2]


def test_run_git_push_needs_contents_write() -> None:
    text = CHECKOUT_AND_RUN.replace("make test", "git push")
    result = _harden(text, "excessive-permissions")  # a known command: the safe fix grants what it needs
    assert result.held == []
    after = result.after
    assert "    permissions:\n      contents: write # run: git push\n    steps:\n" in after


def test_run_gh_pr_create_needs_pull_requests_write() -> None:
    text = CHECKOUT_AND_RUN.replace("make test", "gh pr create --fill")
    after = _harden(text, "excessive-permissions", level=Safety.UNSAFE).after
    assert (
        "    permissions:\n      contents: read # actions/checkout\n"
        "      pull-requests: write # run: gh pr create\n    steps:\n"
    ) in after


def test_permissions_in_a_four_space_workflow_use_four_spaces() -> None:
    text = (
        "on: push\n"
        "jobs:\n"
        "    test:\n"
        "        runs-on: ubuntu-latest\n"
        "        steps:\n"
        f"            - uses: {PINNED_CHECKOUT}\n"
    )
    after = _harden(text, "excessive-permissions").after
    assert "        permissions:\n            contents: read # actions/checkout\n        steps:\n" in after


# artipacked ---------------------------------------------------------------------------------------------------


def test_artipacked_adds_a_with_block_at_the_steps_indentation() -> None:
    result = _harden(CHECKOUT_AND_RUN, "artipacked")
    assert result.after == CHECKOUT_AND_RUN.replace(
        f"      - uses: {PINNED_CHECKOUT}\n",
        f"      - uses: {PINNED_CHECKOUT}\n        with:\n          persist-credentials: false\n",
    )
    assert [(change.line, change.safety, change.risk) for change in result.applied] == [(7, Safety.SAFE, "")]


def test_artipacked_appends_to_an_existing_with_block() -> None:
    text = CHECKOUT_AND_RUN.replace(
        f"      - uses: {PINNED_CHECKOUT}\n",
        f"      - uses: {PINNED_CHECKOUT}\n        with:\n          fetch-depth: 0\n",
    )
    after = _harden(text, "artipacked").after
    assert after == text.replace(
        "          fetch-depth: 0\n", "          fetch-depth: 0\n          persist-credentials: false\n"
    )


def test_artipacked_on_a_step_whose_with_comes_first() -> None:
    text = (
        "on: push\njobs:\n  t:\n    runs-on: x\n    steps:\n"
        "      - name: check out\n"
        f"        uses: {PINNED_CHECKOUT}\n"
        "      - run: make\n"
    )
    after = _harden(text, "artipacked").after
    assert after == text.replace(
        f"        uses: {PINNED_CHECKOUT}\n",
        f"        uses: {PINNED_CHECKOUT}\n        with:\n          persist-credentials: false\n",
    )


@pytest.mark.parametrize(
    ("later", "risk"),
    [
        ("- run: git push origin HEAD", "a later step runs 'git push' with the stored credentials"),
        (
            "- uses: stefanzweifel/git-auto-commit-action@v7",
            "a later step, stefanzweifel/git-auto-commit-action@v7, may push with the stored credentials",
        ),
    ],
)
def test_artipacked_is_unsafe_when_a_later_step_pushes(later: str, risk: str) -> None:
    text = CHECKOUT_AND_RUN.replace("- run: make test", later)
    held = _harden(text, "artipacked")
    assert held.after == text
    assert [(change.safety, change.risk) for change in held.held] == [(Safety.UNSAFE, risk)]
    applied = _harden(text, "artipacked", level=Safety.UNSAFE)
    assert "        with:\n          persist-credentials: false\n" in applied.after
    assert [change.risk for change in applied.applied] == [risk]


def test_artipacked_ignores_git_commands_before_the_checkout() -> None:
    text = CHECKOUT_AND_RUN.replace(f"      - uses: {PINNED_CHECKOUT}\n", "") + f"      - uses: {PINNED_CHECKOUT}\n"
    text = text.replace("make test", "git fetch")
    result = _harden(text, "artipacked")
    assert [change.safety for change in result.applied] == [Safety.SAFE]


def test_artipacked_leaves_persist_credentials_true_as_unfixable() -> None:
    text = CHECKOUT_AND_RUN.replace(
        f"      - uses: {PINNED_CHECKOUT}\n",
        f"      - uses: {PINNED_CHECKOUT}\n        with:\n          persist-credentials: true\n",
    )
    result = _harden(text, "artipacked", level=Safety.UNSAFE)
    assert result.after == text
    assert [(note.line, note.rule) for note in result.notes] == [(9, "artipacked")]


def test_artipacked_proposes_nothing_when_persist_credentials_is_false() -> None:
    text = CHECKOUT_AND_RUN.replace(
        f"      - uses: {PINNED_CHECKOUT}\n",
        f"      - uses: {PINNED_CHECKOUT}\n        with:\n          persist-credentials: false\n",
    )
    assert _proposals(text, "artipacked") == []


def test_artipacked_with_a_flow_mapping_with_is_unfixable() -> None:
    text = CHECKOUT_AND_RUN.replace(
        f"      - uses: {PINNED_CHECKOUT}\n",
        f"      - uses: {PINNED_CHECKOUT}\n        with: {{fetch-depth: 0}}\n",
    )
    result = _harden(text, "artipacked")
    assert result.after == text
    assert [note.rule for note in result.notes] == ["artipacked"]


def test_artipacked_in_a_four_space_workflow_uses_four_spaces() -> None:
    text = (
        "on: push\n"
        "jobs:\n"
        "    test:\n"
        "        runs-on: ubuntu-latest\n"
        "        steps:\n"
        f"            -   uses: {PINNED_CHECKOUT}\n"
        "            -   run: make\n"
    )
    after = _harden(text, "artipacked").after
    assert after == text.replace(
        f"            -   uses: {PINNED_CHECKOUT}\n",
        f"            -   uses: {PINNED_CHECKOUT}\n"
        "                with:\n"
        "                    persist-credentials: false\n",
    )


# template-injection -------------------------------------------------------------------------------------------


def _injection(run: str, *, job: str = "    runs-on: ubuntu-latest\n", step: str = "", top: str = "") -> str:
    return f"on: issues\n{top}jobs:\n  triage:\n{job}    steps:\n      - {step}run: {run}\n"


def _fixed(text: str, level: Safety = Safety.SAFE) -> FileResult:
    return _harden(text, "template-injection", level=level)


def test_template_injection_in_double_quotes_moves_the_expression_to_env() -> None:
    text = _injection('echo "${{ github.event.issue.title }}"')
    result = _fixed(text)
    assert result.after == (
        "on: issues\njobs:\n  triage:\n    runs-on: ubuntu-latest\n    steps:\n"
        '      - run: echo "${ISSUE_TITLE}"\n'
        "        env:\n"
        "          ISSUE_TITLE: ${{ github.event.issue.title }}\n"
    )
    assert [(change.line, change.safety) for change in result.applied] == [(6, Safety.SAFE)]


def test_template_injection_unquoted_gets_double_quotes_as_an_unsafe_fix() -> None:
    """Unquoted, the value was split into words and globbed; quoted it is one word: that needs a review."""
    text = _injection("echo ${{ github.event.issue.title }}")
    held = _fixed(text)
    assert held.after == text
    assert [(change.safety, "split into words" in change.risk) for change in held.held] == [(Safety.UNSAFE, True)]
    after = _fixed(text, Safety.UNSAFE).after
    assert '      - run: echo "${ISSUE_TITLE}"\n' in after


def test_template_injection_at_the_start_of_a_plain_scalar_keeps_the_shell_quotes() -> None:
    text = _injection("${{ github.event.issue.title }}")
    after = _fixed(text).after
    script = yaml.safe_load(after)["jobs"]["triage"]["steps"][0]["run"]
    assert script == '"${ISSUE_TITLE}"' or after == text


def test_template_injection_inside_single_quotes_closes_and_reopens_them() -> None:
    after = _fixed(_injection("echo 'title ${{ github.event.issue.title }}!'")).after
    assert "      - run: echo 'title '\"${ISSUE_TITLE}\"'!'\n" in after


def test_template_injection_in_an_unquoted_heredoc_body_is_a_bare_variable() -> None:
    text = _injection("|\n          cat <<EOF\n          title: ${{ github.event.issue.title }}\n          EOF")
    after = _fixed(text).after
    assert after == (
        "on: issues\njobs:\n  triage:\n    runs-on: ubuntu-latest\n    steps:\n"
        "      - run: |\n"
        "          cat <<EOF\n"
        "          title: ${ISSUE_TITLE}\n"
        "          EOF\n"
        "        env:\n"
        "          ISSUE_TITLE: ${{ github.event.issue.title }}\n"
    )


@pytest.mark.parametrize("opener", ["<<'EOF'", '<<"EOF"', "<<\\EOF", "<<-'EOF'"])
def test_template_injection_in_a_quoted_heredoc_is_unfixable(opener: str) -> None:
    text = _injection(f"|\n          cat {opener}\n          ${{{{ github.event.issue.title }}}}\n          EOF")
    result = _fixed(text, Safety.UNSAFE)
    assert result.after == text
    assert [(note.line, note.rule) for note in result.notes] == [(8, "template-injection")]
    assert "heredoc" in result.notes[0].message


def test_template_injection_alone_on_a_heredoc_line_is_unsafe() -> None:
    """A value equal to the delimiter used to end the heredoc on that line; as a variable it cannot."""
    text = _injection("|\n          cat <<EOF\n          ${{ github.event.issue.title }}\n          EOF")
    result = _fixed(text, Safety.UNSAFE)
    assert "          ${ISSUE_TITLE}\n" in result.after
    assert [("delimiter" in change.risk) for change in result.applied] == [True]


def test_template_injection_with_shell_pwsh_uses_env_colon_as_an_unsafe_fix() -> None:
    text = _injection('Write-Host "${{ github.event.issue.title }}"', step="shell: pwsh\n        ")
    assert [change.safety for change in _fixed(text).held] == [Safety.UNSAFE]
    after = _fixed(text, Safety.UNSAFE).after
    assert after.endswith(
        "      - shell: pwsh\n"
        '        run: Write-Host "${env:ISSUE_TITLE}"\n'
        "        env:\n"
        "          ISSUE_TITLE: ${{ github.event.issue.title }}\n"
    )


def test_template_injection_with_shell_cmd_uses_percent_signs() -> None:
    after = _fixed(_injection("echo ${{ github.event.issue.title }}", step="shell: cmd\n        ")).after
    assert "        run: echo %ISSUE_TITLE%\n" in after


def test_template_injection_on_a_windows_runner_uses_the_pwsh_form() -> None:
    text = _injection('Write-Host "${{ github.event.issue.title }}"', job="    runs-on: windows-latest\n")
    after = _fixed(text, Safety.UNSAFE).after
    assert '      - run: Write-Host "${env:ISSUE_TITLE}"\n' in after


def test_template_injection_on_windows_with_a_bash_default_uses_the_posix_form() -> None:
    job = "    runs-on: windows-latest\n    defaults:\n      run:\n        shell: bash\n"
    after = _fixed(_injection('echo "${{ github.event.issue.title }}"', job=job)).after
    assert '      - run: echo "${ISSUE_TITLE}"\n' in after


def test_template_injection_with_a_matrix_of_windows_and_ubuntu_is_unfixable() -> None:
    job = "    strategy:\n      matrix:\n        os: [windows-latest, ubuntu-latest]\n    runs-on: ${{ matrix.os }}\n"
    text = _injection('echo "${{ github.event.issue.title }}"', job=job)
    result = _fixed(text, Safety.UNSAFE)
    assert result.after == text
    assert [(note.line, note.rule) for note in result.notes] == [(9, "template-injection")]


def test_template_injection_in_pwsh_single_quotes_is_unfixable() -> None:
    text = _injection("Write-Host '${{ github.event.issue.title }}'", step="shell: pwsh\n        ")
    result = _fixed(text, Safety.UNSAFE)
    assert result.after == text
    assert [note.rule for note in result.notes] == ["template-injection"]


def test_template_injection_of_an_input_is_named_after_the_context_path() -> None:
    after = _fixed(_injection("deploy ${{ inputs.target }}"), Safety.UNSAFE).after
    assert after.endswith(
        '      - run: deploy "${INPUTS_TARGET}"\n        env:\n          INPUTS_TARGET: ${{ inputs.target }}\n'
    )


def test_template_injection_of_an_env_context_reads_the_variable_without_a_new_entry() -> None:
    text = _injection('echo "${{ env.TITLE }}"', top="env:\n  TITLE: ${{ github.event.issue.title }}\n")
    result = _fixed(text)
    assert result.after == text.replace('echo "${{ env.TITLE }}"', 'echo "${TITLE}"')


def test_template_injection_leaves_safe_expressions_in_place() -> None:
    after = _fixed(_injection('echo "${{ github.sha }} ${{ github.head_ref }}"')).after
    assert '      - run: echo "${{ github.sha }} ${HEAD_REF}"\n' in after
    assert "          HEAD_REF: ${{ github.head_ref }}\n" in after


def test_template_injection_name_collision_gets_a_numbered_suffix() -> None:
    text = _injection('echo "${{ github.event.issue.title }}"', top="env:\n  ISSUE_TITLE: fixed\n")
    after = _fixed(text).after
    assert after.endswith(
        '      - run: echo "${ISSUE_TITLE_2}"\n        env:\n          ISSUE_TITLE_2: ${{ github.event.issue.title }}\n'
    )


def test_template_injection_appends_to_an_existing_step_env() -> None:
    text = (
        "on: issues\njobs:\n  t:\n    runs-on: x\n    steps:\n"
        '      - run: echo "${{ github.event.issue.title }}"\n'
        "        env:\n"
        "          OTHER: 1\n"
    )
    after = _fixed(text).after
    assert after == (
        "on: issues\njobs:\n  t:\n    runs-on: x\n    steps:\n"
        '      - run: echo "${ISSUE_TITLE}"\n'
        "        env:\n"
        "          OTHER: 1\n"
        "          ISSUE_TITLE: ${{ github.event.issue.title }}\n"
    )


def test_template_injection_reuses_a_name_that_already_holds_the_same_expression() -> None:
    text = _injection(
        'echo "${{ github.event.issue.title }}"', top="env:\n  ISSUE_TITLE: ${{ github.event.issue.title }}\n"
    )
    after = _fixed(text).after
    assert '      - run: echo "${ISSUE_TITLE}"\n' in after
    assert "ISSUE_TITLE_2" not in after


def test_template_injection_does_not_duplicate_an_existing_step_env_entry() -> None:
    text = (
        "on: issues\njobs:\n  t:\n    runs-on: x\n    steps:\n"
        '      - run: echo "${{ github.event.issue.title }}"\n'
        "        env:\n"
        "          ISSUE_TITLE: ${{ github.event.issue.title }}\n"
    )
    after = _fixed(text).after
    assert after == text.replace('echo "${{ github.event.issue.title }}"', 'echo "${ISSUE_TITLE}"')


def test_template_injection_repeated_expression_uses_one_variable() -> None:
    text = _injection('echo "${{ github.event.issue.title }}" ${{ github.event.issue.title }}')
    after = _fixed(text, Safety.UNSAFE).after
    assert '      - run: echo "${ISSUE_TITLE}" "${ISSUE_TITLE}"\n' in after
    assert after.count("ISSUE_TITLE: ${{ github.event.issue.title }}") == 1


def test_template_injection_of_more_than_a_context_path_is_unfixable() -> None:
    text = _injection("echo \"${{ format('{0}', github.event.issue.title) }}\"")
    result = _fixed(text, Safety.UNSAFE)
    assert result.after == text
    assert [note.rule for note in result.notes] == ["template-injection"]


def test_template_injection_in_github_script_is_unfixable() -> None:
    text = (
        "on: issues\njobs:\n  t:\n    runs-on: x\n    steps:\n"
        "      - uses: actions/github-script@v8\n"
        "        with:\n"
        "          script: console.log('${{ github.event.issue.title }}')\n"
    )
    result = _fixed(text, Safety.UNSAFE)
    assert result.after == text
    assert [(note.line, note.rule) for note in result.notes] == [(8, "template-injection")]


def test_template_injection_result_has_no_finding_for_the_fixed_step() -> None:
    text = (
        "on: issues\njobs:\n  t:\n    runs-on: x\n    steps:\n"
        '      - run: echo "${{ github.event.issue.title }}" > a\n'
        "      - run: |\n"
        "          echo ${{ github.event.issue.body }}\n"
        "          printf '%s' '${{ inputs.name }}'\n"
    )
    check = _rule("template-injection").check
    assert len(list(check(_document(text)))) == 3
    after = _fixed(text, Safety.UNSAFE).after
    assert list(check(_document(after))) == []


# missing-timeout, missing-concurrency -------------------------------------------------------------------------

PLAIN = """\
on: push

jobs:
  test:
    runs-on: ubuntu-latest
    steps:
      - run: make
"""


def test_missing_timeout_is_unsafe_and_inserts_sixty_minutes_before_steps() -> None:
    held = _harden(PLAIN, "missing-timeout")
    assert held.after == PLAIN
    assert [(change.line, change.safety) for change in held.held] == [(4, Safety.UNSAFE)]
    assert held.held[0].risk
    result = _harden(PLAIN, "missing-timeout", level=Safety.UNSAFE)
    assert result.after == PLAIN.replace("    steps:\n", "    timeout-minutes: 60\n    steps:\n")


def test_missing_timeout_without_steps_appends_to_the_job() -> None:
    text = "on: push\njobs:\n  test:\n    runs-on: ubuntu-latest\n    container: x\n"
    after = _harden(text, "missing-timeout", level=Safety.UNSAFE).after
    assert after == text + "    timeout-minutes: 60\n"


def test_missing_timeout_leaves_reusable_workflow_calls_and_reports_flow_jobs() -> None:
    text = "on: push\njobs:\n  call:\n    uses: ./.github/workflows/x.yml\n  flow: {runs-on: x, steps: [{run: a}]}\n"
    result = _harden(text, "missing-timeout", level=Safety.UNSAFE)
    assert result.after == text
    assert [(note.line, note.rule) for note in result.notes] == [(5, "missing-timeout")]


def test_missing_concurrency_is_unsafe_and_inserts_the_group_before_jobs() -> None:
    held = _harden(PLAIN, "missing-concurrency")
    assert held.after == PLAIN
    assert [change.safety for change in held.held] == [Safety.UNSAFE]
    result = _harden(PLAIN, "missing-concurrency", level=Safety.UNSAFE)
    assert result.after == (
        "on: push\n"
        "\n"
        "concurrency:\n"
        "  group: ${{ github.workflow }}-${{ github.ref }}\n"
        "  cancel-in-progress: ${{ github.event_name == 'pull_request' }}\n"
        "\n"
        "jobs:\n"
        "  test:\n"
        "    runs-on: ubuntu-latest\n"
        "    steps:\n"
        "      - run: make\n"
    )


def test_missing_concurrency_without_a_blank_line_before_jobs_adds_none() -> None:
    text = PLAIN.replace("on: push\n\n", "on: push\n")
    after = _harden(text, "missing-concurrency", level=Safety.UNSAFE).after
    assert after.startswith("on: push\nconcurrency:\n  group: ${{ github.workflow }}-${{ github.ref }}\n")
    assert "'pull_request' }}\njobs:\n" in after


def test_missing_concurrency_in_a_reusable_workflow_is_unfixable() -> None:
    text = "on:\n  workflow_call:\n  push:\njobs:\n  test:\n    runs-on: x\n    steps:\n      - run: make\n"
    result = _harden(text, "missing-concurrency", level=Safety.UNSAFE)
    assert result.after == text
    assert [(note.line, note.rule) for note in result.notes] == [(4, "missing-concurrency")]
    only_called = text.replace("  push:\n", "")
    called = _harden(only_called, "missing-concurrency", level=Safety.UNSAFE)
    assert (called.after, called.notes) == (only_called, [])  # it runs in its caller's group: nothing to report


def test_missing_concurrency_proposes_nothing_when_every_job_has_a_group() -> None:
    text = "on: push\njobs:\n  a:\n    concurrency: a\n    runs-on: x\n"
    assert _proposals(text, "missing-concurrency") == []


def test_concurrency_and_permissions_inserted_before_jobs_both_happen() -> None:
    result = _harden(PLAIN, "excessive-permissions", "missing-concurrency", level=Safety.UNSAFE)
    assert result.after.startswith("on: push\n\npermissions: {}\n\nconcurrency:\n")
    assert sorted(_rules_of(result)) == ["excessive-permissions", "excessive-permissions", "missing-concurrency"]


# the engine ---------------------------------------------------------------------------------------------------


def test_a_suppression_on_the_uses_line_stops_the_fix() -> None:
    text = UNPINNED.replace("actions/checkout@v4", "actions/checkout@v4 # scaffold: ignore[unpinned-uses] a fork")
    result = _harden(text, "unpinned-uses")
    assert result.after == text
    assert (result.applied, result.held, result.notes) == ([], [], [])


def test_a_suppression_on_the_line_above_stops_the_fix() -> None:
    text = UNPINNED.replace(
        "      - uses: actions/checkout@v4\n",
        "      # scaffold: ignore[unpinned-uses] vetted by hand\n      - uses: actions/checkout@v4\n",
    )
    assert _harden(text, "unpinned-uses").after == text


def test_a_suppression_without_a_reason_does_not_stop_the_fix() -> None:
    text = UNPINNED.replace("actions/checkout@v4", "actions/checkout@v4 # scaffold: ignore[unpinned-uses]")
    after = _harden(text, "unpinned-uses").after
    assert f"actions/checkout@{CHECKOUT_V4} # v4.4.0 # scaffold: ignore[unpinned-uses]" in after


def test_a_suppression_of_another_rule_does_not_stop_the_fix() -> None:
    text = UNPINNED.replace("actions/checkout@v4", "actions/checkout@v4 # scaffold: ignore[artipacked] fine")
    assert _harden(text, "unpinned-uses").changed


def test_a_disabled_rule_does_not_fix() -> None:
    config = AuditConfig(disabled=frozenset({"unpinned-uses"}))
    result = _harden(UNPINNED, "unpinned-uses", "artipacked", config=config)
    assert "unpinned-uses" not in _rules_of(result)
    assert "actions/checkout@v4\n" in result.after
    assert _rules_of(result) == ["artipacked"]


def test_selected_rules_only_fix() -> None:
    config = AuditConfig(selected=frozenset({"artipacked"}))
    assert _rules_of(_harden(UNPINNED, config=config, level=Safety.UNSAFE)) == ["artipacked"]


def test_min_severity_skips_lower_rules() -> None:
    config = AuditConfig(min_severity=Severity.HIGH)
    result = _harden(UNPINNED, config=config, level=Safety.UNSAFE)
    assert set(_rules_of(result)) == {"unpinned-uses", "excessive-permissions"}


HARDENED = f"""\
on: push
permissions: {{}}
concurrency:
  group: ${{{{ github.workflow }}}}-${{{{ github.ref }}}}
  cancel-in-progress: true
jobs:
  test:
    runs-on: ubuntu-latest
    timeout-minutes: 10
    permissions:
      contents: read
    steps:
      - uses: {PINNED_CHECKOUT}
        with:
          persist-credentials: false
      - run: make test
"""


def test_a_file_with_nothing_to_fix_comes_back_as_it_was() -> None:
    for level in Safety:
        result = _harden(HARDENED, level=level)
        assert result.after is HARDENED
        assert not result.changed
        assert (result.applied, result.held, result.notes) == ([], [], [])


NEEDS_EVERYTHING = """\
on: pull_request
jobs:
  test:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - uses: actions/setup-python@v6
        with:
          python-version: "3.13"
      - run: echo "${{ github.event.pull_request.title }}"
      - run: make test
"""


def test_a_workflow_that_needs_every_fix() -> None:
    result = _harden(NEEDS_EVERYTHING, level=Safety.UNSAFE)
    assert result.after == (
        "on: pull_request\n"
        "permissions: {}\n"
        "concurrency:\n"
        "  group: ${{ github.workflow }}-${{ github.ref }}\n"
        "  cancel-in-progress: ${{ github.event_name == 'pull_request' }}\n"
        "jobs:\n"
        "  test:\n"
        "    runs-on: ubuntu-latest\n"
        "    permissions:\n"
        "      contents: read # actions/checkout\n"
        "    timeout-minutes: 60\n"
        "    steps:\n"
        f"      - uses: {PINNED_CHECKOUT}\n"
        "        with:\n"
        "          persist-credentials: false\n"
        f"      - uses: actions/setup-python@{SETUP_PYTHON_V6} # v6.3.0\n"
        "        with:\n"
        '          python-version: "3.13"\n'
        '      - run: echo "${PULL_REQUEST_TITLE}"\n'
        "        env:\n"
        "          PULL_REQUEST_TITLE: ${{ github.event.pull_request.title }}\n"
        "      - run: make test\n"
    )
    assert sorted(set(_rules_of(result))) == [
        "artipacked",
        "excessive-permissions",
        "missing-concurrency",
        "missing-timeout",
        "template-injection",
        "unpinned-uses",
    ]
    assert result.held == result.notes == []


@pytest.mark.parametrize("level", list(Safety))
def test_a_second_run_changes_nothing(level: Safety) -> None:
    first = _harden(NEEDS_EVERYTHING, level=level)
    assert first.changed
    second = _harden(first.after, level=level)
    assert second.applied == []
    assert second.after == first.after
    assert not second.changed


def test_the_safe_level_holds_the_unsafe_fixes_of_a_workflow() -> None:
    result = _harden(NEEDS_EVERYTHING)
    assert {change.rule for change in result.held} == {"missing-timeout", "missing-concurrency"}
    assert all(change.safety is Safety.SAFE for change in result.applied)
    assert "timeout-minutes" not in result.after
    assert "concurrency:" not in result.after


def test_the_audit_finds_nothing_the_fixes_covered() -> None:
    after = _harden(NEEDS_EVERYTHING, level=Safety.UNSAFE).after
    for rule_id in (
        "unpinned-uses",
        "excessive-permissions",
        "artipacked",
        "template-injection",
        "missing-timeout",
        "missing-concurrency",
    ):
        assert list(_rule(rule_id).check(_document(after))) == [], rule_id


def _fake_rule(rule_id: str, proposals: Iterable[Proposal], finds: str = "on: push") -> Rule:
    """A rule whose check reports ``finds`` on line 1 while the file holds it, and whose fix proposes ``proposals``."""
    listed = list(proposals)

    def check(document: Document) -> Iterator[Hit]:
        return iter([Hit(1, 1, f"{rule_id}: {finds}")] if finds in document.text else [])

    def fix(document: Document) -> Iterator[Proposal]:
        return iter(listed)

    return Rule(rule_id, Severity.HIGH, Confidence.HIGH, frozenset({Kind.WORKFLOW}), check, "", fix, "safe")


def test_the_engine_notes_a_fix_that_overlaps_an_earlier_one() -> None:
    text = "on: push\njobs: {}\n"
    first = _fake_rule("first", [Fix(1, "rename", Safety.SAFE, (TextEdit(4, 8, "pull_request"),))])
    second = _fake_rule("second", [Fix(1, "rename too", Safety.SAFE, (TextEdit(4, 8, "workflow_dispatch"),))])
    result = harden_document(_document(text), Safety.SAFE, None, [first, second])
    assert result.after == "on: pull_request\njobs: {}\n"
    assert [change.rule for change in result.applied] == ["first"]
    assert [(note.rule, note.message) for note in result.notes] == [
        ("second", "rename too: overlaps another fix; run harden again")
    ]


def test_the_engine_drops_a_fix_after_which_the_file_would_not_parse() -> None:
    text = "on: push\njobs: {}\n"
    broken = _fake_rule("broken", [Fix(1, "break", Safety.SAFE, (TextEdit(0, 0, "a: [\n"),))])
    result = harden_document(_document(text), Safety.SAFE, None, [broken])
    assert result.after == text
    assert result.applied == []
    assert [note.message for note in result.notes] == ["break: not made, the file would no longer parse"]


def test_the_engine_drops_a_fix_the_re_audit_does_not_confirm() -> None:
    """A fix that reports its finding fixed while the edit landed elsewhere is dropped with a note."""
    text = "on: push\njobs: {}\n"
    elsewhere = _fake_rule("elsewhere", [Fix(1, "rename", Safety.SAFE, (TextEdit(9, 9, "# x\n"),))])
    result = harden_document(_document(text), Safety.SAFE, None, [elsewhere])
    assert result.after == text
    assert result.applied == []
    assert [note.message for note in result.notes] == ["rename: not made, the re-audit still finds what it fixes"]


def test_the_engine_drops_a_fix_whose_own_verification_fails() -> None:
    text = "on: push\njobs: {}\n"
    fix = Fix(1, "rename", Safety.SAFE, (TextEdit(4, 8, "pull_request"),), verify=lambda _: "it says no")
    result = harden_document(_document(text), Safety.SAFE, None, [_fake_rule("picky", [fix])])
    assert result.after == text
    assert [note.message for note in result.notes] == ["rename: not made, it says no"]


def test_the_engine_turns_a_fix_that_raises_into_a_note() -> None:
    def fix(document: Document) -> Iterator[Proposal]:
        raise RecursionError("deep")

    rule = Rule("crashy", Severity.HIGH, Confidence.HIGH, frozenset({Kind.WORKFLOW}), lambda d: iter(()), "", fix)
    result = harden_document(_document("on: push\njobs: {}\n"), Safety.SAFE, None, [rule])
    assert not result.changed
    assert [note.message for note in result.notes] == ["internal error in the fix (RecursionError: deep); fix by hand"]


def test_the_engine_keeps_the_fixes_that_parse_when_some_break_the_file() -> None:
    text = "on: push\njobs: {}\n"
    good = Fix(1, "rename", Safety.SAFE, (TextEdit(4, 8, "pull_request"),))
    broken = Fix(1, "break", Safety.SAFE, (TextEdit(0, 0, "a: [\n"),))
    result = harden_document(_document(text), Safety.SAFE, None, [_fake_rule("mixed", [broken, good])])
    assert result.after == "on: pull_request\njobs: {}\n"
    assert [note.message for note in result.notes] == ["break: not made, the file would no longer parse"]


def test_the_engine_skips_rules_of_other_kinds() -> None:
    text = "on: push\njobs: {}\n"
    rule = _fake_rule("docker-only", [Fix(1, "x", Safety.SAFE, (TextEdit(0, 0, "# x\n"),))])
    docker_rule = Rule(rule.id, rule.severity, rule.confidence, frozenset({Kind.DOCKERFILE}), rule.check, "", rule.fix)
    assert not harden_document(_document(text), Safety.SAFE, None, [docker_rule]).changed


def test_harden_tree_hardens_in_memory_files_and_reports_unparsable_ones() -> None:
    report = harden_tree(
        {
            WORKFLOW: UNPINNED,
            ".github/workflows/broken.yml": "on: [push\n",
            ".github/workflows/clean.yml": HARDENED,
            "README.md": "# not CI\n",
        }
    )
    assert [result.path for result in report.results] == [".github/workflows/ci.yml", ".github/workflows/clean.yml"]
    assert [result.path for result in report.changed] == [WORKFLOW]
    assert f"actions/checkout@{CHECKOUT_V4} # v4.4.0" in report.changed[0].after
    assert [error.path for error in report.errors] == [".github/workflows/broken.yml"]
    assert report.written == []
    assert report.left_to_do
