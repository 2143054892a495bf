"""Harden parses a file once, then each text a round makes once: the text a round checked is the next round's
start, not parsed again (it was 3 parses a file and a round, then 2, now 1 and 1 a round).

The parses are counted by wrapping the YAML parse the documents use; nothing here measures time.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from scaffold.harden import engine
from scaffold.harden.engine import harden_document
from scaffold.rules import yaml_view
from scaffold.rules.document import Document
from scaffold.rules.fixes.model import Fix, Proposal, Safety, TextEdit
from scaffold.rules.kinds import classify
from scaffold.rules.model import Confidence, Hit, Kind, Severity
from scaffold.rules.registry import Rule
from scaffold.rules.runner import YAML_KINDS
from tests.support.corpus import CANONICAL_PATHS, corpus_dir, corpus_files

YAML_CORPUS = [(kind, name) for kind in ("github", "gitlab") for name in corpus_files(kind)] + [
    ("precommit", name) for name in corpus_files("precommit")
]


@pytest.fixture
def parsed(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The text of every YAML parse, in order."""
    texts: list[str] = []
    parse = yaml_view.parse

    def counting(text: str) -> yaml_view.YNode | None:
        texts.append(text)
        return parse(text)

    monkeypatch.setattr(yaml_view, "parse", counting)
    return texts


def _path(kind: str, name: str) -> str:
    return ".pre-commit-config.yaml" if kind == "precommit" else CANONICAL_PATHS[kind](name)


@pytest.mark.parametrize(("kind", "name"), YAML_CORPUS)
def test_a_corpus_file_is_parsed_once_and_each_text_a_round_made_once(kind: str, name: str, parsed: list[str]) -> None:
    text = (corpus_dir() / kind / name).read_text(encoding="utf-8")
    path = _path(kind, name)
    found = classify(path)
    assert found in YAML_KINDS
    result = harden_document(Document(path, found, text), Safety.UNSAFE)
    assert parsed[0] == text
    assert len(parsed) == len(set(parsed)), "a text was parsed twice"
    assert len(parsed) <= 1 + engine._MAX_ROUNDS
    assert parsed[-1] == result.after
    if result.changed:
        assert len(parsed) >= 2


def _rule(rule_id: str, finds: str, line: int, propose: object) -> Rule:
    """A rule that reports ``finds`` on ``line`` while the text holds it; its fix is ``propose(text)``. Like the real
    rules, its check reads the parsed document."""

    def check(document: Document) -> Iterator[Hit]:
        assert document.yaml is not None
        return iter([Hit(line, 1, f"{rule_id}: {finds}")] if finds in document.text else [])

    def fix(document: Document) -> Iterator[Proposal]:
        assert callable(propose)
        return iter(propose(document.text))

    return Rule(rule_id, Severity.HIGH, Confidence.HIGH, frozenset({Kind.WORKFLOW}), check, "", fix, "safe")


def _rename(text: str) -> list[Proposal]:
    at = text.find("on: push")
    return [] if at < 0 else [Fix(1, "rename", Safety.SAFE, (TextEdit(at + 4, at + 8, "pull_request"),))]


def _fill(text: str) -> list[Proposal]:
    """Rewrites from the trigger's value to the end of ``jobs: {}``: it overlaps the rename in the first round."""
    at = text.find("jobs: {}")
    if at < 0:
        return []
    return [Fix(2, "fill", Safety.SAFE, (TextEdit(4, at + 8, text[4:at] + "jobs: {a: {}}"),))]


def test_the_second_round_starts_from_the_document_the_first_one_checked(parsed: list[str]) -> None:
    text = "on: push\njobs: {}\n"
    rules = [_rule("rename", "on: push", 1, _rename), _rule("fill", "jobs: {}", 2, _fill)]
    result = harden_document(Document(".github/workflows/ci.yml", Kind.WORKFLOW, text), Safety.SAFE, None, rules)
    assert result.after == "on: pull_request\njobs: {a: {}}\n"
    assert [change.rule for change in result.applied] == ["rename", "fill"]
    assert sorted(parsed) == sorted([text, "on: pull_request\njobs: {}\n", result.after])


def _break(text: str) -> list[Proposal]:
    return [Fix(1, "break", Safety.SAFE, (TextEdit(0, 0, "a: [\n"),))] if "on: push" in text else []


def test_the_halving_search_never_parses_a_text_it_already_saw_fail(parsed: list[str]) -> None:
    """All fixes together fail; the first half alone parses, so the second half with it is the text that failed."""
    text = "on: push\njobs: {}\n"
    rules = [_rule("rename", "on: push", 1, _rename), _rule("broken", "on: push", 1, _break)]
    result = harden_document(Document(".github/workflows/ci.yml", Kind.WORKFLOW, text), Safety.SAFE, None, rules)
    assert result.after == "on: pull_request\njobs: {}\n"
    assert [change.rule for change in result.applied] == ["rename"]
    assert [note.message for note in result.notes] == ["break: not made, the file would no longer parse"]
    assert parsed == ["a: [\n" + result.after, result.after, text]
