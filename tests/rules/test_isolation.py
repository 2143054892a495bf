"""Every failure on one file is a one-line error for that file, naming the rule; the other files (and the file's
other rules) are still audited, and nothing from the file reaches the output as a raw line break."""

from __future__ import annotations

from collections.abc import Iterator

from scaffold.rules.catalog import REGISTRY
from scaffold.rules.document import Document
from scaffold.rules.model import Confidence, Hit, Kind, Severity
from scaffold.rules.registry import Rule
from scaffold.rules.runner import audit_tree


def _rule(rule_id: str, check: object) -> Rule:
    return Rule(rule_id, Severity.LOW, Confidence.LOW, frozenset({Kind.DOCKERFILE}), check, "doc")  # type: ignore[arg-type]


def _crashes(document: Document) -> Iterator[Hit]:
    yield Hit(1, 1, "before the crash")
    raise RecursionError("maximum recursion depth exceeded\nwith a second line")


def _finds(document: Document) -> Iterator[Hit]:
    yield Hit(1, 1, "line one\nforged: line two\x1b[31m")


def _fails_with(error: BaseException) -> object:
    def check(document: Document) -> Iterator[Hit]:
        raise error
        yield  # pragma: no cover

    return check


def test_a_rule_that_raises_is_an_error_for_that_file_only() -> None:
    rules = [_rule("crashes", _crashes), _rule("finds", _finds)]
    report = audit_tree({"a/Dockerfile": "FROM x\n", "b/Dockerfile": "FROM y\n"}, rules=rules)
    assert [(error.path, error.message) for error in report.errors] == [
        ("a/Dockerfile", "rule crashes failed: RecursionError: maximum recursion depth exceeded\\nwith a second line"),
        ("b/Dockerfile", "rule crashes failed: RecursionError: maximum recursion depth exceeded\\nwith a second line"),
    ]
    assert [(item.path, item.rule) for item in report.findings] == [
        ("a/Dockerfile", "finds"),
        ("b/Dockerfile", "finds"),
    ]


def test_any_exception_is_caught() -> None:
    for error in (ValueError("Exceeds the limit (4300 digits)"), MemoryError(), KeyError("x"), IndexError()):
        report = audit_tree({"Dockerfile": "FROM x\n"}, rules=[_rule("boom", _fails_with(error))])
        [failure] = report.errors
        assert failure.message.startswith(f"rule boom failed: {type(error).__name__}")
        assert "\n" not in failure.message


def test_messages_from_the_file_are_one_line() -> None:
    [finding] = audit_tree({"Dockerfile": "FROM x\n"}, rules=[_rule("finds", _finds)]).findings
    assert finding.message == "line one\\nforged: line two\\x1b[31m"


def test_odd_inputs_never_give_a_traceback() -> None:
    odd = {
        ".github/workflows/int.yml": "on: push\njobs:\n  t:\n    timeout-minutes: " + "9" * 5000 + "\n",
        ".gitlab-ci.yml": "job:\r  script: [make]\r  timeout: " + "1" * 5000 + " minutes\r",
        "Jenkinsfile": "pipeline {" * 5000,
        "Dockerfile": "FROM x\nCMD " + "[" * 100_000 + "\n",
        ".pre-commit-config.yaml": "repos: " + "[" * 2000,
        ".dockerignore": "\\" * 1000 + "\r!" * 1000,
    }
    report = audit_tree(odd, rules=REGISTRY)
    assert report.files == len(odd)
    for error in report.errors:
        assert "\n" not in error.message and "failed" not in error.message, error
