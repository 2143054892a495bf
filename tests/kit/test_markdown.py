"""The kit's Markdown, read by a real CommonMark parser: no code span is nested in another (a stray backtick left in
the text is one that closed a span too early), and a list of names is a list of spans, never one span that reads as
one name."""

from __future__ import annotations

from typing import Any

import pytest
from markdown_it import MarkdownIt
from markdown_it.token import Token

from scaffold.api import render_kit
from scaffold.kit.answers import validate
from tests.answer_sets import ANSWER_SETS

LISTS = ("environments", "code_owners", "trusted_registries")


def _inline(tokens: list[Token]) -> list[Token]:
    return [child for token in tokens if token.type == "inline" for child in token.children or []]


def _parsed(text: str) -> list[Token]:
    return _inline(MarkdownIt("commonmark").enable("table").parse(text))


@pytest.mark.parametrize("answer_set", sorted(ANSWER_SETS))
def test_code_spans_are_whole_and_lists_are_lists(answer_set: str) -> None:
    answers = validate(ANSWER_SETS[answer_set])
    files = render_kit(answers=answers)
    documents = {path: text for path, text in files.items() if path.endswith(".md")}
    assert documents
    values: dict[str, Any] = answers.model_dump()
    joined = {" ".join(values[key]) for key in LISTS if len(values.get(key) or []) > 1}
    for path, text in documents.items():
        tokens = _parsed(text)
        stray = [token.content for token in tokens if token.type == "text" and "`" in token.content]
        assert stray == [], f"{path}: text with a backtick outside any code span"
        spans = {token.content for token in tokens if token.type == "code_inline"}
        assert not spans & joined, f"{path}: a list of names rendered as one code span"


def test_the_check_finds_the_mistakes_it_is_for() -> None:
    nested = _parsed("runnable as `python -m `orders``.")
    assert any(token.type == "text" and "`" in token.content for token in nested)
    assert {token.content for token in _parsed("create `staging production`.") if token.type == "code_inline"} == {
        "staging production"
    }
