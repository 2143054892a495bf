"""scaffold diff: a read-only drift gate against what the recorded answers and the current kit render."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from scaffold import api, cli
from scaffold.packs import Pack
from tests.support.hang_guard import hang_guard
from tests.upgrade import support
from tests.upgrade.support import commit_all, make_repo, tree

CI = ".github/workflows/ci.yml"


def test_a_fresh_kit_has_no_drift(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    repo = make_repo(tmp_path / "service")
    assert cli.main(["diff", str(repo)]) == 0
    assert capsys.readouterr().out.startswith("no drift: ")


def test_an_edit_is_drift_with_a_unified_diff(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    repo = make_repo(tmp_path / "service")
    target = repo / CI
    target.write_text(target.read_text().replace("timeout-minutes: 30", "timeout-minutes: 25"))
    (repo / "Dockerfile").unlink()
    before = tree(repo)
    assert cli.main(["diff", str(repo), "--color=never"]) == 1
    out = capsys.readouterr().out
    assert f"--- a/{CI}\n+++ b/{CI}\n" in out
    assert "-    timeout-minutes: 25\n+    timeout-minutes: 30\n" in out
    assert "--- /dev/null\n+++ b/Dockerfile\n" in out
    assert out.endswith("2 file(s) differ from the kit (1 differs, 1 missing); kit 1.0.0\n")
    assert "\033[" not in out
    assert tree(repo) == before


def test_colour_when_asked(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    repo = make_repo(tmp_path / "service")
    (repo / CI).write_text((repo / CI).read_text() + "# mine\n")
    assert cli.main(["diff", str(repo), "--color=always"]) == 1
    assert "\033[32m+    timeout-minutes" not in capsys.readouterr().out  # the kit side of the changed line
    assert cli.main(["diff", str(repo), "--color=always"]) == 1
    assert "\033[31m-# mine\033[0m\n" in capsys.readouterr().out


def test_json_report_and_a_newer_kit_shows_as_drift(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, kit_v2: Pack, capsys: pytest.CaptureFixture[str]
) -> None:
    repo = make_repo(tmp_path / "service")
    monkeypatch.setattr(api, "load_pack", lambda directory=None: kit_v2)
    assert cli.main(["diff", str(repo), "--format=json"]) == 1
    report = json.loads(capsys.readouterr().out)
    assert report["pack_version"] == {"recorded": "1.0.0", "current": "1.1.0"}
    statuses = {item["path"]: item["status"] for item in report["files"]}
    assert statuses[".hadolint.yaml"] == "left-kit"
    assert statuses[CI] == "differs"
    assert statuses["registry/README.md"] == "unchanged"
    assert report["drifted"] == sum(status != "unchanged" for status in statuses.values())


def test_diff_needs_a_record(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["diff", str(tmp_path)]) == 2
    assert "scaffold: error: " in capsys.readouterr().err


@pytest.fixture(scope="module")
def kit_v2(tmp_path_factory: pytest.TempPathFactory) -> Pack:
    return support.make_kit_v2(tmp_path_factory.mktemp("kit") / "pack-v2")


def test_diff_is_a_ci_gate_after_an_upgrade(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, kit_v2: Pack) -> None:
    repo = make_repo(tmp_path / "service")
    monkeypatch.setattr(api, "load_pack", lambda directory=None: kit_v2)
    assert cli.main(["diff", str(repo)]) == 1
    assert cli.main(["upgrade", str(repo)]) == 0
    commit_all(repo, "upgrade")
    assert cli.main(["diff", str(repo)]) == 0


def test_a_symlinked_kit_file_is_refused_in_words_that_fit_a_read(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    repo = make_repo(tmp_path / "service")
    (repo / "Dockerfile").unlink()
    (repo / "Dockerfile").symlink_to(repo / "README.md" if (repo / "README.md").exists() else repo / CI)
    assert cli.main(["diff", str(repo)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Dockerfile: is a symlink; refusing to read through it" in err


def test_a_huge_file_of_repeated_lines_is_summarised_and_still_differs(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    repo = make_repo(tmp_path / "service")
    (repo / "docs" / "ci-security.md").write_text("\n" * 900_000)
    commit_all(repo, "blank")
    with hang_guard():  # 13-16 s before, well under a second now
        assert cli.main(["diff", str(repo)]) == 1
    out = capsys.readouterr().out
    assert "docs/ci-security.md: 900000 and " in out and "too large to show" in out


@pytest.mark.parametrize("command", ["diff", "upgrade", "adopt"])
def test_a_missing_repository_is_refused_and_not_created(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], command: str
) -> None:
    missing = tmp_path / "no-such-repo"
    assert cli.main([command, str(missing), *(["--defaults"] if command == "adopt" else [])]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "no-such-repo: does not exist; " in err
    assert not missing.exists()
