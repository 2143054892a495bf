"""template-injection's precision: values the file itself fixes are not injection, secrets and the event name are
graded low, and action inputs that are code are read like `run:` scripts."""

from __future__ import annotations

import pytest

from scaffold.rules.config import AuditConfig
from scaffold.rules.github.expressions import context_paths
from scaffold.rules.github.template_injection import CODE_INPUTS, unsafe_expressions
from scaffold.rules.model import Severity
from scaffold.rules.runner import audit_tree

RULE = "template-injection"


def _found(text: str, config: AuditConfig | None = None) -> list[tuple[int, str, str]]:
    """(line, severity, the expression's text) of each template-injection finding in a workflow."""
    report = audit_tree({".github/workflows/ci.yml": text}, config)
    assert report.errors == []
    return [
        (item.line, item.severity.label, item.message.split("${{", 1)[1].split("}}", 1)[0].strip())
        for item in report.findings
        if item.rule == RULE
    ]


def _job(body: str, *, top: str = "", job: str = "") -> str:
    return f"on: push\npermissions: {{}}\n{top}jobs:\n  build:\n    runs-on: ubuntu-24.04\n{job}    steps:\n{body}"


# what an expression reads ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("expression", "paths"),
    [
        (" github.event.issue.title ", ["github.event.issue.title"]),
        ("github.event_name == 'push' && secrets.A || 'x;y'", ["github.event_name", "secrets.A"]),
        ("fromJSON(steps.meta.outputs.json).tags", ["steps.meta.outputs.json"]),
        ("github.event['pull_request'].title", ["github.event.pull_request.title"]),
        ("matrix[inputs.key]", ["matrix[*]", "inputs.key"]),
        ("format('{0}', github.head_ref)", ["github.head_ref"]),
        ("github.event.commits[0].message", ["github.event.commits[0].message"]),
        ("toJSON(secrets)", ["secrets"]),
        ("1 == 2 || true", []),
        ("a $(b)", None),
    ],
)
def test_context_paths_reads_each_context_an_expression_reads(expression: str, paths: list[str] | None) -> None:
    assert context_paths(expression) == paths


# values fixed in the file ------------------------------------------------------------------------------------------

STATIC_MATRIX = "    strategy:\n      matrix:\n        python: ['3.12', '3.13']\n        os: [ubuntu-24.04]\n"


def test_a_literal_matrix_value_is_not_injection() -> None:
    assert _found(_job("      - run: tox -e py${{ matrix.python }}\n", job=STATIC_MATRIX)) == []


@pytest.mark.parametrize(
    "matrix",
    [
        "    strategy:\n      matrix:\n        python: ${{ fromJSON(needs.plan.outputs.versions) }}\n",
        "    strategy:\n      matrix: ${{ fromJSON(needs.plan.outputs.matrix) }}\n",
        "    strategy:\n      matrix:\n        python: ['3.12']\n        include: ${{ fromJSON(inputs.extra) }}\n",
        "    strategy:\n      matrix:\n        python: ['3.12', '$(id)']\n",
        "    strategy:\n      matrix:\n        python: ['3.12']\n        include:\n"
        "          - python: ${{ github.head_ref }}\n",
        "    strategy:\n      matrix:\n        os: [ubuntu-24.04]\n",  # python is never set: not known to be fixed
    ],
    ids=["dimension-from-json", "matrix-from-json", "include-from-json", "metacharacter", "include-expr", "unset"],
)
def test_a_matrix_value_the_file_does_not_fix_stays_high(matrix: str) -> None:
    found = _found(_job("      - run: tox -e py${{ matrix.python }}\n", job=matrix))
    assert found == [(matrix.count("\n") + 7, "high", "matrix.python")]


def test_a_nested_matrix_value_from_include_rows_is_fixed_when_every_row_is_literal() -> None:
    matrix = (
        "    strategy:\n      matrix:\n        include:\n"
        "          - target: {arch: x86_64, os: linux}\n          - target: {arch: aarch64, os: linux}\n"
    )
    assert _found(_job("      - run: make ARCH=${{ matrix.target.arch }}\n", job=matrix)) == []
    assert _found(_job("      - run: make ARCH=${{ matrix.target.libc }}\n", job=matrix)) != []


@pytest.mark.parametrize(
    ("top", "job", "step_env"),
    [
        ("env:\n  IMAGE: ghcr.io/acme/app\n", "", ""),
        ("", "    env:\n      IMAGE: ghcr.io/acme/app\n", ""),
        ("", "", "        env:\n          IMAGE: ghcr.io/acme/app\n"),
        ("env:\n  IMAGE: ghcr.io/${{ github.repository }}\n", "", ""),
    ],
    ids=["workflow", "job", "step", "from-fixed-context"],
)
def test_an_env_value_set_to_a_literal_is_not_injection(top: str, job: str, step_env: str) -> None:
    body = f"      - run: docker push ${{{{ env.IMAGE }}}}\n{step_env}"
    assert _found(_job(body, top=top, job=job)) == []


@pytest.mark.parametrize(
    ("top", "extra"),
    [
        ("env:\n  IMAGE: ${{ github.head_ref }}\n", ""),
        ("env:\n  IMAGE: acme;id\n", ""),
        ("", ""),  # set by nobody in the file
        ("env:\n  IMAGE: acme\n", '      - run: echo "IMAGE=$TITLE" >> "$GITHUB_ENV"\n'),
    ],
    ids=["from-untrusted-context", "metacharacter", "unset", "rewritten-through-github-env"],
)
def test_an_env_value_the_file_does_not_fix_stays_high(top: str, extra: str) -> None:
    found = _found(_job(f"{extra}      - run: docker push ${{{{ env.IMAGE }}}}\n", top=top))
    assert [(severity, expression) for _, severity, expression in found] == [("high", "env.IMAGE")]


