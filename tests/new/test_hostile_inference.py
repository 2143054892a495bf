"""Red team: ``scaffold new`` (and ``adopt``) reading a repository that a careless user or an attacker prepared.

Every test builds a real git repository in a temporary folder, makes it hostile (its ``.git/config``, its origin URL,
FIFOs and symlinks where files should be, contradicting evidence) and runs the CLI in-process under the hang guard.
What must hold: nothing the repository configures runs, nothing is written outside the output folder or under
``.git/`` (other than scaffold's own base ref and its objects), no run hangs, no traceback, an error is one line
naming the field and the rule, no credential is printed, an inferred value always passes validation, and what the
user gives (``--set``, ``--answers``) wins.

A test marked ``xfail(strict=True)`` shows a bug found by this pass: its reason says what happens and what should.
"""

from __future__ import annotations

import contextlib
import os
import threading
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest
import yaml

from scaffold.errors import UsageError
from scaffold.kit.answers import check_one, validate
from scaffold.kit.record import RECORD_PATH
from scaffold.new.inference import Inference, infer_answers
from tests.fuzz.hostile import Run, git_changes, run_cli, snapshot
from tests.support.hang_guard import HANG_SECONDS
from tests.upgrade.support import commit_all, git

ORIGIN = "git@github.com:acme/x.git"
SECRET = "tok3n-SECRET-value"  # noqa: S105 (a made-up token the tests look for in the output)
NOT_A_FORGE_URL = "git remote origin: not a repository URL on github.com, gitlab.com"


# --- helpers -------------------------------------------------------------------------------------------------------


def repository(
    root: Path, *, branch: str = "trunk", origin: str | None = ORIGIN, files: dict[str, str] | None = None
) -> Path:
    """A real git repository at ``root`` on ``branch`` with ``origin`` and ``files`` in its work tree."""
    root.mkdir(parents=True, exist_ok=True)
    git(root, "init", "-q", "-b", branch)
    if origin is not None:
        git(root, "config", "remote.origin.url", origin)
    for path, text in (files or {}).items():
        (root / path).parent.mkdir(parents=True, exist_ok=True)
        (root / path).write_text(text)
    return root


def infer(root: Path, given: dict[str, Any] | None = None) -> Inference:
    """``new``'s inference, checked for what every inference must hold: each value valid, with its evidence."""
    result = infer_answers(root, given, new=True)
    assert set(result.evidence) == set(result.answers)
    for key, value in result.answers.items():
        assert check_one(key, value) is None, (key, value)
        assert result.evidence[key], key
    return result


def new(repo: Path, *args: str, cwd: Path | None = None) -> Run:
    """``scaffold new --defaults ARGS`` run in ``cwd`` (default: the repository), under the hang guard."""
    run = run_cli(["new", "--defaults", *args], cwd or repo)
    assert "Traceback" not in run.stderr, run.stderr
    assert run.code in (0, 1, 2), run
    return run


def error_line(run: Run) -> str:
    """The one error line of a run that exited 2. The lines before it can only be the inferred answers and the
    parts of the repository that were not read, which ``new`` shows before anything else."""
    assert run.code == 2, run
    lines = run.stderr.splitlines()
    assert lines and lines[-1].startswith("scaffold: error: "), run.stderr
    assert all(line.startswith(("inferred ", "not read ")) for line in lines[:-1]), run.stderr
    return lines[-1]


def recorded(repo: Path) -> dict[str, Any]:
    answers = yaml.safe_load((repo / RECORD_PATH).read_text())["answers"]
    assert isinstance(answers, dict)
    return answers


def _release(fifos: Sequence[Path]) -> None:
    """Open each FIFO as a writer and close it: a git process blocked opening it for reading goes on (to end)."""
    for fifo in fifos:
        with contextlib.suppress(OSError):
            os.close(os.open(fifo, os.O_RDWR | os.O_NONBLOCK))


