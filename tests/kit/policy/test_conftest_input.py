"""The conftest input adapter reproduces the shapes conftest's parsers give (see tests/support/conftest_input.py for
the upstream files and commit it follows)."""

from __future__ import annotations

import pytest

from tests.support import conftest_input as ci


def test_parser_choice_follows_conftest() -> None:
    assert ci.parser_name("Dockerfile") == "dockerfile"
    assert ci.parser_name("build/Dockerfile.debug") == "dockerfile"
    assert ci.parser_name("dev.Dockerfile") == "dockerfile"
    assert ci.parser_name(".dockerignore") == "ignore"
    assert ci.parser_name(".gitignore") == "ignore"
    assert ci.parser_name(".gitlab-ci.yml") == "yaml"
    assert ci.parser_name("Jenkinsfile") == "groovy"
    assert ci.parser_name("registry/ecr/main.tf") == "hcl2"
    for unread in ("deploy/deploy.sh", "docs/ci-security.md", ".github/CODEOWNERS", "main.go", "p.rego"):
        with pytest.raises(ci.NotReadError):
            ci.parser_name(unread)


def test_dockerfile_is_one_input_of_instructions_with_stages() -> None:
    text = "# top\nFROM golang:1.13-alpine as base\nCOPY go.mod .\n\n# second\nFROM base as builder\nRUN go build\n"
    (commands,) = ci.inputs("Dockerfile", text)
    assert [c["Cmd"] for c in commands] == ["comment", "from", "copy", "comment", "from", "run"]
    assert [c["Stage"] for c in commands] == [0, 0, 0, 1, 1, 1]
    assert commands[1]["Value"] == ["golang:1.13-alpine", "as", "base"]
    assert commands[0] == {"Cmd": "comment", "SubCmd": "", "JSON": False, "Flags": None, "Value": ["top"], "Stage": 0}


def test_dockerfile_flags_json_continuations_and_env() -> None:
    text = (
        "# syntax=docker/dockerfile:1\nFROM --platform=$BUILDPLATFORM scratch\n"
        'ENV A=1 \\\n    B="two words"\nCOPY --from=0 --chown=1:1 a b\nCMD ["run", "x"]\nUSER 10001:10001\n'
        "HEALTHCHECK --interval=5s CMD curl -f localhost\nONBUILD RUN make\n"
    )
    (commands,) = ci.inputs("Dockerfile", text)
    by_cmd = {c["Cmd"]: c for c in commands}
    assert "comment" not in by_cmd  # a parser directive is not a comment
    assert by_cmd["from"]["Flags"] == ["--platform=$BUILDPLATFORM"] and by_cmd["from"]["Value"] == ["scratch"]
    assert by_cmd["env"]["Value"] == ["A", "1", "=", "B", '"two words"', "="]
    assert by_cmd["copy"]["Flags"] == ["--from=0", "--chown=1:1"]
    assert by_cmd["cmd"]["JSON"] is True and by_cmd["cmd"]["Value"] == ["run", "x"]
    assert by_cmd["user"]["Value"] == ["10001:10001"]
    assert by_cmd["healthcheck"]["Value"] == ["CMD", "curl -f localhost"]
    assert by_cmd["onbuild"]["SubCmd"] == "RUN" and by_cmd["onbuild"]["Value"] == ["make"]


def test_dockerfile_heredoc_body_is_not_instructions() -> None:
    text = "FROM scratch\nRUN <<EOF\nUSER root\nEOF\nUSER 1\n"
    (commands,) = ci.inputs("Dockerfile", text)
    assert [(c["Cmd"], c["Value"]) for c in commands] == [("from", ["scratch"]), ("run", ["<<EOF"]), ("user", ["1"])]


def test_unknown_instruction_fails_like_conftest() -> None:
    with pytest.raises(ValueError, match="unknown instruction"):
        ci.inputs("Dockerfile", "FROM scratch\nFROBNICATE x\n")


def test_ignore_entries_follow_go_ignore() -> None:
    (entries,) = ci.inputs(".dockerignore", "!bar\n\n# Test\n*.pem  \n")
    assert entries == [
        {"Kind": "NegatedPath", "Value": "bar", "Original": "!bar"},
        {"Kind": "Empty", "Value": "", "Original": ""},
        {"Kind": "Comment", "Value": "Test", "Original": "# Test"},
        {"Kind": "Path", "Value": "*.pem", "Original": "*.pem  "},
        {"Kind": "Empty", "Value": "", "Original": ""},
    ]


def test_yaml_reads_on_as_true_and_splits_documents() -> None:
    (workflow,) = ci.inputs("w.yml", "on: push\njobs: {}\n")
    assert workflow == {"true": "push", "jobs": {}}
    assert ci.inputs("x.yml", "# head\n---\na: 1\n---\nb: 2\n") == [None, {"a": 1}, {"b": 2}]
    assert ci.inputs("list.yaml", "- a\n- b\n") == ["a", "b"]


def test_file_data_is_the_base_name() -> None:
    assert ci.file_data("sub/.dockerignore")["conftest"]["file"]["name"] == ".dockerignore"
