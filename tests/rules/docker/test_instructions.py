"""The one Dockerfile reader (scaffold/rules/docker/instructions.py) against BuildKit's reading: continuations, the
escape directive, heredocs, and ARG/ENV expansion in FROM, USER and WORKDIR. Hostile text gives a reading, never an
exception."""

from __future__ import annotations

import random

import pytest

from scaffold.new.inference_sources import dockerfile as infer_dockerfile
from scaffold.rules.docker.instructions import Expansion, Instruction, Missing, expand, instructions, stages, value
from scaffold.rules.docker.words import MAX_VALUE
from scaffold.rules.document import Document
from scaffold.rules.model import Kind
from tests.support.hang_guard import hang_guard

PIN = "python:3.13@sha256:" + "a" * 64


def _doc(text: str) -> Document:
    return Document("Dockerfile", Kind.DOCKERFILE, text)


def _read(text: str) -> tuple[Instruction, ...]:
    return instructions(_doc(text))


def _keywords(text: str) -> list[tuple[str, str]]:
    return [(item.keyword, item.args) for item in _read(text)]


def _value(text: str, keyword: str, nth: int = -1) -> Expansion | None:
    document = _doc(text)
    found = [item for item in instructions(document) if item.keyword == keyword]
    return value(document, found[nth])


# --- continuations and the escape directive -----------------------------------------------------------------------


def test_backslash_continuation_joins_lines_and_skips_comments_and_blanks() -> None:
    text = "FROM x\nRUN apt-get update \\  \n# a comment\n\n    && apt-get install -y curl\nUSER 1\n"
    run = _read(text)[1]
    assert run.args == "apt-get update     && apt-get install -y curl"
    assert run.position(run.args.index("&&")) == (5, 5)  # the piece on line 5 keeps its column
    assert [item.keyword for item in _read(text)] == ["FROM", "RUN", "USER"]


def test_continuation_at_the_end_of_the_file() -> None:
    assert _keywords("FROM x\nRUN a \\") == [("FROM", "x"), ("RUN", "a")]


def test_escape_directive_backtick() -> None:
    text = "# escape=`\nFROM x\nRUN a `\n  b\nWORKDIR C:\\app\nRUN c \\\nUSER 1\n"
    assert _keywords(text) == [("FROM", "x"), ("RUN", "a   b"), ("WORKDIR", "C:\\app"), ("RUN", "c \\"), ("USER", "1")]
    assert _value(text, "WORKDIR") == Expansion("C:\\app")  # the backslash is no escape character
    assert _read(text)[0].escape == "`"


@pytest.mark.parametrize(
    "head",
    [
        "\n# escape=`\n",  # after a blank line: a comment
        "# unknown=x\n# escape=`\n",  # an unknown directive ends the directives
        "FROM y\n# escape=`\n",  # after an instruction
        "# escape=x\n",  # not a valid escape character
    ],
)
def test_escape_directive_only_at_the_top(head: str) -> None:
    keywords = [keyword for keyword, _ in _keywords(head + "FROM x\nRUN a `\nUSER 1\n")]
    assert keywords[-2:] == ["RUN", "USER"]


def test_directives_in_any_case_with_blanks_and_a_byte_order_mark() -> None:
    text = "\ufeff  #  syntax = docker/dockerfile:1\n# ESCAPE = `\nFROM x\nRUN a `\nUSER 1\n"
    assert _keywords(text) == [("FROM", "x"), ("RUN", "a USER 1")]
    assert (_read(text)[0].line, _read(text)[0].column) == (3, 1)
    bom = _read("\ufeffFROM x\n")[0]
    assert (bom.keyword, bom.line, bom.column) == ("FROM", 1, 2)


def test_crlf_lines() -> None:
    assert _keywords("FROM x\r\nRUN a \\\r\n  b\r\nUSER 1\r\n") == [("FROM", "x"), ("RUN", "a   b"), ("USER", "1")]


# --- heredocs -----------------------------------------------------------------------------------------------------


def test_heredoc_bodies_are_not_instructions() -> None:
    text = "FROM x\nRUN <<EOF\nUSER 0\nEOF\nUSER 1\n"
    read = _read(text)
    assert [item.keyword for item in read] == ["FROM", "RUN", "USER"]
    assert read[1].heredocs[0].name == "EOF"
    assert read[1].heredocs[0].body == ((3, "USER 0"),)


