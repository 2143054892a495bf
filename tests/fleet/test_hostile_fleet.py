"""The fleet against hostile repositories, lists, shard files, history databases, branch names and URLs, and
against a careless user. Each test asserts the safe behaviour.

Everything runs through the real command line, on real git repositories (copies of one real kit), real FIFOs,
real signals and a real SQLite file."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest

from scaffold.fleet.targets import Target
from tests.fleet.repos import by_name, git, github_forge, kit_repo
from tests.packs.gitserver import silent_server
from tests.support.hang_guard import hang_guard

DAST = ("--set", "dast=true", "--set", "dast_target_url=https://staging.example.com")
SECRET = "S3CRET-fleet-token-5f1c"  # noqa: S105 (bait: it must appear nowhere)


# --- helpers -------------------------------------------------------------------------------------------------------


def _cli(
    *args: str, cwd: Path | None = None, env: Mapping[str, str] | None = None, timeout: float = 300
) -> subprocess.CompletedProcess[str]:
    """``scaffold fleet ARGS`` as a user runs it."""
    return subprocess.run(
        [sys.executable, "-m", "scaffold", "fleet", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=timeout,
        check=False,
        stdin=subprocess.DEVNULL,
        env={**os.environ, **(env or {})},
    )


def _report(done: subprocess.CompletedProcess[str]) -> dict[str, Any]:
    assert done.returncode in (0, 1), (done.returncode, done.stderr)
    assert "Traceback" not in done.stderr
    report: dict[str, Any] = json.loads(done.stdout)
    return report


def _history(tmp_path: Path) -> list[str]:
    return ["--db", str(tmp_path / "fleet.sqlite3"), "--cache", str(tmp_path / "cache")]


def _one_line_exit_2(done: subprocess.CompletedProcess[str], *needles: str) -> None:
    assert done.returncode == 2, (done.returncode, done.stdout[-500:], done.stderr)
    assert "Traceback" not in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1, done.stderr
    for needle in needles:
        assert needle in done.stderr, done.stderr


def _git_dir_snapshot(repo: Path) -> dict[str, bytes]:
    """Every file under .git except objects: what an upgrade may and may not change there."""
    found = {}
    for path in sorted((repo / ".git").rglob("*")):
        relative = path.relative_to(repo / ".git").as_posix()
        if path.is_file() and not relative.startswith("objects/"):
            found[relative] = path.read_bytes()
    return found


def _allowed_git_changes(before: dict[str, bytes], after: dict[str, bytes], branch: str) -> list[str]:
    """Paths under .git that changed beyond the branch, its reflog and scaffold's documented base refs."""
    allowed = (f"refs/heads/{branch}", f"logs/refs/heads/{branch}")
    changed = [path for path in before.keys() | after.keys() if before.get(path) != after.get(path)]
    return sorted(
        path
        for path in changed
        if path not in allowed and not path.startswith(("refs/scaffold/", "logs/refs/scaffold/"))
    )


def _refs(repo: Path) -> str:
    return git(repo, "for-each-ref", "--format=%(refname) %(objectname)")


def _kit_files_into(repo: Path, folder: Path, template_root: Path) -> None:
    """The kit's files (not its .git) copied into ``folder`` of ``repo`` and committed: a kit in a sub-folder."""
    source = kit_repo(repo.parent / f".{folder.name}-source", template_root=template_root)
    shutil.copytree(source, folder, ignore=shutil.ignore_patterns(".git"))
    shutil.rmtree(source)
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "a second kit")


def _db_rows(db: Path, sql: str, *params: object) -> list[tuple[Any, ...]]:
    with contextlib.closing(sqlite3.connect(db)) as connection:
        return connection.execute(sql, params).fetchall()


def _db_change(db: Path, *statements: tuple[str, tuple[object, ...]]) -> None:
    with contextlib.closing(sqlite3.connect(db)) as connection, connection:
        for sql, params in statements:
            connection.execute(sql, params)


def _children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError):
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
                if fields[1] == str(pid):
                    found.append(int(entry.name))
    return found


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


