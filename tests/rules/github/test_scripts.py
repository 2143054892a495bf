"""The shared reading of ``run:`` scripts: the word splitter is ``shlex.split`` exactly, and what is kept per
document (jobs, steps, script lines) is read once, is immutable, and is the same as a fresh reading."""

from __future__ import annotations

import shlex

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from scaffold.rules.document import Document
from scaffold.rules.github.scripts import located_lines, logical_lines, run_scripts, shell_words
from scaffold.rules.github.workflow import jobs, steps
from scaffold.rules.model import Kind

# Everything shlex treats specially, blanks it does not (vertical tab, form feed, U+2028), and plain letters.
_SHELL_TEXT = st.text(alphabet=" \t\r\n'\"\\ab$`#;|&()\x0b\x0c\u2028é", max_size=40)


def _shlex(command: str) -> tuple[str, ...] | None:
    try:
        return tuple(shlex.split(command))
    except ValueError:
        return None


def _ours(command: str) -> tuple[str, ...] | None:
    try:
        return shell_words(command)
    except ValueError:
        return None


@settings(max_examples=3000, deadline=None)
@given(_SHELL_TEXT)
def test_the_splitter_reads_every_command_as_shlex_does(command: str) -> None:
    assert _ours(command) == _shlex(command)


@pytest.mark.parametrize(
    ("command", "words"),
    [
        ('pip install \'a b\' "c\\"d" e\\ f', ("pip", "install", "a b", 'c"d', "e f")),
        ("echo \"\\$HOME\" '\\n' ''", ("echo", "\\$HOME", "\\n", "")),
        ("a\x0bb\tc\r\nd", ("a\x0bb", "c", "d")),
        ("x\"y\"z'w'", ("xyzw",)),
        ("   ", ()),
    ],
)
def test_quotes_escapes_and_blanks_split_as_in_posix_mode(command: str, words: tuple[str, ...]) -> None:
    assert shell_words(command) == words == tuple(shlex.split(command))


@pytest.mark.parametrize("command", ["echo 'open", 'echo "open', "echo trailing\\", 'echo "a\\', "'a' b'"])
def test_an_open_quote_or_a_trailing_backslash_raises_like_shlex(command: str) -> None:
    with pytest.raises(ValueError, match=r"closing|escaped"):
        shlex.split(command)
    with pytest.raises(ValueError, match="left open"):
        shell_words(command)


def test_a_long_command_is_split_without_being_cached() -> None:
    command = "npm install " + " ".join(f"'pkg{number}'" for number in range(400))
    assert len(command) > 1000
    assert shell_words(command) == tuple(shlex.split(command))


WORKFLOW = """\
on: push
jobs:
  build:
    steps:
      - run: |
          pip install \\
            checkov
          npm ci
      - parallel:
          - run: echo one
          - uses: actions/checkout@v4
  test:
    steps:
      - run: go test ./...
"""


def test_what_is_kept_per_document_equals_a_fresh_reading_and_cannot_be_changed() -> None:
    document = Document(".github/workflows/ci.yml", Kind.WORKFLOW, WORKFLOW)
    first = list(jobs(document))
    assert [name for name, _ in first] == ["build", "test"]
    assert list(jobs(document)) == first
    build = first[0][1]
    assert [step.line for step in steps(build)] == [5, 10, 11]
    assert list(steps(build)) == list(steps(build))
    scripts = list(run_scripts(document))
    assert [(name, script.line) for name, script in scripts] == [("build", 5), ("build", 10), ("test", 14)]
    lines = located_lines(document, scripts[0][1])
    assert [(line.line, line.text) for line in lines] == [(6, "pip install \\"), (7, "checkov"), (8, "npm ci")]
    assert located_lines(document, scripts[0][1]) is lines
    assert isinstance(lines, tuple)
    assert [line.text for line in logical_lines(document, scripts[0][1])] == ["pip install checkov", "npm ci"]
    again = Document(".github/workflows/ci.yml", Kind.WORKFLOW, WORKFLOW.replace("npm ci", "npm install"))
    assert [line.text for line in logical_lines(again, next(run_scripts(again))[1])][-1] == "npm install"


def test_a_node_is_read_against_the_document_it_is_asked_with() -> None:
    one = Document(".github/workflows/a.yml", Kind.WORKFLOW, WORKFLOW)
    other = Document(".github/workflows/b.yml", Kind.WORKFLOW, "\n\n" + WORKFLOW)
    script = next(run_scripts(other))[1]
    assert [line.line for line in located_lines(other, script)] == [8, 9, 10]
    # the same node asked of another document is placed in that document's lines, not taken from the first answer
    assert [line.line for line in located_lines(one, script)] == [7, 7, 8]
