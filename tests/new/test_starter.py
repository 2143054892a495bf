"""The starter service: written by ``scaffold new`` into an empty repository only, never recorded, never written
over a file, never touched by diff or upgrade; and the bounded look that decides whether a folder is empty."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from scaffold import api
from scaffold.kit.answers import validate
from scaffold.kit.packs import load_pack
from scaffold.kit.record import RECORD_PATH, read_record
from scaffold.kit.render import render
from scaffold.new import starter
from scaffold.new.starter import code_evidence, plan_starter, starter_pack
from tests.answer_sets import ANSWER_SETS
from tests.support.hang_guard import hang_guard
from tests.upgrade.support import commit_all, git, make_kit_v2

STARTER_LANGUAGES = ("python", "node", "go")


def _empty_repo(root: Path) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    git(root, "init", "-q", "-b", "main")
    return root


def _new(repo: Path, *settings: str) -> subprocess.CompletedProcess[str]:
    args = [arg for setting in ("visibility=public", *settings) for arg in ("--set", setting)]
    return subprocess.run(
        [sys.executable, "-m", "scaffold", "new", "--defaults", "--output", str(repo), *args],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def _starter_lines(output: str) -> list[str]:
    return [line.split()[-1] for line in output.splitlines() if line.startswith("  starter  ")]


# --- code_evidence -----------------------------------------------------------------------------------------------


def test_a_new_repository_holds_no_code(tmp_path: Path) -> None:
    repo = _empty_repo(tmp_path / "svc")
    for name in ("README.md", "LICENSE", ".gitignore", "CONTRIBUTING.md", "docs/adr/0001.md", ".github/x.yml"):
        (repo / name).parent.mkdir(parents=True, exist_ok=True)
        (repo / name).write_text("x\n")
    (repo / "src" / "empty").mkdir(parents=True)  # folders without files are no code
    assert code_evidence(repo) is None


def test_code_is_found_and_named(tmp_path: Path) -> None:
    repo = _empty_repo(tmp_path / "svc")
    (repo / "src" / "app").mkdir(parents=True)
    (repo / "src" / "app" / "main.py").write_text("print()\n")
    assert code_evidence(repo) == "found src/app/main.py"
    (repo / "package.json").write_text("{}\n")
    assert code_evidence(repo) == "found package.json"  # a manifest is named first


def test_every_file_the_kit_writes_is_no_code(tmp_path: Path) -> None:
    """A folder holding only a kit (of any answer set) is still empty: the kit's own files are no evidence."""
    for name, answers in ANSWER_SETS.items():
        repo = _empty_repo(tmp_path / name)
        api.new(output=repo, answers=validate({**answers, "starter": False}))
        assert code_evidence(repo) is None, name


