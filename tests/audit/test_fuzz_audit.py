"""Property-based fuzzing of the audit: random and mutated real files of every kind end in a report (findings or
per-file errors), never an exception, within a deadline that only guards against hangs.

Seeds are the rule fixtures, the project's generated kits and the shared corpus of real files (read in place; the
corpus seeds are skipped, with the reason, when ``../shared/corpus`` is absent). Mutations insert unicode line
breaks, repeated keys, deep nesting, aliases, quotes, backslashes and expressions. ``SCAFFOLD_FUZZ_EXAMPLES`` sets
the examples per kind (100 by default; run 10,000 or more outside CI).
"""

from __future__ import annotations

import functools
import os
from datetime import timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from scaffold.rules.kinds import classify
from scaffold.rules.lines import split_lines
from scaffold.rules.model import Kind
from scaffold.rules.runner import audit_tree
from tests.support.corpus import CANONICAL_PATHS, corpus_files

EXAMPLES = int(os.environ.get("SCAFFOLD_FUZZ_EXAMPLES", "100"))
FIXTURES = Path(__file__).resolve().parents[1] / "rules" / "fixtures"
CORPUS = Path(__file__).resolve().parents[2] / ".." / "shared" / "corpus"
PATHS = {
    Kind.WORKFLOW: ".github/workflows/ci.yml",
    Kind.ACTION: ".github/actions/setup/action.yml",
    Kind.DEPENDABOT: ".github/dependabot.yml",
    Kind.GITLAB_CI: ".gitlab-ci.yml",
    Kind.PRE_COMMIT: ".pre-commit-config.yaml",
    Kind.JENKINSFILE: "Jenkinsfile",
    Kind.DOCKERFILE: "Dockerfile",
    Kind.DOCKERIGNORE: ".dockerignore",
}
CORPUS_KINDS = {
    "github": Kind.WORKFLOW,
    "gitlab": Kind.GITLAB_CI,
    "jenkins": Kind.JENKINSFILE,
    "docker": Kind.DOCKERFILE,
}
CORPUS_KINDS_EXTRA = {"precommit": Kind.PRE_COMMIT}
assert set(CORPUS_KINDS) <= set(CANONICAL_PATHS)

PIECES = [
    "\n",
    "\r",
    "\r\n",
    "\x0c",
    "\x0b",
    "\x85",
    "\u2028",
    "\u2029",
    "\x1c",
    "\t",
    " ",
    '"',
    "'",
    "'''",
    '"""',
    "\\",
    "`",
    "${{ github.event.issue.title }}",
    "${{",
    "}}",
    "${",
    "$[[ inputs.x | expand_vars ]]",
    "{",
    "}",
    "[",
    "]",
    "(",
    ")",
    "&a ",
    "*a",
    "<<: *a\n",
    "- ",
    ": ",
    "#",
    "//",
    "/*",
    "*/",
    "$/",
    "/$",
    "image: python:latest\n",
    "USER root\n",
    "FROM scratch\n",
    "RUN curl x | sh\n",
    'sh "${PASSWORD}"\n',
    "agent any\n",
    "# scaffold: ignore[docker-root-user] reason\n",
    "// scaffold: ignore[jenkins-agent-any] x\n",
    "<<EOF\n",
    "EOF\n",
    "\\\n",
    "# escape=`\n",
    "9" * 5000,
    "[" * 150,
    "{" * 150,
    "- " * 60,
    "\ufeff",
]


def _fixture_seeds(kind: Kind) -> list[str]:
    """The rule fixtures of the kind (``fixtures/<rule>/<good|bad>/<path in a repository>``)."""
    return [
        path.read_text(encoding="utf-8")
        for path in sorted(FIXTURES.rglob("*"))
        if path.is_file() and classify("/".join(path.relative_to(FIXTURES).parts[2:])) == kind
    ]


@functools.cache
def _kit_seeds() -> dict[Kind, list[str]]:
    from scaffold.api import render_kit
    from scaffold.kit.answers import validate
    from tests.answer_sets import ANSWER_SETS

    found: dict[Kind, list[str]] = {}
    for name in sorted(ANSWER_SETS)[:4]:
        for path, text in render_kit(answers=validate(ANSWER_SETS[name])).items():
            kind = classify(path)
            if kind is not None:
                found.setdefault(kind, []).append(text)
    return found


def _corpus_seeds(kind: Kind) -> list[str]:
    names = {**CORPUS_KINDS, **CORPUS_KINDS_EXTRA}
    return [
        (CORPUS / folder / name).read_text(encoding="utf-8", errors="replace")
        for folder, of_kind in names.items()
        if of_kind == kind
        for name in corpus_files(folder)
    ]


@functools.cache
def seeds(kind: Kind) -> tuple[str, ...]:
    return tuple(_fixture_seeds(kind) + _kit_seeds().get(kind, []) + _corpus_seeds(kind)) or ("",)


@st.composite
def mutated(draw: st.DrawFn, kind: Kind) -> str:
    """A seed of the kind, or random text, with a few insertions, deletions and repeated lines."""
    text = draw(st.one_of(st.sampled_from(seeds(kind)), st.text(max_size=200)))
    for _ in range(draw(st.integers(0, 6))):
        action = draw(st.sampled_from(["insert", "insert", "delete", "repeat", "nest"]))
        at = draw(st.integers(0, len(text)))
        if action == "insert":
            text = text[:at] + draw(st.one_of(st.sampled_from(PIECES), st.text(max_size=12))) + text[at:]
        elif action == "delete":
            text = text[:at] + text[at + draw(st.integers(0, 40)) :]
        elif action == "repeat":  # a repeated line is a repeated key in YAML, a repeated instruction elsewhere
            lines = text.splitlines(keepends=True)
            if lines:
                index = draw(st.integers(0, len(lines) - 1))
                lines.insert(draw(st.integers(0, len(lines))), lines[index])
                text = "".join(lines)
        else:
            depth = draw(st.integers(1, 300))
            opener, closer = draw(st.sampled_from([("[", "]"), ("{", "}"), ("(", ")"), ('"${', "}")]))
            text = text[:at] + opener * depth + closer * draw(st.integers(0, depth)) + text[at:]
    return text


def _check(kind: Kind, text: str) -> None:
    report = audit_tree({PATHS[kind]: text})
    assert report.files == 1
    lines = max(len(split_lines(text, kind)), 1)
    for finding in report.findings:
        assert 1 <= finding.line <= lines + 1, finding
        assert finding.message and "\n" not in finding.message and "\r" not in finding.message
    for error in report.errors:
        assert "\n" not in error.message and " failed: " not in error.message, error


def _fuzz(kind: Kind) -> None:
    @settings(
        derandomize=True,
        max_examples=EXAMPLES,
        deadline=timedelta(seconds=20),
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
        database=None,
    )
    @given(text=mutated(kind))
    def run(text: str) -> None:
        _check(kind, text)

    run()


@pytest.mark.parametrize("kind", list(Kind), ids=[kind.value for kind in Kind])
def test_mutated_files_end_in_a_report(kind: Kind) -> None:
    _fuzz(kind)


@pytest.mark.parametrize("kind", sorted({*CORPUS_KINDS.values()}, key=lambda kind: kind.value))
def test_the_corpus_is_a_seed_when_present(kind: Kind) -> None:
    if not CORPUS.is_dir():
        pytest.skip(f"the shared corpus is not at {CORPUS.resolve()}: corpus seeds are not used")
    if not _corpus_seeds(kind):
        pytest.skip(f"the shared corpus has no {kind.value} files")
    for text in _corpus_seeds(kind):
        _check(kind, text)