@contextlib.contextmanager
def fifos_released(*fifos: Path) -> Iterator[None]:
    """A safety net for tests whose FIFOs a git process may block on. The hang guard ends a hung run, but a git
    child blocked on a FIFO can outlive it (``Popen.__exit__`` waits for it): once the guard has fired, the FIFOs
    are opened for writing, so the child and the test end; and again at the end, for any child left behind."""
    timer = threading.Timer(HANG_SECONDS + 5, _release, args=(fifos,))
    timer.daemon = True
    timer.start()
    try:
        yield
    finally:
        timer.cancel()
        _release(fifos)


# --- nothing the repository configures runs ------------------------------------------------------------------------


def test_nothing_the_git_configuration_names_runs_and_git_is_left_alone(tmp_path: Path) -> None:
    marker = tmp_path / "ran"
    command = f"touch {marker}"
    repo = repository(tmp_path / "x", origin="https://github.com/acme/x.git")
    for key in (
        "core.fsmonitor",
        "core.sshCommand",
        "core.pager",
        "core.askPass",
        "core.editor",
        "credential.helper",
        "gpg.program",
        "remote.origin.uploadpack",
        "filter.evil.process",
        "filter.evil.clean",
        "diff.evil.textconv",
    ):
        git(repo, "config", key, command)
    git(repo, "config", "filter.evil.required", "true")
    (repo / ".git" / "info" / "attributes").write_text("* filter=evil diff=evil\n")
    # origin rewritten to a program (ext::) and to a local path: the raw URL is only read as text
    git(repo, "config", f"url.ext::sh -c touch% {marker}.insteadOf", "https://github.com/")
    git(repo, "config", "url.file:///etc/.insteadOf", "https://github.com/acme")
    hooks = tmp_path / "hooks"
    hooks.mkdir()
    for folder in (hooks, repo / ".git" / "hooks"):
        for hook in ("reference-transaction", "post-index-change", "pre-commit", "post-checkout"):
            (folder / hook).write_text(f"#!/bin/sh\n{command}\n")
            (folder / hook).chmod(0o755)
    git(repo, "config", "core.hooksPath", str(hooks))
    (tmp_path / "included").write_text(f"[core]\n\tfsmonitor = {command}\n")
    git(repo, "config", "include.path", str(tmp_path / "included"))
    (repo / "package.json").write_text("{}\n")
    before = snapshot(repo / ".git")

    run = new(repo)

    assert not marker.exists()
    assert run.code == 0, run.stderr
    assert "inferred source_repo: acme/x (git remote origin github.com/acme/x)" in run.stderr
    assert recorded(repo)["source_repo"] == "acme/x"
    assert git_changes(before, snapshot(repo / ".git")) == []  # only scaffold's base ref and its objects


def test_thousands_of_filter_drivers_are_reported_not_a_crash(tmp_path: Path) -> None:
    """Each driver program would be emptied by an override; 100,000 of them do not fit in git's environment."""
    marker = tmp_path / "ran"
    repo = repository(tmp_path / "x")
    with (repo / ".git" / "config").open("a") as config:
        config.writelines(f'[filter "f{number}"]\n\tclean = touch {marker}\n' for number in range(100_000))

    result = infer(repo)
    run = new(repo)

    assert "source_repo" not in result.answers
    assert result.skipped and result.skipped[0].startswith(".git/config: origin's URL was not read")
    assert run.code == 0, run.stderr
    assert not marker.exists()


def test_an_include_loop_neither_hangs_nor_changes_the_origin(tmp_path: Path) -> None:
    repo = repository(tmp_path / "x", origin="https://github.com/acme/x")
    (repo / ".git" / "a.inc").write_text("[include]\n\tpath = b.inc\n")
    (repo / ".git" / "b.inc").write_text(
        '[include]\n\tpath = a.inc\n[remote "origin"]\n\turl = https://github.com/evil/y\n'
    )
    with (repo / ".git" / "config").open("a") as config:
        config.write("[include]\n\tpath = a.inc\n")

    assert infer(repo).answers["source_repo"] == "acme/x"
    run = new(repo)
    assert run.code == 0, run.stderr
    assert recorded(repo)["source_repo"] == "acme/x"