def test_several_heredocs_on_one_line_quoted_and_tab_stripped() -> None:
    text = "FROM x\nRUN <<EOF1 <<-'EOF2' cat\nUSER 0\nEOF1\n\tUSER 1\n\tEOF2\nUSER 3\n"
    read = _read(text)
    assert [(doc.name, doc.body) for doc in read[1].heredocs] == [
        ("EOF1", ((3, "USER 0"),)),
        ("EOF2", ((5, "\tUSER 1"),)),
    ]
    assert _keywords(text)[-1] == ("USER", "3")


@pytest.mark.parametrize(
    ("line", "names"),
    [
        ('RUN python3 <<"PY"', ["PY"]),
        ("RUN 3<<EOF cat", ["EOF"]),
        ("RUN cat <<E\\OF", ["EOF"]),
        ('COPY <<"A B" /x', ["A B"]),
        ("RUN --mount=type=cache,target=/root/.cache <<EOF", ["EOF"]),
        ("ONBUILD RUN <<EOF", ["EOF"]),
        ("RUN cat<<EOF", []),  # not a word of its own: BuildKit reads no heredoc
        ('RUN echo "<<EOF"', []),  # quoted
        ('RUN ["sh", "-c", "<<EOF"]', []),  # exec form
        ("CMD <<EOF", []),  # only RUN, COPY and ADD
        ("RUN echo <<'EOF", []),  # an unclosed quote
    ],
)
def test_heredoc_words_as_buildkit_finds_them(line: str, names: list[str]) -> None:
    read = _read(f"FROM x\n{line}\n{'EOF'}\n")
    assert [doc.name for doc in read[1].heredocs] == names


def test_heredoc_terminator_is_the_whole_line() -> None:
    read = _read("FROM x\nRUN <<EOF\nEOF \n  EOF\nEOF\nUSER 1\n")
    assert [text for _, text in read[1].heredocs[0].body] == ["EOF ", "  EOF"]
    assert read[-1].keyword == "USER"


def test_unterminated_heredoc_runs_to_the_end() -> None:
    read = _read("FROM x\nRUN <<EOF\nUSER 0\n")
    assert [item.keyword for item in read] == ["FROM", "RUN"]


def test_heredoc_after_a_continued_line() -> None:
    read = _read("FROM x\nRUN set -e; \\\n  cat <<EOF\nUSER 0\nEOF\nUSER 1\n")
    assert read[1].heredocs[0].body == ((4, "USER 0"),)
    assert read[-1].args == "1"


# --- variables: ARG and ENV scopes, expansion forms ---------------------------------------------------------------


def test_global_arg_is_seen_by_from_only() -> None:
    text = "ARG BASE=python:3.12\nARG APPUSER=app\nFROM ${BASE}\nUSER ${APPUSER}\n"
    assert _value(text, "FROM") == Expansion("python:3.12")
    assert _value(text, "USER") == Expansion("", (Missing("APPUSER", "global only"),))


def test_arg_redeclared_in_a_stage_takes_the_global_default() -> None:
    text = "ARG APPUSER=app\nFROM x\nARG APPUSER\nUSER $APPUSER\n"
    assert _value(text, "USER") == Expansion("app")


def test_arg_without_default_is_missing() -> None:
    expansion = _value("FROM x\nARG APPUSER\nUSER ${APPUSER}\n", "USER")
    assert expansion == Expansion("", (Missing("APPUSER", "no default"),))
    assert expansion is not None and expansion.known is None


def test_global_args_expand_in_order() -> None:
    text = "ARG REGISTRY=docker.io\nARG BASE=${REGISTRY}/library/python:3.12\nFROM $BASE\n"
    assert _value(text, "FROM") == Expansion("docker.io/library/python:3.12")


def test_env_wins_over_arg_and_is_inherited_by_a_child_stage() -> None:
    text = "FROM x AS base\nENV APPUSER=0\nARG APPUSER=app\nUSER $APPUSER\nFROM base\nARG OTHER=1\nUSER $APPUSER\n"
    assert _value(text, "USER", 0) == Expansion("0")
    assert _value(text, "USER", 1) == Expansion("0")


def test_args_are_not_inherited_by_a_child_stage() -> None:
    text = "FROM x AS base\nARG APPUSER=app\nFROM base\nUSER $APPUSER\n"
    assert _value(text, "USER") == Expansion("", (Missing("APPUSER", "undeclared"),))


def test_env_pairs_see_the_scope_before_the_instruction() -> None:
    text = "FROM x\nENV A=hello\nENV A=bye B=$A\nUSER $B\nWORKDIR /$A\n"
    assert _value(text, "USER") == Expansion("hello")
    assert _value(text, "WORKDIR") == Expansion("/bye")


