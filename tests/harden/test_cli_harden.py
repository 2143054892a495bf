"""`scaffold harden` on the command line: preview by default, --write, --fix levels, exit codes, bad input."""

from __future__ import annotations

import json
import stat
import subprocess
from pathlib import Path

import pytest

from scaffold import cli
from scaffold.kit.pins import load_pins

# Everything here has a safe fix except the missing timeout and concurrency, which are unsafe.
WORKFLOW = """\
# Continuous integration
on: pull_request
jobs:
  test:
    runs-on: ubuntu-24.04
    steps:
      - uses: actions/checkout@v4  # the code
      - run: echo "${{ github.event.pull_request.title }}"
"""
CHECKOUT_V4 = "actions/checkout@11d5960a326750d5838078e36cf38b85af677262 # v4.4.0  # the code"


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    (tmp_path / ".github/workflows").mkdir(parents=True)
    (tmp_path / ".github/workflows/ci.yml").write_text(WORKFLOW)
    return tmp_path


def _workflow(repo: Path) -> str:
    return (repo / ".github/workflows/ci.yml").read_text()


def test_the_default_shows_the_diff_writes_nothing_and_exits_1(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["harden", str(repo), "--color", "never"]) == 1
    out = capsys.readouterr().out
    assert f"+      - uses: {CHECKOUT_V4}" in out
    assert "needs --fix=all: job test: timeout-minutes: 60 (a job that needs longer will fail)" in out
    assert "not written (add --write to apply them)" in out
    assert _workflow(repo) == WORKFLOW