def test_a_fifo_included_by_an_include_never_stalls_new(tmp_path: Path) -> None:
    repo = repository(tmp_path / "x")
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    (tmp_path / "first").write_text(f"[include]\n\tpath = {fifo}\n")
    git(repo, "config", "include.path", str(tmp_path / "first"))

    with fifos_released(fifo):
        run = new(repo)

    assert run.code == 0, run.stderr


# --- FIFOs, devices and symlinks where files should be ----------------------------------------------------------


def test_fifos_devices_and_symlinks_in_the_work_tree_are_skipped_and_refused_in_one_line(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "go.mod").write_text("module evil\n")
    (outside / "Dockerfile").write_text("FROM golang:1.22\nEXPOSE 9999\n")
    repo = repository(tmp_path / "x")
    for name in ("Dockerfile", "package.json", RECORD_PATH, "app.py", ".gitlab-ci.yml", "Jenkinsfile"):
        os.mkfifo(repo / name)
    (repo / "svc").mkdir()
    (repo / "svc" / "Dockerfile").symlink_to("/dev/zero")
    (repo / "svc" / "main.go").symlink_to("/dev/urandom")
    (repo / "api").mkdir()
    (repo / "api" / "Dockerfile").symlink_to(outside / "Dockerfile")
    (repo / "go.mod").symlink_to(outside / "go.mod")
    (repo / ".git" / "refs" / "remotes" / "origin").mkdir(parents=True)
    os.mkfifo(repo / ".git" / "refs" / "remotes" / "origin" / "HEAD")
    before = snapshot(repo)

    result = infer(repo)
    run = new(repo)

    assert "port" not in result.answers  # the EXPOSE 9999 outside was not read
    assert result.answers["language"] == "node"  # go.mod leads outside: not counted
    assert result.answers["default_branch"] == "trunk"
    assert {".gitlab-ci.yml: is not a regular file (a FIFO)", "Dockerfile: is not a regular file (a FIFO)"} <= set(
        result.skipped
    )
    assert "svc/Dockerfile: is a symlink loop or leads outside the repository" in result.skipped
    assert error_line(run) == "scaffold: error: .: Dockerfile: is not a regular file (a FIFO, device or socket)"
    assert snapshot(repo) == before


