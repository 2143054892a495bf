"""`scaffold audit` on a repository with a kit record: the kit rules of the controls its answers require run, over
every file of a platform, and from any working folder; a record whose answers are malformed is exit 2."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from scaffold import cli
from scaffold.api import new
from scaffold.kit.answers import validate
from tests.answer_sets import ANSWER_SETS

CI = ".github/workflows/ci.yml"
GITLEAKS = "gitleaks/gitleaks-action@"


@pytest.fixture
def kit(tmp_path: Path) -> Path:
    root = tmp_path / "service"
    root.mkdir()
    subprocess.run(["git", "init", "-q", str(root)], check=True)
    new(output=root, answers=validate(ANSWER_SETS["python-ghcr-defaults"]))
    return root


def _audit(where: Path, *args: str, capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    previous = Path.cwd()
    os.chdir(where)
    try:
        code = cli.main(["audit", *args])
    finally:
        os.chdir(previous)
    out, err = capsys.readouterr()
    return code, out, err


def _rules(out: str) -> list[str]:
    return sorted(line.split()[1] for line in out.splitlines() if line.split()[2:3] in (["high"], ["medium"], ["low"]))


def test_a_generated_kit_is_clean_with_its_controls_required(kit: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert _audit(kit, capsys=capsys)[0] == 0


def test_a_removed_secret_scan_is_found_from_the_root_and_from_the_workflows_folder(
    kit: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    text = (kit / CI).read_text()
    assert GITLEAKS in text
    (kit / CI).write_text(text.replace(GITLEAKS, "example/other-action@"))
    code, root_out, _ = _audit(kit, capsys=capsys)
    assert code == 1
    assert "kit-secret-scan" in root_out
    code, folder_out, _ = _audit(kit / ".github/workflows", capsys=capsys)
    assert code == 1
    assert "kit-secret-scan" in folder_out
    rules = sorted(line.split()[1] for line in root_out.splitlines() if " high " in line or " medium " in line)
    assert rules == sorted(
        line.split()[1] for line in folder_out.splitlines() if " high " in line or " medium " in line
    )


def test_one_workflow_audited_alone_does_not_report_the_others_controls_missing(
    kit: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = _audit(kit / ".github/workflows", "ci.yml", capsys=capsys)
    assert code == 0
    assert "kit-" not in out


def test_without_a_record_no_kit_rule_runs(kit: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (kit / ".scaffold.yml").unlink()
    text = (kit / CI).read_text()
    (kit / CI).write_text(text.replace(GITLEAKS, "example/other-action@"))
    out = _audit(kit, capsys=capsys)[1]
    assert "kit-" not in out
    assert "disabled-scan" not in out


@pytest.mark.parametrize(
    ("answers", "named"),
    [
        ("answers: [1, 2]\n", "answers: must be a mapping"),
        ("answers:\n  platforms: github\n", "answers.platforms: must be a list"),
        ("answers:\n  platforms: [github, travis]\n", "answers.platforms: must be a list"),
        ("answers:\n  platforms: [github]\n  container: 'yes'\n  dast: false\n  cloud: none\n", "answers.container"),
        ("a: &a [*a, *a, *a, *a, *a, *a, *a, *a, *a]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]\n", "as YAML"),
    ],
)
def test_a_malformed_record_is_exit_2_naming_the_field(
    kit: Path, answers: str, named: str, capsys: pytest.CaptureFixture[str]
) -> None:
    (kit / ".scaffold.yml").write_text(answers)
    code, _, err = _audit(kit, capsys=capsys)
    assert code == 2
    assert named in err and len(err.strip().splitlines()) == 1


def test_no_kit_rule_judges_files_nobody_read(kit: Path, capsys: pytest.CaptureFixture[str]) -> None:
    os.mkfifo(kit / ".github/workflows/fifo.yml")
    code, out, _ = _audit(kit / ".github/workflows", "fifo.yml", capsys=capsys)
    assert code == 2
    assert "kit-" not in out
    (kit / ".github/workflows/fifo.yml").unlink()
    (kit / ".github/workflows/binary.yml").write_bytes(b"\x00\x01")
    code, out, _ = _audit(kit, capsys=capsys)
    assert code == 2
    assert "kit-" not in out
