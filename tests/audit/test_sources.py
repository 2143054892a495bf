"""Reading untrusted files: a FIFO, a device, a symlink out of the folder, a loop, an odd name or a name that is
too long is a one-line per-file error, never a hang or a crash, and the other files are still audited."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from scaffold.audit.run import audit_paths
from scaffold.audit.sources import Source, collect, repository_root
from scaffold.errors import UsageError
from scaffold.rules.model import Kind
from scaffold.untrusted.text import printable
from tests.support.hang_guard import hang_guard

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
    with pytest.raises(UsageError, match=r"^/dev/zero: not a file scaffold audits \("):
        audit_paths([Path("/dev/zero")])
    report = audit_paths([Path("/dev/zero")], kind=Kind.DOCKERFILE)
    assert [(e.path, e.message) for e in report.errors] == [("/dev/zero", "is not a regular file (a character device)")]


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


# --- the kind comes from the path relative to the repository's root -------------------------------------------------

WORKFLOW = "on: push\njobs:\n  t:\n    runs-on: x\n    steps:\n      - uses: org/action@v1\n"


def _git_repository(base: Path) -> Path:
    root = base / "repo"
    (root / ".github/workflows").mkdir(parents=True)
    (root / ".github/workflows/ci.yml").write_text(WORKFLOW)
    (root / "app/src").mkdir(parents=True)
    (root / "app/Dockerfile").write_text("FROM python:latest\n")
    subprocess.run(["git", "init", "-q", str(root)], check=True)
    return root


def _no_marker_above(folder: Path) -> bool:
    """Whether nothing above ``folder`` (the test's temporary folder) would be taken for a repository's root."""
    return repository_root(folder / "x" / "file") == folder / "x"


def test_the_root_is_the_git_top_level_from_anywhere_inside(tmp_path: Path) -> None:
    root = _git_repository(tmp_path)
    for inside in (".", ".github", ".github/workflows", ".github/workflows/ci.yml", "app/src", "app/missing.txt"):
        assert repository_root(root / inside) == root, inside
    (root / "app/.git").write_text("gitdir: elsewhere\n")  # a submodule or worktree: a .git file counts too
    assert repository_root(root / "app/Dockerfile") == root / "app"


def test_the_root_is_found_from_a_relative_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = _git_repository(tmp_path)
    monkeypatch.chdir(root / ".github/workflows")
    assert repository_root(Path("ci.yml")) == root
    assert repository_root(Path()) == root
    assert repository_root(Path("../..")) == root


@pytest.mark.parametrize(
    "marker", [".github", ".gitlab-ci.yml", "Jenkinsfile", ".pre-commit-config.yaml", ".scaffold.yml"]
)
def test_without_git_the_root_is_the_nearest_folder_with_a_marker(tmp_path: Path, marker: str) -> None:
    if not _no_marker_above(tmp_path):
        pytest.skip("the temporary folder is itself inside a repository")
    root = tmp_path / "project"
    (root / "ci/deep").mkdir(parents=True)
    if marker == ".github":
        (root / marker).mkdir()
    else:
        (root / marker).write_text("")
    assert repository_root(root / "ci/deep/pipeline.yaml") == root
    assert repository_root(root / "ci/deep") == root


def test_without_git_or_a_marker_the_root_is_the_paths_own_folder(tmp_path: Path) -> None:
    if not _no_marker_above(tmp_path):
        pytest.skip("the temporary folder is itself inside a repository")
    (tmp_path / "loose").mkdir()
    assert repository_root(tmp_path / "loose/Dockerfile") == tmp_path / "loose"
    assert repository_root(tmp_path / "loose") == tmp_path / "loose"


def _found(paths: list[Path], kind: Kind | None = None) -> list[tuple[str, Kind]]:
    return [(item.shown, item.kind) for item in collect(paths, kind) if isinstance(item, Source)]


def test_a_workflow_is_a_workflow_from_wherever_it_is_named(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = _git_repository(tmp_path)
    monkeypatch.chdir(root / ".github/workflows")
    assert _found([Path()]) == [("ci.yml", Kind.WORKFLOW)]
    assert _found([Path("ci.yml")]) == [("ci.yml", Kind.WORKFLOW)]
    assert _found([root / ".github/workflows/ci.yml"]) == [(str(root / ".github/workflows/ci.yml"), Kind.WORKFLOW)]
    monkeypatch.chdir(root / ".github")
    assert _found([Path("workflows")]) == [("workflows/ci.yml", Kind.WORKFLOW)]
    monkeypatch.chdir(root)
    assert _found([Path()]) == [(".github/workflows/ci.yml", Kind.WORKFLOW), ("app/Dockerfile", Kind.DOCKERFILE)]


def test_kind_forces_the_kind_of_named_files_only(tmp_path: Path) -> None:
    root = _git_repository(tmp_path)
    (root / "ci").mkdir()
    (root / "ci/pipeline.yaml").write_text("a: 1\n")
    assert _found([root / "ci/pipeline.yaml"], Kind.GITLAB_CI) == [(str(root / "ci/pipeline.yaml"), Kind.GITLAB_CI)]
    assert _found([root / "app/Dockerfile"], Kind.GITLAB_CI) == [(str(root / "app/Dockerfile"), Kind.GITLAB_CI)]
    assert _found([root / "app"], Kind.GITLAB_CI) == [(str(root / "app/Dockerfile"), Kind.DOCKERFILE)]


def test_a_named_path_with_nothing_to_audit_is_a_usage_error(tmp_path: Path) -> None:
    root = _git_repository(tmp_path)
    (root / "notes.txt").write_text("hello\n")
    (root / "docs").mkdir()
    (root / "docs/readme.md").write_text("# docs\n")
    with pytest.raises(UsageError) as raised:
        collect([root / "app/Dockerfile", root / "notes.txt"])
    assert str(raised.value) == (
        f"{root}/notes.txt: not a file scaffold audits (its kind comes from its path in the repository; "
        "use --kind to set it)"
    )
    with pytest.raises(UsageError) as raised:
        collect([root / "docs"])
    assert str(raised.value) == f"{root}/docs: holds no file scaffold audits"


@posix_only
def test_a_fifo_named_explicitly_is_never_opened_to_find_its_kind(tmp_path: Path) -> None:
    root = _git_repository(tmp_path)
    os.mkfifo(root / "pipe")
    os.mkfifo(root / ".github/workflows/fifo.yml")
    with hang_guard():
        with pytest.raises(UsageError, match="pipe: not a file scaffold audits"):
            audit_paths([root / "pipe"])
        forced = audit_paths([root / "pipe"], kind=Kind.DOCKERFILE)
        named = audit_paths([root / ".github/workflows/fifo.yml"])
        searched = audit_paths([root / ".github"])
    for report in (forced, named):
        assert [error.message for error in report.errors] == ["is not a regular file (a FIFO)"]
    assert [error.message for error in searched.errors] == ["is not a regular file (a FIFO)"]
    assert [finding.rule for finding in searched.findings].count("unpinned-uses") == 1


@posix_only
def test_a_symlink_out_of_the_repository_is_still_not_followed_from_a_subfolder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = _git_repository(tmp_path)
    outside = tmp_path / "outside.yml"
    outside.write_text(WORKFLOW)
    (root / ".github/workflows/linked.yml").symlink_to(outside)
    monkeypatch.chdir(root / ".github/workflows")
    report = audit_paths([Path()])
    assert [(e.path, e.message) for e in report.errors] == [
        ("linked.yml", "is a symlink to outside the audited folder; not followed")
    ]
    assert report.files == 1
