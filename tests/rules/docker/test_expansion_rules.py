"""The docker rules that read expanded words: docker-root-user (USER), docker-unpinned-base (FROM) and
docker-relative-workdir (WORKDIR), with ARG defaults and ENV values as BuildKit reads them; and RUN pipes."""

from __future__ import annotations

import re

import pytest

from scaffold.rules.catalog import REGISTRY
from scaffold.rules.runner import audit_tree

PIN = "python:3.13@sha256:" + "a" * 64
ROOT = "the final stage runs as root"


def _hits(rule_id: str, text: str) -> list[tuple[int, str, str]]:
    """(line, message, subject) of one rule's findings on a Dockerfile."""
    report = audit_tree({"Dockerfile": text}, rules=[rule for rule in REGISTRY if rule.id == rule_id])
    assert report.errors == []
    return [(item.line, item.message, item.subject) for item in report.findings]


def _messages(rule_id: str, text: str) -> list[str]:
    return [message for _, message, _ in _hits(rule_id, text)]


# --- docker-root-user -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "shown"),
    [
        ("ARG APPUSER=root\nUSER ${APPUSER}", "USER ${APPUSER}, which is root"),
        ("ENV APPUSER=0\nUSER ${APPUSER}", "USER ${APPUSER}, which is 0"),
        ("ARG APPUSER=app\nENV APPUSER=0\nUSER $APPUSER", "USER $APPUSER, which is 0"),
        ("USER root:root", "USER root:root"),
        ("USER 0:0", "USER 0:0"),
        ("USER 0", "USER 0"),
        ("USER 000:1000", "USER 000:1000"),
        ('USER "root"', 'USER "root", which is root'),
        ("ARG APPUSER\nUSER ${APPUSER:-root}", "USER ${APPUSER:-root}, which is root"),
        ('USER ""', 'USER "", which is empty'),
    ],
)
def test_root_user_after_expansion(body: str, shown: str) -> None:
    assert _messages("docker-root-user", f"FROM {PIN}\n{body}\n") == [f"{ROOT} ({shown})"]


@pytest.mark.parametrize(
    "body",
    [
        "ARG APPUSER=app\nUSER ${APPUSER}",
        "ARG UID=10001\nUSER ${UID}:${UID}",
        "ENV APPUSER=app\nUSER $APPUSER",
        "ARG APPUSER\nUSER ${APPUSER:-10001}",
        "USER app:root",  # the root group, not the root user
        "USER ${FROM_THE_BASE_IMAGE}",  # undeclared: the base image's ENV may set it
        "ARG APPUSER=root\nUSER ${APPUSER:+app}",
        "USER ${A/b/c}",  # a form scaffold does not model: unknown, not reported
    ],
)
def test_non_root_user_after_expansion(body: str) -> None:
    assert _messages("docker-root-user", f"FROM {PIN}\n{body}\n") == []


def test_global_arg_redeclared_in_the_stage() -> None:
    root = f"ARG APPUSER=root\nFROM {PIN}\nARG APPUSER\nUSER ${{APPUSER}}\n"
    assert _messages("docker-root-user", root) == [f"{ROOT} (USER ${{APPUSER}}, which is root)"]
    app = f"ARG APPUSER=app\nFROM {PIN}\nARG APPUSER\nUSER ${{APPUSER}}\n"
    assert _messages("docker-root-user", app) == []


def test_global_arg_not_redeclared_is_empty_in_the_stage() -> None:
    (message,) = _messages("docker-root-user", f"ARG APPUSER=app\nFROM {PIN}\nUSER ${{APPUSER}}\n")
    assert message.startswith(f"{ROOT}: USER ${{APPUSER}} reads ARG APPUSER, which is declared only before")


def test_arg_without_default_is_reported_with_lower_confidence_wording() -> None:
    (message,) = _messages("docker-root-user", f"FROM {PIN}\nARG APPUSER\nUSER ${{APPUSER}}\n")
    assert message.startswith("the final stage may run as root: USER ${APPUSER} reads ARG APPUSER, which has no")
    assert "--build-arg APPUSER" in message
    (through_env,) = _messages("docker-root-user", f"FROM {PIN}\nARG U\nENV APPUSER=$U\nUSER ${{APPUSER}}:1\n")
    assert "may run as root" in through_env and "ARG U" in through_env