def test_a_symlink_is_code_and_is_never_followed(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    (outside / "deep").mkdir(parents=True)
    (outside / "deep" / "secret.py").write_text("x = 1\n")
    repo = _empty_repo(tmp_path / "svc")
    (repo / "lib").symlink_to(outside, target_is_directory=True)
    assert code_evidence(repo) == "found lib (a symbolic link)"  # not lib/deep/secret.py: never looked into


def test_a_fifo_is_no_code_and_never_opened(tmp_path: Path) -> None:
    repo = _empty_repo(tmp_path / "svc")
    (repo / "src").mkdir()
    os.mkfifo(repo / "src" / "pipe")
    os.mkfifo(repo / "pipe")
    with hang_guard():
        assert code_evidence(repo) is None


def test_looking_is_bounded(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    repo = _empty_repo(tmp_path / "svc")
    deep = repo.joinpath(*["d"] * (starter.MAX_DEPTH + 2))
    deep.mkdir(parents=True)
    evidence = code_evidence(repo)
    assert evidence is not None and f"more than {starter.MAX_DEPTH} folders deep" in evidence
    wide = _empty_repo(tmp_path / "wide")
    for index in range(30):
        (wide / "src" / f"d{index}").mkdir(parents=True)
    monkeypatch.setattr(starter, "MAX_ENTRIES", 20)
    assert code_evidence(wide) == "found more than 20 entries under src"


def test_a_name_with_control_characters_is_shown_escaped(tmp_path: Path) -> None:
    repo = _empty_repo(tmp_path / "svc")
    (repo / "evil\x1b[31mname.py").write_text("x\n")
    evidence = code_evidence(repo)
    assert evidence is not None and "\x1b" not in evidence and "name.py" in evidence


# --- the starter pack ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(ANSWER_SETS))
def test_starter_files_never_share_a_path_with_the_kit(name: str) -> None:
    answers = validate(ANSWER_SETS[name])
    kit = api.render_kit(answers=answers)
    ours = render(starter_pack(), answers)
    assert ours or answers.language not in STARTER_LANGUAGES
    assert not set(ours) & set(kit)


def test_the_go_starter_asks_for_the_go_version_the_kit_names() -> None:
    version = load_pack().data["languages"]["go"]["version"]
    go_mod = render(starter_pack(), validate({"language": "go"}))["go.mod"]
    assert re.search(r"^go (\S+)$", go_mod, re.MULTILINE)[1] == version  # type: ignore[index]


def test_the_node_starter_has_the_main_the_image_runs() -> None:
    files = render(starter_pack(), validate({"language": "node", "name": "web-1"}))
    package = yaml.safe_load(files["package.json"])
    assert (package["name"], package["main"]) == ("web-1", "src/server.js")
    assert set(package["scripts"]) >= {"lint", "test", "build"}
    assert yaml.safe_load(files["package-lock.json"])["packages"][""]["name"] == "web-1"


def test_the_python_lock_pins_every_requirement_with_hashes() -> None:
    text = render(starter_pack(), validate({"language": "python"}))["requirements-dev.txt"]
    requirements = re.findall(r"^([a-z0-9-]+)==\S+ \\$", text, re.MULTILINE)
    assert {"ruff", "pytest", "pytest-cov", "build", "setuptools"} <= set(requirements)
    for block in re.split(r"\n(?=[a-z])", text.split("\n", 3)[3]):
        assert "--hash=sha256:" in block, block


# --- new ------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("language", STARTER_LANGUAGES)
def test_new_writes_the_starter_into_an_empty_repository_and_never_records_it(tmp_path: Path, language: str) -> None:
    repo = _empty_repo(tmp_path / "svc")
    done = _new(repo, f"language={language}")
    assert done.returncode == 0, done.stderr
    written = _starter_lines(done.stdout)
    assert written and all((repo / path).is_file() for path in written)
    assert "commit the starter service" in done.stdout
    record = read_record(repo)
    assert not set(written) & set(record.files)
    commit_all(repo, "first push")
    assert api.diff(path=repo).drifted == []


def test_new_writes_no_starter_into_a_repository_with_code(tmp_path: Path) -> None:
    repo = _empty_repo(tmp_path / "svc")
    (repo / "package.json").write_text('{"name": "svc"}\n')
    done = _new(repo, "language=node")
    assert done.returncode == 0, done.stderr
    assert _starter_lines(done.stdout) == []
    assert "no starter service: the folder already holds code (found package.json)" in done.stdout
    assert "- package-lock.json, and lint, test" in done.stdout  # what the kit expects, item by item
    assert (repo / "package.json").read_text() == '{"name": "svc"}\n'
    assert not (repo / "src").exists()


def test_starter_false_writes_none(tmp_path: Path) -> None:
    repo = _empty_repo(tmp_path / "svc")
    done = _new(repo, "starter=false")
    assert done.returncode == 0, done.stderr
    assert _starter_lines(done.stdout) == []
    assert "no starter service: the answer starter is false" in done.stdout
    assert not (repo / "pyproject.toml").exists()


def test_java_has_no_starter_and_says_why(tmp_path: Path) -> None:
    repo = _empty_repo(tmp_path / "svc")
    done = _new(repo, "language=java")
    assert done.returncode == 0, done.stderr
    assert "no starter service: there is no Java starter" in done.stdout


def test_an_existing_file_is_never_written_over(tmp_path: Path) -> None:
    repo = _empty_repo(tmp_path / "svc")
    (repo / ".gitignore").write_text("mine\n")
    done = _new(repo)
    assert done.returncode == 0, done.stderr
    assert (repo / ".gitignore").read_text() == "mine\n"
    assert "kept  .gitignore: exists (starter file left alone)" in done.stdout
    assert (repo / "pyproject.toml").is_file()  # the rest of the starter is written


def test_a_hostile_starter_path_is_left_alone(tmp_path: Path) -> None:
    outside = tmp_path / "outside.txt"
    outside.write_text("outside\n")
    repo = _empty_repo(tmp_path / "svc")
    (repo / ".gitignore").symlink_to(outside)
    os.mkfifo(repo / "requirements.in")  # a FIFO is no code, and at a starter path it is never opened
    with hang_guard():
        done = _new(repo)
    assert done.returncode == 0, done.stderr
    assert outside.read_text() == "outside\n"
    assert "kept  .gitignore: is a symlink" in done.stdout
    assert "kept  requirements.in: is not a regular file" in done.stdout
    assert (repo / "tests" / "test_server.py").is_file()


def test_dry_run_lists_the_starter_and_writes_nothing(tmp_path: Path) -> None:
    repo = _empty_repo(tmp_path / "svc")
    done = subprocess.run(
        [sys.executable, "-m", "scaffold", "new", "--defaults", "--dry-run", "--output", str(repo)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "pyproject.toml" in _starter_lines(done.stdout)
    assert [path.name for path in repo.iterdir()] == [".git"]


def test_upgrade_leaves_the_starter_alone(tmp_path: Path) -> None:
    repo = _empty_repo(tmp_path / "svc")
    assert _new(repo).returncode == 0
    server = next((repo / "src").glob("*/server.py"))
    server.write_text(server.read_text() + "# the team's own change\n")
    (repo / "requirements-dev.in").unlink()
    commit_all(repo, "first push, and a change")
    result = api.upgrade(path=repo, pack=make_kit_v2(tmp_path / "kit-v2"))
    touched = {outcome.path for outcome in result.outcomes}
    assert ".github/workflows/ci.yml" in touched  # the upgrade did run
    assert not touched & {"src/svc/server.py", "requirements-dev.in", "pyproject.toml"}
    assert server.read_text().endswith("# the team's own change\n")
    assert not (repo / "requirements-dev.in").exists()
    assert (repo / RECORD_PATH).is_file()


def test_plan_starter_for_a_folder_that_does_not_exist_yet(tmp_path: Path) -> None:
    answers = validate({"language": "go"})
    planned = plan_starter(tmp_path / "not-yet", answers, {})
    assert [item.path for item in planned.files] == sorted(render(starter_pack(), answers))
