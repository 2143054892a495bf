"""What the repository holds is untrusted: odd files, line endings and names end in exit 2 or are kept, never a
traceback, and a refused run writes nothing."""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import scaffold.packs.chosen as chosen_module
from scaffold import cli
from scaffold.kit.packs import Pack
from scaffold.upgrade import transaction
from scaffold.upgrade.merge import merge_file
from scaffold.upgrade.plan import has_conflict_markers
from tests.support.hang_guard import hang_guard
from tests.upgrade import support
from tests.upgrade.support import commit_all, make_repo

V1 = {"config/app.yml": "name: app\nlimits:\n  cpu: 1\n  memory: 2\n", "deploy/run.sh": "echo one\n"}
V2 = {"config/app.yml": "name: app\nlimits:\n  cpu: 1\n  memory: 3\n", "deploy/run.sh": "echo two\n"}


@pytest.fixture
def kit(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, Pack]:
    v1 = support.make_tiny_pack(tmp_path / "v1", "1.0.0", V1)
    v2 = support.make_tiny_pack(tmp_path / "v2", "1.1.0", V2)
    repo = make_repo(tmp_path / "svc", pack=v1)
    monkeypatch.setattr(chosen_module, "load_pack", lambda directory=None: v2)
    return repo, v2


def _refused(repo: Path, capsys: pytest.CaptureFixture[str], rule: str, *flags: str) -> None:
    before = support.files_of(repo)
    assert cli.main(["upgrade", str(repo), *flags]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and rule in err, err
    assert support.files_of(repo) == before
    assert not (repo / transaction.STAGING).exists() and not (repo / transaction.JOURNAL).exists()


# --- line endings -------------------------------------------------------------------------------------------------


def test_a_crlf_only_change_is_drift_and_is_kept_by_upgrade(
    kit: tuple[Path, Pack], capsys: pytest.CaptureFixture[str]
) -> None:
    repo, _ = kit
    (repo / "config/app.yml").write_bytes(V1["config/app.yml"].replace("\n", "\r\n").encode())
    commit_all(repo, "crlf")
    assert cli.main(["diff", str(repo)]) == 1
    assert "config/app.yml" in capsys.readouterr().out
    assert cli.main(["upgrade", str(repo)]) == 0
    merged = (repo / "config/app.yml").read_bytes()
    assert merged == V2["config/app.yml"].replace("\n", "\r\n").encode()  # the kit's change, in the user's CRLF


def test_merge_keeps_crlf_on_both_sides_of_a_conflict() -> None:
    base, theirs = "a: 1\nb: 2\n", "a: 1\nb: 3\n"
    ours = "a: 1\r\nb: 4\r\n"
    merged = merge_file("x.txt", base=base, ours=ours, theirs=theirs)
    assert merged.conflicts == 1
    conflict = next(segment for segment in merged.segments if not isinstance(segment, str))
    assert conflict.ours == "b: 4\r\n" and conflict.theirs == "b: 3\r\n"
    clean = merge_file("x.txt", base=base, ours="c: 0\r\na: 1\r\nb: 2\r\n", theirs=theirs)
    assert clean.text_without_conflicts() == "c: 0\r\na: 1\r\nb: 3\r\n"


# --- odd files where the kit has a file or a folder ---------------------------------------------------------------


def test_a_kit_folder_replaced_by_a_file_is_refused_and_nothing_is_written(
    kit: tuple[Path, Pack], capsys: pytest.CaptureFixture[str]
) -> None:
    repo, _ = kit
    shutil.rmtree(repo / "deploy")
    (repo / "deploy").write_text("not a folder\n")
    commit_all(repo, "deploy is a file")
    _refused(repo, capsys, "'deploy' is a file where the kit needs a folder")
    _refused(repo, capsys, "'deploy' is a file where the kit needs a folder")  # and again: no half-applied state


def test_a_kit_file_that_is_a_fifo_is_refused_without_blocking(
    kit: tuple[Path, Pack], capsys: pytest.CaptureFixture[str]
) -> None:
    repo, _ = kit
    (repo / "deploy/run.sh").unlink()
    os.mkfifo(repo / "deploy/run.sh")
    with hang_guard():
        _refused(repo, capsys, "is not a regular file", "--allow-dirty")
        assert cli.main(["diff", str(repo)]) == 2


def test_a_kit_file_that_is_a_folder_or_a_symlink_out_of_the_repo_is_refused(
    kit: tuple[Path, Pack], capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    repo, _ = kit
    (repo / "deploy/run.sh").unlink()
    (repo / "deploy/run.sh").mkdir()
    (repo / "deploy/run.sh/keep").write_text("x\n")
    _refused(repo, capsys, "is a folder where the kit has a file", "--allow-dirty")
    shutil.rmtree(repo / "deploy/run.sh")
    secret = tmp_path / "secret.txt"
    secret.write_text("outside\n")
    (repo / "deploy/run.sh").symlink_to(secret)
    _refused(repo, capsys, "is a symlink", "--allow-dirty")
    assert secret.read_text() == "outside\n"


def test_an_over_long_name_is_an_error_not_a_traceback(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["upgrade", str(tmp_path / ("x" * 300))]) == 2
    assert capsys.readouterr().err.count("\n") == 1
    assert cli.main(["diff", str(tmp_path / ("x" * 300) / "y")]) == 2


def test_a_repository_path_that_is_not_utf8_is_refused(
    kit: tuple[Path, Pack], capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    repo, _ = kit
    odd = Path(os.fsdecode(bytes(tmp_path) + b"/caf\xe9"))
    shutil.copytree(repo, odd, symlinks=True)
    before = support.files_of(odd)
    for command in ("upgrade", "diff"):
        assert cli.main([command, str(odd)]) == 2
        assert "is not valid UTF-8" in capsys.readouterr().err
    assert support.files_of(odd) == before


# --- conflict markers in linear time ------------------------------------------------------------------------------

_OLD_MARKERS = re.compile(r"^<{7,} .*$.*^>{7,} .*$", re.MULTILINE | re.DOTALL)


@settings(derandomize=True, max_examples=300, deadline=None)
@given(
    st.lists(st.sampled_from(["<<<<<<< a", "<<<<<<<", ">>>>>>> b", ">>>>>>>>>> c", "=======", "x", "", " <<<<<<< a"]))
)
def test_the_marker_scan_agrees_with_the_old_pattern(lines: list[str]) -> None:
    text = "\n".join(lines)
    assert has_conflict_markers(text) == bool(_OLD_MARKERS.search(text))


def test_the_marker_scan_is_linear_on_crafted_input() -> None:
    text = "<<<<<<< x\n" * 200_000 + ">>>>>>>" * 1000
    with hang_guard():
        assert not has_conflict_markers(text)
