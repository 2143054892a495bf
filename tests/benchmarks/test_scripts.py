"""The side-by-side benchmark scripts (benchmarks/*.py) on their small input, each run as a user runs it.

No timing is asserted: a row must hold two positive medians and the ratio of the two, and each script's own checks
must pass (new_kit's byte comparison, upgrade_edit's kept edits, fleet_status's report). The checks themselves are
shown to catch what they guard. A missing tool (hyperfine, GNU time, zizmor, cookiecutter, copier) skips, except
under CI=true, where it fails.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from benchmarks import audit_scaling, harness, new_kit, run_all, upgrade_edit
from tests.packs.gitserver import require_git
from tests.support.checkers import tool

ROOT = Path(__file__).resolve().parents[2]
SECONDS = 900
"""A hang guard for each script, far above a normal run."""
ROWS = ("audit_many", "audit_cold", "harden_all", "new_kit", "upgrade_edit")
TOOLS = {
    "audit_many": ("hyperfine", "zizmor"),
    "audit_cold": ("hyperfine",),
    "harden_all": ("hyperfine", "zizmor"),
    "new_kit": ("hyperfine", "cookiecutter"),
    "upgrade_edit": ("hyperfine", "copier", "git"),
    "audit_scaling": ("hyperfine",),
    "fleet_status": ("hyperfine", "git"),
    "memory": ("time", "zizmor", "cookiecutter", "copier", "git"),
}
ROW = re.compile(
    r"^\| (?P<work>[^|]+) \| (?P<peer>[^|]+) \| (?P<ours>[^|]+) \| (?P<theirs>[^|]+) \| (?P<ratio>[\d.]+)\u00d7 \|"
)


@dataclass(frozen=True)
class Ran:
    code: int
    stdout: str
    stderr: str
    result: dict[str, Any]
    workdir: Path


def run_script(key: str, folder: Path, *extra: str, env: dict[str, str] | None = None) -> Ran:
    """``python -m benchmarks.KEY --small --out ... --workdir ...`` from the repository's root."""
    for name in TOOLS.get(key, ()):
        tool(name)
    if "git" in TOOLS.get(key, ()):
        require_git()
    out, workdir = folder / f"{key}.json", folder / key
    command = [sys.executable, "-m", f"benchmarks.{key}", "--small", "--out", str(out), "--workdir", str(workdir)]
    done = subprocess.run(
        [*command, *extra], cwd=ROOT, env=env, capture_output=True, text=True, timeout=SECONDS, check=False
    )
    result = json.loads(out.read_text(encoding="utf-8")) if out.exists() else {}
    return Ran(done.returncode, done.stdout, done.stderr, result, workdir)