def test_the_nearest_env_decides_a_step_env_from_an_untrusted_context_shadows_a_literal() -> None:
    body = "      - run: echo ${{ env.NAME }}\n        env:\n          NAME: ${{ github.event.issue.title }}\n"
    assert [severity for _, severity, _ in _found(_job(body, top="env:\n  NAME: fixed\n"))] == ["high"]


def test_a_step_output_set_from_a_literal_in_the_same_job_is_not_injection() -> None:
    body = (
        "      - id: meta\n"
        "        run: |\n"
        '          echo "channel=stable" >> "$GITHUB_OUTPUT"\n'
        "          echo tag=v1 >> $GITHUB_OUTPUT\n"
        "      - run: ./release ${{ steps.meta.outputs.channel }} ${{ steps.meta.outputs.tag }}\n"
    )
    assert _found(_job(body)) == []


@pytest.mark.parametrize(
    "setter",
    [
        '          echo "channel=$(git describe)" >> "$GITHUB_OUTPUT"\n',
        '          echo "channel=stable" >> "$GITHUB_OUTPUT"\n          echo "$MORE" >> "$GITHUB_OUTPUT"\n',
        '          echo "other=stable" >> "$GITHUB_OUTPUT"\n',
        "          echo '::set-output name=channel::stable'\n",
    ],
    ids=["computed", "another-write", "never-set", "set-output"],
)
def test_a_step_output_the_file_does_not_fix_stays_high(setter: str) -> None:
    body = f"      - id: meta\n        run: |\n{setter}      - run: ./release ${{{{ steps.meta.outputs.channel }}}}\n"
    assert [severity for _, severity, _ in _found(_job(body))] == ["high"]


def test_an_output_of_an_action_step_stays_high() -> None:
    body = (
        "      - id: meta\n        uses: docker/metadata-action@c299e40c65443455700f0fdfc63efafe5b349051\n"
        "      - run: echo ${{ steps.meta.outputs.tags }}\n"
    )
    assert [severity for _, severity, _ in _found(_job(body))] == ["high"]


# graded severity ---------------------------------------------------------------------------------------------------


def test_secrets_and_the_event_name_are_low_and_anything_worse_in_the_same_expression_is_high() -> None:
    body = (
        "      - run: |\n"
        "          deploy --token ${{ secrets.DEPLOY_TOKEN }} --event ${{ github.event_name }}\n"
        "          echo ${{ github.event_name == 'push' && github.token || 'none' }}\n"
        "          echo ${{ secrets.A || github.event.issue.title }}\n"
        "          echo ${{ github.sha }} ${{ github.event_name == 'push' && 'yes' || 'no' }}\n"
    )
    assert _found(_job(body)) == [
        (8, "low", "secrets.DEPLOY_TOKEN"),
        (8, "low", "github.event_name"),
        (9, "low", "github.event_name == 'push' && github.token || 'none'"),
        (10, "high", "secrets.A || github.event.issue.title"),
        (11, "low", "github.event_name == 'push' && 'yes' || 'no'"),
    ]


def test_a_minimum_severity_above_low_drops_only_the_low_findings() -> None:
    body = "      - run: echo ${{ secrets.A }} ${{ github.head_ref }}\n"
    found = _found(_job(body), AuditConfig(min_severity=Severity.MEDIUM))
    assert found == [(7, "high", "github.head_ref")]


def test_unsafe_expressions_read_alone_keep_what_the_file_might_fix_and_skip_what_cannot_carry_code() -> None:
    script = "echo ${{ matrix.os }} ${{ env.X }} ${{ secrets.A }} ${{ github.event_name }} ${{ github.head_ref }}"
    assert [item.strip() for item in unsafe_expressions(script)] == ["matrix.os", "env.X", "github.head_ref"]


# action inputs that are code ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("uses", "key"),
    [
        ("mikefarah/yq@v4", "cmd"),
        ("Amadevus/pwsh-script@v2", "script"),
        ("addnab/docker-run-action@v3", "run"),
        ("actions/github-script@v7", "script"),
        ("Azure/cli@v2", "inlineScript"),
    ],
)
def test_an_expression_in_an_action_input_that_is_code_is_injection(uses: str, key: str) -> None:
    body = f"      - uses: {uses}\n        with:\n          {key}: echo ${{{{ github.event.issue.title }}}}\n"
    assert _found(_job(body)) == [(9, "high", "github.event.issue.title")]


def test_other_inputs_of_those_actions_and_other_actions_are_data() -> None:
    body = (
        "      - uses: mikefarah/yq@v4\n        with:\n          version: ${{ github.event.issue.title }}\n"
        "      - uses: some/action@v1\n        with:\n          script: ${{ github.event.issue.title }}\n"
    )
    assert _found(_job(body)) == []


def test_every_code_input_says_where_it_is_documented() -> None:
    assert "mikefarah/yq" in CODE_INPUTS
    for action, (inputs, source) in CODE_INPUTS.items():
        assert action == action.lower() and inputs and all(item == item.lower() for item in inputs), action
        assert source.strip(), action
