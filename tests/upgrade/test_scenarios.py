"""The upgrade scenario table: real git repositories, kit v1 (built in) upgraded to v2; exact texts, exit codes."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pytest

import scaffold.packs.chosen as chosen_module
from scaffold import cli
from scaffold.kit.packs import Pack
from scaffold.kit.record import RECORD_PATH, read_record
from tests.upgrade import support
from tests.upgrade.support import commit_all, git, make_repo, render_v, tree

CI = ".github/workflows/ci.yml"
LINT_CONFLICT = (
    "<<<<<<< your version\n    timeout-minutes: 12\n=======\n    timeout-minutes: 10\n"
    ">>>>>>> kit scaffold-default 1.1.0\n"
)


@pytest.fixture(scope="session")
def kit_v2(tmp_path_factory: pytest.TempPathFactory) -> Pack:
    return support.make_kit_v2(tmp_path_factory.mktemp("kit") / "pack-v2")


@pytest.fixture
def on_v2(monkeypatch: pytest.MonkeyPatch, kit_v2: Pack) -> Pack:
    """Make this scaffold's built-in kit be v2, as after a scaffold release."""
    monkeypatch.setattr(chosen_module, "load_pack", lambda directory=None: kit_v2)
    return kit_v2


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    return make_repo(tmp_path / "service")


def run(repo: Path, *args: str, capsys: pytest.CaptureFixture[str] | None = None) -> int:
    return cli.main(["upgrade", str(repo), *args])


def edit(repo: Path, path: str, old: str, new: str) -> None:
    target = repo / path
    text = target.read_text()
    assert old in text
    target.write_text(text.replace(old, new, 1))


def test_no_user_edits_gives_exactly_the_new_kit(repo: Path, on_v2: Pack) -> None:
    assert run(repo) == 0
    expected = render_v(on_v2)
    assert tree(repo) == expected
    assert read_record(repo).pack_version == "1.1.0"
    assert not (repo / ".hadolint.yaml").exists()


def test_an_edit_where_the_kit_did_not_change_is_merged(repo: Path, on_v2: Pack) -> None:
    edit(repo, CI, "    timeout-minutes: 30\n", "    timeout-minutes: 25\n")
    edit(repo, "Dockerfile", "USER 10001:10001\n", "USER 10001:10001\nLABEL org.example.team=payments\n")
    commit_all(repo, "user edits")
    assert run(repo) == 0
    expected = render_v(on_v2)
    assert (repo / CI).read_text() == expected[CI].replace("    timeout-minutes: 30\n", "    timeout-minutes: 25\n")
    assert (repo / "Dockerfile").read_text() == expected["Dockerfile"].replace(
        "USER 10001:10001\n", "USER 10001:10001\nLABEL org.example.team=payments\n", 1
    )


def test_an_edit_in_the_same_region_is_a_conflict_with_markers(repo: Path, on_v2: Pack) -> None:
    edit(repo, CI, support.LINT_TIMEOUT_V1, support.LINT_TIMEOUT_V1.replace("15", "12"))
    commit_all(repo, "user edit")
    assert run(repo) == 1
    expected = render_v(on_v2)[CI].replace("    timeout-minutes: 10\n", LINT_CONFLICT, 1)
    assert (repo / CI).read_text() == expected
    assert read_record(repo).pack_version == "1.1.0"


def test_a_conflict_as_rej_keeps_the_users_text(repo: Path, on_v2: Pack) -> None:
    edit(repo, CI, support.LINT_TIMEOUT_V1, support.LINT_TIMEOUT_V1.replace("15", "12"))
    commit_all(repo, "user edit")
    assert run(repo, "--conflict=rej") == 1
    expected = render_v(on_v2)[CI].replace("    timeout-minutes: 10\n", "    timeout-minutes: 12\n", 1)
    assert (repo / CI).read_text() == expected
    reject = (repo / f"{CI}.rej").read_text()
    assert "-    timeout-minutes: 15\n+    timeout-minutes: 10\n" in reject


def test_a_user_job_and_a_kit_job_both_at_the_end_never_conflict(repo: Path, on_v2: Pack) -> None:
    user_job = "\n  e2e:\n    runs-on: ubuntu-24.04\n    timeout-minutes: 5\n    permissions: {}\n    steps:\n"
    user_job += "      - run: echo e2e\n"
    (repo / CI).write_text((repo / CI).read_text() + user_job)
    commit_all(repo, "user job")
    assert run(repo) == 0
    assert (repo / CI).read_text() == render_v(on_v2)[CI] + user_job