@pytest.fixture(scope="module")
def results(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The folder every script of this module writes its JSON into (run_all assembles them)."""
    return tmp_path_factory.mktemp("results")


class Scripts:
    """Each script run once for the whole module, on demand; its work folder is kept for the tests that look in."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.ran: dict[str, Ran] = {}

    def __call__(self, key: str) -> Ran:
        if key not in self.ran:
            fleet = ("--fleet", str(self.folder / "fleet")) if key in ("fleet_status", "memory") else ()
            if key == "memory":
                self("fleet_status")
            self.ran[key] = run_script(key, self.folder, *fleet)
        return self.ran[key]


@pytest.fixture(scope="module")
def scripts(results: Path) -> Scripts:
    return Scripts(results)


def seconds_of(cell: str) -> float:
    number, unit = cell.split()
    return float(number) / 1000 if unit == "ms" else float(number)


@pytest.mark.parametrize("key", ROWS)
def test_each_row_has_two_positive_medians_and_their_ratio(key: str, scripts: Scripts) -> None:
    ran = scripts(key)
    assert ran.code == 0, ran.stderr[-3000:]
    row = ran.stdout.splitlines()[-1]
    match = ROW.match(row)
    assert match, row
    ours, theirs = ran.result["scaffold_median"], ran.result["peer_median"]
    assert ours > 0
    assert theirs > 0
    assert ran.result["ratio"] == ours / theirs
    assert match["ratio"] == f"{ours / theirs:.2f}"
    assert match["ours"] == harness.seconds(ours)
    assert match["theirs"] == harness.seconds(theirs)
    assert abs(seconds_of(match["ours"]) / seconds_of(match["theirs"]) - float(match["ratio"])) < 0.1 * ours / theirs
    assert row.endswith(f"| {'yes' if ours / theirs <= ran.result['target'] else 'no'} |")
    assert ran.result["row"] == row + "\n"
    assert [timing["runs"] for timing in ran.result["timings"]] == [2, 2]


def test_new_kit_renders_the_same_files_on_both_sides(scripts: Scripts) -> None:
    ran = scripts("new_kit")
    assert ran.code == 0, ran.stderr[-3000:]
    same = re.search(r"^check: scaffold and cookiecutter wrote the same (\d+) files, byte for byte$", ran.stdout, re.M)
    assert same, ran.stdout
    assert int(same[1]) == ran.result["details"]["files"] > 40
    assert f"new, the default kit ({same[1]} files)" in ran.stdout


def test_new_kit_comparison_sees_one_changed_byte_and_one_mode(scripts: Scripts, tmp_path: Path) -> None:
    """The byte comparison behind the check line fails on a copy of scaffold's output with one byte changed, and
    on one with an executable bit flipped."""
    ran = scripts("new_kit")
    assert ran.code == 0, ran.stderr[-3000:]
    ours = ran.workdir / "out-scaffold"
    changed = tmp_path / "changed"
    shutil.copytree(ours, changed)
    dockerfile = changed / "Dockerfile"
    dockerfile.write_bytes(dockerfile.read_bytes().replace(b"FROM", b"from", 1))
    with pytest.raises(harness.BenchmarkError, match="Dockerfile"):
        new_kit.same_files(ours, changed)
    moded = tmp_path / "moded"
    shutil.copytree(ours, moded)
    (moded / "deploy" / "deploy.sh").chmod(0o755 if not os.access(ours / "deploy" / "deploy.sh", os.X_OK) else 0o644)
    with pytest.raises(harness.BenchmarkError, match=re.escape("deploy/deploy.sh")):
        new_kit.same_files(ours, moded)


def test_upgrade_edit_keeps_the_edits_on_both_sides(scripts: Scripts, tmp_path: Path) -> None:
    ran = scripts("upgrade_edit")
    assert ran.code == 0, ran.stderr[-3000:]
    assert "check: copier copy rendered the kit's" in ran.stdout
    assert "check: scaffold kept the 3 edits and applied coverage_min=90" in ran.stdout
    assert "check: copier update kept the 3 edits and applied coverage_min=90" in ran.stdout
    assert ran.result["details"]["kept_edits"] is True
    for repository in ("scaffold-work", "copier-work"):
        assert upgrade_edit.outcome(ran.workdir / repository) == []
    # The check sees a lost edit, the old answer and a conflict.
    lost = tmp_path / "lost"
    shutil.copytree(ran.workdir / "scaffold-work", lost, symlinks=True)
    dockerfile = lost / "Dockerfile"
    dockerfile.write_text(dockerfile.read_text(encoding="utf-8").replace(upgrade_edit.EDITS[1].new, ""))
    ci = lost / upgrade_edit.CHANGED
    ci.write_text(ci.read_text(encoding="utf-8").replace(upgrade_edit.CHANGED_TEXT, 'COVERAGE_MIN: "80"'))
    (lost / "README.rej").write_text("a hunk that did not apply\n", encoding="utf-8")
    assert upgrade_edit.outcome(lost) == [
        "the edit of Dockerfile was lost",
        f"{upgrade_edit.CHANGED} does not have the new answer ({upgrade_edit.CHANGED_TEXT})",
        "README.rej holds a conflict",
    ]


def test_audit_scaling_gives_the_time_per_file_of_each_size(scripts: Scripts) -> None:
    ran = scripts("audit_scaling")
    assert ran.code == 0, ran.stderr[-3000:]
    sizes = ran.result["sizes"]
    assert [size["files"] for size in sizes] == list(audit_scaling.SMALL_SIZES)
    for size in sizes:
        assert size["median"] > 0
        assert size["startup"] > 0
        assert size["per_file"] == (size["median"] - size["startup"]) / (size["files"] - 1)
    reference = next(size for size in sizes if size["files"] == ran.result["reference"])
    assert ran.result["flat"] == all(abs(size["per_file"] / reference["per_file"] - 1) <= 0.2 for size in sizes)
    assert f"flat (every size within 20% per file): {'yes' if ran.result['flat'] else 'no'}" in ran.stdout


def test_fleet_status_reports_the_time_per_repository(scripts: Scripts) -> None:
    fleet_ran = scripts("fleet_status")
    assert fleet_ran.code == 0, fleet_ran.stderr[-3000:]
    assert fleet_ran.result["median"] > 0
    assert fleet_ran.result["per_repository"] == fleet_ran.result["median"] / fleet_ran.result["repositories"]
    assert "check: fleet status reported each of the 4 repositories as expected" in fleet_ran.stdout


def test_memory_gives_each_command_a_peak(scripts: Scripts) -> None:
    ran = scripts("memory")
    assert ran.code == 0, ran.stderr[-3000:]
    peaks = ran.result["peaks"]
    assert len(peaks) == len(ROWS) + 1
    for peak in peaks[: len(ROWS)]:
        assert peak["scaffold_kib"] > 0
        assert peak["peer_kib"] > 0
    assert peaks[-1]["work"].startswith("fleet status, 4 repositories")
    assert peaks[-1]["scaffold_kib"] > 0


def test_the_workflows_come_from_the_kit_without_the_corpus(tmp_path: Path) -> None:
    env = {**os.environ, "SCAFFOLD_CORPUS": str(tmp_path / "no-corpus")}
    ran = run_script("audit_many", tmp_path, env=env)
    assert ran.code == 0, ran.stderr[-3000:]
    assert ran.result["details"]["workflows_from"] == "kit"
    assert "check: 19 distinct workflows from the kit (2 sources)" in ran.stdout
    written = sorted((ran.workdir / "tree" / ".github" / "workflows").iterdir())
    assert len(written) == 19
    assert len({path.read_bytes() for path in written}) == 19


def test_a_command_that_fails_is_never_timed(tmp_path: Path) -> None:
    tool("hyperfine")
    failing = harness.Side("fails", ["false"])
    with pytest.raises(harness.BenchmarkError, match=r"fails exited \[1\]"):
        harness.hyperfine([failing], dict(os.environ), 1, 0, tmp_path)


def test_run_all_writes_each_table_between_its_markers_only(scripts: Scripts, results: Path, tmp_path: Path) -> None:
    for key in (*ROWS, "audit_scaling", "fleet_status", "memory"):
        assert scripts(key).code == 0, scripts(key).stderr[-3000:]
    document = tmp_path / "performance.md"
    shutil.copy(ROOT / "docs" / "performance.md", document)
    before = document.read_text(encoding="utf-8")
    done = subprocess.run(
        [sys.executable, "-m", "benchmarks.run_all", "--assemble", "--results", str(results), "--doc", str(document)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=SECONDS,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    after = document.read_text(encoding="utf-8")
    blocks = re.compile(r"<!-- benchmarks:(\w+):begin -->\n.*?<!-- benchmarks:\1:end -->", re.DOTALL)
    assert blocks.sub("", after) == blocks.sub("", before)
    assert sorted(blocks.findall(after)) == ["audit_scaling", "fleet_status", "machine", "memory", "rows"]
    for key in ROWS:
        assert json.loads((results / f"{key}.json").read_text(encoding="utf-8"))["row"] in after
    assert "to be measured" not in after
    assert "- cores: " in after


def test_run_all_refuses_a_document_without_the_markers() -> None:
    with pytest.raises(ValueError, match="benchmarks:rows:begin"):
        run_all.replace_block("# Performance\n\nno markers here\n", "rows", "| a |\n")
