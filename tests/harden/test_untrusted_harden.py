"""Harden on files nobody here wrote: writes stay inside the repository and outside .git/, special files never
hang it, any line ending or line-break character keeps the fix where it belongs, and cost stays linear."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest
import yaml

from scaffold import cli
from scaffold.harden.engine import harden_document
from scaffold.harden.runner import harden_paths, harden_tree
from scaffold.rules.catalog import REGISTRY
from scaffold.rules.document import Document
from scaffold.rules.fixes.model import Safety
from scaffold.rules.model import Kind
from tests.support.hang_guard import hang_guard

UNPINNED = "on: push\npermissions: {}\njobs:\n  t:\n    runs-on: x\n    steps:\n      - uses: actions/checkout@v4\n"
PINNED = "actions/checkout@11d5960a326750d5838078e36cf38b85af677262 # v4.4.0"


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    root = tmp_path / "repo"
    (root / ".git").mkdir(parents=True)
    (root / ".github/workflows").mkdir(parents=True)
    return root


def test_a_symlink_out_of_the_repository_is_an_error_and_never_written(repo: Path, tmp_path: Path) -> None:
    outside = tmp_path / "outside.yml"
    outside.write_text(UNPINNED)
    (repo / ".github/workflows/ci.yml").symlink_to(outside)
    report = harden_paths([repo], write=True)
    assert outside.read_text() == UNPINNED
    assert [error.message for error in report.errors] == [
        "is a symlink to outside the audited folder; not followed"
    ] or ["leads out of the repository" in error.message for error in report.errors] == [True]
    assert cli.main(["harden", str(repo / ".github/workflows/ci.yml"), "--write"]) == 2
    assert outside.read_text() == UNPINNED


def test_a_symlink_into_dot_git_is_an_error_and_never_written(repo: Path) -> None:
    inside_git = repo / ".git" / "hooks.yml"
    inside_git.write_text(UNPINNED)
    (repo / ".github/workflows/ci.yml").symlink_to(inside_git)
    assert cli.main(["harden", str(repo / ".github/workflows/ci.yml"), "--write"]) == 2
    assert inside_git.read_text() == UNPINNED
    report = harden_paths([repo / ".github/workflows/ci.yml"], write=True)
    assert [error.message for error in report.errors] == ["is inside .git/; not read or changed"]


def test_a_symlink_into_a_git_directory_under_another_name_is_never_written(tmp_path: Path) -> None:
    root = tmp_path / "repo"
    (root / ".github/workflows").mkdir(parents=True)
    subprocess.run(["git", "init", "-q", "--separate-git-dir", str(root / "gd"), str(root)], check=True)
    inside_git = root / "gd" / "hooks.yml"
    inside_git.write_text(UNPINNED)
    (root / ".github/workflows/ci.yml").symlink_to(inside_git)
    report = harden_paths([root / ".github/workflows/ci.yml"], write=True)
    assert [error.message for error in report.errors] == [
        "is inside the repository's git directory; not read or changed"
    ]
    assert inside_git.read_text() == UNPINNED


def test_a_file_under_dot_git_named_on_the_command_line_is_never_written(repo: Path) -> None:
    target = repo / ".git/.github/workflows/ci.yml"
    target.parent.mkdir(parents=True)
    target.write_text(UNPINNED)
    report = harden_paths([target], write=True)
    assert report.written == []
    assert target.read_text() == UNPINNED


def test_a_symlink_inside_the_repository_is_written_through(repo: Path) -> None:
    real = repo / "real.yml"
    real.write_text(UNPINNED)
    (repo / ".github/workflows/ci.yml").symlink_to(real)
    report = harden_paths([repo / ".github/workflows/ci.yml"], write=True)
    assert report.errors == []
    assert PINNED in real.read_text()


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs on this system")
def test_a_fifo_is_an_error_and_does_not_hang(repo: Path) -> None:
    os.mkfifo(repo / ".github/workflows/ci.yml")
    (repo / ".github/workflows/ok.yml").write_text(UNPINNED)
    with hang_guard():
        report = harden_paths([repo / ".github/workflows/ci.yml", repo / ".github/workflows/ok.yml"], write=True)
    assert ["FIFO" in error.message for error in report.errors] == [True]
    assert report.written == [str(repo / ".github/workflows/ok.yml")]


def test_an_unreadable_file_is_an_error_and_the_others_are_still_fixed(repo: Path) -> None:
    (repo / ".github/workflows/bin.yml").write_bytes(b"on: push\x00\n")
    (repo / ".github/workflows/ci.yml").write_text(UNPINNED)
    report = harden_paths([repo], write=True)
    assert [error.message for error in report.errors] == ["is a binary file; not changed"]
    assert PINNED in (repo / ".github/workflows/ci.yml").read_text()


@pytest.mark.parametrize("ending", ["\r", "\r\n", "\n"])
def test_any_line_ending_is_kept_and_never_crashes(ending: str) -> None:
    text = UNPINNED.replace("\n", ending) + '      - run: echo "${{ github.event.issue.title }}"' + ending
    result = harden_tree({".github/workflows/ci.yml": text}, Safety.UNSAFE).results[0]
    assert result.applied
    assert PINNED in result.after
    breaks = result.after.count(ending)
    assert breaks == len(result.after.replace("\r\n", "\n").replace("\r", "\n").split("\n")) - 1
    assert yaml.safe_load(result.after)["jobs"]["t"]["steps"][1]["env"] == {
        "ISSUE_TITLE": "${{ github.event.issue.title }}"
    }


@pytest.mark.parametrize("char", ["\f", "\v", "\x1c", "\x85", "\u2028", "\u2029"])
def test_a_unicode_line_break_in_a_comment_is_an_error_or_the_fixes_land_where_they_belong(char: str) -> None:
    test_a_unicode_line_break_in_a_comment_keeps_each_fix_where_it_belongs(char)


def test_a_unicode_line_break_in_a_comment_keeps_each_fix_where_it_belongs(char: str = "\x1c") -> None:
    text = (
        f"on: push # a{char}b\njobs:\n  t: # c{char}d\n    runs-on: x\n    steps:\n"
        f"      - uses: actions/checkout@v4 # e{char}f\n      - run: make\n"
    )
    report = harden_tree({".github/workflows/ci.yml": text}, Safety.UNSAFE)
    if report.errors:  # PyYAML refuses the character, or reads a line break there: the file is an error of its own
        assert [error.message.count("\n") for error in report.errors] == [0]
        assert report.results == []
        return
    result = report.results[0]
    fixed = yaml.safe_load(result.after)
    assert fixed["permissions"] == {}
    assert fixed["jobs"]["t"]["timeout-minutes"] == 60
    assert fixed["jobs"]["t"]["steps"][0]["with"] == {"persist-credentials": False}
    assert all("internal error" not in note.message for note in result.notes)


@pytest.mark.parametrize("char", ["\f", "\u2028", "\x85"])
def test_a_dockerfile_with_unicode_line_breaks_is_fixed_on_the_right_line(char: str) -> None:
    text = f"# x{char}FROM scratch\nFROM python:3.13-slim-trixie\nRUN make # {char}USER root\n"
    result = harden_tree({"Dockerfile": text}, Safety.UNSAFE).results[0]
    assert all("internal error" not in note.message for note in result.notes)
    assert result.after.startswith(f"# x{char}FROM scratch\nFROM python:3.13-slim-trixie@sha256:")
    assert result.after.endswith("USER 10001:10001\n")


def test_a_file_with_thousands_of_findings_hardens_in_linear_time() -> None:
    lines = ["on: push", "jobs:"]
    for number in range(400):
        lines += [
            f"  job{number}:",
            "    runs-on: ubuntu-latest",
            "    steps:",
            "      - uses: actions/checkout@v4",
            f"      - run: echo \"${{{{ github.event.issue.title }}}}\" '${{{{ inputs.x{number} }}}}'",
        ]
    text = "\n".join(lines) + "\n"
    with hang_guard():  # one parse and one re-audit, not one per fix
        result = harden_document(
            Document(".github/workflows/ci.yml", Kind.WORKFLOW, text), Safety.UNSAFE, None, REGISTRY
        )
    assert len(result.applied) > 1500


@pytest.mark.parametrize("char", ["\x85", "\u2028", "\u2029"])
def test_a_yaml_line_break_inside_a_quoted_scalar_keeps_each_fix_where_it_belongs(char: str) -> None:
    text = (
        f'on: push\nname: "a{char} b"\njobs:\n  t:\n    runs-on: x\n    steps:\n'
        f'      - name: "c{char} d"\n        uses: actions/checkout@v4\n      - run: make\n'
    )
    result = harden_tree({".github/workflows/ci.yml": text}, Safety.UNSAFE).results[0]
    fixed = yaml.safe_load(result.after)
    assert fixed["permissions"] == {}
    assert fixed["jobs"]["t"]["timeout-minutes"] == 60
    assert fixed["jobs"]["t"]["steps"][0]["with"] == {"persist-credentials": False}
    assert fixed["jobs"]["t"]["steps"][0]["uses"].startswith("actions/checkout@11d5960a")


def test_a_symlink_to_a_folder_named_explicitly_is_not_searched(repo: Path, tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    (outside / ".github/workflows").mkdir(parents=True)
    (outside / ".github/workflows/ci.yml").write_text(UNPINNED)
    (repo / "linked").symlink_to(outside, target_is_directory=True)
    report = harden_paths([repo / "linked"], write=True)
    assert [error.message for error in report.errors] == ["is a symlink to a folder; not followed"]
    assert (outside / ".github/workflows/ci.yml").read_text() == UNPINNED
