"""What counts as switched off in a workflow: constant-false conditions, always-true continue-on-error, and shell
commands that cannot fail. Every reading is linear and takes any shape without raising."""

from __future__ import annotations

import re

import pytest

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
    ],
)
def test_conditions_that_may_be_true(condition: str) -> None:
    assert not gating.constant_false(_value(condition))


def test_deeply_nested_parentheses_are_not_judged() -> None:
    assert not gating.constant_false(_value("'" + "(" * 30 + "false" + ")" * 30 + "'"))
    assert gating.constant_false(_value("'((false))'"))


@pytest.mark.parametrize("value", ["true", "${{ true }}", "TRUE", "'true'"])
def test_continue_on_error_always_true(value: str) -> None:
    assert gating.constant_true(_value(value))


@pytest.mark.parametrize("value", ["false", "${{ matrix.experimental }}", "[true]", "yes please"])
def test_continue_on_error_that_may_fail(value: str) -> None:
    assert not gating.constant_true(_value(value))


def _why(script: str, pattern: str = r"gitleaks|trivy|COVERAGE_MIN|pytest") -> list[str]:
    compiled = re.compile(pattern)
    return [
        gating.neutralised(command, match.start())
        for command in gating.commands(script)
        if (match := compiled.search(command.code)) is not None
    ]


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
        ("pytest --cov-fail-under=80 | tee out.txt", ""),
    ],
)
def test_neutralised_commands(script: str, why: str) -> None:
    assert _why(script) == [why]


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
    ],
    ids=["expressions", "parentheses", "conjunctions", "quotes"],
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
        for command in gating.commands(script):
            gating.neutralised(command, len(command.code) // 2)
