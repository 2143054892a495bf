"""Reading untrusted files: a FIFO, a device, a symlink out of the folder, a loop, an odd name or a name that is
too long is a one-line per-file error, never a hang or a crash, and the other files are still audited."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from scaffold.audit.runner import audit_paths
from scaffold.untrusted.text import printable

PINNED = "FROM python:3.12@sha256:" + "0" * 64 + "\nUSER 10001\nHEALTHCHECK CMD true\n"
posix_only = pytest.mark.skipif(sys.platform == "win32", reason="FIFOs and symlinks as on POSIX")


def _errors(paths: list[Path]) -> dict[str, str]:
    return {Path(error.path).name: error.message for error in audit_paths(paths).errors}


@posix_only
def test_a_fifo_in_a_folder_or_on_the_command_line_is_an_error_not_a_hang(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "Dockerfile")
    (tmp_path / "app.dockerfile").write_text(PINNED)
    report = audit_paths([tmp_path])
    assert [(Path(e.path).name, e.message) for e in report.errors] == [("Dockerfile", "is not a regular file (a FIFO)")]
    assert report.files == 1
    assert _errors([tmp_path / "Dockerfile"]) == {"Dockerfile": "is not a regular file (a FIFO)"}


@posix_only
def test_symlinks_to_a_fifo_or_a_device_are_errors(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "pipe")
    (tmp_path / "Dockerfile").symlink_to(tmp_path / "pipe")
    (tmp_path / "Jenkinsfile").symlink_to("/dev/zero")
    assert _errors([tmp_path / "Dockerfile", tmp_path / "Jenkinsfile"]) == {
        "Dockerfile": "is not a regular file (a FIFO)",
        "Jenkinsfile": "is not a regular file (a character device)",
    }


def test_a_device_named_on_the_command_line_is_an_error() -> None:
    assert _errors([Path("/dev/zero")]) == {"zero": "is not a kind of file scaffold audits"}


@posix_only
def test_a_symlink_out_of_the_audited_folder_is_not_followed(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "Dockerfile").write_text("FROM python:latest\n")
    root = tmp_path / "repo"
    root.mkdir()
    (root / "Dockerfile").symlink_to(outside / "Dockerfile")
    (root / "inside.dockerfile").write_text(PINNED)
    (root / "linked.dockerfile").symlink_to(root / "inside.dockerfile")
    report = audit_paths([root])
    assert [(Path(e.path).name, e.message) for e in report.errors] == [
        ("Dockerfile", "is a symlink to outside the audited folder; not followed")
    ]
    assert report.files == 2


@posix_only
def test_symlink_loops_are_errors(tmp_path: Path) -> None:
    (tmp_path / "Dockerfile").symlink_to(tmp_path / "Containerfile")
    (tmp_path / "Containerfile").symlink_to(tmp_path / "Dockerfile")
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "loop").symlink_to(tmp_path / "sub", target_is_directory=True)
    assert _errors([tmp_path]) == {"Containerfile": "is a symlink loop", "Dockerfile": "is a symlink loop"}


@pytest.mark.skipif(sys.platform != "linux", reason="Linux file names are bytes")
def test_a_file_name_that_is_not_utf8_is_shown_escaped(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / ".github" / "workflows").mkdir(parents=True)
    name = os.fsencode(tmp_path / ".github" / "workflows") + b"/caf\xe9\n.yml"
    descriptor = os.open(name, os.O_WRONLY | os.O_CREAT, 0o644)
    os.write(descriptor, b"on: push\njobs: [unclosed\n")
    os.close(descriptor)
    report = audit_paths([tmp_path])
    [error] = report.errors
    assert error.path.endswith("caf\\xe9\\n.yml")
    print(error.path, error.message)  # printing must not raise UnicodeEncodeError
    assert "\n" not in capsys.readouterr().out.rstrip("\n")


def test_a_name_longer_than_the_system_allows_is_an_error(tmp_path: Path) -> None:
    path = tmp_path / ("x" * 300 + ".dockerfile")
    assert _errors([path]) == {path.name: "has a name that is too long"}


def test_a_missing_file_is_an_error(tmp_path: Path) -> None:
    assert _errors([tmp_path / "Dockerfile"]) == {"Dockerfile": "does not exist"}


def test_printable_leaves_ordinary_paths_alone() -> None:
    assert printable("a b/Dockerfile") == "a b/Dockerfile"
    assert printable("a\u2028b\x1b[31m") == "a\\u2028b\\x1b[31m"
    assert printable("caf\udce9") == "caf\\xe9"


def test_bad_text_is_a_one_line_error(tmp_path: Path) -> None:
    (tmp_path / "Dockerfile").write_bytes(b"FROM x\n\xff\xfe")
    (tmp_path / "Jenkinsfile").write_bytes(b"\x00" * 10)
    (tmp_path / ".gitlab-ci.yml").write_bytes(b"a: 1\r" * 10)
    report = audit_paths([tmp_path])
    assert {Path(e.path).name: e.message for e in report.errors} == {
        "Dockerfile": "is not UTF-8 text (byte 7)",
        "Jenkinsfile": "is a binary file",
    }