def test_a_deleted_file_stays_deleted(repo: Path, on_v2: Pack, capsys: pytest.CaptureFixture[str]) -> None:
    (repo / "docs" / "ci-security.md").unlink()
    commit_all(repo, "no docs")
    assert run(repo, "--format=json") == 0
    report = json.loads(capsys.readouterr().out)
    statuses = {item["path"]: item["status"] for item in report["files"]}
    assert statuses["docs/ci-security.md"] == "kept-deleted"
    diffs = {item["path"]: item["diff"] for item in report["files"]}
    assert diffs["docs/ci-security.md"] == ""
    assert "-    timeout-minutes: 15\n+    timeout-minutes: 10\n" in diffs[CI]
    assert not (repo / "docs" / "ci-security.md").exists()
    assert "docs/ci-security.md" in read_record(repo).files  # still known, so it stays deleted next time
    assert read_record(repo).removed == ("docs/ci-security.md",)  # and deleted on purpose, for scaffold diff


def test_files_that_left_the_kit_go_only_if_unchanged(
    repo: Path, on_v2: Pack, capsys: pytest.CaptureFixture[str]
) -> None:
    deploy = (repo / "deploy" / "deploy.sh").read_text() + "kubectl rollout status deploy/orders\n"
    (repo / "deploy" / "deploy.sh").write_text(deploy)
    commit_all(repo, "real deploy")
    assert run(repo, "--format=json") == 0
    statuses = {item["path"]: item["status"] for item in json.loads(capsys.readouterr().out)["files"]}
    assert statuses[".hadolint.yaml"] == "removed"
    assert statuses["deploy/deploy.sh"] == "kept"
    assert not (repo / ".hadolint.yaml").exists()
    assert (repo / "deploy" / "deploy.sh").read_text() == deploy
    assert "deploy/deploy.sh" not in read_record(repo).files


def test_an_answer_change_adds_a_platform(tmp_path: Path) -> None:
    answers = {"name": "worker", "language": "go", "registry": "dockerhub", "image": "docker.io/acme/worker"}
    repo = make_repo(tmp_path / "worker", answers)
    edit(repo, CI, "    timeout-minutes: 30\n", "    timeout-minutes: 25\n")
    commit_all(repo, "user edit")
    assert run(repo, "--set", "platforms=github,gitlab") == 0
    expected = render_v(None, {**answers, "platforms": ["github", "gitlab"]})
    assert (repo / ".gitlab-ci.yml").read_text() == expected[".gitlab-ci.yml"]
    assert (repo / CI).read_text() == expected[CI].replace("    timeout-minutes: 30\n", "    timeout-minutes: 25\n")
    assert read_record(repo).answers["platforms"] == ["github", "gitlab"]


def test_turning_on_dast_adds_the_scan(repo: Path) -> None:
    assert run(repo, "--set", "dast=true", "--set", "dast_target_url=https://staging.example.com") == 0
    expected = render_v(
        None, {**support.DEFAULT_ANSWERS, "dast": True, "dast_target_url": "https://staging.example.com"}
    )
    assert tree(repo) == expected
    assert "zaproxy" in (repo / ".github/workflows/release.yml").read_text()


def test_a_downgrade_is_refused(tmp_path: Path, kit_v2: Pack, capsys: pytest.CaptureFixture[str]) -> None:
    repo = make_repo(tmp_path / "service", pack=kit_v2)
    before = tree(repo)
    assert run(repo) == 2
    assert "pack.version 1.1.0 is newer than this scaffold's 1.0.0" in capsys.readouterr().err
    assert tree(repo) == before


def test_a_dirty_tree_is_refused(repo: Path, on_v2: Pack, capsys: pytest.CaptureFixture[str]) -> None:
    edit(repo, CI, "    timeout-minutes: 30\n", "    timeout-minutes: 25\n")
    before = tree(repo)
    assert run(repo) == 2
    assert "uncommitted changes (.github/workflows/ci.yml)" in capsys.readouterr().err
    assert tree(repo) == before
    assert run(repo, "--allow-dirty") == 0