def test_env_old_form_and_quoted_values() -> None:
    text = (
        'FROM x\nENV HOME_DIR /srv/my app\nENV USR="app user" Q=\'$NOT\' E=a\\ b\nWORKDIR "$HOME_DIR"\nUSER $USR$Q$E\n'
    )
    assert _value(text, "WORKDIR") == Expansion("/srv/my app")
    assert _value(text, "USER") == Expansion("app user$NOTa b")


@pytest.mark.parametrize(
    ("word", "expected"),
    [
        ("${SET:-d}", "v"),
        ("${UNSET:-d}", "d"),
        ("${EMPTY:-d}", "d"),
        ("${EMPTY-d}", ""),
        ("${SET:+alt}", "alt"),
        ("${UNSET:+alt}", ""),
        ("${EMPTY+alt}", "alt"),
        ("${UNSET:-${SET}x}", "vx"),
        ("\"$SET\"'$SET'", "v$SET"),
        ("\\$SET", "$SET"),
        ('"\\$SET \\a"', "$SET \\a"),
        ("$", "$"),
    ],
)
def test_expansion_forms(word: str, expected: str) -> None:
    assert expand(word, {"SET": "v", "EMPTY": "", "UNSET": None}) == expected


@pytest.mark.parametrize("word", ["${A/x/y}", "${A#x}", "${A%x}", "${A", "${}", "${:-x}", "'open", '"open', "${A:x}"])
def test_unreadable_forms_are_unknown(word: str) -> None:
    assert expand(word, {"A": "x"}) is None
    assert _value(f"FROM x\nARG A=x\nUSER {word}\n", "USER") == Expansion(None)


def test_an_unknown_variable_makes_the_value_unknown() -> None:
    assert expand("$A", {}) is None
    assert expand("$A", {"A": None}) is None
    assert expand("${A:-root}", {"A": None}) == "root"
    assert expand("a$-b", {}) is None  # a special parameter is never set by the file


def test_stage_reference_through_an_arg() -> None:
    text = f"ARG FIRST=build\nFROM {PIN} AS build\nFROM ${{FIRST}}\n"
    assert stages(_doc(text))[1].parent == 0


# --- hostile input ------------------------------------------------------------------------------------------------


def test_doubling_env_is_bounded() -> None:
    lines = ["FROM x", "ENV A=aaaaaaaaaaaaaaaa"] + ["ENV A=$A$A$A$A"] * 40 + ["USER $A"]
    with hang_guard():
        expansion = _value("\n".join(lines) + "\n", "USER")
    assert expansion == Expansion(None)
    assert len(expand("${A}" * 10, {"A": "x" * (MAX_VALUE // 5)}) or "") == 0


def test_deep_nesting_is_unknown_not_a_crash() -> None:
    word = "${A:-" * 5000 + "x" + "}" * 5000
    assert expand(word, {}) is None


def test_long_lines_are_read_without_a_hang() -> None:
    lines = (
        "RUN " + "\\ " * 50_000 + "x",
        "# escape=" + " " * 100_000 + "x",
        "USER " + "$" * 100_000,
        "USER " + "${A:-" * 20_000,
        "RUN " + "<<" * 50_000,
        "RUN " + "<<A " * 20_000,
        "ENV " + "A=$B " * 20_000,
        "RUN " + '"' * 100_001,
    )
    with hang_guard():
        for line in lines:
            document = _doc(f"FROM x\n{line}\nUSER 1\n")
            for item in instructions(document):
                value(document, item)


@pytest.mark.parametrize("seed", range(20))
def test_random_text_never_raises(seed: int) -> None:
    rng = random.Random(seed)  # noqa: S311 - reproducible test input
    alphabet = [
        "FROM ",
        "USER ",
        "ARG ",
        "ENV ",
        "RUN ",
        "WORKDIR ",
        "COPY ",
        "ONBUILD ",
        "AS ",
        "<<",
        "<<-",
        "EOF",
        "$",
        "${",
        "}",
        ":-",
        ":+",
        "=",
        "'",
        '"',
        "\\",
        "`",
        "\n",
        "\t",
        " ",
        "# escape=`\n",
        "A",
        "0",
        "[",
    ]
    text = "".join(rng.choice(alphabet) for _ in range(400))
    document = _doc(text)
    for item in instructions(document):
        value(document, item)
    stages(document)


# --- the reader under scaffold adopt's inference ------------------------------------------------------------------


def test_inference_reads_arg_bases_and_heredoc_bodies() -> None:
    found = infer_dockerfile("Dockerfile", "ARG BASE=python:3.12\nFROM $BASE\nRUN <<EOF\nnpm ci\nEOF\n")
    assert [language for language, _ in found.languages] == ["python", "node"]
    assert infer_dockerfile("Dockerfile", "RUN echo no FROM\n").languages == []