def test_write_with_fix_all_applies_everything_and_a_second_run_has_nothing_to_do(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (repo / ".github/workflows/ci.yml").chmod(0o600)
    assert cli.main(["harden", str(repo), "--fix=all", "--write"]) == 0
    text = _workflow(repo)
    assert text.startswith("# Continuous integration\n")
    assert CHECKOUT_V4 in text and "persist-credentials: false" in text and "timeout-minutes: 60" in text
    assert 'run: echo "${PULL_REQUEST_TITLE}"' in text
    assert stat.S_IMODE((repo / ".github/workflows/ci.yml").stat().st_mode) == 0o600
    capsys.readouterr()
    assert cli.main(["harden", str(repo), "--fix=all"]) == 0
    assert capsys.readouterr().out == "harden: nothing to change\n"
    assert cli.main(["audit", str(repo)]) == 0


def test_safe_fixes_are_written_and_the_unsafe_ones_held_back_with_exit_1(repo: Path) -> None:
    assert cli.main(["harden", str(repo), "--write"]) == 1
    text = _workflow(repo)
    assert CHECKOUT_V4 in text and "timeout-minutes" not in text and "concurrency" not in text


def test_a_symlinked_file_is_changed_through_the_link(repo: Path) -> None:
    target = repo / "real.yml"
    (repo / ".github/workflows/ci.yml").rename(target)
    (repo / ".github/workflows/ci.yml").symlink_to(target)
    assert cli.main(["harden", str(repo / ".github/workflows/ci.yml"), "--write"]) == 1
    assert (repo / ".github/workflows/ci.yml").is_symlink()
    assert CHECKOUT_V4 in target.read_text()


def test_a_file_that_does_not_parse_is_reported_never_written_and_the_others_still_fixed(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    broken = "on: push\njobs: [unclosed\n"
    (repo / ".github/workflows/broken.yml").write_text(broken)
    assert cli.main(["harden", str(repo), "--write", "--format", "json"]) == 2
    report = json.loads(capsys.readouterr().out)
    assert report["errors"] == [
        {"path": f"{repo}/.github/workflows/broken.yml", "message": "is not valid YAML at line 3; not changed"}
    ]
    assert (repo / ".github/workflows/broken.yml").read_text() == broken
    assert [item["path"] for item in report["files"] if item["written"]] == [f"{repo}/.github/workflows/ci.yml"]
    assert CHECKOUT_V4 in _workflow(repo)


def test_json_lists_each_fix_with_its_rule_safety_and_risk(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["harden", str(repo), "--format", "json"]) == 1
    (entry,) = json.loads(capsys.readouterr().out)["files"]
    assert entry["changed"] and not entry["written"]
    assert {(item["rule"], item["safety"]) for item in entry["fixed"]} == {
        ("unpinned-uses", "safe"),
        ("excessive-permissions", "safe"),
        ("artipacked", "safe"),
        ("template-injection", "safe"),
    }
    assert {item["rule"] for item in entry["held"]} == {"missing-timeout", "missing-concurrency"}
    assert all(item["risk"] for item in entry["held"])
    assert entry["diff"].startswith(f"--- a/{repo}/.github/workflows/ci.yml\n")


def test_select_limits_the_fixes(repo: Path) -> None:
    assert cli.main(["harden", str(repo), "--select", "unpinned-uses", "--write"]) == 0
    assert _workflow(repo) == WORKFLOW.replace("actions/checkout@v4  # the code", CHECKOUT_V4)


def test_a_file_with_nothing_to_fix_stays_byte_for_byte(tmp_path: Path) -> None:
    python = load_pins().image("python").ref.encode()
    clean = b"# clean\r\nFROM " + python + b"\r\nUSER 10001:10001\r\nHEALTHCHECK NONE\r\n"
    (tmp_path / "Dockerfile").write_bytes(clean)
    before = (tmp_path / "Dockerfile").stat().st_mtime_ns
    assert cli.main(["harden", str(tmp_path), "--fix=all", "--write"]) == 0
    assert (tmp_path / "Dockerfile").read_bytes() == clean
    assert (tmp_path / "Dockerfile").stat().st_mtime_ns == before


def test_bad_arguments_exit_2(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["harden", str(repo / "missing")]) == 2
    assert cli.main(["harden", str(repo), "--select", "no-such-rule"]) == 2
    err = capsys.readouterr().err
    assert "missing: no such file or folder" in err and "no-such-rule" in err
    with pytest.raises(SystemExit) as raised:
        cli.main(["harden", str(repo), "--fix", "some"])
    assert raised.value.code == 2


def test_help_names_the_fix_levels_and_exit_codes(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        cli.main(["harden", "--help"])
    out = " ".join(capsys.readouterr().out.split())
    assert "--fix=safe (the default)" in out and "--write" in out
    assert "Exit 0 when nothing is left to do, 1 when" in out and "2 for bad input" in out


def test_a_leading_byte_order_mark_and_crlf_endings_are_kept(repo: Path) -> None:
    path = repo / ".github/workflows/ci.yml"
    path.write_bytes(b"\xef\xbb\xbf" + WORKFLOW.replace("\n", "\r\n").encode())
    assert cli.main(["harden", str(repo), "--select", "unpinned-uses", "--write"]) == 0
    data = path.read_bytes()
    assert data.startswith(b"\xef\xbb\xbf# Continuous integration\r\n")
    assert b"\n" not in data.replace(b"\r\n", b"")
    assert CHECKOUT_V4.encode() in data


# --- what a repository is, not where you stand ---------------------------------------------------------------------

GITLAB = "image: python:3.13-slim-trixie\ntest:\n  timeout: 30m\n  interruptible: true\n  script: [make]\n"
NOT_AUDITED = "not a file scaffold audits (its kind comes from its path in the repository; use --kind to set it)"


@pytest.fixture
def git_repo(tmp_path: Path) -> Path:
    root = tmp_path / "repo"
    (root / ".github/workflows").mkdir(parents=True)
    (root / ".github/workflows/ci.yml").write_text(WORKFLOW)
    (root / "docs").mkdir()
    (root / "notes.txt").write_text("notes\n")
    subprocess.run(["git", "init", "-q", str(root)], check=True)
    return root


@pytest.mark.parametrize(
    ("where", "argv"),
    [
        (".", ["."]),
        (".github/workflows", []),
        (".github/workflows", ["ci.yml"]),
        (".github/workflows", ["ABSOLUTE"]),
        (".github", ["workflows"]),
    ],
)
def test_the_same_fixes_from_wherever_it_runs(
    git_repo: Path, monkeypatch: pytest.MonkeyPatch, where: str, argv: list[str]
) -> None:
    monkeypatch.chdir(git_repo)
    assert cli.main(["harden", ".github/workflows/ci.yml", "--fix=all", "--write"]) == 0
    expected = _workflow(git_repo)
    assert expected != WORKFLOW and CHECKOUT_V4 in expected
    (git_repo / ".github/workflows/ci.yml").write_text(WORKFLOW)
    monkeypatch.chdir(git_repo / where)
    argv = [str(git_repo / ".github/workflows/ci.yml") if arg == "ABSOLUTE" else arg for arg in argv]
    assert cli.main(["harden", *argv, "--fix=all", "--write"]) == 0
    assert _workflow(git_repo) == expected


def test_kind_sets_the_kind_of_a_file_named_oddly(git_repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (git_repo / "ci").mkdir()
    pipeline = git_repo / "ci/pipeline.yaml"
    pipeline.write_text(GITLAB)
    monkeypatch.chdir(git_repo / "ci")
    assert cli.main(["harden", "pipeline.yaml", "--write"]) == 2
    assert pipeline.read_text() == GITLAB
    assert cli.main(["harden", "--kind", "gitlab-ci", "pipeline.yaml", "--write"]) == 0
    assert pipeline.read_text().startswith("image: python:3.13-slim-trixie@sha256:")


@pytest.mark.parametrize(
    ("argv", "line"),
    [
        (
            ["notes.txt"],
            f"notes.txt: {NOT_AUDITED}",
        ),
        (["docs"], "docs: holds no file scaffold audits"),
        (
            [".github/workflows/ci.yml", "notes.txt"],
            f"notes.txt: {NOT_AUDITED}",
        ),
    ],
)
def test_a_named_path_with_nothing_to_harden_is_exit_2_and_nothing_is_written(
    git_repo: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], argv: list[str], line: str
) -> None:
    monkeypatch.chdir(git_repo)
    assert cli.main(["harden", *argv, "--write"]) == 2
    captured = capsys.readouterr()
    assert (captured.out, captured.err) == ("", f"scaffold: error: {line}\n")
    assert _workflow(git_repo) == WORKFLOW


def test_settings_come_from_the_repository_root_when_run_from_a_subfolder(
    git_repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (git_repo / ".scaffold.yml").write_text("audit:\n  disable: [unpinned-uses]\n")
    monkeypatch.chdir(git_repo / ".github/workflows")
    assert cli.main(["harden", "ci.yml", "--write"]) == 1
    text = _workflow(git_repo)
    assert "persist-credentials: false" in text and "actions/checkout@v4  # the code" in text


def test_help_describes_the_root_relative_kind_and_kind(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        cli.main(["harden", "--help"])
    out = capsys.readouterr().out
    assert "scaffold harden --kind gitlab-ci ci/pipeline.yaml" in out
    assert "a file's kind comes from its path relative to the repository's root" in " ".join(out.split())
