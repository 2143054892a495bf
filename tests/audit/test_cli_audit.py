"""`scaffold audit` on the command line: exit codes, formats, settings, and what the audit path imports."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from scaffold import api, cli
from scaffold.errors import UnsafePackError
from scaffold.kit.answers import validate
from scaffold.kit.packs import builtin_pack_dir, load_pack

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


# --- what a repository is, not where you stand ---------------------------------------------------------------------

DOCKERFILE = "FROM python:latest\nRUN pip install requests\n"
GITLAB = "image: python:latest\ntest:\n  script: [make]\n"


@pytest.fixture
def git_repo(tmp_path: Path) -> Path:
    root = tmp_path / "repo"
    (root / ".github/workflows").mkdir(parents=True)
    (root / ".github/workflows/ci.yml").write_text(UNPINNED)
    (root / "services/api").mkdir(parents=True)
    (root / "services/api/Dockerfile").write_text(DOCKERFILE)
    (root / "docs").mkdir()
    (root / "docs/index.md").write_text("# docs\n")
    (root / "notes.txt").write_text("notes\n")
    subprocess.run(["git", "init", "-q", str(root)], check=True)
    return root


def _audit(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, list[tuple[str, int, int]], str]:
    code = cli.main(["audit", *argv, "--format", "json"])
    captured = capsys.readouterr()
    findings = json.loads(captured.out)["findings"] if captured.out else []
    return code, sorted((item["rule"], item["line"], item["column"]) for item in findings), captured.err


@pytest.mark.parametrize(
    ("where", "argv", "file"),
    [
        (".", ["."], ".github/workflows/ci.yml services/api/Dockerfile"),
        (".", [".github/workflows/ci.yml"], ".github/workflows/ci.yml"),
        (".", [".github"], ".github/workflows/ci.yml"),
        (".github/workflows", [], ".github/workflows/ci.yml"),
        (".github/workflows", ["."], ".github/workflows/ci.yml"),
        (".github/workflows", ["ci.yml"], ".github/workflows/ci.yml"),
        (".github/workflows", ["ABSOLUTE"], ".github/workflows/ci.yml"),
        (".github", ["workflows/ci.yml"], ".github/workflows/ci.yml"),
        ("services/api", [], "services/api/Dockerfile"),
        ("services/api", ["Dockerfile"], "services/api/Dockerfile"),
        ("services/api", ["ABSOLUTE"], "services/api/Dockerfile"),
        ("services", ["api"], "services/api/Dockerfile"),
        ("docs", ["../services/api/Dockerfile"], "services/api/Dockerfile"),
    ],
)
def test_the_same_findings_from_wherever_it_runs(
    git_repo: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    where: str,
    argv: list[str],
    file: str,
) -> None:
    monkeypatch.chdir(git_repo)
    expected = _audit(capsys, *file.split())
    assert expected[0] == 1 and expected[1]
    monkeypatch.chdir(git_repo / where)
    argv = [str(git_repo / file) if arg == "ABSOLUTE" else arg for arg in argv]
    assert _audit(capsys, *argv) == expected


def test_findings_keep_the_paths_as_given(
    git_repo: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(git_repo / ".github/workflows")
    assert cli.main(["audit"]) == 1
    assert capsys.readouterr().out.startswith("ci.yml:9:15 unpinned-uses high ")
    assert cli.main(["audit", "../../.github/workflows/ci.yml"]) == 1
    assert capsys.readouterr().out.startswith("../../.github/workflows/ci.yml:9:15 unpinned-uses high ")


def test_kind_sets_the_kind_of_a_file_named_oddly(
    git_repo: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    (git_repo / ".gitlab-ci.yml").write_text(GITLAB)
    (git_repo / "ci").mkdir()
    (git_repo / "ci/pipeline.yaml").write_text(GITLAB)
    monkeypatch.chdir(git_repo)
    expected = _audit(capsys, ".gitlab-ci.yml")
    assert expected[0] == 1 and "gitlab-unpinned-image" in {rule for rule, _, _ in expected[1]}
    monkeypatch.chdir(git_repo / "ci")
    assert _audit(capsys, "--kind", "gitlab-ci", "pipeline.yaml") == expected
    code, findings, err = _audit(capsys, "pipeline.yaml")
    assert (code, findings) == (2, [])
    assert err == (
        "scaffold: error: pipeline.yaml: not a file scaffold audits (its kind comes from its path in the repository; "
        "use --kind to set it)\n"
    )
    with pytest.raises(SystemExit) as raised:
        cli.main(["audit", "--kind", "yaml", "pipeline.yaml"])
    assert raised.value.code == 2


@pytest.mark.parametrize(
    ("where", "argv", "line"),
    [
        (
            ".",
            ["notes.txt"],
            "notes.txt: not a file scaffold audits (its kind comes from its path in the repository; "
            "use --kind to set it)",
        ),
        (".", ["docs"], "docs: holds no file scaffold audits"),
        ("docs", [], ".: holds no file scaffold audits"),
        (
            "docs",
            ["index.md"],
            "index.md: not a file scaffold audits (its kind comes from its path in the repository; "
            "use --kind to set it)",
        ),
        (
            ".",
            [".github/workflows/ci.yml", "notes.txt"],
            "notes.txt: not a file scaffold audits (its kind comes from "
            "its path in the repository; use --kind to set it)",
        ),
    ],
)
def test_a_named_path_with_nothing_to_audit_is_exit_2_with_one_line(
    git_repo: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    where: str,
    argv: list[str],
    line: str,
) -> None:
    monkeypatch.chdir(git_repo / where)
    assert cli.main(["audit", *argv]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err == f"scaffold: error: {line}\n"


COMPOSITE = "runs:\n  using: composite\n  steps:\n    - uses: org/action@v1\n"


def test_actions_are_found_in_a_folder_and_kind_action_reads_a_file_named_oddly(
    git_repo: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    (git_repo / ".github/actions/setup").mkdir(parents=True)
    (git_repo / ".github/actions/setup/action.yml").write_text(COMPOSITE)
    (git_repo / "action.yaml").write_text(COMPOSITE)
    (git_repo / "ci").mkdir()
    (git_repo / "ci/setup.yml").write_text(COMPOSITE)
    monkeypatch.chdir(git_repo)
    code = cli.main(["audit", "."])
    found = [line.split(" ", 2)[:2] for line in capsys.readouterr().out.splitlines() if "unpinned-uses" in line]
    assert code == 1
    assert found == [
        [".github/actions/setup/action.yml:4:13", "unpinned-uses"],
        [".github/workflows/ci.yml:9:15", "unpinned-uses"],
        ["action.yaml:4:13", "unpinned-uses"],
    ]
    assert _audit(capsys, "--kind", "action", "ci/setup.yml") == (1, [("unpinned-uses", 4, 13)], "")
    assert _audit(capsys, "ci/setup.yml")[0] == 2


def test_settings_come_from_the_repository_root_when_run_from_a_subfolder(
    git_repo: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    (git_repo / ".scaffold.yml").write_text("audit:\n  disable: [unpinned-uses]\n  min_severity: medium\n")
    monkeypatch.chdir(git_repo / ".github/workflows")
    assert cli.main(["audit"]) == 0
    assert cli.main(["audit", "ci.yml"]) == 0
    assert capsys.readouterr().out == "0 finding(s) in 1 file(s)\n" * 2
    monkeypatch.chdir(git_repo / "services/api")
    code, findings, _ = _audit(capsys, "Dockerfile")
    assert code == 1 and findings and "docker-missing-healthcheck" not in {rule for rule, _, _ in findings}
    (git_repo / "services/api/.scaffold.yml").write_text("audit:\n  disable: [docker-latest-tag]\n")  # not a root
    assert _audit(capsys, ".")[1] == findings
    (git_repo / ".scaffold.yml").write_text("audit:\n  min_severity: severe\n")
    assert cli.main(["audit"]) == 2
    assert "../../.scaffold.yml: audit.min_severity: must be low, medium or high" in capsys.readouterr().err


def test_paths_in_repositories_with_different_settings_are_exit_2(
    git_repo: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    other = tmp_path / "other"
    (other / ".git").mkdir(parents=True)
    (other / "Dockerfile").write_text(DOCKERFILE)
    assert cli.main(["audit", str(git_repo), str(other)]) == 1  # both without settings: one run
    (other / ".scaffold.yml").write_text("audit:\n  disable: [docker-latest-tag]\n")
    assert cli.main(["audit", str(git_repo), str(other)]) == 2
    assert "give different audit settings" in capsys.readouterr().err


def test_help_describes_the_root_relative_kind_and_kind(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        cli.main(["audit", "--help"])
    out = capsys.readouterr().out
    assert "scaffold audit --kind gitlab-ci ci/pipeline.yaml" in out
    flat = " ".join(out.split())
    assert "a file is checked when its path in the repository says what it is" in flat
    assert "--kind KIND" in flat and "github-workflow, action, dependabot, gitlab-ci" in flat