@contextlib.contextmanager
def _running(*args: str) -> Iterator[subprocess.Popen[str]]:
    process = subprocess.Popen(
        [sys.executable, "-m", "scaffold", "fleet", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        stdin=subprocess.DEVNULL,
        text=True,
    )
    try:
        yield process
    finally:
        if process.poll() is None:
            process.kill()
        process.communicate()


def _wait_for_results(db: Path, count: int, process: subprocess.Popen[str]) -> None:
    with hang_guard():
        while process.poll() is None:
            with contextlib.suppress(sqlite3.Error):
                if _db_rows(db, "SELECT count(*) FROM results")[0][0] >= count:
                    return
            time.sleep(0.05)
    raise AssertionError(f"the run ended before {count} results: {process.communicate()}")


# --- bad input to the fleet command: one line, exit 2, never a hang ------------------------------------------------


def test_a_list_line_that_looks_like_an_option_is_refused(tmp_path: Path) -> None:
    listing = tmp_path / "repos.txt"
    listing.write_text(f"  --upload-pack=touch {tmp_path / 'ran'}  \n", encoding="utf-8")
    _one_line_exit_2(_cli("status", "--from", str(listing), *_history(tmp_path)), "must not start with '-'")
    assert not (tmp_path / "ran").exists()


@pytest.mark.parametrize(
    ("content", "needle"),
    [(b"/srv/a\n/srv/b\x00\n", "binary"), (b"/srv/\x1b]0;owned\x07a\n", "printable"), (b"\xff\xfe/srv\n", "UTF-8")],
    ids=["nul", "escape", "not-utf8"],
)
def test_a_hostile_list_is_one_line_without_its_bytes(tmp_path: Path, content: bytes, needle: str) -> None:
    listing = tmp_path / "repos.txt"
    listing.write_bytes(content)
    done = _cli("status", "--from", str(listing), *_history(tmp_path))
    _one_line_exit_2(done, needle)
    assert "\x1b" not in done.stderr and "\x07" not in done.stderr


@pytest.mark.parametrize("where", ["from", "merge", "db"])
def test_a_fifo_in_place_of_a_file_is_refused_at_once(tmp_path: Path, where: str) -> None:
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    args = {
        "from": ["status", "--from", str(fifo), "--no-history"],
        "merge": ["merge", str(fifo)],
        "db": ["status", str(tmp_path), "--db", str(fifo)],
    }[where]
    with hang_guard():
        done = _cli(*args, timeout=60)
    _one_line_exit_2(done, "fifo")


def test_a_deeply_nested_shard_file_is_one_line(tmp_path: Path) -> None:
    shard = tmp_path / "shard.json"
    shard.write_text("[" * 200_000 + "]" * 200_000, encoding="utf-8")
    _one_line_exit_2(_cli("merge", str(shard)), "shard.json")


def test_a_history_database_under_a_file_is_one_line(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("x", encoding="utf-8")
    _one_line_exit_2(_cli("status", str(tmp_path), "--db", str(tmp_path / "file" / "fleet.sqlite3")))


def test_a_target_with_a_line_break_is_refused(tmp_path: Path) -> None:
    _one_line_exit_2(_cli("status", f"{tmp_path}/a\nb", *_history(tmp_path)), "printable")


def test_a_branch_name_git_would_expand_is_refused(tmp_path: Path, template_root: Path) -> None:
    repo = kit_repo(tmp_path / "svc", template_root=template_root)
    git(repo, "checkout", "-q", "-b", "previous")
    git(repo, "checkout", "-q", "main")
    done = _cli("upgrade", str(repo), "--branch", "@{-1}", *DAST, *_history(tmp_path), cwd=repo)
    _one_line_exit_2(done, "--branch")


def test_a_password_in_a_url_target_reaches_no_report_and_no_database(tmp_path: Path) -> None:
    done = _cli("status", f"https://ci:{SECRET}@127.0.0.1:9/acme/svc.git", "--format", "json", *_history(tmp_path))
    assert done.returncode in (1, 2) and "Traceback" not in done.stderr
    assert SECRET not in done.stdout
    database = tmp_path / "fleet.sqlite3"
    assert not database.exists() or SECRET.encode() not in database.read_bytes()


# --- URLs that try to run a program ---------------------------------------------------------------------------------


def test_urls_that_would_run_a_program_are_each_their_repositorys_error(tmp_path: Path, template_root: Path) -> None:
    repo = kit_repo(tmp_path / "svc", template_root=template_root)
    marker = tmp_path / "ran"
    urls = [
        f"ext::sh -c touch% {marker}",
        "fd::3",
        f"ssh://-oProxyCommand=touch%20{marker}/x.git",
        f"ssh://127.0.0.1:-oProxyCommand=touch%20{marker}/x.git",
        "git@-oProxyCommand=touch%20ran:x.git",
    ]
    with hang_guard():
        done = _cli(
            "status", str(repo), *urls, "--format", "json", "--timeout", "60", *_history(tmp_path), cwd=tmp_path
        )
    found = {item["target"]: item for item in _report(done)["repositories"]}
    assert found.pop(str(repo))["state"] == "current"
    assert sorted(found) == sorted(urls)
    assert all(item["state"] == "error" and item["error"] for item in found.values())
    assert not marker.exists()


# --- a repository's git configuration names programs ----------------------------------------------------------------


def _armed(repo: Path, marker: Path, tmp_path: Path) -> None:
    """Every program a repository's own git configuration can make git start, each touching ``marker``."""
    (repo / ".gitattributes").write_text("* filter=evil diff=evil merge=evil\n", encoding="utf-8")
    git(repo, "add", ".gitattributes")
    git(repo, "commit", "-qm", "attributes")
    (repo / "README.extra").write_text("uncommitted, so git status looks at it\n", encoding="utf-8")
    included = tmp_path / "included.gitconfig"
    included.write_text(f"[core]\n\tfsmonitor = touch {marker}-include #\n", encoding="utf-8")
    hooks = tmp_path / "hooks"
    hooks.mkdir()
    for hook in ("post-checkout", "pre-commit", "commit-msg", "post-commit", "reference-transaction", "pre-push"):
        for folder in (hooks, repo / ".git" / "hooks"):
            (folder / hook).write_text(f"#!/bin/sh\ntouch {marker}-{hook}\n", encoding="utf-8")
            (folder / hook).chmod(0o755)
    settings = {
        "filter.evil.clean": f"sh -c 'touch {marker}-clean; cat'",
        "filter.evil.smudge": f"sh -c 'touch {marker}-smudge; cat'",
        "filter.evil.required": "true",
        "diff.evil.textconv": f"sh -c 'touch {marker}-textconv; cat' x",
        "merge.evil.driver": f"touch {marker}-merge",
        "core.pager": f"touch {marker}-pager",
        "core.hooksPath": str(hooks),
        "include.path": str(included),
        "extensions.worktreeConfig": "true",
    }
    for key, value in settings.items():
        git(repo, "config", key, value)
    git(repo, "config", "--worktree", "core.fsmonitor", f"touch {marker}-worktree #")
    for leftover in marker.parent.glob(f"{marker.name}*"):
        leftover.unlink()  # the test's own git calls above may have run some


def test_a_repositorys_git_programs_never_run_in_status_or_upgrade(tmp_path: Path, template_root: Path) -> None:
    repo = kit_repo(tmp_path / "svc", template_root=template_root)
    marker = tmp_path / "ran"
    _armed(repo, marker, tmp_path)
    status = _report(_cli("status", str(repo), "--format", "json", *_history(tmp_path)))
    upgrade = _report(
        _cli("upgrade", str(repo), "--branch", "kit/dast", *DAST, "--format", "json", *_history(tmp_path))
    )
    assert not list(tmp_path.glob("ran*"))
    assert status["repositories"][0]["error"] is None
    assert upgrade["repositories"][0]["state"] == "upgraded", upgrade["repositories"][0]["error"]


def test_a_program_in_the_worktree_config_does_not_run_on_push(tmp_path: Path, template_root: Path) -> None:
    repo = kit_repo(tmp_path / "svc", template_root=template_root)
    marker = tmp_path / "ran"
    git(repo, "remote", "add", "origin", "ssh://127.0.0.1/srv/svc.git")
    git(repo, "config", "extensions.worktreeConfig", "true")
    git(repo, "config", "--worktree", "core.sshCommand", f"sh -c 'touch {marker}' ssh")
    report = _report(
        _cli("upgrade", str(repo), "--branch", "kit/dast", *DAST, "--push", "--format", "json", *_history(tmp_path))
    )
    assert not marker.exists()
    assert not report["repositories"][0]["upgrade"]["pushed"]


def test_opening_the_pull_request_runs_no_program_of_the_repository(tmp_path: Path, template_root: Path) -> None:
    repo = kit_repo(tmp_path / "svc", template_root=template_root)
    env, calls, _remote = github_forge(tmp_path, repo)
    marker = tmp_path / "ran"
    git(repo, "config", "core.fsmonitor", f"touch {marker} #")
    done = _cli(
        "upgrade",
        str(repo),
        "--branch",
        "kit/dast",
        *DAST,
        "--push",
        "--open-prs",
        "--format",
        "json",
        *_history(tmp_path),
        env=env,
    )
    item = _report(done)["repositories"][0]
    assert not marker.exists()
    assert calls.exists() or "fsmonitor" in (item["error"] or "")  # gh ran, or the repository was refused


def test_the_printed_pull_request_command_is_safe_to_paste(tmp_path: Path, template_root: Path) -> None:
    repo = kit_repo(tmp_path / "svc", template_root=template_root)
    env, calls, _remote = github_forge(tmp_path, repo)
    base = "main$(touch${IFS}pwned)`touch${IFS}pwned`"
    git(repo, "checkout", "-q", "-b", base)
    report = _report(
        _cli("upgrade", str(repo), "--branch", "kit/dast", *DAST, "--format", "json", *_history(tmp_path), env=env)
    )
    command = report["repositories"][0]["upgrade"]["pr_command"]
    assert command and "\n" not in command
    subprocess.run(["sh", "-c", command], cwd=tmp_path, check=True, env={**os.environ, **env}, capture_output=True)
    argv = json.loads(calls.read_text(encoding="utf-8"))
    assert argv[argv.index("--base") + 1] == base and argv[argv.index("--head") + 1] == "kit/dast"
    assert not list(tmp_path.rglob("pwned"))


def test_trust_never_extends_to_a_template_a_repository_chose(tmp_path: Path) -> None:
    from tests.packs.cookiecutter_templates import small_template, write

    template = small_template(tmp_path / "team-template", {"README.md": "hi {{ cookiecutter.project_slug }}\n"})
    repo = tmp_path / "svc"
    repo.mkdir()
    git(repo, "init", "-q", "-b", "main")
    new = subprocess.run(
        [sys.executable, "-m", "scaffold", "new", "--defaults", "--pack", str(template), "--output", str(repo)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert new.returncode == 0, new.stderr
    marker = tmp_path / "ran"
    shutil.copytree(template, repo / "evil")
    write(repo / "evil", "hooks/pre_gen_project.py", f"import pathlib\npathlib.Path({str(marker)!r}).touch()\n")
    record = (repo / ".scaffold.yml").read_text(encoding="utf-8")
    record = record.replace("name: team-template", "name: evil").replace("source: ../team-template", "source: evil")
    (repo / ".scaffold.yml").write_text(record, encoding="utf-8")
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "ship a template")
    done = _cli("status", str(repo), "--trust", "--format", "json", *_history(tmp_path))
    assert done.returncode in (1, 2) and "Traceback" not in done.stderr
    assert not marker.exists()


# --- a repository's files lead outside it ---------------------------------------------------------------------------


def test_symlinks_to_secrets_outside_leak_nothing_into_the_report(tmp_path: Path, template_root: Path) -> None:
    secrets = tmp_path / "secrets"
    secrets.mkdir()
    (secrets / "token.yml").write_text(f"on: push\njobs: {{x: {{run: echo {SECRET}}}}}\n[{SECRET}\n")
    repo = kit_repo(tmp_path / "svc", template_root=template_root)
    (repo / ".github" / "workflows" / "leak.yml").symlink_to(secrets / "token.yml")
    (repo / "Dockerfile.leak").symlink_to(secrets / "token.yml")
    plain = kit_repo(tmp_path / "record", template_root=template_root)
    (plain / ".scaffold.yml").unlink()
    (plain / ".scaffold.yml").symlink_to(secrets / "token.yml")
    html = tmp_path / "fleet.html"
    done = _cli("status", str(repo), str(plain), "--format", "json", "--html", str(html), *_history(tmp_path))
    report = _report(done)
    assert SECRET not in done.stdout + done.stderr + html.read_text(encoding="utf-8")
    assert SECRET.encode() not in (tmp_path / "fleet.sqlite3").read_bytes()
    assert by_name(report)["record"]["state"] == "error"


def test_an_upgrade_never_writes_through_a_committed_symlink(tmp_path: Path, template_root: Path) -> None:
    outside = tmp_path / "outside"
    repo = kit_repo(tmp_path / "svc", template_root=template_root)
    shutil.copytree(repo / "docs", outside / "docs")
    shutil.copytree(repo / ".github" / "workflows", outside / "workflows")
    before = {path: path.read_bytes() for path in outside.rglob("*") if path.is_file()}
    shutil.rmtree(repo / "docs")
    shutil.rmtree(repo / ".github" / "workflows")
    (repo / "docs").symlink_to(outside / "docs")  # absolute
    (repo / ".github" / "workflows").symlink_to(Path("..", "..", "outside", "workflows"))  # relative
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "links")
    report = _report(_cli("upgrade", str(repo), "--branch", "kit/dast", *DAST, "--format", "json", *_history(tmp_path)))
    assert {path: path.read_bytes() for path in outside.rglob("*") if path.is_file()} == before
    assert report["repositories"][0]["state"] == "error"
    assert "kit/dast" not in git(repo, "branch", "--list")


# --- markup and escapes from repositories and shard files -----------------------------------------------------------


def test_a_hostile_folder_name_is_escaped_in_the_table_json_and_html(tmp_path: Path, template_root: Path) -> None:
    name = "<img src=x onerror=alert(1)>\x1b]0;owned\x07\u202e"
    kit_repo(tmp_path / "clones" / name, template_root=template_root)
    html = tmp_path / "fleet.html"
    table = _cli("status", str(tmp_path / "clones"), "--html", str(html), *_history(tmp_path))
    assert table.returncode == 0, table.stderr
    assert "\x1b" not in table.stdout and "\x07" not in table.stdout and "\u202e" not in table.stdout
    page = html.read_text(encoding="utf-8")
    assert "<img" not in page and "\x1b" not in page
    report = _report(_cli("status", str(tmp_path / "clones"), "--format", "json", *_history(tmp_path)))
    assert report["repositories"][0]["name"] == name


def test_a_hostile_record_path_stays_inline_code_in_the_pull_request(tmp_path: Path, template_root: Path) -> None:
    repo = kit_repo(tmp_path / "svc", template_root=template_root)
    evil = "docs/x`](javascript:alert(1))<script>alert(1)</script>.md"
    record = (repo / ".scaffold.yml").read_text(encoding="utf-8")
    (repo / ".scaffold.yml").write_text(record.replace("files:\n", f'files:\n  "{evil}": sha256:{"0" * 64}\n', 1))
    git(repo, "commit", "-qam", "a path from nowhere")
    report = _report(_cli("upgrade", str(repo), "--branch", "kit/dast", *DAST, "--format", "json", *_history(tmp_path)))
    info = report["repositories"][0]["upgrade"]
    lines = [line for line in info["description"].splitlines() if "javascript" in line]
    assert lines and all(line.startswith(f"- ``{evil}``") for line in lines), lines


def _shard(tmp_path: Path, template_root: Path) -> dict[str, Any]:
    repo = kit_repo(tmp_path / "svc", template_root=template_root)
    done = _cli("status", str(repo), "--no-history", "--format", "json", "--cache", str(tmp_path / "cache"))
    return _report(done)


def test_a_shard_with_hostile_text_is_escaped_and_links_nothing(tmp_path: Path, template_root: Path) -> None:
    shard = _shard(tmp_path, template_root)
    item = shard["repositories"][0]
    item.update(name="\x1b[2J<script>alert(1)</script>", error="one\ntwo\x1b[31m", state="error")
    item["pack"]["source"] = "javascript:alert(1)"
    item["findings"]["high"] = 10**30
    (tmp_path / "shard.json").write_text(json.dumps(shard), encoding="utf-8")
    html = tmp_path / "merged.html"
    done = _cli("merge", str(tmp_path / "shard.json"), "--html", str(html))
    assert done.returncode == 1, done.stderr
    assert "\x1b" not in done.stdout and "one\ntwo" not in done.stdout
    page = html.read_text(encoding="utf-8")
    assert "<script>alert" not in page and 'href="javascript' not in page


@pytest.mark.parametrize(
    "seconds",
    [
        pytest.param(float("nan"), id="nan"),
        pytest.param(float("inf"), id="infinity"),
    ],
)
def test_a_shard_with_a_number_json_cannot_hold_is_refused(tmp_path: Path, template_root: Path, seconds: float) -> None:
    shard = _shard(tmp_path, template_root)
    shard["repositories"][0]["seconds"] = seconds
    (tmp_path / "shard.json").write_text(json.dumps(shard), encoding="utf-8")
    merged = tmp_path / "merged.json"
    done = _cli("merge", str(tmp_path / "shard.json"), "--output", str(merged), "--html", str(tmp_path / "m.html"))
    _one_line_exit_2(done, "repositories.0.seconds")
    assert not merged.exists()


# --- a hostile or odd history database ------------------------------------------------------------------------------


def test_a_resumed_report_holds_exactly_the_runs_own_repositories(tmp_path: Path, template_root: Path) -> None:
    one = kit_repo(tmp_path / "clones" / "one", template_root=template_root)
    two = kit_repo(tmp_path / "clones" / "two", template_root=template_root)
    _report(_cli("status", str(tmp_path / "clones"), "--format", "json", *_history(tmp_path)))
    db = tmp_path / "fleet.sqlite3"
    (data,) = _db_rows(db, "SELECT data FROM results WHERE target = ?", str(two))[0]
    intruder = data.replace(str(two), "/elsewhere/intruder")
    _db_change(
        db,
        ("UPDATE runs SET finished = NULL", ()),
        ("UPDATE results SET data = ? WHERE target = ?", (data, str(one))),
        ("INSERT INTO results VALUES (1, '/elsewhere/intruder', 'current', 'x', ?)", (intruder,)),
    )
    report = _report(_cli("status", "--resume", "--format", "json", *_history(tmp_path)))
    assert [item["target"] for item in report["repositories"]] == [str(one), str(two)]


def test_a_resumed_run_checks_its_stored_options_again(tmp_path: Path, template_root: Path) -> None:
    repo = kit_repo(tmp_path / "svc", template_root=template_root)
    _report(_cli("upgrade", str(tmp_path / "nothing"), "--branch", "kit/ok", "--format", "json", *_history(tmp_path)))
    db = tmp_path / "fleet.sqlite3"
    (options,) = _db_rows(db, "SELECT options FROM runs")[0]
    stored = {**json.loads(options), "branch": "bad..name", "settings": ["not a setting"]}
    _db_change(
        db,
        (
            "UPDATE runs SET finished = NULL, options = ?, targets = ?",
            (json.dumps(stored), json.dumps([{"spec": str(repo), "remote": False}])),
        ),
        ("DELETE FROM results", ()),
    )
    _one_line_exit_2(_cli("upgrade", "--resume", *_history(tmp_path)), "--branch")


def test_a_run_over_a_clone_with_a_line_break_in_its_name_resumes(tmp_path: Path, template_root: Path) -> None:
    kit_repo(tmp_path / "clones" / "ok", template_root=template_root)
    kit_repo(tmp_path / "clones" / "bad\nname", template_root=template_root)
    first = _cli("status", str(tmp_path / "clones"), "--format", "json", *_history(tmp_path))
    assert first.returncode in (0, 1, 2) and "Traceback" not in first.stderr
    if first.returncode == 2:  # refused up front: as safe as it gets
        return
    _db_change(tmp_path / "fleet.sqlite3", ("UPDATE runs SET finished = NULL", ()), ("DELETE FROM results", ()))
    resumed = _report(_cli("status", "--resume", "--format", "json", *_history(tmp_path)))
    assert len(resumed["repositories"]) == 2


# --- a careless user -------------------------------------------------------------------------------------------------


def test_a_repository_named_twice_through_a_symlink_is_run_once(tmp_path: Path, template_root: Path) -> None:
    repo = kit_repo(tmp_path / "svc", template_root=template_root)
    (tmp_path / "link").symlink_to(repo)
    done = _cli(
        "upgrade",
        str(repo),
        str(tmp_path / "link"),
        "--branch",
        "kit/dast",
        *DAST,
        "--jobs",
        "2",
        "--format",
        "json",
        *_history(tmp_path),
    )
    report = _report(done)
    assert len(report["repositories"]) == 1
    assert report["repositories"][0]["state"] == "upgraded"


def test_two_kits_in_one_repository_never_lose_an_upgrade(tmp_path: Path, template_root: Path) -> None:
    repo = kit_repo(tmp_path / "mono", template_root=template_root)
    _kit_files_into(repo, repo / "sub", template_root)
    report = _report(
        _cli(
            "upgrade",
            str(repo),
            str(repo / "sub"),
            "--branch",
            "kit/dast",
            *DAST,
            "--jobs",
            "1",
            "--format",
            "json",
            *_history(tmp_path),
        )
    )
    changed = git(repo, "diff", "--name-only", "main", "kit/dast").splitlines()
    sub = next(item for item in report["repositories"] if item["target"] == str(repo / "sub"))
    assert sub["state"] != "upgraded" or "sub/.scaffold.yml" in changed, (sub["state"], changed)


def test_a_git_file_pointing_at_another_repository_leaves_that_one_alone(tmp_path: Path, template_root: Path) -> None:
    victim = kit_repo(tmp_path / "victim", template_root=template_root)
    hostile = kit_repo(tmp_path / "hostile", template_root=template_root)
    shutil.rmtree(hostile / ".git")
    (hostile / ".git").write_text("gitdir: ../victim/.git\n", encoding="utf-8")
    refs = _refs(victim)
    done = _cli("upgrade", str(hostile), "--branch", "kit/dast", *DAST, "--format", "json", *_history(tmp_path))
    assert done.returncode in (0, 1) and "Traceback" not in done.stderr
    assert _refs(victim) == refs


def test_odd_repositories_are_upgraded_or_reported_and_nothing_else_changes(
    tmp_path: Path, template_root: Path
) -> None:
    fleet = tmp_path / "clones"
    empty = fleet / "empty"
    shutil.copytree(kit_repo(tmp_path / "source", template_root=template_root), empty, ignore=lambda *_: [".git"])
    git(empty, "init", "-q", "-b", "main")
    detached = kit_repo(fleet / "detached", template_root=template_root)
    git(detached, "checkout", "-q", "--detach")
    same = kit_repo(fleet / "same-branch", template_root=template_root)
    git(same, "checkout", "-q", "-b", "kit/dast")
    subprocess.run(["git", "clone", "-q", "--bare", str(tmp_path / "source"), str(fleet / "bare.git")], check=True)
    outer = kit_repo(fleet / "outer", template_root=template_root)
    inner = kit_repo(outer / "inner", template_root=template_root)
    spaced = kit_repo(fleet / "sp ace ünï", template_root=template_root)
    repos = [detached, same, outer, inner, spaced]
    heads = {repo: git(repo, "rev-parse", "HEAD") for repo in repos}
    symbolic = {repo: git(repo, "rev-parse", "--abbrev-ref", "HEAD") for repo in repos}
    snapshots = {repo: _git_dir_snapshot(repo) for repo in [*repos, empty]}
    targets = [str(path) for path in (empty, detached, same, fleet / "bare.git", outer, inner, spaced)]
    report = _report(
        _cli("upgrade", *targets, "--branch", "kit/dast", *DAST, "--jobs", "4", "--format", "json", *_history(tmp_path))
    )
    state = {item["target"]: item["state"] for item in report["repositories"]}
    assert state == {
        str(empty): "error",
        str(detached): "upgraded",
        str(same): "error",
        str(fleet / "bare.git"): "error",
        str(outer): "upgraded",
        str(inner): "upgraded",
        str(spaced): "upgraded",
    }
    assert "already exists" in by_name(report)["same-branch"]["error"]
    assert "no commit yet" in by_name(report)["empty"]["error"]
    assert "a bare repository has no files to upgrade" in by_name(report)["bare"]["error"]
    for repo in repos:
        assert (
            git(repo, "rev-parse", "HEAD") == heads[repo]
            and git(repo, "rev-parse", "--abbrev-ref", "HEAD") == (symbolic[repo])
        )
        assert git(repo, "worktree", "list", "--porcelain").count("worktree ") == 1
        assert _allowed_git_changes(snapshots[repo], _git_dir_snapshot(repo), "kit/dast") == []
    for repo in (detached, outer, inner, spaced):
        assert git(repo, "rev-parse", "kit/dast^") == heads[repo]
    assert git(same, "rev-parse", "kit/dast") == heads[same]  # the user's own branch, untouched
    assert _git_dir_snapshot(empty) == snapshots[empty]
    assert git(fleet / "bare.git", "branch", "--list") == "* main"
    status = _cli("status", *targets, "--format", "json", *_history(tmp_path))
    assert len(_report(status)["repositories"]) == len(targets)


def test_a_repository_that_blocks_git_or_a_read_is_stopped_at_its_time_limit(
    tmp_path: Path, template_root: Path
) -> None:
    fleet = tmp_path / "clones"
    healthy = kit_repo(fleet / "healthy", template_root=template_root)
    head = kit_repo(fleet / "head-fifo", template_root=template_root)
    (head / ".git" / "HEAD").unlink()
    os.mkfifo(head / ".git" / "HEAD")
    record = kit_repo(fleet / "record-fifo", template_root=template_root)
    (record / ".scaffold.yml").unlink()
    os.mkfifo(record / ".scaffold.yml")
    files = kit_repo(fleet / "device-files", template_root=template_root)
    (files / ".github" / "workflows" / "ci.yml").unlink()
    os.mkfifo(files / ".github" / "workflows" / "ci.yml")
    (files / ".github" / "workflows" / "zero.yml").symlink_to("/dev/zero")
    silent_pack = kit_repo(fleet / "silent-pack", template_root=template_root)
    with silent_server() as port, hang_guard():
        text = (silent_pack / ".scaffold.yml").read_text(encoding="utf-8")
        pack_line = next(line for line in text.splitlines() if line.startswith("  version: "))
        (silent_pack / ".scaffold.yml").write_text(
            text.replace(pack_line, f"{pack_line}\n  source: git://127.0.0.1:{port}/pack.git", 1), encoding="utf-8"
        )
        report = _report(_cli("status", str(fleet), "--timeout", "8", "--format", "json", *_history(tmp_path)))
    found = by_name(report)
    assert found.pop("healthy")["state"] == "current" and healthy.exists()
    assert {name: item["state"] for name, item in found.items()} == dict.fromkeys(found, "error")
    assert all(item["error"] for item in found.values())


# --- interruptions, concurrency, the cache --------------------------------------------------------------------------


def test_ctrl_c_during_100_tiny_repositories_on_one_job_then_resume(tmp_path: Path) -> None:
    fleet = tmp_path / "tiny"
    for number in range(100):
        (fleet / f"r{number:03d}").mkdir(parents=True)
        subprocess.run(["git", "init", "-q", str(fleet / f"r{number:03d}")], check=True)
    db = tmp_path / "fleet.sqlite3"
    with _running("status", str(fleet), "--jobs", "1", *_history(tmp_path)) as process:
        _wait_for_results(db, 3, process)
        process.send_signal(signal.SIGINT)
        with hang_guard():
            _, stderr = process.communicate()
    assert process.returncode == 2 and "--resume" in stderr and len(stderr.strip().splitlines()) == 1, stderr
    kept = dict(_db_rows(db, "SELECT target, finished || data FROM results"))
    assert 3 <= len(kept) < 100
    assert _db_rows(db, "SELECT count(*) FROM runs WHERE finished IS NULL") == [(1,)]
    report = _report(_cli("status", "--resume", "--jobs", "8", "--format", "json", *_history(tmp_path)))
    assert len({item["target"] for item in report["repositories"]}) == len(report["repositories"]) == 100
    assert report["summary"]["states"]["not-scaffold"] == 100
    now = dict(_db_rows(db, "SELECT target, finished || data FROM results"))
    assert {target: now[target] for target in kept} == kept  # what had finished was not run again


def test_sigterm_stops_every_worker_and_resume_finishes_the_run(tmp_path: Path, template_root: Path) -> None:
    for name in "abcdef":
        kit_repo(tmp_path / "clones" / name, template_root=template_root)
    db = tmp_path / "fleet.sqlite3"
    with _running("status", str(tmp_path / "clones"), "--jobs", "1", *_history(tmp_path)) as process:
        _wait_for_results(db, 2, process)
        workers = _children(process.pid)
        process.send_signal(signal.SIGTERM)
        with hang_guard():
            _, stderr = process.communicate()
    assert process.returncode == 2 and "--resume" in stderr, stderr
    with hang_guard():
        while any(_alive(pid) for pid in workers):
            time.sleep(0.05)
    report = _report(_cli("status", "--resume", "--format", "json", *_history(tmp_path)))
    assert sorted(by_name(report)) == list("abcdef")
    assert report["summary"]["states"]["current"] == 6


def test_two_runs_at_once_on_one_database_each_finish_and_never_share_a_branch(
    tmp_path: Path, template_root: Path
) -> None:
    for name in ("a", "b", "c"):
        kit_repo(tmp_path / "clones" / name, template_root=template_root)
    fleet = str(tmp_path / "clones")
    for command in (["status"], ["upgrade", "--branch", "kit/dast", *DAST]):
        args = (*command, fleet, "--jobs", "2", "--format", "json", *_history(tmp_path))
        with _running(*args) as first, _running(*args) as second, hang_guard(300):
            outputs = [process.communicate() for process in (first, second)]
        reports = [json.loads(stdout) for stdout, _ in outputs]
        assert all(len(report["repositories"]) == 3 for report in reports)
        if command == ["status"]:
            assert all(report["summary"]["states"]["current"] == 3 for report in reports)
            continue
        for name in ("a", "b", "c"):
            items = [by_name(report)[name] for report in reports]
            assert sorted(item["state"] for item in items) == ["error", "upgraded"], items
            made = next(item for item in items if item["state"] == "upgraded")
            assert git(tmp_path / "clones" / name, "rev-parse", "kit/dast") == made["upgrade"]["commit"]
    assert _db_rows(tmp_path / "fleet.sqlite3", "SELECT count(*) FROM runs WHERE finished IS NOT NULL") == [(4,)]


def test_a_cached_clone_is_only_touched_under_its_lock(tmp_path: Path, template_root: Path) -> None:
    import fcntl

    source = kit_repo(tmp_path / "source", template_root=template_root)
    url = source.as_uri()
    cache = tmp_path / "cache"
    lock = cache / "locks" / f"{Target(url, remote=True).key}.lock"
    lock.parent.mkdir(parents=True)
    with lock.open("w") as held:
        fcntl.flock(held, fcntl.LOCK_EX)  # another fleet run is busy with this repository
        with hang_guard():
            done = _cli("status", url, "--timeout", "5", "--no-history", "--cache", str(cache), "--format", "json")
    assert _report(done)["repositories"][0]["state"] == "error"
    assert not (cache / "clones").exists() or not any((cache / "clones").iterdir())


def test_a_report_that_cannot_be_written_leaves_no_file_behind(tmp_path: Path, template_root: Path) -> None:
    repo = kit_repo(tmp_path / "out" / "svc", template_root=template_root)
    before = sorted((tmp_path / "out").iterdir())
    done = _cli("status", str(repo), "--html", str(tmp_path / "out" / "svc"), *_history(tmp_path))
    _one_line_exit_2(done, "svc")
    assert sorted((tmp_path / "out").iterdir()) == before
