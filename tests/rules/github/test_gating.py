"""What counts as switched off in a workflow: constant-false conditions, always-true continue-on-error, and shell
commands that cannot fail. Every reading is linear and takes any shape without raising."""

from __future__ import annotations

import re

import pytest

from scaffold.rules.common import shell_exit
from scaffold.rules.github import gating
from scaffold.rules.yaml_view import YNode, parse
from tests.support.hang_guard import hang_guard


def _value(text: str) -> YNode | None:
    root = parse(f"value: {text}\n")
    return root.get("value") if root is not None else None


@pytest.mark.parametrize(
    "condition",
    [
        "false",
        "${{ false }}",
        "0",
        "false && github.event_name == 'push'",
        "github.ref == 'refs/heads/main' && false",
        "(false)",
        "x && (false || 0)",
        "${{ (false) && x }}",
        "github.ref == 'a||b' && false",
        "FALSE",
        "${{ 1 == 2 }}",
        "${{ !!false }}",
        "${{ 'a' == 'b' }}",
        "${{ 'a' != 'A' }}",  # strings compare ignoring case
        "${{ 1 > 2 }}",
        "${{ '' }}",
        "${{ null }}",
        "${{ !(1 == 1) }}",
        "${{ 0x0 }}",
        "${{ 1 == '2' }}",  # mixed types compare as numbers
    ],
)
def test_constant_false_conditions(condition: str) -> None:
    assert gating.constant_false(_value(repr(condition) if "'" not in condition else f'"{condition}"'))


@pytest.mark.parametrize(
    "condition",
    [
        "true",
        "\"'false'\"",  # a non-empty string literal is true
        "x || false",
        "${{ false }} && x",  # text around ${{ }}: a non-empty string, always true
        "github.event_name == 'false'",
        "always()",
        "[false]",
        "{a: false}",
        "",
        "${{ 1 == 1 }}",
        "${{ !!true }}",
        "${{ 'a' == 'A' }}",
        "${{ 1 == '1' }}",
        "${{ github.ref == 'refs/heads/main' }}",
        "${{ startsWith(github.ref, 'refs/tags/') }}",
        "${{ 1 == }}",
        "${{ contains(fromJSON('[1, 2]'), 1) && false || true }}",
    ],
)
def test_conditions_that_may_be_true(condition: str) -> None:
    assert not gating.constant_false(_value(condition))


def test_deeply_nested_parentheses_are_not_judged() -> None:
    assert not gating.constant_false(_value("'" + "(" * 30 + "false" + ")" * 30 + "'"))
    assert gating.constant_false(_value("'((false))'"))


@pytest.mark.parametrize("value", ["true", "${{ true }}", "TRUE", "'true'", "${{ 1 == 1 }}", "${{ !false }}"])
def test_continue_on_error_always_true(value: str) -> None:
    assert gating.constant_true(_value(value))


@pytest.mark.parametrize(
    "value", ["false", "${{ matrix.experimental }}", "[true]", "yes please", "${{ 1 == 2 }}", "${{ 'x' }}"]
)
def test_continue_on_error_that_may_fail(value: str) -> None:
    assert not gating.constant_true(_value(value))


@pytest.mark.parametrize(
    ("condition", "skipped"),
    [
        ("", True),
        ("if: success()", True),
        ("if: ${{ github.event_name == 'push' }}", True),
        ("if: always()", False),
        ("if: ${{ !cancelled() }}", False),
        ("if: failure()", False),
    ],
)
def test_a_job_that_needs_a_job_that_never_runs_never_runs(condition: str, skipped: bool) -> None:
    root = parse(
        "jobs:\n  off:\n    if: ${{ 1 == 2 }}\n  middle:\n    needs: off\n"
        f"  last:\n    needs: [other, middle]\n    {condition}\n  other: {{}}\n"
    )
    found = gating.skipped_jobs(root)
    assert found.get("off") == "its if: is always false"
    assert found.get("middle") == "it needs job off, which never runs"
    assert ("last" in found) == skipped
    assert "other" not in found


@pytest.mark.parametrize(
    "text",
    ["jobs: []\n", "jobs:\n  a: {needs: {x: 1}}\n", "jobs:\n  a: {needs: [[a]], if: false}\n", "x: 1\n"],
)
def test_skipped_jobs_reads_any_shape(text: str) -> None:
    assert isinstance(gating.skipped_jobs(parse(text)), dict)


def test_a_cycle_of_needs_ends() -> None:
    root = parse("jobs:\n  a: {needs: b, if: false}\n  b: {needs: a}\n")
    assert gating.skipped_jobs(root) == {"a": "its if: is always false", "b": "it needs job a, which never runs"}


def _why(script: str, pattern: str = r"gitleaks|trivy|COVERAGE_MIN|pytest", shell: str | None = None) -> list[str]:
    """An empty reason for each command line that runs the pattern and can fail, then why each other one cannot."""
    live, dead = gating.effective(script, re.compile(pattern), shell_exit.github_shell(shell))
    return [*([""] * len(live)), *dead]


