"""scaffold diff: a read-only drift gate against what the recorded answers and the current kit render."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

import scaffold.packs.chosen as chosen_module
from scaffold import cli
from scaffold.kit.packs import Pack
from scaffold.kit.record import RECORD_PATH, read_record
from tests.support.hang_guard import hang_guard
from tests.upgrade import support
from tests.upgrade.support import commit_all, git, make_repo, tree

CI = ".github/workflows/ci.yml"


def test_a_fresh_kit_has_no_drift(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    repo = make_repo(tmp_path / "service")
    assert cli.main(["diff", str(repo)]) == 0
    assert capsys.readouterr().out.startswith("no drift: ")


def test_strict_is_byte_for_byte_with_unified_diffs(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    repo = make_repo(tmp_path / "service")
    target = repo / CI
    target.write_text(target.read_text().replace("timeout-minutes: 30", "timeout-minutes: 25"))
    (repo / "Dockerfile").unlink()
    before = tree(repo)
    assert cli.main(["diff", str(repo), "--strict", "--color=never"]) == 1
    out = capsys.readouterr().out
    assert f"--- a/{CI}\n+++ b/{CI}\n" in out
    assert "-    timeout-minutes: 25\n+    timeout-minutes: 30\n" in out
    assert "--- /dev/null\n+++ b/Dockerfile\n" in out
    assert out.endswith("drift (--strict): 2 file(s) differ from the kit (1 differs, 1 missing); kit 1.0.0\n")
    assert "\033[" not in out
    assert tree(repo) == before


def test_the_gate_lists_one_line_per_item_and_a_verdict(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    repo = make_repo(tmp_path / "service")
    target = repo / CI
    target.write_text(target.read_text().replace("timeout-minutes: 30", "timeout-minutes: 25"))
    (repo / "docs" / "ci-security.md").unlink()  # deleted, and not listed under removed:
    refs = git(repo, "for-each-ref")
    before = tree(repo)
    assert cli.main(["diff", str(repo), "--color=never"]) == 1
    assert capsys.readouterr().out.splitlines() == [
        "   missing  docs/ci-security.md  (deleted: restore it, or list it under removed: in .scaffold.yml)",
        f"customised  {CI}",
        "drift: 1 missing; 1 customised; kit 1.0.0",
    ]
    assert tree(repo) == before
    assert git(repo, "for-each-ref") == refs  # reads only: not even the stored base moves


def test_colour_when_asked(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    repo = make_repo(tmp_path / "service")
    (repo / CI).write_text((repo / CI).read_text() + "# mine\n")
    assert cli.main(["diff", str(repo), "--strict", "--color=always"]) == 1
    assert "\033[32m+    timeout-minutes" not in capsys.readouterr().out  # the kit side of the changed line
    assert cli.main(["diff", str(repo), "--strict", "--color=always"]) == 1
    assert "\033[31m-# mine\033[0m\n" in capsys.readouterr().out


def test_json_report_and_a_newer_kit_shows_as_drift(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, kit_v2: Pack, capsys: pytest.CaptureFixture[str]
) -> None:
    repo = make_repo(tmp_path / "service")
    monkeypatch.setattr(chosen_module, "load_pack", lambda directory=None: kit_v2)
    assert cli.main(["diff", str(repo), "--format=json"]) == 1
    report = json.loads(capsys.readouterr().out)
    assert report["pack_version"] == {"recorded": "1.0.0", "current": "1.1.0"}
    assert report["drift"] is True and report["strict"] is False
    statuses = {item["path"]: item["status"] for item in report["files"]}
    assert statuses[".hadolint.yaml"] == "left-kit"
    assert statuses[CI] == "differs"
    assert statuses["registry/README.md"] == "unchanged"
    pending = {item["path"]: item["status"] for item in report["pending"]}
    assert {
        ".hadolint.yaml": "removed",
        "deploy/deploy.sh": "removed",
        CI: "updated",
        ".scaffold.yml": "record",
    }.items() <= pending.items()
    assert set(pending) == {item["path"] for item in report["files"] if item["status"] != "unchanged"} | {
        ".scaffold.yml"
    }


def test_diff_needs_a_record(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["diff", str(tmp_path)]) == 2
    assert "scaffold: error: " in capsys.readouterr().err


@pytest.fixture(scope="module")
def kit_v2(tmp_path_factory: pytest.TempPathFactory) -> Pack:
    return support.make_kit_v2(tmp_path_factory.mktemp("kit") / "pack-v2")


def test_diff_is_a_ci_gate_after_an_upgrade(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, kit_v2: Pack) -> None:
    repo = make_repo(tmp_path / "service")
    monkeypatch.setattr(chosen_module, "load_pack", lambda directory=None: kit_v2)
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
        assert cli.main(["diff", str(repo), "--strict"]) == 1
    out = capsys.readouterr().out
    assert "docs/ci-security.md: 900000 and " in out and "too large to show" in out
    with hang_guard():
        assert cli.main(["diff", str(repo)]) == 0  # an upgrade keeps it: customised
    assert "customised  docs/ci-security.md\n" in capsys.readouterr().out


@pytest.mark.parametrize("command", ["diff", "upgrade", "adopt"])
def test_a_missing_repository_is_refused_and_not_created(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], command: str
) -> None:
    missing = tmp_path / "no-such-repo"
    assert cli.main([command, str(missing), *(["--defaults"] if command == "adopt" else [])]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "no-such-repo: does not exist; " in err
    assert not missing.exists()


RELEASE = ".github/workflows/release.yml"


def _list_removed(repo: Path, *entries: str) -> None:
    """List paths under removed: in .scaffold.yml by hand, as a user may."""
    record = repo / RECORD_PATH
    listed = "".join(f"  - {entry}\n" for entry in entries)
    record.write_text(record.read_text().replace("files:\n", f"removed:\n{listed}files:\n", 1))


def test_the_json_report_separates_pending_weaker_missing_customised_and_removed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, kit_v2: Pack, capsys: pytest.CaptureFixture[str]
) -> None:
    repo = make_repo(tmp_path / "service")
    text = (repo / RELEASE).read_text()
    line = text[: text.index("permissions: {}")].count("\n") + 1
    (repo / RELEASE).write_text(text.replace("permissions: {}", "permissions: write-all", 1))
    (repo / ".pre-commit-config.yaml").write_text((repo / ".pre-commit-config.yaml").read_text() + "# ours\n")
    (repo / "docs" / "ci-security.md").unlink()
    policy = sorted(name for name in read_record(repo).files if name.startswith("policy/"))
    shutil.rmtree(repo / "policy")
    _list_removed(repo, "policy/")
    commit_all(repo, "customise")
    monkeypatch.setattr(chosen_module, "load_pack", lambda directory=None: kit_v2)
    assert cli.main(["diff", str(repo), "--format=json"]) == 1
    report = json.loads(capsys.readouterr().out)
    assert report["pack_version"] == {"recorded": "1.0.0", "current": "1.1.0"}
    assert report["drift"] is True
    pending = {item["path"]: item for item in report["pending"]}
    assert pending[CI]["status"] == "updated"
    assert pending["deploy/deploy.sh"]["status"] == "removed"
    assert pending[RECORD_PATH] == {
        "path": RECORD_PATH,
        "status": "record",
        "note": "an upgrade rewrites pack.version 1.0.0 -> 1.1.0, files",
    }
    assert [(weak["path"], weak["line"]) for weak in report["weaker"]] == [(RELEASE, line)]
    assert all(weak["control"] and weak["message"] for weak in report["weaker"])
    assert report["missing"] == ["docs/ci-security.md"]
    assert report["customised"] == [".pre-commit-config.yaml"]
    assert report["removed"] == policy
    assert pending[RELEASE]["status"] == "merged"  # weaker too: the merge keeps the user's edit
    assert not set(pending) & {".pre-commit-config.yaml", "docs/ci-security.md", *policy}


@pytest.mark.parametrize(
    ("value", "rule"),
    [
        ("['../x']", "removed: '../x': a path must not contain '..'"),
        ("5", "removed must be a list of relative paths, not a int"),
        ("['.git/config']", "removed: '.git/config': a path must not be or be under .git"),
        ("['.GIT/']", "removed: '.GIT/': a path must not be or be under .git"),
        ("['/etc/passwd']", "removed: '/etc/passwd': a path must be relative"),
        ("['policy//']", "removed: 'policy//': a path must be normalised"),
        ("['/']", "removed: '/': a path must not be empty"),
        ("[[policy]]", "removed: \"['policy']\": a path must be a text path, not a list"),
        ("{policy: 1}", "removed must be a list of relative paths, not a dict"),
        ("['.scaffold.yml']", "removed: '.scaffold.yml': a path must not be .scaffold.yml itself"),
    ],
)
def test_a_hostile_removed_list_is_refused_in_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], value: str, rule: str
) -> None:
    repo = make_repo(tmp_path / "service")
    record = repo / RECORD_PATH
    record.write_text(record.read_text().replace("files:\n", f"removed: {value}\nfiles:\n", 1))
    commit_all(repo, "hostile record")
    before = tree(repo)
    for command in ("diff", "upgrade"):
        assert cli.main([command, str(repo)]) == 2
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and f".scaffold.yml: {rule}" in err, err
    assert tree(repo) == before


def test_upgrade_records_a_deleted_kit_file_and_diff_honours_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    repo = make_repo(tmp_path / "service")
    (repo / "runtime" / "README.md").unlink()
    (repo / "registry" / "README.md").unlink()
    commit_all(repo, "not ours")
    assert cli.main(["diff", str(repo)]) == 1
    capsys.readouterr()
    assert cli.main(["upgrade", str(repo)]) == 0  # the kit is the same: only the record is written
    assert git(repo, "status", "--porcelain") == " M .scaffold.yml\n"
    assert read_record(repo).removed == ("registry/README.md", "runtime/README.md")
    commit_all(repo, "record the removals")
    capsys.readouterr()
    assert cli.main(["diff", str(repo)]) == 0
    out = capsys.readouterr().out
    assert "   removed  registry/README.md\n   removed  runtime/README.md\n" in out
    assert out.splitlines()[-1].startswith("no drift: ") and ", 2 removed; kit 1.0.0" in out
    assert cli.main(["diff", str(repo), "--strict"]) == 1  # --strict: any difference


def test_the_removed_list_survives_upgrades_and_keeps_new_kit_files_out_of_a_removed_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    files = {"config/app.yml": "a: 1\n", "notes/readme.md": "one\n"}
    v1 = support.make_tiny_pack(tmp_path / "v1", "1.0.0", files)
    v2 = support.make_tiny_pack(tmp_path / "v2", "1.1.0", {**files, "notes/extra.md": "two\n"})
    repo = make_repo(tmp_path / "svc", pack=v1)
    (repo / "notes" / "readme.md").unlink()
    _list_removed(repo, "notes/")
    record = repo / RECORD_PATH
    record.write_text(record.read_text().replace("files:\n", "audit:\n  min_severity: high\nfiles:\n", 1))
    commit_all(repo, "no notes")
    monkeypatch.setattr(chosen_module, "load_pack", lambda directory=None: v1)
    assert cli.main(["diff", str(repo), "--format=json"]) == 0
    assert json.loads(capsys.readouterr().out)["removed"] == ["notes/readme.md"]
    monkeypatch.setattr(chosen_module, "load_pack", lambda directory=None: v2)
    assert cli.main(["diff", str(repo), "--format=json"]) == 1
    report = json.loads(capsys.readouterr().out)
    assert [item["path"] for item in report["pending"]] == [RECORD_PATH]  # the new notes file is not pending
    assert report["removed"] == ["notes/extra.md", "notes/readme.md"]
    assert cli.main(["upgrade", str(repo)]) == 0
    assert not (repo / "notes" / "extra.md").exists()
    upgraded = read_record(repo)
    assert (upgraded.pack_version, upgraded.removed, upgraded.audit) == ("1.1.0", ("notes/",), {"min_severity": "high"})
    commit_all(repo, "upgrade")
    assert cli.main(["diff", str(repo)]) == 0


def test_listing_a_file_under_removed_never_switches_the_ratchet_off(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    repo = make_repo(tmp_path / "service")
    (repo / CI).unlink()  # the workflow with the scans
    _list_removed(repo, CI)
    commit_all(repo, "no ci")
    assert cli.main(["diff", str(repo), "--format=json"]) == 1
    report = json.loads(capsys.readouterr().out)
    assert report["removed"] == [CI] and report["missing"] == []
    assert report["weaker"]
