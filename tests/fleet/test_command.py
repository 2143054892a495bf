"""``scaffold fleet status`` and ``fleet upgrade`` end to end: the real command line over real git repositories."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
from pathlib import Path

import pytest

from tests.fleet.repos import by_name, commit_edit, fleet_json, git, github_forge, kit_repo, plain_repo, scaffold
from tests.packs.gitserver import git_daemon, require_git_daemon, silent_server
from tests.support.hang_guard import hang_guard

WORKFLOW = ".github/workflows/ci.yml"
UNPINNED = (
    "name: ci\non: push\njobs:\n  build:\n    runs-on: ubuntu-latest\n    steps:\n      - uses: actions/checkout@v4\n"
)


def _weaken(repo: Path) -> None:
    commit_edit(repo, WORKFLOW, "permissions: {}", "permissions: write-all")


def _options(tmp_path: Path) -> list[str]:
    return ["--db", str(tmp_path / "fleet.sqlite3"), "--cache", str(tmp_path / "cache"), "--jobs", "2"]


def test_status_reports_each_repository_and_its_posture(tmp_path: Path, template_root: Path) -> None:
    fleet = tmp_path / "clones"
    kit_repo(fleet / "clean", template_root=template_root)
    _weaken(kit_repo(fleet / "weakened", template_root=template_root))
    customised = kit_repo(fleet / "customised", template_root=template_root)
    commit_edit(customised, "deploy/deploy.sh", "exit 1", "helm upgrade --install svc ./chart\nexit 0")
    broken = kit_repo(fleet / "broken", template_root=template_root)
    commit_edit(broken, ".scaffold.yml", "answers:", "answers: [unclosed")
    plain_repo(fleet / "plain", {WORKFLOW: UNPINNED})
    code, report = fleet_json("status", str(fleet), str(tmp_path / "gone"), *_options(tmp_path))
    assert code == 1
    found = by_name(report)
    assert {name: item["state"] for name, item in found.items()} == {
        "clean": "current",
        "weakened": "drift",
        "customised": "current",
        "broken": "error",
        "plain": "not-scaffold",
        "gone": "error",
    }
    assert found["weakened"]["weaker"] and found["weakened"]["findings"]["high"] >= 1
    assert found["customised"]["customised"] == ["deploy/deploy.sh"]
    assert ".scaffold.yml" in found["broken"]["error"]
    assert "no such folder" in found["gone"]["error"]
    assert found["plain"]["findings_detail"] and found["plain"]["pack"]["name"] is None
    assert found["clean"]["pack"]["name"] == "scaffold-default" and not found["clean"]["behind"]
    assert report["summary"]["states"] == {"current": 2, "behind": 0, "drift": 1, "not-scaffold": 1, "error": 2}
    assert report["summary"]["findings"]["high"] == sum(item["findings"]["high"] for item in found.values())
    table = scaffold("fleet", "status", str(fleet), str(tmp_path / "gone"), *_options(tmp_path))
    assert table.returncode == 1
    assert "6 repositories: 2 current, 1 drift, 1 not-scaffold, 2 error" in table.stdout
    assert "since run 1 (" in table.stdout and "): no change" in table.stdout  # the trend against the first run


def test_status_of_a_clean_fleet_exits_0_and_a_behind_one_1(tmp_path: Path, template_root: Path) -> None:
    pack = tmp_path / "acme"
    assert scaffold("pack", "init", str(pack)).returncode == 0
    fleet = tmp_path / "clones"
    for name in ("one", "two"):
        repo = fleet / name
        repo.mkdir(parents=True)
        git(repo, "init", "-q", "-b", "main")
        assert scaffold("new", "--defaults", "--pack", str(pack), "--output", str(repo)).returncode == 0
        git(repo, "add", "-A")
        git(repo, "commit", "-qm", "kit")
    code, report = fleet_json("status", str(fleet), "--pack", str(pack), *_options(tmp_path))
    assert code == 0 and report["summary"]["states"]["current"] == 2
    text = (pack / "pack.yml").read_text(encoding="utf-8")
    (pack / "pack.yml").write_text(text.replace("version: 0.1.0", "version: 0.2.0"), encoding="utf-8")
    code, report = fleet_json("status", str(fleet), "--pack", str(pack), *_options(tmp_path))
    assert code == 1
    assert {item["state"] for item in report["repositories"]} == {"behind"}
    assert report["repositories"][0]["pack"] == {
        "name": "acme",
        "version": "0.1.0",
        "latest": "0.2.0",
        "source": "../../acme",  # as the record keeps it: relative to the repository
    }
    assert report["summary"]["versions"] == {"acme 0.1.0": 2}
    assert report["trend"]["states"]["behind"] == 2 and report["trend"]["states"]["current"] == -2


def test_upgrade_commits_on_a_branch_and_leaves_the_checkout_alone(tmp_path: Path, template_root: Path) -> None:
    fleet = tmp_path / "clones"
    repos = [kit_repo(fleet / name, template_root=template_root) for name in ("one", "two")]
    _weaken(kit_repo(fleet / "weakened", template_root=template_root))
    (repos[0] / "notes.txt").write_text("uncommitted work\n", encoding="utf-8")  # the user's, untouched
    heads = {repo: git(repo, "rev-parse", "HEAD") for repo in repos}
    settings = ["--set", "dast=true", "--set", "dast_target_url=https://staging.example.com"]
    code, report = fleet_json("upgrade", str(fleet), "--branch", "scaffold/dast", *settings, *_options(tmp_path))
    assert code == 1  # the weakened repository is blocked
    found = by_name(report)
    assert found["weakened"]["state"] == "blocked" and found["weakened"]["upgrade"]["blocked"]
    assert "scaffold/dast" not in git(fleet / "weakened", "branch", "--list")
    for repo in repos:
        item = found[repo.name]
        assert item["state"] == "upgraded", item
        info = item["upgrade"]
        assert git(repo, "rev-parse", "scaffold/dast") == info["commit"]
        assert git(repo, "rev-parse", "scaffold/dast^") == heads[repo]  # one commit on top of HEAD
        assert git(repo, "rev-parse", "HEAD") == heads[repo]
        assert git(repo, "worktree", "list", "--porcelain").count("worktree ") == 1
        assert "### What changed" in info["description"] and "`dast=true`" in info["description"]
        message = git(repo, "log", "-1", "--format=%B", "scaffold/dast")
        assert message.startswith("scaffold: apply changed answers") and "Scaffold-Fleet-Run: 1" in message
        # the branch holds the whole upgrade: its own drift gate is clean
        check = tmp_path / f"check-{repo.name}"
        git(repo, "worktree", "add", "-q", str(check), "scaffold/dast")
        assert scaffold("diff", str(check)).returncode == 0
        git(repo, "worktree", "remove", "--force", str(check))
    assert git(repos[0], "status", "--porcelain") == "?? notes.txt"
    again = scaffold(
        "fleet", "upgrade", str(fleet / "one"), "--branch", "scaffold/dast", *settings, *_options(tmp_path)
    )
    assert again.returncode == 1 and "already exists" in again.stdout


def test_upgrade_pushes_and_opens_the_pull_request_with_the_forge_cli(tmp_path: Path, template_root: Path) -> None:
    repo = kit_repo(tmp_path / "clones" / "svc", template_root=template_root)
    env, calls, remote = github_forge(tmp_path, repo)
    done = subprocess.run(
        [
            "python",
            "-m",
            "scaffold",
            "fleet",
            "upgrade",
            str(repo),
            "--branch",
            "scaffold/dast",
            "--set",
            "dast=true",
            "--set",
            "dast_target_url=https://staging.example.com",
            "--push",
            "--open-prs",
            "--format",
            "json",
            *_options(tmp_path),
        ],
        capture_output=True,
        text=True,
        env={**os.environ, **env},
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    info = json.loads(done.stdout)["repositories"][0]["upgrade"]
    assert info["pushed"] and info["pr_url"] == "https://github.com/acme/svc/pull/7"
    assert git(remote, "rev-parse", "refs/heads/scaffold/dast") == info["commit"]
    argv = json.loads(calls.read_text())
    assert argv[:2] == ["pr", "create"] and argv[argv.index("--head") + 1] == "scaffold/dast"
    assert argv[argv.index("--base") + 1] == "main"
    body = Path(argv[argv.index("--body-file") + 1]).read_text(encoding="utf-8")
    assert body == info["description"] and not body.startswith(str(repo))
    assert argv[argv.index("--repo") + 1] == "github.com/acme/svc"  # named: gh never runs inside the repository
    assert info["pr_command"].startswith("gh pr create --repo github.com/acme/svc ")


def test_a_repository_whose_git_config_names_a_program_is_not_pushed(tmp_path: Path, template_root: Path) -> None:
    repo = kit_repo(tmp_path / "svc", template_root=template_root)
    marker = tmp_path / "ran"
    remote = tmp_path / "svc.git"
    subprocess.run(["git", "init", "-q", "--bare", str(remote)], check=True)
    git(repo, "remote", "add", "origin", str(remote))
    git(repo, "config", "core.sshCommand", f"touch {marker}")
    git(repo, "config", "core.fsmonitor", f"touch {marker}")
    git(repo, "config", "core.hooksPath", str(tmp_path / "hooks"))
    (tmp_path / "hooks").mkdir()
    for hook in ("post-checkout", "pre-commit", "pre-push", "reference-transaction"):
        (tmp_path / "hooks" / hook).write_text(f"#!/bin/sh\ntouch {marker}\n")
        (tmp_path / "hooks" / hook).chmod(0o755)
    code, report = fleet_json(
        "upgrade",
        str(repo),
        "--branch",
        "b",
        "--set",
        "dast=true",
        "--set",
        "dast_target_url=https://s.example.com",
        "--push",
        *_options(tmp_path),
    )
    item = report["repositories"][0]
    assert code == 1 and item["state"] == "error" and "core.sshcommand" in item["error"]
    assert item["upgrade"]["commit"] and git(repo, "rev-parse", "refs/heads/b") == item["upgrade"]["commit"]
    assert not marker.exists()
    assert fleet_json("status", str(repo), *_options(tmp_path))[1]["repositories"][0]["state"] == "current"
    assert not marker.exists()


def test_git_urls_are_cloned_into_the_cache_and_refreshed(tmp_path: Path, template_root: Path) -> None:
    require_git_daemon()
    served = tmp_path / "served"
    work = kit_repo(tmp_path / "work" / "svc", template_root=template_root)
    subprocess.run(["git", "clone", "-q", "--bare", str(work), str(served / "svc.git")], check=True)
    with git_daemon(served) as daemon:
        url = daemon.url("svc.git")
        code, report = fleet_json("status", url, *_options(tmp_path))
        assert code == 0 and report["repositories"][0]["state"] == "current"
        assert report["repositories"][0]["name"] == "svc"
        assert Path(report["repositories"][0]["path"]).is_relative_to(tmp_path / "cache")
        _weaken(work)
        git(work, "push", "-q", str(served / "svc.git"), "main")
        code, report = fleet_json("status", url, *_options(tmp_path))
        assert code == 1 and report["repositories"][0]["state"] == "drift"


def test_a_stuck_repository_is_stopped_and_the_others_finish(tmp_path: Path, template_root: Path) -> None:
    repo = kit_repo(tmp_path / "svc", template_root=template_root)
    with silent_server() as port, hang_guard():
        stuck = f"git://127.0.0.1:{port}/stuck.git"
        code, report = fleet_json("status", stuck, str(repo), "--timeout", "15", *_options(tmp_path))
    found = {item["target"]: item for item in report["repositories"]}
    assert code == 1
    assert found[str(repo)]["state"] == "current"
    assert found[stuck]["state"] == "error" and "stopped after 15 s" in found[stuck]["error"]


def test_shards_partition_the_fleet_and_merge_into_the_whole(tmp_path: Path, template_root: Path) -> None:
    fleet = tmp_path / "clones"
    for name in ("a", "b", "c"):
        kit_repo(fleet / name, template_root=template_root)
    _weaken(kit_repo(fleet / "d", template_root=template_root))
    listing = tmp_path / "repos.txt"
    listing.write_text("# the fleet\n\n" + "\n".join(str(fleet / n) for n in "abcd") + "\n", encoding="utf-8")
    shards = []
    for index in range(3):
        shard = tmp_path / f"shard-{index}.json"
        done = scaffold(
            "fleet",
            "status",
            "--from",
            str(listing),
            "--shard",
            f"{index}/3",
            "--output",
            str(shard),
            "--no-history",
            "--exit-zero",
            "--cache",
            str(tmp_path / "cache"),
        )
        assert done.returncode == 0, done.stderr
        shards.append(shard)
    parts = [json.loads(shard.read_text())["repositories"] for shard in shards]
    assert sorted(item["name"] for part in parts for item in part) == ["a", "b", "c", "d"]
    assert [len(part) for part in parts] == [2, 1, 1]
    merged = scaffold("fleet", "merge", *map(str, shards), "--format", "json")
    assert merged.returncode == 1
    whole = fleet_json("status", "--from", str(listing), *_options(tmp_path))[1]
    assert json.loads(merged.stdout)["summary"] == whole["summary"]
    twice = scaffold("fleet", "merge", str(shards[0]), str(shards[0]))
    assert twice.returncode == 2 and "each repository belongs to one shard" in twice.stderr
    tampered = json.loads(shards[1].read_text())
    tampered["repositories"][0]["findings"]["high"] = "many"
    shards[1].write_text(json.dumps(tampered))
    bad = scaffold("fleet", "merge", str(shards[1]))
    assert bad.returncode == 2 and "repositories.0.findings.high" in bad.stderr


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["status"], "no repositories to run"),
        (["status", ".", "--shard", "4/4"], "--shard 4/4"),
        (["status", "--from", "missing.txt"], "--from missing.txt"),
        (["status", "--resume"], "no interrupted 'fleet status' run"),
        (["status", ".", "--resume"], "name none"),
        (["status", "--no-history", "--resume"], "--no-history"),
        (["upgrade", "."], "--branch NAME is required"),
        (["upgrade", ".", "--branch", "bad..name"], "not a plain git branch name"),
        (["upgrade", ".", "--branch", "b", "--open-prs"], "needs --push"),
        (["upgrade", ".", "--branch", "b", "--set", "novalue"], "must be KEY=VALUE"),
        (["status", "-x"], "unrecognized arguments"),
        (["merge", "missing.json"], "missing.json"),
    ],
)
def test_bad_input_to_the_fleet_command_is_exit_2_in_one_line(tmp_path: Path, args: list[str], message: str) -> None:
    done = scaffold("fleet", *args, cwd=tmp_path)
    assert done.returncode == 2, done.stderr
    assert message in done.stderr and "Traceback" not in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1 or args == ["status", "-x"]


def test_a_file_that_is_not_a_fleet_database_is_refused(tmp_path: Path) -> None:
    other = tmp_path / "other.sqlite3"
    with sqlite3.connect(other) as db:
        db.execute("CREATE TABLE notes (text TEXT)")
    text = tmp_path / "text.sqlite3"
    text.write_text("not a database at all, " * 100)
    for path in (other, text):
        done = scaffold("fleet", "status", str(tmp_path), "--db", str(path))
        assert done.returncode == 2 and "not a scaffold fleet database" in done.stderr, done.stderr
    with sqlite3.connect(other) as db:
        assert db.execute("SELECT name FROM sqlite_master").fetchall() == [("notes",)]


def test_without_pack_a_repository_is_compared_with_its_packs_newest_tag(tmp_path: Path) -> None:
    pack = tmp_path / "acme"
    assert scaffold("pack", "init", str(pack)).returncode == 0
    git(pack, "init", "-q", "-b", "main")
    git(pack, "add", "-A")
    git(pack, "commit", "-qm", "0.1.0")
    git(pack, "tag", "v0.1.0")
    repo = tmp_path / "clones" / "svc"
    repo.mkdir(parents=True)
    git(repo, "init", "-q", "-b", "main")
    made = scaffold("new", "--defaults", "--pack", f"{pack.as_uri()}@v0.1.0", "--output", str(repo))
    assert made.returncode == 0, made.stderr
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "kit")
    code, report = fleet_json("status", str(repo), *_options(tmp_path))
    assert code == 0 and report["repositories"][0]["pack"]["latest"] == "0.1.0"
    text = (pack / "pack.yml").read_text(encoding="utf-8")
    (pack / "pack.yml").write_text(text.replace("version: 0.1.0", "version: 0.2.0"), encoding="utf-8")
    git(pack, "commit", "-qam", "0.2.0")
    git(pack, "tag", "v0.2.0")
    code, report = fleet_json("status", str(repo), *_options(tmp_path))
    item = report["repositories"][0]
    assert code == 1 and item["state"] == "behind", item
    assert item["pack"] == {"name": "acme", "version": "0.1.0", "latest": "0.2.0", "source": pack.as_uri()}
