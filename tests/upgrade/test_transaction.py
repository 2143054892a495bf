"""The journal is untrusted: a committed one, or one naming a path the kit does not render, never moves a file."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

import scaffold.packs.chosen as chosen_module
from scaffold import cli
from scaffold.kit.packs import Pack
from scaffold.kit.record import file_hash
from scaffold.upgrade import transaction
from tests.upgrade import support
from tests.upgrade.support import commit_all, make_repo

FILES = {"config/app.yml": "a: 1\n", "notes/readme.md": "one\n", "gone.txt": "gone\n"}


@pytest.fixture
def kit(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, Pack]:
    pack = support.make_tiny_pack(tmp_path / "pack", "1.0.0", FILES)
    monkeypatch.setattr(chosen_module, "load_pack", lambda directory=None: pack)
    return make_repo(tmp_path / "svc", pack=pack), pack


def _journal(repo: Path, writes: dict[str, str], deletes: dict[str, str] | None = None) -> None:
    """A journal as apply writes it, staging ``writes`` (the record last, as a copy of the current one)."""
    staging = repo / transaction.STAGING
    staging.mkdir()
    entries = []
    record = (repo / ".scaffold.yml").read_text()
    for index, (path, text) in enumerate([*writes.items(), (".scaffold.yml", record)]):
        (staging / f"{index}.stage").write_text(text)
        entries.append({"path": path, "stage": f"{index}.stage", "sha256": file_hash(text)})
    removals = [{"path": path, "sha256": digest} for path, digest in (deletes or {}).items()]
    (repo / transaction.JOURNAL).write_text(json.dumps({"version": 1, "writes": entries, "deletes": removals}))


def _refused(repo: Path, capsys: pytest.CaptureFixture[str], *expected: str) -> str:
    assert cli.main(["upgrade", str(repo)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1, err
    for text in expected:
        assert text in err
    return err


def test_a_committed_journal_is_refused_and_moves_nothing(
    kit: tuple[Path, Pack], capsys: pytest.CaptureFixture[str]
) -> None:
    repo, _ = kit
    _journal(repo, {"notes/readme.md": "planted\n"})
    commit_all(repo, "a journal in a pull request")
    _refused(repo, capsys, "is committed to git", "git rm -r")
    assert (repo / "notes/readme.md").read_text() == "one\n"
    assert (repo / transaction.STAGING / "0.stage").read_text() == "planted\n"


def test_a_committed_staging_folder_alone_is_refused(
    kit: tuple[Path, Pack], capsys: pytest.CaptureFixture[str]
) -> None:
    repo, _ = kit
    (repo / transaction.STAGING).mkdir()
    (repo / transaction.STAGING / "0.stage").write_text("x\n")
    commit_all(repo, "staging")
    _refused(repo, capsys, "is committed to git")
    assert (repo / transaction.STAGING / "0.stage").exists()


@pytest.mark.parametrize(
    "path",
    [
        ".git/config",
        ".git",
        ".GIT/config",
        ".Git/hooks/pre-commit",
        "x/../.git/config",
        "sub/.git/config",
        ".git./config",
        "git~1/config",
        "/etc/passwd",
        "../outside.txt",
        "a\\..\\.git\\config",
        "./notes/readme.md",
        "notes//readme.md",
        "notes/readme.md\n",
        ".scaffold-upgrade/0.stage",
        "",
        "x" * 300,
    ],
)
def test_a_journal_naming_a_bad_path_is_refused_before_anything_moves(
    kit: tuple[Path, Pack], capsys: pytest.CaptureFixture[str], path: str
) -> None:
    repo, _ = kit
    _journal(repo, {"notes/readme.md": "new\n", path: "[core]\n\thooksPath = /tmp/evil\n"})
    config = (repo / ".git/config").read_bytes()
    _refused(repo, capsys, "writes[1].path")
    assert (repo / ".git/config").read_bytes() == config
    assert (repo / "notes/readme.md").read_text() == "one\n"


def test_a_journal_writing_a_file_the_kit_does_not_render_is_refused(
    kit: tuple[Path, Pack], capsys: pytest.CaptureFixture[str]
) -> None:
    repo, _ = kit
    (repo / "src").mkdir()
    (repo / "src/main.py").write_text("print('mine')\n")
    commit_all(repo, "code")
    _journal(repo, {"notes/readme.md": "new\n", "src/main.py": "import os\n"})
    _refused(repo, capsys, "writes[1].path 'src/main.py' is not a file of the kit")
    assert (repo / "src/main.py").read_text() == "print('mine')\n"
    assert (repo / "notes/readme.md").read_text() == "one\n"


def test_a_journal_deleting_a_file_of_the_kit_or_outside_the_record_is_refused(
    kit: tuple[Path, Pack], capsys: pytest.CaptureFixture[str]
) -> None:
    repo, _ = kit
    (repo / "README.md").write_text("mine\n")
    commit_all(repo, "readme")
    _journal(repo, {}, {"README.md": file_hash("mine\n")})
    _refused(repo, capsys, "deletes[0].path 'README.md' is not a file scaffold may delete")
    assert (repo / "README.md").read_text() == "mine\n"
    shutil.rmtree(repo / transaction.STAGING)
    _journal(repo, {}, {"notes/readme.md": file_hash("one\n")})  # still in the kit: the staged record lists it
    _refused(repo, capsys, "deletes[0].path 'notes/readme.md'")
    assert (repo / "notes/readme.md").exists()


def test_a_journal_through_a_symlink_out_of_the_kit_is_refused(
    kit: tuple[Path, Pack], capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    repo, _ = kit
    outside = tmp_path / "outside"
    outside.mkdir()
    shutil.rmtree(repo / "notes")
    (repo / "notes").symlink_to(outside)
    _journal(repo, {"config/app.yml": "a: 2\n", "notes/readme.md": "escaped\n"})
    _refused(repo, capsys, "outside it through a symlink")
    assert list(outside.iterdir()) == []
    assert (repo / "config/app.yml").read_text() == "a: 1\n"


def test_a_symlink_into_git_is_refused(kit: tuple[Path, Pack], capsys: pytest.CaptureFixture[str]) -> None:
    repo, _ = kit
    shutil.rmtree(repo / "notes")
    (repo / "notes").symlink_to(repo / ".git" / "hooks")
    _journal(repo, {"notes/readme.md": "#!/bin/sh\n"})
    _refused(repo, capsys, "leads into .git through a symlink")
    assert not (repo / ".git/hooks/readme.md").exists()


def _renumbered(journal: dict[str, list[dict[str, str]]]) -> None:
    for index, entry in enumerate(journal["writes"]):
        entry["stage"] = f"{index}.stage"


@pytest.mark.parametrize(
    ("mutate", "rule"),
    [
        (lambda j: j.update(version=2), "version must be 1"),
        (lambda j: j.update(extra=1), "unknown key 'extra'"),
        (lambda j: j["writes"][0].update(sha256="sha256:" + "A" * 64), "writes[0].sha256"),
        (lambda j: j["writes"][0].update(stage="1.stage"), "writes[0].stage must be '0.stage'"),
        (lambda j: j["writes"][0].pop("stage"), "writes[0] has no stage"),
        (lambda j: j["writes"].append({**j["writes"][0], "stage": "2.stage"}), "names a path twice"),
        (lambda j: _renumbered(j["writes"].reverse() or j), ".scaffold.yml last"),
        (lambda j: j.update(writes={}), "must be lists"),
        (lambda j: j["writes"][0].update(path=7), "writes[0].path must be a text path"),
    ],
)
def test_every_field_of_the_journal_is_checked(
    kit: tuple[Path, Pack], capsys: pytest.CaptureFixture[str], mutate: object, rule: str
) -> None:
    repo, _ = kit
    _journal(repo, {"notes/readme.md": "new\n"})
    data = json.loads((repo / transaction.JOURNAL).read_text())
    mutate(data)  # type: ignore[operator]
    (repo / transaction.JOURNAL).write_text(json.dumps(data))
    _refused(repo, capsys, rule)
    assert (repo / "notes/readme.md").read_text() == "one\n"


def test_a_tampered_stage_stops_the_replay_before_the_first_move(
    kit: tuple[Path, Pack], capsys: pytest.CaptureFixture[str]
) -> None:
    repo, _ = kit
    _journal(repo, {"config/app.yml": "a: 2\n", "notes/readme.md": "new\n"})
    (repo / transaction.STAGING / "1.stage").write_text("swapped\n")
    _refused(repo, capsys, "does not have the sha256")
    assert (repo / "config/app.yml").read_text() == "a: 1\n"


def test_an_interrupted_journal_is_finished_and_a_dirty_file_besides_it_is_refused(
    kit: tuple[Path, Pack], capsys: pytest.CaptureFixture[str]
) -> None:
    repo, _ = kit
    _journal(repo, {"notes/readme.md": "new\n"})
    (repo / "config/app.yml").write_text("a: 9\n")
    _refused(repo, capsys, "uncommitted changes besides the interrupted upgrade (config/app.yml)")
    (repo / "config/app.yml").write_text("a: 1\n")
    assert cli.main(["upgrade", str(repo)]) == 0
    assert (repo / "notes/readme.md").read_text() == "new\n"
    assert not (repo / transaction.STAGING).exists() and not (repo / transaction.JOURNAL).exists()


def test_journals_that_are_not_json_or_too_deep_are_one_line_errors(
    kit: tuple[Path, Pack], capsys: pytest.CaptureFixture[str]
) -> None:
    repo, _ = kit
    (repo / transaction.STAGING).mkdir()
    for text in ["[" * 100_000, '{"version": 1, "version": 1}', "1" * 5000, "\ud800", "{}"]:
        (repo / transaction.JOURNAL).write_text(text, errors="surrogatepass")
        _refused(repo, capsys, str(repo / transaction.JOURNAL))


def test_a_refused_apply_creates_no_folder_and_leaves_no_staging(tmp_path: Path) -> None:
    kit = tmp_path / "kit"
    kit.mkdir()
    (kit / "deploy").write_text("a file where a folder should be\n")
    with pytest.raises(transaction.UsageError, match="'deploy' is a file where the kit needs a folder"):
        transaction.apply(kit, {"new/deep/a.txt": "a\n", "deploy/deploy.sh": "x\n"}, {})
    assert sorted(path.name for path in kit.iterdir()) == ["deploy"]


def test_a_journal_only_in_heads_tree_is_refused(kit: tuple[Path, Pack], capsys: pytest.CaptureFixture[str]) -> None:
    """``git rm --cached`` takes a committed journal out of the index, not out of HEAD: it still came from a commit."""
    repo, _ = kit
    _journal(repo, {"notes/readme.md": "planted\n"})
    commit_all(repo, "a journal in a pull request")
    support.git(repo, "rm", "-r", "-q", "--cached", transaction.STAGING, transaction.JOURNAL)
    _refused(repo, capsys, "is committed to git")
    assert (repo / "notes/readme.md").read_text() == "one\n"


def test_a_journal_deleting_a_file_with_another_hash_than_the_record_is_refused(
    kit: tuple[Path, Pack], capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A delete is replayed only for the hash the old record gives: never for a file the user changed since."""
    repo, _ = kit
    (repo / "gone.txt").write_text("the user's own text now\n")
    commit_all(repo, "edit")
    kept = {path: text for path, text in FILES.items() if path != "gone.txt"}
    v2 = support.make_tiny_pack(tmp_path / "v2", "1.1.0", kept, dropped=["gone.txt"])
    monkeypatch.setattr(chosen_module, "load_pack", lambda directory=None: v2)
    record = "".join(
        line for line in (repo / ".scaffold.yml").read_text().splitlines(keepends=True) if "gone.txt" not in line
    )
    (repo / transaction.STAGING).mkdir()
    (repo / transaction.STAGING / "0.stage").write_text(record)
    journal = {
        "version": 1,
        "writes": [{"path": ".scaffold.yml", "stage": "0.stage", "sha256": file_hash(record)}],
        "deletes": [{"path": "gone.txt", "sha256": file_hash("the user's own text now\n")}],
    }
    (repo / transaction.JOURNAL).write_text(json.dumps(journal))
    _refused(repo, capsys, "deletes[0].sha256 is not the hash .scaffold.yml records for 'gone.txt'")
    assert (repo / "gone.txt").read_text() == "the user's own text now\n"


def test_a_committed_path_with_escape_characters_is_shown_escaped(
    kit: tuple[Path, Pack], capsys: pytest.CaptureFixture[str]
) -> None:
    repo, _ = kit
    (repo / transaction.STAGING).mkdir()
    (repo / transaction.STAGING / "\x1b]0;owned\x07").write_text("x\n")
    commit_all(repo, "staging")
    err = _refused(repo, capsys, "is committed to git", "\\x1b]0;owned\\x07")
    assert "\x1b" not in err