@pytest.mark.parametrize(
    ("script", "why"),
    [
        ("gitleaks git --exit-code 1 .", ""),
        ("echo gitleaks git .", "is only printed (echo in front)"),
        ("X=1 sudo printf 'trivy fs .'", "is only printed (printf in front)"),
        ("gitleaks git . || true", "has its failure swallowed (|| true)"),
        ('gitleaks git . || echo "failed: $?"', "has its failure swallowed (|| echo)"),
        ("gitleaks git . || exit 0", "has its failure swallowed (|| exit 0)"),
        ("gitleaks git . || exit", ""),
        ("gitleaks git . ; true", "has its failure ignored (; true)"),
        ("trivy fs --exit-code 0 .", "passes whatever it finds (--exit-code 0)"),
        ("trivy fs --exit-code=0 .", "passes whatever it finds (--exit-code 0)"),
        ("trivy fs --exit-code 10 .", ""),
        ("gitleaks git . &", "runs in the background (&), so its failure is never seen"),
        ("make test && pytest --cov-fail-under=80", ""),
        ("echo start && pytest --cov-fail-under=80", ""),
        (
            "pytest --cov-fail-under=80 | tee out.txt",
            "is piped (| tee) without pipefail, so only the last command's status counts",
        ),
        ("set -o pipefail\npytest --cov-fail-under=80 | tee out.txt", ""),
    ],
)
def test_neutralised_commands(script: str, why: str) -> None:
    assert _why(script) == [why]


@pytest.mark.parametrize(
    ("shell", "why"),
    [
        (None, "is piped (| tee) without pipefail, so only the last command's status counts"),
        ("bash", ""),
        ("bash -eo pipefail {0}", ""),
        ("sh", "is piped (| tee) without pipefail, so only the last command's status counts"),
    ],
)
def test_a_pipe_hides_a_failure_unless_the_steps_shell_has_pipefail(shell: str | None, why: str) -> None:
    assert _why("gitleaks git . | tee report.txt", shell=shell) == [why]


def test_the_steps_shell_comes_from_the_step_the_job_or_the_workflow() -> None:
    root = parse(
        "defaults: {run: {shell: bash}}\njobs:\n  a:\n    steps: [{run: x}, {run: x, shell: sh}]\n"
        "  b:\n    defaults: {run: {shell: 'bash {0}'}}\n    steps: [{run: x}]\n"
    )
    assert root is not None
    jobs = root.get("jobs")
    assert jobs is not None
    a, b = jobs.get("a"), jobs.get("b")
    assert a is not None and b is not None
    first, second = a.get("steps").elements()  # type: ignore[union-attr]
    (third,) = b.get("steps").elements()  # type: ignore[union-attr]
    assert gating.shell_of(first, a, root) == shell_exit.GITHUB_BASH
    assert gating.shell_of(second, a, root) == shell_exit.Shell(errexit=True, pipefail=False)
    assert gating.shell_of(third, b, root) == shell_exit.Shell(errexit=False, pipefail=False)
    assert gating.shell_of(first) == shell_exit.GITHUB_DEFAULT


def test_quoted_text_and_comments_neither_split_nor_neutralise() -> None:
    script = (
        'go tool cover -func=c.out | awk -v min="$COVERAGE_MIN" \'\n'
        "  /^total:/ { if ($3 < min) exit 1 } # not a comment || true\n"
        "  '\n"
        "# gitleaks || true\n"
        "pytest \\\n"
        "  --cov-fail-under=80  # || true\n"
    )
    commands = gating.commands(script)
    assert [command.first_line for command in commands] == [
        'go tool cover -func=c.out | awk -v min="$COVERAGE_MIN" \'',
        "pytest \\",
    ]
    assert _why(script) == ["", ""]


def test_label_names_a_step_by_name_id_action_or_script() -> None:
    steps = parse(
        "- {name: Scan}\n- {id: scan}\n- {uses: a/b@v1}\n- {run: 'make test\n\n  make more'}\n- {}\n- {name: [x]}\n"
    )
    assert steps is not None
    labels = [gating.label(step, number) for number, step in enumerate(steps.elements(), start=1)]
    assert labels == ["Scan", "scan", "a/b", "make test", "step 5", "step 6"]


def test_node_text_reads_any_shape_once() -> None:
    root = parse("a: &x {b: [1, {c: d}]}\ne: *x\nf: [*x, *x]\n")
    assert root is not None
    assert gating.node_text(root) == "a:\nb:\n1\nc: d\ne:\nf:"


@pytest.mark.parametrize(
    "text",
    [
        "${{ " * 20000,
        "(" * 50000 + "false",
        "false && " * 20000 + "x",
        "'" * 50000,
        "${{ " + "!" * 50000 + "false }}",
        "${{ " + "1 == " * 20000 + "1 }}",
        "${{ " + "a." * 20000 + "b }}",
        "${{ " + "f(" * 20000 + " }}",
    ],
    ids=["expressions", "parentheses", "conjunctions", "quotes", "negations", "comparisons", "properties", "calls"],
)
def test_long_conditions_are_read_without_a_hang(text: str) -> None:
    with hang_guard():
        root = parse(f"value: {text!r}\n".replace("\\'", "''"))
        gating.constant_false(root.get("value") if root is not None else None)


@pytest.mark.parametrize(
    "script",
    ["echo " * 50000, "a || " * 30000, "'\"" * 30000, "\\" * 50001, "# " * 50000],
    ids=["echoes", "alternatives", "quotes", "backslashes", "comments"],
)
def test_long_scripts_are_read_without_a_hang(script: str) -> None:
    with hang_guard():
        gating.effective(script, re.compile("echo|a|'|#"))
        gating.effective(script, re.compile("echo|a|'|#"), shell_exit.GITHUB_BASH)
