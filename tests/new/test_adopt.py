"""scaffold adopt: take on a repository scaffold never generated, never overwriting what it already has."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from scaffold import cli
from scaffold.kit.record import RECORD_PATH, read_record
from scaffold.upgrade import repo as git_store
from tests.support.corpus import CANONICAL_PATHS, corpus_dir, corpus_files
from tests.upgrade.support import git, tree

WORKFLOW = "name: build\non: push\njobs:\n  build:\n    runs-on: ubuntu-latest\n    steps:\n"
WORKFLOW += "      - uses: actions/setup-node@v4\n      - run: npm ci && npm test\n"


def _repo(root: Path, files: dict[str, str]) -> Path:
    for path, text in files.items():
        (root / path).parent.mkdir(parents=True, exist_ok=True)
        (root / path).write_text(text)
    git(root, "init", "-q", "-b", "main")
    return root


def test_adopt_infers_creates_missing_files_and_keeps_existing_ones(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    repo = _repo(tmp_path / "shop", {"package-lock.json": "{}\n", ".github/workflows/ci.yml": WORKFLOW})
    assert cli.main(["adopt", str(repo), "--defaults"]) == 0
    out = capsys.readouterr().out
    assert "inferred language: node (package-lock.json)" in out
    assert "kept  .github/workflows/ci.yml  (exists; differs from the kit, see the diff)" in out
    assert (repo / ".github/workflows/ci.yml").read_text() == WORKFLOW
    record = read_record(repo)
    assert record.answers["language"] == "node"
    assert record.answers["platforms"] == ["github"]
    assert (repo / "Dockerfile").is_file() is False  # no Dockerfile and no pushed image: no container inferred
    assert (repo / ".github/workflows/release.yml").is_file()
    assert ".github/workflows/ci.yml" in git_store.base_files(repo)  # the kit's version is the next base


def test_take_theirs_replaces_only_the_named_file(tmp_path: Path) -> None:
    repo = _repo(tmp_path / "shop", {"package-lock.json": "{}\n", ".github/workflows/ci.yml": WORKFLOW})
    assert cli.main(["adopt", str(repo), "--defaults", "--take-theirs", ".github/workflows/ci.yml"]) == 0
    assert "actions/setup-node@v4" not in (repo / ".github/workflows/ci.yml").read_text()
    assert (repo / "package-lock.json").read_text() == "{}\n"


def test_take_theirs_of_a_file_outside_the_kit_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    repo = _repo(tmp_path / "shop", {"package-lock.json": "{}\n"})
    assert cli.main(["adopt", str(repo), "--defaults", "--take-theirs", "package-lock.json"]) == 2
    assert "--take-theirs package-lock.json: is not a file of this kit" in capsys.readouterr().err
    assert not (repo / RECORD_PATH).exists()


def test_dry_run_writes_nothing_and_a_second_adopt_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    repo = _repo(tmp_path / "shop", {"go.mod": "module example.com/shop\n"})
    before = tree(repo)
    assert cli.main(["adopt", str(repo), "--defaults", "--dry-run"]) == 0
    assert tree(repo) == before
    assert cli.main(["adopt", str(repo), "--defaults"]) == 0
    assert read_record(repo).answers["language"] == "go"
    capsys.readouterr()
    assert cli.main(["adopt", str(repo), "--defaults"]) == 2
    assert "use 'scaffold upgrade'" in capsys.readouterr().err


def test_answers_given_beat_inferred_ones(tmp_path: Path) -> None:
    repo = _repo(tmp_path / "shop", {"go.mod": "module example.com/shop\n"})
    assert cli.main(["adopt", str(repo), "--defaults", "--set", "language=python"]) == 0
    assert read_record(repo).answers["language"] == "python"


CORPUS_CASES = [(kind, name) for kind in ("github", "gitlab", "docker") for name in corpus_files(kind)]


@pytest.mark.parametrize(("kind", "name"), CORPUS_CASES or [("github", "absent")])
def test_adopt_on_real_files_never_crashes_and_never_changes_them(
    tmp_path: Path, kind: str, name: str, capsys: pytest.CaptureFixture[str]
) -> None:
    source = corpus_dir() / kind / name
    repo = tmp_path / "repo"
    target = repo / CANONICAL_PATHS[kind](name)
    target.parent.mkdir(parents=True)
    shutil.copyfile(source, target)
    original = target.read_bytes()
    git(repo, "init", "-q", "-b", "main")
    code = cli.main(["adopt", str(repo), "--defaults"])
    err = capsys.readouterr().err
    assert target.read_bytes() == original
    if code == 2:  # inferred answers that need more (a cloud for ECR, say): one clear line, nothing written
        assert err.startswith("scaffold: error: ") and err.count("\n") == 1
        assert sorted(p.name for p in repo.iterdir()) == sorted([".git", target.relative_to(repo).parts[0]])
        return
    assert code == 0, err
    record = read_record(repo)
    expected_platform = {"github": "github", "gitlab": "gitlab"}.get(kind)
    if expected_platform:
        assert expected_platform in record.answers["platforms"]
    else:
        assert record.answers["container"] is True


def test_without_a_terminal_only_what_was_not_inferred_is_missing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(cli, "_interactive", lambda: False)
    repo = _repo(tmp_path / "shop", {"package-lock.json": "{}\n", ".github/workflows/ci.yml": WORKFLOW})
    assert cli.main(["adopt", str(repo)]) == 2
    err = capsys.readouterr().err
    missing = err.split("answers missing for ", 1)[1].split(":", 1)[0].split(", ")
    assert "coverage_min" in missing
    assert "language" not in missing and "platforms" not in missing and "name" not in missing
    assert not (repo / RECORD_PATH).exists()


def test_adopt_refuses_a_fifo_where_the_kit_has_a_file_and_writes_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    repo = _repo(tmp_path / "shop", {"package-lock.json": "{}\n"})
    (repo / ".github").mkdir()
    os.mkfifo(repo / ".github" / "CODEOWNERS")
    assert cli.main(["adopt", str(repo), "--defaults"]) == 2
    assert "is not a regular file" in capsys.readouterr().err
    assert sorted(path.name for path in repo.iterdir()) == [".git", ".github", "package-lock.json"]


def test_adopt_counts_a_crlf_copy_of_a_kit_file_as_different(tmp_path: Path) -> None:
    from scaffold.api import render_kit
    from scaffold.kit.answers import validate

    kit = render_kit(answers=validate({"name": "shop", "language": "node", "platforms": ["github"]}))
    crlf = kit[".yamllint.yml"].replace("\n", "\r\n")
    repo = _repo(tmp_path / "shop", {"package-lock.json": "{}\n"})
    (repo / ".yamllint.yml").write_bytes(crlf.encode())
    assert cli.main(["adopt", str(repo), "--defaults"]) == 0
    assert (repo / ".yamllint.yml").read_bytes() == crlf.encode()  # kept: the user's line endings are an edit


def test_adopt_on_a_missing_path_is_refused_and_creates_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli.main(["adopt", "--defaults", str(tmp_path / "no-such-repo")]) == 2
    err = capsys.readouterr().err
    assert (
        err == f"scaffold: error: {tmp_path / 'no-such-repo'}: does not exist; adopt takes on an existing repository\n"
    )
    assert list(tmp_path.iterdir()) == []
