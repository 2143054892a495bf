"""`scaffold audit` on the command line: exit codes, formats, settings, and what the audit path imports."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from scaffold import api, cli
from scaffold.answers import validate
from scaffold.errors import UnsafePackError
from scaffold.packs import builtin_pack_dir, load_pack

ROOT = Path(__file__).resolve().parents[2]
UNPINNED = (
    "permissions: {}\non: push\nconcurrency: ci\njobs:\n  t:\n    runs-on: x\n    timeout-minutes: 5\n    steps:\n"
    "      - uses: org/action@v1\n"
)


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    (tmp_path / ".github/workflows").mkdir(parents=True)
    (tmp_path / ".github/workflows/ci.yml").write_text(UNPINNED)
    return tmp_path


def test_exit_1_with_findings_0_when_clean(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["audit", str(repo)]) == 1
    out = capsys.readouterr().out
    assert f"{repo}/.github/workflows/ci.yml:9:15 unpinned-uses high job t: org/action@v1 is not pinned" in out
    assert cli.main(["audit", str(repo), "--ignore", "unpinned-uses"]) == 0


def test_exit_2_for_a_file_that_cannot_be_audited_and_the_rest_still_runs(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (repo / ".gitlab-ci.yml").write_bytes(b"\x00binary")
    assert cli.main(["audit", str(repo), "--format", "json"]) == 2
    report = json.loads(capsys.readouterr().out)
    assert [item["rule"] for item in report["findings"]] == ["unpinned-uses"]
    assert report["errors"] == [{"path": f"{repo}/.gitlab-ci.yml", "message": "is a binary file"}]


def test_bad_arguments_exit_2(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["audit", str(repo), "--select", "no-such-rule"]) == 2
    assert "--select: 'no-such-rule' is not a rule id" in capsys.readouterr().err
    assert cli.main(["audit", str(repo / "missing-folder")]) == 2
    assert "missing-folder: no such file or folder" in capsys.readouterr().err
    with pytest.raises(SystemExit) as raised:
        cli.main(["audit", str(repo), "--min-severity", "urgent"])
    assert raised.value.code == 2


def test_settings_from_scaffold_yml(
    repo: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(repo)
    (repo / ".scaffold.yml").write_text("audit:\n  disable: [unpinned-uses]\n")
    assert cli.main(["audit"]) == 0
    (repo / ".scaffold.yml").write_text("audit:\n  min_severity: severe\n")
    assert cli.main(["audit"]) == 2
    assert ".scaffold.yml: audit.min_severity: must be low, medium or high" in capsys.readouterr().err


def test_the_audit_path_does_not_import_the_renderer_or_the_prompts(repo: Path) -> None:
    probe = (
        "import sys\nfrom scaffold.cli import main\ncode = main(['audit', sys.argv[1], '--format', 'sarif'])\n"
        "heavy = sorted({m.split('.')[0] for m in sys.modules} & {'jinja2', 'pydantic', 'questionary'})\n"
        "print(code, heavy)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe, str(repo)], capture_output=True, text=True, check=True, cwd=ROOT
    )
    assert result.stdout.splitlines()[-1] == "1 []"


def test_new_refuses_a_pack_whose_kit_fails_the_audit(tmp_path: Path) -> None:
    folder = tmp_path / "pack"
    shutil.copytree(builtin_pack_dir(), folder)
    ci = folder / "github" / "ci.yml.j2"
    ci.write_text(ci.read_text() + "      - uses: some-org/unreviewed@main\n")
    with pytest.raises(UnsafePackError, match="unpinned-uses"):
        api.new(output=tmp_path / "out", answers=validate({"name": "orders"}), pack=load_pack(folder))
    assert not (tmp_path / "out").exists()