@pytest.mark.parametrize(
    ("damage", "message"),
    [
        (None, ".scaffold.yml: not found"),
        ("answers: [unclosed\n", ".scaffold.yml: is not valid YAML at line 2"),
        ("- a list\n", ".scaffold.yml: must be a mapping"),
        ("scaffold_version: 0.1.0\npack: {name: scaffold-default, version: 1.0.0}\nanswers: {}\n", "files is missing"),
    ],
)
def test_a_missing_or_corrupt_record_is_a_clear_error(
    repo: Path, damage: str | None, message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    if damage is None:
        (repo / RECORD_PATH).unlink()
    else:
        (repo / RECORD_PATH).write_text(damage)
    commit_all(repo, "damage")
    before = tree(repo)
    assert run(repo) == 2
    err = capsys.readouterr().err
    assert message in err
    assert err.count("\n") == 1
    assert tree(repo) == before


def test_a_second_run_changes_nothing(repo: Path, on_v2: Pack) -> None:
    edit(repo, CI, "    timeout-minutes: 30\n", "    timeout-minutes: 25\n")
    (repo / CI).write_text(
        (repo / CI).read_text() + "\n  e2e:\n    runs-on: ubuntu-24.04\n    timeout-minutes: 5\n"
        "    permissions: {}\n    steps:\n      - run: echo e2e\n"
    )
    commit_all(repo, "user edits")
    assert run(repo) == 0
    commit_all(repo, "upgrade")
    after_first = tree(repo)
    head = git(repo, "rev-parse", "HEAD")
    assert run(repo) == 0
    assert tree(repo) == after_first
    assert git(repo, "status", "--porcelain") == ""
    assert git(repo, "rev-parse", "HEAD") == head


def test_a_second_run_after_a_conflict_still_reports_it(
    repo: Path, on_v2: Pack, capsys: pytest.CaptureFixture[str]
) -> None:
    edit(repo, CI, support.LINT_TIMEOUT_V1, support.LINT_TIMEOUT_V1.replace("15", "12"))
    commit_all(repo, "user edit")
    assert run(repo) == 1
    commit_all(repo, "upgrade with conflicts")
    capsys.readouterr()
    assert run(repo) == 1
    assert "unresolved conflict markers" in capsys.readouterr().out


def test_an_edit_that_weakens_a_control_stops_the_upgrade(
    repo: Path, on_v2: Pack, capsys: pytest.CaptureFixture[str]
) -> None:
    pinned = "actions/checkout@3d3c42e5aac5ba805825da76410c181273ba90b1 # v7.0.1"
    text = (repo / CI).read_text()
    assert pinned in text
    line = text[: text.index(pinned)].count("\n") + 1
    (repo / CI).write_text(text.replace(pinned, "actions/checkout@v7", 1))
    commit_all(repo, "unpin")
    before = tree(repo)
    assert run(repo) == 3
    out = capsys.readouterr().out
    assert f"{CI}:{line}: weaker than the kit: unpinned-uses (pinned-dependencies): " in out
    assert "nothing was written" in out
    assert tree(repo) == before
    assert run(repo, "--accept-weaker") == 0
    assert (repo / CI).read_text() == render_v(on_v2)[CI].replace(pinned, "actions/checkout@v7", 1)


def test_deleting_a_workflow_with_scans_is_a_weakening(
    repo: Path, on_v2: Pack, capsys: pytest.CaptureFixture[str]
) -> None:
    (repo / CI).unlink()
    commit_all(repo, "no ci")
    assert run(repo, "--format=json") == 3
    report = json.loads(capsys.readouterr().out)
    assert report["written"] is False
    assert {weak["control"] for weak in report["weakenings"]} >= {"secret-scan", "sast"}
    assert {weak["rule"] for weak in report["weakenings"]} >= {"kit-secret-scan", "kit-sast"}
    # The deleted file cannot hold a finding: each missing control is named in the workflow that is left.
    assert {weak["path"] for weak in report["weakenings"]} == {".github/workflows/release.yml"}


def test_dry_run_shows_diffs_and_writes_nothing(repo: Path, on_v2: Pack, capsys: pytest.CaptureFixture[str]) -> None:
    before = tree(repo)
    assert run(repo, "--dry-run", "--color=never") == 0
    out = capsys.readouterr().out
    assert f"     updated  {CI}\n--- a/{CI}\n+++ b/{CI}\n" in out
    assert "-    timeout-minutes: 15\n+    timeout-minutes: 10\n" in out
    assert out.rstrip().endswith("dry run: nothing written")
    assert tree(repo) == before


def test_the_plain_report_lists_changes_only(repo: Path, on_v2: Pack, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(repo, "--dry-run", "--format=json") == 0
    statuses = [item["status"] for item in json.loads(capsys.readouterr().out)["files"]]
    assert run(repo) == 0
    out = capsys.readouterr().out
    assert "unchanged  " not in out
    assert f"     updated  {CI}\n" in out
    assert "     removed  .hadolint.yaml  (left the kit)\n" in out
    summary = out.splitlines()[-1]
    assert summary.startswith("kit 1.0.0 -> 1.1.0: ")
    assert f"{statuses.count('updated')} updated" in summary
    assert f"{statuses.count('removed')} removed" in summary
    assert summary.endswith(f"({statuses.count('unchanged')} unchanged)")


def test_the_users_audit_settings_in_the_record_survive_an_upgrade(repo: Path, on_v2: Pack) -> None:
    record = repo / RECORD_PATH
    text = record.read_text()
    record.write_text(
        text.replace("files:\n", "audit:\n  disable: [missing-timeout]\n  min_severity: medium\nfiles:\n", 1)
    )
    commit_all(repo, "audit settings")
    assert run(repo) == 0
    assert read_record(repo).audit == {"disable": ["missing-timeout"], "min_severity": "medium"}
    assert read_record(repo).pack_version == "1.1.0"
    commit_all(repo, "upgrade")
    assert run(repo) == 0  # idempotent with the settings in place
    assert git(repo, "status", "--porcelain") == ""


@pytest.mark.parametrize("kind", ["file", "folder", "symlink"])
def test_an_existing_rej_file_is_never_overwritten(
    repo: Path, on_v2: Pack, capsys: pytest.CaptureFixture[str], kind: str
) -> None:
    """A .rej the .gitignore hides from the clean-tree check may hold the user's notes: refused, nothing written."""
    edit(repo, CI, support.LINT_TIMEOUT_V1, support.LINT_TIMEOUT_V1.replace("15", "12"))
    (repo / ".gitignore").write_text("*.rej\n")
    commit_all(repo, "user edit")
    reject = repo / f"{CI}.rej"
    if kind == "file":
        reject.write_text("my notes, never committed\n")
    elif kind == "folder":
        reject.mkdir()
    else:
        reject.symlink_to(repo / "README-missing")
    before = tree(repo)
    for extra in ((), ("--dry-run",)):
        assert run(repo, "--conflict=rej", *extra) == 2
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and f"{CI}.rej: exists already" in err
    assert tree(repo) == before
    assert read_record(repo).pack_version == "1.0.0"


def test_a_rej_file_names_your_file_and_the_kit(repo: Path, on_v2: Pack) -> None:
    edit(repo, CI, support.LINT_TIMEOUT_V1, support.LINT_TIMEOUT_V1.replace("15", "12"))
    commit_all(repo, "user edit")
    assert run(repo, "--conflict=rej") == 1
    header = (repo / f"{CI}.rej").read_text().splitlines()[:2]
    assert header == [f"--- {CI} (your version)", f"+++ {CI} (kit {on_v2.name} 1.1.0)"]


# --- scaffold diff: the drift gate teams can leave on ------------------------------------------------------------

ENTRY_POINT = 'CMD ["python", "-m", "orders"]\n'


def _customise(repo: Path) -> None:
    """What every real service does: its own entry point, and a deploy hook that deploys."""
    edit(repo, "Dockerfile", ENTRY_POINT, 'ENTRYPOINT ["python", "-m", "orders.server", "--port", "8080"]\n')
    edit(repo, "deploy/deploy.sh", "exit 1\n", 'helm upgrade --install orders chart --set image="${target}"\n')


def _remove_policy(repo: Path) -> None:
    shutil.rmtree(repo / "policy")
    edit(repo, RECORD_PATH, "files:\n", "removed:\n  - policy/\nfiles:\n")


def _change_answers(repo: Path) -> None:
    edit(repo, RECORD_PATH, "  coverage_min: 80\n", "  coverage_min: 90\n")


def _weaken(repo: Path) -> None:
    edit(repo, CI, "permissions: {}\n", "permissions: write-all\n")


def _delete_docs(repo: Path) -> None:
    (repo / "docs" / "ci-security.md").unlink()


def _line_of(repo: Path, path: str, text: str) -> int:
    content = (repo / path).read_text()
    return content[: content.index(text)].count("\n") + 1


@dataclass(frozen=True)
class Gate:
    """One row of the diff gate's scenario table: what the team did, and what ``scaffold diff`` must say."""

    setup: Callable[[Path], None] | None
    code: int
    args: tuple[str, ...] = ()
    newer_kit: bool = False
    pending: dict[str, str] = field(default_factory=dict)  # at least these paths, with these upgrade statuses
    weaker: tuple[str, str] | None = None  # the file, and the text on the line it must name
    missing: tuple[str, ...] = ()
    customised: tuple[str, ...] = ()
    removed: str = ""  # the folder whose kit files are all reported as removed


CUSTOMISED = ("Dockerfile", "deploy/deploy.sh")
GATES = {
    "no-edits": Gate(None, 0),
    "customised-entry-point-and-deploy-hook": Gate(_customise, 0, customised=CUSTOMISED),
    "removed-policy-folder": Gate(_remove_policy, 0, removed="policy/"),
    "newer-kit": Gate(None, 1, newer_kit=True, pending={CI: "updated", ".hadolint.yaml": "removed"}),
    "changed-answers": Gate(_change_answers, 1, pending={CI: "updated"}),
    "weakened-control": Gate(_weaken, 1, weaker=(CI, "permissions: write-all")),
    "deleted-not-recorded": Gate(_delete_docs, 1, missing=("docs/ci-security.md",)),
    "strict-on-customised": Gate(_customise, 1, args=("--strict",), customised=CUSTOMISED),
}


@pytest.mark.parametrize("gate", GATES.values(), ids=GATES.keys())
def test_the_diff_gate(
    repo: Path, request: pytest.FixtureRequest, capsys: pytest.CaptureFixture[str], gate: Gate
) -> None:
    if gate.newer_kit:
        request.getfixturevalue("on_v2")
    if gate.setup is not None:
        gate.setup(repo)
    commit_all(repo, "the repository as its team keeps it")
    before = tree(repo)
    assert cli.main(["diff", str(repo), *gate.args, "--format=json"]) == gate.code
    report = json.loads(capsys.readouterr().out)
    assert report["drift"] is (gate.code == 1)
    pending = {item["path"]: item["status"] for item in report["pending"]}
    assert pending.items() >= gate.pending.items() and bool(pending) is bool(gate.pending)
    weaker = [(item["path"], item["line"]) for item in report["weaker"]]
    assert weaker == ([(gate.weaker[0], _line_of(repo, *gate.weaker))] if gate.weaker else [])
    assert report["missing"] == list(gate.missing)
    assert report["customised"] == list(gate.customised)
    kit = support.render_v(None)
    assert report["removed"] == sorted(name for name in kit if gate.removed and name.startswith(gate.removed))
    assert cli.main(["diff", str(repo), *gate.args]) == gate.code  # the plain report: the same verdict, one line
    assert capsys.readouterr().out.splitlines()[-1].startswith("drift" if gate.code else "no drift: ")
    assert tree(repo) == before


def test_the_plain_gate_names_a_weakened_control_with_file_and_line(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _customise(repo)
    _weaken(repo)
    commit_all(repo, "weaker")
    assert cli.main(["diff", str(repo)]) == 1
    lines = capsys.readouterr().out.splitlines()
    assert any(line.startswith(f"    weaker  {CI}:{_line_of(repo, CI, 'permissions: write-all')}: ") for line in lines)
    assert lines[-3:] == [
        "customised  Dockerfile",
        "customised  deploy/deploy.sh",
        "drift: 1 weaker; 2 customised; kit 1.0.0",
    ]


def test_after_an_upgrade_the_customised_repository_passes_the_gate_again(repo: Path, on_v2: Pack) -> None:
    _customise(repo)
    _remove_policy(repo)
    commit_all(repo, "customised")
    assert cli.main(["diff", str(repo)]) == 1  # the kit moved on
    assert run(repo) == 0
    assert read_record(repo).removed == ("policy/",)
    commit_all(repo, "upgrade")
    assert cli.main(["diff", str(repo)]) == 0
