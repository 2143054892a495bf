"""The Dockerfile reader and the RUN scanner on tricky words and large generated files: words and tokens as
BuildKit and the shell split them, and time linear in the file's size (``hang_guard`` ends a run that regressed;
no timing is asserted)."""

from __future__ import annotations

import pytest

from scaffold.rules.catalog import REGISTRY
from scaffold.rules.docker.instructions import instructions, split_words
from scaffold.rules.docker.shell import tokenize
from scaffold.rules.document import Document
from scaffold.rules.model import Kind
from scaffold.rules.runner import audit_tree
from tests.support.hang_guard import hang_guard

MANY = 20_000


@pytest.mark.parametrize(
    ("text", "escape", "words"),
    [
        ('a "b c" d', "", [("a", 0), ('"b c"', 2), ("d", 8)]),
        ("x='a b'c \"d", "", [("x='a b'c", 0), ('"d', 9)]),  # an unclosed quote runs to the end
        ('A=1\\ 2 B="x\\" y" C', "\\", [("A=1\\ 2", 0), ('B="x\\" y"', 7), ("C", 17)]),
        ("A=1` 2 'q`' z", "`", [("A=1` 2", 0), ("'q`'", 7), ("z", 12)]),  # no escape inside single quotes
        ("a\u00a0b\u2028c", "", [("a", 0), ("b", 2), ("c", 4)]),  # any Unicode blank separates
        ("end\\", "\\", [("end\\", 0)]),
        ("  ", "", []),
    ],
)
def test_words_are_split_as_buildkit_splits_them(text: str, escape: str, words: list[tuple[str, int]]) -> None:
    assert [(word.text, word.offset) for word in split_words(text, escape)] == words


@pytest.mark.parametrize(
    ("script", "tokens"),
    [
        ("echo 'a|b' | sh", [("word", "echo", 0), ("word", "'a|b'", 5), ("|", "|", 11), ("word", "sh", 13)]),
        (
            'curl $(echo "x)" ) | bash',
            [("word", "curl", 0), ("word", '$(echo "x)" )', 5), ("|", "|", 19), ("word", "bash", 21)],
        ),
        ("a\\\nb && c # d | e", [("word", "a\\\nb", 0), ("&&", "&&", 5), ("word", "c", 8)]),
        ("x &>/dev/null; y", [("word", "x", 0), ("word", "&>/dev/null", 2), (";", ";", 13), ("word", "y", 15)]),
    ],
)
def test_run_scripts_are_tokenized_as_the_shell_reads_them(script: str, tokens: list[tuple[str, str, int]]) -> None:
    assert [(token.kind, token.text, token.offset) for token in tokenize(script)] == tokens


def test_a_run_continued_over_many_lines_is_one_instruction_placed_line_by_line() -> None:
    lines = [f"  && apt-get install -y p{number} \\" for number in range(MANY)]
    text = "FROM python:3.12\nRUN apt-get update \\\n" + "\n".join(lines) + "\n  && true\n"
    with hang_guard():
        found = instructions(Document("Dockerfile", Kind.DOCKERFILE, text))
    assert [item.keyword for item in found] == ["FROM", "RUN"]
    run = found[1]
    assert len(run.pieces) == MANY + 2
    assert run.position(run.args.index(f"p{MANY - 1} ")) == (MANY + 2, len("  && apt-get install -y ") + 1)


def test_many_flags_and_words_are_read_in_linear_time() -> None:
    flags = " ".join(f"--mount=type=cache,target=/c{number}" for number in range(MANY))
    quoted = '"' + " ".join(["x"] * MANY)  # an unclosed quote with many blanks
    text = f"FROM python:3.12\nRUN {flags} echo ok\nENV A={quoted}\nRUN " + "'a' " * MANY + "\n"
    with hang_guard():
        found = instructions(Document("Dockerfile", Kind.DOCKERFILE, text))
        words = found[2].words()
    assert (len(found[1].flags), found[1].args) == (MANY, "echo ok")
    assert len(words) == 1
    assert len(found[3].words()) == MANY


def test_many_heredocs_each_piping_a_download_into_a_shell_are_each_reported() -> None:
    text = "FROM python:3.12\n" + "".join(
        f"RUN <<EOF{number}\nset -e\ncurl https://example.com/i.sh | sh\nEOF{number}\n" for number in range(2000)
    )
    rules = [rule for rule in REGISTRY if rule.id == "docker-curl-pipe-shell"]
    with hang_guard():
        report = audit_tree({"Dockerfile": text}, rules=rules)
    assert [finding.line for finding in report.findings] == [4 + 4 * number for number in range(2000)]