def test_symlinks_leading_outside_are_neither_read_nor_written_through(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    (outside / "docs").mkdir(parents=True)
    (outside / "victim").write_text("keep\n")
    repo = repository(tmp_path / "x")
    (repo / "Dockerfile").symlink_to(outside / "victim")
    (repo / "docs").symlink_to(outside / "docs")
    (repo / ".github").mkdir()
    (repo / ".github" / "workflows").symlink_to(outside)
    before = snapshot(outside)

    for force in ((), ("--force",)):
        run = new(repo, *force)
        assert "would be written outside it through a symlink" in error_line(run)
    assert snapshot(outside) == before


def fifo_in_git_directory(repo: Path, name: str) -> Path:
    """Put a FIFO at ``.git/NAME`` in place of whatever is there."""
    fifo = repo / ".git" / name
    fifo.parent.mkdir(parents=True, exist_ok=True)
    fifo.unlink(missing_ok=True)
    os.mkfifo(fifo)
    return fifo


@pytest.mark.parametrize(
    ("name", "note"),
    [
        ("config", "not read .git: its config is not a regular file; the repository's git directory was not read"),
        ("config.worktree", "config.worktree, which is not a regular file; git would wait on it"),
    ],
)
def test_a_fifo_for_the_git_configuration_is_refused_at_once(tmp_path: Path, name: str, note: str) -> None:
    repo = repository(tmp_path / "x")
    fifo = fifo_in_git_directory(repo, name)

    with fifos_released(fifo):
        run = new(repo)

    assert run.code == 0, run.stderr
    assert note in run.stderr
    assert recorded(repo)["source_repo"] == "my-org/x"  # origin was not read


@pytest.mark.parametrize("name", ["HEAD", "packed-refs", "refs/scaffold/base"])
def test_a_fifo_in_the_git_directory_never_stalls_new(tmp_path: Path, name: str) -> None:
    repo = repository(tmp_path / "x")
    fifo = fifo_in_git_directory(repo, name)

    with fifos_released(fifo):
        run = new(repo)

    assert run.code in (0, 2)


# --- a .git that is a file, a git directory that leads outside ----------------------------------------------------


def test_a_git_file_is_read_without_running_anything_and_the_kit_stays_in_the_folder(tmp_path: Path) -> None:
    marker = tmp_path / "ran"
    other = repository(tmp_path / "other", branch="release", origin="https://github.com/acme/other")
    git(other, "config", "core.fsmonitor", f"touch {marker}")
    folder = tmp_path / "unpacked"
    folder.mkdir()
    (folder / ".git").write_text(f"gitdir: {other / '.git'}\n")
    before = snapshot(other)

    result = infer(folder)
    run = new(folder)

    assert (result.answers["default_branch"], result.answers["source_repo"]) == ("release", "acme/other")
    assert run.code == 0, run.stderr
    assert not marker.exists()
    assert (folder / ".github" / "workflows" / "ci.yml").is_file()
    after = snapshot(other)
    assert {path: kind for path, kind in after.items() if not path.startswith(".git/")} == {
        path: kind for path, kind in before.items() if not path.startswith(".git/")
    }


def test_a_git_file_naming_another_repository_writes_nothing_into_it(tmp_path: Path) -> None:
    other = repository(tmp_path / "other", branch="release", origin="https://github.com/acme/other")
    (other / "README.md").write_text("other\n")
    commit_all(other, "first")
    folder = tmp_path / "unpacked"
    folder.mkdir()
    (folder / ".git").write_text(f"gitdir: {other / '.git'}\n")
    refs = git(other, "for-each-ref")

    run = new(folder)

    assert run.code == 0, run.stderr
    assert git(other, "for-each-ref") == refs
    notes = [line for line in run.stderr.splitlines() if line.startswith("scaffold: note: ")]
    assert len(notes) == 1 and "base could not be stored" in notes[0], run.stderr  # said once, in one line


def test_a_symlinked_ref_folder_leads_no_write_outside(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    repo = repository(tmp_path / "x")
    (repo / ".git" / "refs" / "scaffold").symlink_to(outside)

    run = new(repo)

    assert run.code in (0, 2)
    assert list(outside.iterdir()) == []


def test_a_symlinked_base_index_is_not_written_through(tmp_path: Path) -> None:
    victim = tmp_path / "victim"
    victim.write_text("keep\n")
    repo = repository(tmp_path / "x")
    (repo / ".git" / "scaffold-base.index").symlink_to(victim)

    run = new(repo)

    assert run.code == 0, run.stderr
    assert victim.read_text() == "keep\n"


def test_an_exit_2_means_nothing_was_written(tmp_path: Path) -> None:
    repo = repository(tmp_path / "x")
    (repo / ".git" / "scaffold-base.index").mkdir()

    run = new(repo)

    assert run.code == 0 or not (repo / RECORD_PATH).exists(), run.stderr


# --- the output folder -----------------------------------------------------------------------------------------------


def test_new_reads_the_output_folder_not_the_folder_it_runs_in(tmp_path: Path) -> None:
    cwd = repository(tmp_path / "here", origin="https://github.com/acme/here", files={"package.json": "{}\n"})
    before = snapshot(cwd)

    run = new(cwd, "-o", str(tmp_path / "there"))

    assert run.code == 0, run.stderr
    answers = recorded(tmp_path / "there")
    assert (answers["language"], answers["default_branch"], answers["source_repo"]) == (
        "python",
        "main",
        "my-org/there",
    )
    assert "inferred" not in run.stderr
    assert snapshot(cwd) == before


@pytest.mark.parametrize("output", [".git", ".git/x", ".git/hooks", "sub/../.git/y", "hooks-link", "git-link/z"])
def test_an_output_folder_in_the_git_directory_is_refused(tmp_path: Path, output: str) -> None:
    repo = repository(tmp_path / "x")
    (repo / "hooks-link").symlink_to(repo / ".git" / "hooks")
    (repo / "git-link").symlink_to(".git")
    before = snapshot(repo)

    run = new(repo, "-o", output)

    assert error_line(run) == f"scaffold: error: {output}: is inside a .git folder; scaffold never writes there"
    assert snapshot(repo) == before


def test_over_long_paths_are_one_line_errors_and_deep_trees_are_no_trouble(tmp_path: Path) -> None:
    repo = repository(tmp_path / "x", origin="https://github.com/acme/" + "y" * 250)
    folder = os.open(repo, os.O_RDONLY)
    try:
        for _ in range(25):  # past PATH_MAX from the root, made one level at a time
            os.mkdir("d" * 200, dir_fd=folder)
            inner = os.open("d" * 200, os.O_RDONLY, dir_fd=folder)
            os.close(folder)
            folder = inner
        os.close(os.open("app.py", os.O_WRONLY | os.O_CREAT, 0o644, dir_fd=folder))
    finally:
        os.close(folder)

    assert "source_repo" not in infer(repo).answers
    assert new(repo).code == 0
    for output in ("/".join(["o" * 200] * 30), "n" * 300):
        assert error_line(new(repo, "-o", output)).endswith("is too long for the file system")


# --- the origin URL ----------------------------------------------------------------------------------------------

ORIGINS_READ = {
    "https://evil.example@github.com/acme/x": "acme/x",  # userinfo, not the host
    "ssh://git@ssh.github.com:443/acme/x.git": "acme/x",
    "git@gitlab.com:/group/sub/project.git": "group/sub/project",
    "https://gitlab.com/" + "/".join(f"g{number}" for number in range(5)) + "/p": "g0/g1/g2/g3/g4/p",
}
ORIGINS_REFUSED = [
    "https://github.com@evil.example/acme/x",  # the host is evil.example
    "https://g\u0456thub.com/acme/x",  # Cyrillic i
    "https://xn--gthub-n4a.com/acme/x",
    "https://\uff47ithub.com/acme/x",  # fullwidth g
    "https://github.com/acme/%2e%2e",
    "https://github.com/acme/..",
    "https://github.com/acme/x/../../evil/y",
    "https://github.com/acme%2Fx/y",
    "https://github.com./acme/x",
    "https://github.com/acme/x?ref=main",
    "https://github.com/acme/x#main",
    "https://github.com\\@evil.example/acme/x",
    "https://github.com:99999/acme/x",
    "https://github.com/acme/x\nhttps://github.com/evil/y",
    "ext::sh -c touch% /nonexistent/ran",
    "fd::7",
    "file:///etc/passwd",
    "/srv/git/acme/x.git",
    "git@github.com:~acme/x",
    "https://github.com/acme/x/extra",
]


@pytest.mark.parametrize(("url", "path"), ORIGINS_READ.items())
def test_origin_urls_of_forge_repositories_are_read(tmp_path: Path, url: str, path: str) -> None:
    result = infer(repository(tmp_path / "x", origin=url))
    assert result.answers["source_repo"] == path


@pytest.mark.parametrize("url", ORIGINS_REFUSED)
def test_origin_urls_that_name_no_forge_repository_give_nothing(tmp_path: Path, url: str) -> None:
    repo = repository(tmp_path / "x", origin=None)
    with (repo / ".git" / "config").open("a") as config:  # written raw: a newline escaped as git would read it
        config.write('[remote "origin"]\n\turl = "' + url.replace("\\", "\\\\").replace("\n", "\\n") + '"\n')

    result = infer(repo)

    assert not {"source_repo", "image", "platforms"} & set(result.answers)
    assert any(note.startswith("git remote origin") for note in result.skipped)


CREDENTIAL_ORIGINS = [
    f"https://x-access-token:{SECRET}@github.com/acme/x.git",
    f"https://{SECRET}@gitlab.com/group/x.git",
    f"ssh://git:{SECRET}@github.com/acme/x.git",
    f"https://bot:{SECRET}@bitbucket.org/acme/x.git",  # no forge scaffold reads: only a note, without the URL
    f"https://bot:{SECRET}@github.com/acme/x/extra",
]


@pytest.mark.parametrize("url", CREDENTIAL_ORIGINS)
def test_a_credential_in_the_origin_is_never_printed_or_written(tmp_path: Path, url: str) -> None:
    repo = repository(tmp_path / "x", origin=url, files={"package.json": "{}\n"})

    run = new(repo)

    assert run.code == 0, run.stderr
    assert SECRET not in run.stdout + run.stderr
    written = [path for path in repo.rglob("*") if path.is_file() and ".git" not in path.relative_to(repo).parts]
    assert written
    assert not [path for path in written if SECRET.encode() in path.read_bytes()]


def test_adopt_never_prints_a_credential_from_the_origin(tmp_path: Path) -> None:
    repo = repository(tmp_path / "x", origin=f"https://x-access-token:{SECRET}@github.com/acme/x.git")
    (repo / "package.json").write_text("{}\n")

    run = run_cli(["adopt", "--defaults", "."], repo)

    assert run.code == 0, run.stderr
    assert "inferred source_repo: acme/x" in run.stdout
    assert SECRET not in run.stdout + run.stderr


def test_a_second_origin_url_does_not_replace_the_first(tmp_path: Path) -> None:
    repo = repository(tmp_path / "x", origin="https://github.com/acme/x")
    git(repo, "remote", "set-url", "--add", "origin", "git@gitlab.com:mirror/y.git")
    assert git(repo, "remote", "get-url", "origin").strip() == "https://github.com/acme/x"

    result = infer(repo)

    assert result.answers.get("source_repo") in (None, "acme/x")
    assert result.answers.get("platforms") in (None, ["github"])


@pytest.mark.parametrize(
    "url",
    [
        "https://gitlab.com/" + "/".join(f"g{number}" for number in range(20)) + "/project.git",
        "https://github.com/acme/" + "y" * 250,
    ],
    ids=["gitlab-20-subgroups", "github-250-character-name"],
)
def test_a_forge_path_source_repo_refuses_is_named_as_such(tmp_path: Path, url: str) -> None:
    result = infer(repository(tmp_path / "x", origin=url))

    notes = [note for note in result.skipped if note.startswith("git remote origin")]
    assert "source_repo" in result.answers or (notes and not any(note.startswith(NOT_A_FORGE_URL) for note in notes))


# --- branches and ports -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "head",
    [
        "ref: refs/heads/m\u0430in\n",  # Cyrillic a
        "ref: refs/heads/\uff4dain\n",  # fullwidth m
        "ref: refs/heads/../../config\n",
        "ref: refs/heads/main.lock\n",
        "ref: refs/heads/-rf\n",
        "ref: refs/heads/main\nref: refs/heads/evil\n",
        "ref: refs/heads/" + "b" * 3000 + "\n",
        "ref: refs/tags/v1\n",
        "0123456789abcdef0123456789abcdef01234567\n",
    ],
)
def test_a_branch_git_would_never_name_is_not_inferred(tmp_path: Path, head: str) -> None:
    repo = repository(tmp_path / "x")
    (repo / ".git" / "HEAD").write_text(head)
    assert "default_branch" not in infer(repo).answers


def test_a_lookalike_branch_in_a_ci_filter_is_not_counted(tmp_path: Path) -> None:
    workflow = "on:\n  push:\n    branches: [m\u0430in, m\u0430in, master]\njobs: {}\n"
    repo = repository(tmp_path / "x", files={".github/workflows/ci.yml": workflow})
    (repo / ".git" / "HEAD").write_text("0123456789abcdef0123456789abcdef01234567\n")  # detached
    assert infer(repo).answers["default_branch"] == "master"


EXPOSED = {
    "EXPOSE 0": None,
    "EXPOSE 80": None,
    "EXPOSE 1023": None,
    "EXPOSE 99999": None,
    "EXPOSE 65536": None,
    "EXPOSE -1": None,
    "EXPOSE " + "9" * 5000: None,
    "ARG PORT=8081\nEXPOSE $PORT": None,
    "ENV PORT=8082\nEXPOSE ${PORT}": None,
    "EXPOSE ${PORT:-8083}": None,
    "EXPOSE 8000-8010": None,
    "EXPOSE 8080/udp": None,
    'EXPOSE ["8085"]': None,
    "EXPOSE 8084/tcp": 8084,
    "EXPOSE 08086": 8086,
    "EXPOSE \\\n  8087": 8087,
    "EXPOSE 80 9000 9001": 9000,
}


@pytest.mark.parametrize(("expose", "port"), EXPOSED.items())
def test_only_ports_the_answers_accept_are_inferred_from_expose(tmp_path: Path, expose: str, port: int | None) -> None:
    repo = repository(tmp_path / "x", files={"Dockerfile": f"FROM python:3.12\n{expose}\n"})
    assert infer(repo).answers.get("port") == port


def test_ports_the_answers_refuse_are_not_inferred_from_code(tmp_path: Path) -> None:
    files = {
        "app.py": "port = 0\napp.run(port=80)\nos.getenv('PORT', '99999')\nport = 000080\n",
        "server.js": "app.listen(0)\napp.listen(65536)\nconst port = process.env.PORT || 1023\n",
        "main.go": 'http.ListenAndServe(":1023", nil)\nsrv := http.Server{Addr: ":123456"}\n',
    }
    assert "port" not in infer(repository(tmp_path / "x", files=files)).answers


# --- what the user gives wins; inferred answers agree --------------------------------------------------------------

GHCR_PUSH = "on: push\njobs:\n  b:\n    runs-on: ubuntu-latest\n    steps:\n      - run: docker push ghcr.io/acme/x:1\n"
GITLAB_JOB = "build:\n  script:\n    - make\n"


INFERABLE = {
    "package.json": "{}\n",
    "deploy.Dockerfile": "FROM node:20\nEXPOSE 3000\n",
}
SET_WINS = [
    ("language", "go", "go"),
    ("default_branch", "main", "main"),
    ("platforms", "gitlab", ["gitlab"]),
    ("starter", "true", True),
    ("container", "false", False),
    ("port", "9090", 9090),
    ("source_repo", "other/y", "other/y"),
    ("visibility", "public", "public"),
    ("name", "zzz", "zzz"),
    ("image", "ghcr.io/other/img", "ghcr.io/other/img"),
    ("registry", "dockerhub", "dockerhub"),
]


@pytest.mark.parametrize(("key", "text", "value"), SET_WINS)
def test_set_wins_over_what_the_repository_says(tmp_path: Path, key: str, text: str, value: Any) -> None:
    repo = repository(tmp_path / "x", files=INFERABLE)
    inferred = infer(repo).answers
    assert inferred.get(key, "not inferred") != value
    extra = ("--set", "image=docker.io/other/img") if key == "registry" else ()

    run = new(repo, "--set", f"{key}={text}", *extra)

    assert run.code == 0, run.stderr
    assert recorded(repo)[key] == value


def test_an_answers_file_drops_the_inferred_answers_it_refuses(tmp_path: Path) -> None:
    repo = repository(tmp_path / "x", files={".github/workflows/old.yml": GHCR_PUSH})
    (tmp_path / "answers.yml").write_text("registry: dockerhub\n")
    assert infer(repo).answers["image"] == "ghcr.io/acme/x"

    run = new(repo, "--answers", str(tmp_path / "answers.yml"))

    assert run.code == 0, run.stderr
    answers = recorded(repo)
    assert (answers["registry"], answers["image"], answers["source_repo"]) == (
        "dockerhub",
        "docker.io/my-org/x",
        "acme/x",
    )


def test_a_platform_given_keeps_source_repo_from_another_forge_out(tmp_path: Path) -> None:
    repo = repository(tmp_path / "x", origin="git@github.com:acme/x.git")

    run = new(repo, "--set", "platforms=gitlab")

    assert run.code == 0, run.stderr
    assert recorded(repo)["source_repo"] != "acme/x"


def test_a_registry_that_needs_a_cloud_is_one_line_naming_it(tmp_path: Path) -> None:
    push = GHCR_PUSH.replace("ghcr.io/acme/x:1", "123456789012.dkr.ecr.us-east-1.amazonaws.com/x:1")
    repo = repository(tmp_path / "x", files={".github/workflows/old.yml": push})
    before = snapshot(repo)

    run = new(repo)

    assert (
        error_line(run) == "scaffold: error: registry: 'ecr' needs cloud 'aws' so CI can push with OIDC (set cloud=aws)"
    )
    assert snapshot(repo) == before


def test_inferred_answers_never_contradict_each_other(tmp_path: Path) -> None:
    repo = repository(tmp_path / "x", files={".github/workflows/old.yml": GHCR_PUSH, ".gitlab-ci.yml": GITLAB_JOB})
    result = infer(repo)
    with contextlib.suppress(UsageError):
        validate(result.answers)
        return
    pytest.fail(f"the inferred answers are refused together: {result.answers}")


@pytest.mark.parametrize(
    ("origin", "given"),
    [
        ("git@gitlab.com:group/project.git", ["--set", "registry=ghcr"]),
        (
            "https://git.corp.example/group/project.git",
            ["--set", "registry=ghcr", "--set", "gitlab_url=https://git.corp.example"],
        ),
    ],
    ids=["gitlab.com", "answered-gitlab-host"],
)
def test_source_repo_leaves_with_the_platform_it_came_from(tmp_path: Path, origin: str, given: list[str]) -> None:
    repo = repository(
        tmp_path / "x", origin=origin, files={".gitlab-ci.yml": GITLAB_JOB} if "gitlab.com" in origin else {}
    )

    run = new(repo, *given)

    assert run.code == 0, run.stderr
    answers = recorded(repo)
    assert answers["platforms"] == ["github"]
    assert answers["source_repo"] != "group/project"


# --- what evidence shows ---------------------------------------------------------------------------------------


def test_names_with_escape_sequences_are_shown_escaped_one_line_each(tmp_path: Path) -> None:
    repo = repository(tmp_path / "x")
    (repo / ".github" / "workflows").mkdir(parents=True)
    os.mkfifo(repo / ".github" / "workflows" / "\x1b[31mred\nscaffold: error: fake.yml")
    (repo / "sub\x1b]0;title\x07").mkdir()
    os.mkfifo(repo / "sub\x1b]0;title\x07" / "Dockerfile")
    push = 'docker push ghcr.io/acme/x:1 "\x1b]0;pwned\x07"'
    (repo / ".github" / "workflows" / "old.yml").write_text(GHCR_PUSH.replace("docker push ghcr.io/acme/x:1", push))

    run = new(repo)

    assert run.code == 0, run.stderr
    assert "\x1b" not in run.stdout + run.stderr
    assert [line for line in run.stderr.splitlines() if "fake.yml" in line] == [
        "not read .github/workflows/\\x1b[31mred\\x0ascaffold: error: fake.yml: is not a regular file (a FIFO)"
    ]


@pytest.mark.parametrize(
    "command",
    [
        f"skopeo copy --dest-creds bot:{SECRET} docker-archive:img.tar docker://ghcr.io/acme/x:1",
        f"crane push img.tar ghcr.io/acme/x:1 --password {SECRET}",
        f"REGISTRY_PASSWORD={SECRET} docker push ghcr.io/acme/x:1",
    ],
    ids=["skopeo-dest-creds", "crane-password", "assignment"],
)
def test_a_credential_on_a_push_command_is_never_printed(tmp_path: Path, command: str) -> None:
    workflow = GHCR_PUSH.replace("docker push ghcr.io/acme/x:1", command)
    repo = repository(tmp_path / "x", files={".github/workflows/old.yml": workflow})

    run = new(repo)

    assert run.code == 0, run.stderr
    assert SECRET not in run.stdout + run.stderr


def test_skopeo_options_with_values_do_not_hide_the_destination(tmp_path: Path) -> None:
    command = 'skopeo copy --dest-creds "$USER:$TOKEN" docker-archive:img.tar docker://ghcr.io/acme/x:1'
    workflow = GHCR_PUSH.replace("docker push ghcr.io/acme/x:1", command)
    result = infer(repository(tmp_path / "x", origin=None, files={".github/workflows/old.yml": workflow}))
    assert (result.answers.get("registry"), result.answers.get("image")) == ("ghcr", "ghcr.io/acme/x")