def test_no_user_in_the_final_stage_and_user_from_the_parent_stage() -> None:
    assert _hits("docker-root-user", f"FROM {PIN} AS base\nUSER 1\nFROM {PIN}\nRUN x\n") == [
        (3, "the final stage (FROM python:3.13) sets no USER, so it runs as root", "the final stage's user")
    ]
    assert _messages("docker-root-user", f"FROM {PIN} AS base\nARG U=app\nUSER $U\nFROM base\n") == []
    parent = _messages("docker-root-user", f"FROM {PIN} AS base\nENV U=0\nUSER $U\nFROM base\n")
    assert parent == ["the final stage, built from stage base, runs as root (USER $U, which is 0)"]


def test_root_user_is_reported_where_the_user_is_written_with_a_subject() -> None:
    assert _hits("docker-root-user", f"FROM {PIN}\nARG A=root\n\nUSER \\\n  $A\n") == [
        (5, f"{ROOT} (USER $A, which is root)", "the final stage's user")
    ]


# --- docker-unpinned-base -------------------------------------------------------------------------------------


def test_unpinned_base_through_an_arg() -> None:
    assert _hits("docker-unpinned-base", "ARG BASE=python:3.12\nFROM ${BASE}\n") == [
        (2, "stage 0: FROM ${BASE} (python:3.12) is not pinned by @sha256 digest", "FROM ${BASE}")
    ]
    assert _messages("docker-unpinned-base", f"ARG BASE={PIN}\nFROM ${{BASE}}\n") == []
    assert _messages("docker-unpinned-base", f"ARG BASE\nFROM ${{BASE:-{PIN}}}\n") == []
    assert _messages("docker-unpinned-base", "ARG BASE\nFROM ${BASE:-python:3.12}\n") != []
    assert _messages("docker-unpinned-base", "ARG BASE\nFROM $BASE\n") != []  # no default: cannot be verified


def test_unpinned_base_stage_aliases_and_scratch() -> None:
    text = (
        f"ARG FIRST=build\nARG EMPTY=scratch\nFROM {PIN} AS build\nFROM ${{FIRST}} AS test\nFROM $EMPTY\nFROM Build\n"
    )
    assert _messages("docker-unpinned-base", text) == []
    later = _messages("docker-unpinned-base", f"ARG NEXT=later\nFROM $NEXT AS a\nFROM {PIN} AS later\n")
    assert later == ["stage 0: FROM $NEXT (later) is not pinned by @sha256 digest"]


def test_global_args_only_reach_from() -> None:
    """A stage's own ARG is not seen by a later FROM: only the ARGs before the first FROM are."""
    text = f"FROM {PIN} AS build\nARG BASE={PIN}\nFROM $BASE\n"
    assert _messages("docker-unpinned-base", text) == ["stage 1: FROM $BASE is not pinned by @sha256 digest"]


# --- docker-relative-workdir ----------------------------------------------------------------------------------


def test_relative_workdir_after_expansion() -> None:
    assert _messages("docker-relative-workdir", "FROM x\nARG DIR=app\nWORKDIR $DIR\n") == [
        "WORKDIR $DIR (app) is relative to the WORKDIR before it; use an absolute path"
    ]
    assert _messages("docker-relative-workdir", "FROM x\nENV HOME=/srv\nWORKDIR ${HOME}/app\n") == []
    assert _messages("docker-relative-workdir", "FROM x\nWORKDIR $HOME/app\n") == []  # from the base image


# --- RUN pipes ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "run",
    [
        "RUN curl -fsSL https://x | sh",
        "RUN set -e; \\\n    curl -fsSL https://x \\\n    | bash",
        "RUN <<EOF\ncurl -fsSL https://x | sh\nEOF",
        "# escape=`\nFROM x\nRUN curl -fsSL https://x `\n  | sh",
    ],
)
def test_curl_pipe_shell(run: str) -> None:
    text = run if run.startswith("#") else f"FROM x\n{run}\n"
    assert len(_messages("docker-curl-pipe-shell", text)) == 1


# --- findings name what they concern, never where -------------------------------------------------------------

DOCKERFILE = f"""ARG BASE=python:3.12
FROM $BASE AS build
WORKDIR src
FROM {PIN}
ARG APPUSER=root
USER $APPUSER
"""


@pytest.mark.parametrize("rule_id", ["docker-root-user", "docker-unpinned-base", "docker-relative-workdir"])
def test_subjects_and_messages_hold_no_line_numbers(rule_id: str) -> None:
    hits = _hits(rule_id, DOCKERFILE)
    assert hits
    for line, message, subject in hits:
        assert subject
        assert not re.search(rf"\bline\b|:{line}\b", message + subject)
    moved = _hits(rule_id, "\n\n" + DOCKERFILE)
    assert [(message, subject) for _, message, subject in moved] == [(m, s) for _, m, s in hits]
