"""One line model per kind: lines break where the file's consumer breaks them, and findings, suppressions and
``Document.lines`` count them the same way."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from scaffold.rules.document import Document
from scaffold.rules.lines import LineMap, Model, model_for, spans, split_lines, split_lines_keepends
from scaffold.rules.model import Kind
from scaffold.rules.runner import audit_tree
from scaffold.rules.suppression import suppressions

ODD = "a\rb\x85c\u2028d\u2029e\x0cf\x0bg\x1ch\r\ni\n\n"
PINNED = "python:3.12@sha256:" + "0" * 64


@pytest.mark.parametrize(
    ("model", "expected"),
    [
        (Model.YAML, ["a", "b", "c", "d", "e\x0cf\x0bg\x1ch", "i", ""]),
        (Model.BUILDKIT, ["a\rb\x85c\u2028d\u2029e\x0cf\x0bg\x1ch", "i", ""]),
        (Model.GROOVY, ["a", "b\x85c\u2028d\u2029e\x0cf\x0bg\x1ch", "i", ""]),
        (Model.SHELL, ["a\rb\x85c\u2028d\u2029e\x0cf\x0bg\x1ch\r", "i", ""]),
    ],
)
def test_each_model_breaks_where_its_consumer_does(model: Model, expected: list[str]) -> None:
    assert split_lines(ODD, model) == expected
    assert "".join(split_lines_keepends(ODD, model)) == ODD


@pytest.mark.parametrize("text", ["", "\n", "x", "x\n", "x\r", "\r", "\r\n", "a\n\nb", "a\r\r\n"])
@pytest.mark.parametrize("model", list(Model))
def test_offsets_and_positions_agree(text: str, model: Model) -> None:
    line_map = LineMap(text, model)
    assert line_map.lines == split_lines(text, model)
    for number, span in enumerate(spans(text, model), start=1):
        assert line_map.offset(number) == span.start
        assert line_map.position(span.start) == (number, 1)
        assert line_map.position(span.end) == (number, span.end - span.start + 1)
        assert line_map.line(number) == text[span.start : span.end]
        assert line_map.terminator(number) == text[span.end : span.stop]
    assert line_map.offset(len(line_map) + 5) == len(text)


def test_buildkit_drops_one_cr_before_the_newline_and_at_the_end() -> None:
    assert split_lines("a\r\nb\r\r\nc\r", Model.BUILDKIT) == ["a", "b\r", "c"]


def test_every_kind_has_its_consumer_model() -> None:
    assert {kind: model_for(kind) for kind in Kind} == {
        Kind.WORKFLOW: Model.YAML,
        Kind.ACTION: Model.YAML,
        Kind.DEPENDABOT: Model.YAML,
        Kind.GITLAB_CI: Model.YAML,
        Kind.PRE_COMMIT: Model.YAML,
        Kind.DOCKERFILE: Model.BUILDKIT,
        Kind.DOCKERIGNORE: Model.BUILDKIT,
        Kind.JENKINSFILE: Model.GROOVY,
    }


def test_document_lines_use_the_kind_model() -> None:
    assert Document("Dockerfile", Kind.DOCKERFILE, "RUN a\x0cb\u2028c\r\n").lines == ["RUN a\x0cb\u2028c"]
    assert Document("Jenkinsfile", Kind.JENKINSFILE, "a\rb\u2028c").lines == ["a", "b\u2028c"]
    assert Document(".gitlab-ci.yml", Kind.GITLAB_CI, "a: 1\u2028b: 2\x85").lines == ["a: 1", "b: 2"]


@pytest.mark.parametrize("separator", ["\x0c", "\u2028", "\x85", "\u2029", "\x0b", "\r", "\x1c"])
def test_a_user_hidden_behind_a_unicode_break_does_not_fool_the_root_user_rule(separator: str) -> None:
    # BuildKit reads one line `RUN true<sep>USER 10001`: the image still runs as root.
    text = f"FROM {PINNED}\nUSER root\nRUN true{separator}USER 10001\n"
    findings = [item for item in audit_tree({"Dockerfile": text}).findings if item.rule == "docker-root-user"]
    assert [(item.line, item.message) for item in findings] == [(2, "the final stage runs as root (USER root)")]


def test_a_unicode_break_does_not_start_a_from_instruction() -> None:
    text = f"FROM {PINNED}\nRUN echo\u2028FROM python:latest\nUSER 10001\n"
    rules = {item.rule for item in audit_tree({"Dockerfile": text}).findings}
    assert "docker-latest-tag" not in rules and "docker-unpinned-base" not in rules


def test_a_groovy_lone_cr_is_a_line_for_findings_and_suppressions() -> None:
    # Groovy ends the comment at the CR: `agent any` is code on line 5, far from the suppression on line 1.
    text = "// scaffold: ignore[jenkins-agent-any] hidden\r\r\r\rpipeline { agent any }\n"
    findings = [item for item in audit_tree({"Jenkinsfile": text}).findings if item.rule == "jenkins-agent-any"]
    assert [item.line for item in findings] == [5]


def test_a_groovy_lone_cr_ends_a_line_comment() -> None:
    text = "pipeline {\n  // agent none\ragent any\n}\n"
    findings = [item for item in audit_tree({"Jenkinsfile": text}).findings if item.rule == "jenkins-agent-any"]
    assert [(item.line, item.column) for item in findings] == [(3, 1)]


def test_a_suppression_covers_its_line_and_the_next_in_the_consumer_model() -> None:
    # Python's splitlines() sees four lines before FROM; BuildKit sees the comment on the line just above it.
    text = (
        "# scaffold: ignore[docker-latest-tag] base image chosen by the platform team\x0c\x0c\x0c\nFROM python:latest\n"
    )
    document = Document("Dockerfile", Kind.DOCKERFILE, text)
    assert sorted(suppressions(document.lines)) == [1, 2]
    assert "docker-latest-tag" not in {item.rule for item in audit_tree({"Dockerfile": text}).findings}


def test_yaml_refuses_a_form_feed_rather_than_counting_it() -> None:
    text = "# scaffold: ignore[unpinned-uses] vendored\x0c\non: push\njobs: {t: {steps: [{uses: org/action@v1}]}}\n"
    report = audit_tree({".github/workflows/ci.yml": text})
    assert [error.message for error in report.errors] == ["is not valid YAML at line 1"]


_BREAKS = {Model.YAML: "\r\n|[\r\n\x85\u2028\u2029]", Model.GROOVY: "\r\n|[\r\n]", Model.SHELL: "\n"}


@settings(derandomize=True, max_examples=300)
@given(st.text(alphabet="a \n\r\x85\u2028\u2029\x0c", max_size=30), st.sampled_from(sorted(_BREAKS, key=str)))
def test_lines_break_exactly_at_the_model_breaks_with_or_without_rare_ones(text: str, model: Model) -> None:
    """A text with LF breaks only is split on LF at once; any other text by the model's rule: the same lines."""
    parts = re.split(f"({_BREAKS[model]})", text)
    lines, ends = parts[0::2], [*parts[1::2], ""]
    if lines[-1] == "" and len(lines) > 1:
        lines, ends = lines[:-1], ends[:-1]
    if text == "":
        lines, ends = [], []
    assert split_lines(text, model) == lines
    assert split_lines_keepends(text, model) == [line + end for line, end in zip(lines, ends, strict=True)]
