"""Kill the upgrade between file moves: every file is fully old or fully new, and a re-run finishes the job."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import textwrap
import threading
from collections.abc import Callable
from pathlib import Path

import pytest

import scaffold.packs.chosen as chosen_module
from scaffold import cli
from scaffold.kit.packs import Pack, load_pack
from scaffold.upgrade import transaction
from tests.upgrade import support
from tests.upgrade.support import commit_all, make_repo, tree

CI = ".github/workflows/ci.yml"

# Runs `scaffold upgrade` with kit v2 and SIGKILLs itself right after the Nth file is moved into place.
KILLER = textwrap.dedent(
    """
    import os, signal, sys
    from pathlib import Path
    from scaffold import api, cli
    from scaffold.kit.packs import load_pack

    pack = load_pack(Path(sys.argv[1]))
    import scaffold.packs.chosen as chosen_module
    chosen_module.load_pack = lambda directory=None: pack
    moves_before_kill = int(sys.argv[3])
    original = Path.replace

    def replace(self, target):
        result = original(self, target)
        if self.name.endswith(".stage"):
            replace.moves += 1
            if replace.moves == moves_before_kill:
                os.kill(os.getpid(), signal.SIGKILL)
        return result

    replace.moves = 0
    Path.replace = replace
    sys.exit(cli.main(["upgrade", sys.argv[2]]))
    """
)


@pytest.fixture(scope="module")
def kit_v2_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("kit") / "pack-v2"
    support.make_kit_v2(folder)
    return folder


@pytest.mark.parametrize("moves_before_kill", [1, 5, 14])
def test_a_kill_between_writes_leaves_whole_files_and_a_rerun_finishes(
    tmp_path: Path, kit_v2_dir: Path, monkeypatch: pytest.MonkeyPatch, moves_before_kill: int
) -> None:
    repo = make_repo(tmp_path / "service")
    target = repo / CI
    target.write_text(target.read_text().replace("timeout-minutes: 30", "timeout-minutes: 25"))
    commit_all(repo, "user edit")
    before = tree(repo)
    reference = tmp_path / "reference"
    shutil.copytree(repo, reference)
    pack: Pack = load_pack(kit_v2_dir)
    monkeypatch.setattr(chosen_module, "load_pack", lambda directory=None: pack)
    assert cli.main(["upgrade", str(reference)]) == 0
    after = tree(reference)

    killed = subprocess.run(
        [sys.executable, "-c", KILLER, str(kit_v2_dir), str(repo), str(moves_before_kill)],
        capture_output=True,
        check=False,
    )
    assert killed.returncode == -signal.SIGKILL
    interrupted = {path: text for path, text in tree(repo).items() if not path.startswith(transaction.STAGING)}
    assert (repo / transaction.JOURNAL).is_file()
    for path in set(before) | set(after):
        assert interrupted.get(path) in (before.get(path), after.get(path)), path
    changed = [path for path in after if before.get(path) != after.get(path)]
    assert sum(interrupted.get(path) == after[path] for path in changed) == moves_before_kill
    assert interrupted[".scaffold.yml"] == before[".scaffold.yml"]  # the record is always written last

    assert cli.main(["upgrade", str(repo)]) == 0
    assert tree(repo) == after
    assert not (repo / transaction.STAGING).exists() and not (repo / transaction.JOURNAL).exists()


def test_a_staging_folder_without_journal_is_discarded(tmp_path: Path) -> None:
    staging = tmp_path / transaction.STAGING
    staging.mkdir()
    (staging / "0.stage").write_text("half")
    assert transaction.interrupted(tmp_path, lambda path: True, lambda path: True) is None
    assert not staging.exists()


def test_a_tampered_journal_cannot_move_files_from_outside(tmp_path: Path) -> None:
    staging = tmp_path / transaction.STAGING
    staging.mkdir()
    (tmp_path / transaction.JOURNAL).write_text(
        '{"version": 1, "writes": [{"path": "x", "stage": "../../etc/passwd", "sha256": "sha256:' + "0" * 64 + '"}],'
        ' "deletes": []}'
    )
    with pytest.raises(transaction.UsageError, match=r"writes\[0\]\.stage must be '0.stage'"):
        transaction.interrupted(tmp_path, lambda path: True, lambda path: True)
    assert not (tmp_path / "x").exists()


def test_a_write_through_a_symlink_out_of_the_kit_is_refused_before_anything_moves(tmp_path: Path) -> None:
    kit, outside = tmp_path / "kit", tmp_path / "outside"
    kit.mkdir()
    outside.mkdir()
    (kit / "deploy").symlink_to(outside)
    with pytest.raises(transaction.UsageError, match="outside"):
        transaction.apply(kit, {"a.txt": "a\n", "deploy/deploy.sh": "x\n"}, {})
    assert not (kit / "a.txt").exists()
    assert list(outside.iterdir()) == []
    assert not (kit / transaction.STAGING).exists()


# --- a kill at every write point ----------------------------------------------------------------------------------

TINY_V1 = {
    "config/app.yml": "name: app\nlimits:\n  cpu: 1\n  memory: 2\n",
    "notes/readme.md": "version one\n",
    "old/left.txt": "old\n",
    "gone.txt": "gone\n",
    "keep.txt": "same\n",
}
TINY_V2 = {
    "config/app.yml": "name: app\nlimits:\n  cpu: 1\n  memory: 3\n",
    "notes/readme.md": "version two\n",
    "keep.txt": "same\n",
    "new/deep/added.txt": "added\n",
}
_GIT_WRITES = ("hash-object", "update-index", "write-tree", "commit-tree", "update-ref")


def _inject_and_upgrade(repo: Path, pack: Pack, kill_at: int, log: Path) -> int:
    """In a forked child: count every write once the staging folder exists, SIGKILL right after the Nth one (0:
    never), and log each point's kind, so the caller can check that every kind of write point was reached."""
    import os as system

    staging = str(repo / transaction.STAGING)
    state = {"armed": False, "count": 0, "hashed": False}
    originals = {name: getattr(system, name) for name in ("mkdir", "replace", "unlink", "rmdir", "fsync")}
    run = subprocess.run
    counting = threading.Lock()  # the staged files are fsynced on several threads at once

    def point(kind: str) -> None:
        with counting:
            if not state["armed"]:
                return
            state["count"] += 1
            with log.open("a") as stream:
                stream.write(kind + "\n")
            if state["count"] == kill_at:
                system.kill(system.getpid(), signal.SIGKILL)

    def named(name: str, kind: Callable[..., str]) -> Callable[..., object]:
        def wrapper(*args: object, **kwargs: object) -> object:
            result = originals[name](*args, **kwargs)
            if name == "mkdir" and str(args[0]) == staging:
                state["armed"] = True
            point(kind(*args))
            return result

        return wrapper

    def kind_of_replace(source: object, target: object) -> str:
        if str(source).endswith(".stage"):
            return "record move" if str(target).endswith(".scaffold.yml") else "move"
        return "journal write"

    def kind_of_unlink(path: object, **_: object) -> str:
        text = str(path)
        return "git" if "/.git/" in text else "cleanup" if text.endswith(transaction.JOURNAL) else "delete"

    def git_run(command: list[str], *args: object, **kwargs: object) -> object:
        result = run(command, *args, **kwargs)  # type: ignore[call-overload]
        verb = next((word for word in command if word in _GIT_WRITES), None)
        if verb is not None and not (verb == "hash-object" and state["hashed"]):
            state["hashed"] = state["hashed"] or verb == "hash-object"
            point(f"git {verb}")
        return result

    system.mkdir = named("mkdir", lambda path, *_: "stage folder" if str(path) == staging else "folder")
    system.replace = named("replace", kind_of_replace)
    system.unlink = named("unlink", kind_of_unlink)
    system.rmdir = named("rmdir", lambda path, **_: "cleanup" if str(path) == staging else "prune")
    system.fsync = named("fsync", lambda *_: "fsync")
    subprocess.run = git_run  # type: ignore[assignment]
    import scaffold.packs.chosen as chosen_module

    chosen_module.load_pack = lambda directory=None: pack  # type: ignore[assignment]
    return cli.main(["upgrade", str(repo)])


def _forked(repo: Path, pack: Pack, kill_at: int, log: Path) -> bool:
    """Run the upgrade in a forked child; True when it was killed, False when it finished (exit 0)."""
    pid = os.fork()
    if pid == 0:  # the child never returns into pytest
        code = 70
        try:
            null = os.open(os.devnull, os.O_WRONLY)
            os.dup2(null, 1)
            os.dup2(null, 2)
            code = _inject_and_upgrade(repo, pack, kill_at, log)
        finally:
            os._exit(code)
    _, status = os.waitpid(pid, 0)
    if os.WIFSIGNALED(status):
        assert os.WTERMSIG(status) == signal.SIGKILL
        return True
    assert os.WEXITSTATUS(status) == 0, f"the upgrade failed with exit {os.WEXITSTATUS(status)}"
    return False


def _git_state(repo: Path) -> dict[str, bytes]:
    """Everything under .git that an upgrade must not change: all but new objects, the base refs (and their logs)
    and the index's stat cache (git status refreshes it; its entries are compared through ls-files)."""
    git_dir = repo / ".git"
    state = {
        path.relative_to(git_dir).as_posix(): path.read_bytes()
        for path in sorted(git_dir.rglob("*"))
        if path.is_file()
        and not path.relative_to(git_dir).as_posix().startswith(("objects/", "refs/scaffold/", "logs/refs/scaffold/"))
        and path.name not in ("index", "scaffold-base.index")
    }
    state["ls-files"] = support.git(repo, "ls-files", "-s").encode()
    return state


def _base_tree(repo: Path) -> str:
    return support.git(repo, "rev-parse", "refs/scaffold/base^{tree}").strip()


def test_a_kill_at_every_write_point_is_finished_by_a_rerun(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    v1 = support.make_tiny_pack(tmp_path / "v1", "1.0.0", TINY_V1)
    v2 = support.make_tiny_pack(tmp_path / "v2", "1.1.0", TINY_V2, dropped=("old/left.txt", "gone.txt"))
    template = make_repo(tmp_path / "template", pack=v1)
    (template / "config/app.yml").write_text(TINY_V1["config/app.yml"].replace("name: app", "name: mine"))
    commit_all(template, "user edit")
    before = support.files_of(template)
    git_before = _git_state(template)
    monkeypatch.setattr(chosen_module, "load_pack", lambda directory=None: v2)

    reference = tmp_path / "reference"
    shutil.copytree(template, reference, symlinks=True)
    full_log = tmp_path / "full.log"
    assert not _forked(reference, v2, 0, full_log)
    after = support.files_of(reference)
    assert after["config/app.yml"] == b"name: mine\nlimits:\n  cpu: 1\n  memory: 3\n"  # merged, not replaced
    assert "gone.txt" not in after and "old/left.txt" not in after and "new/deep/added.txt" in after
    kinds = full_log.read_text().splitlines()
    for kind in ("stage folder", "fsync", "journal write", "move", "delete", "record move", "cleanup", "prune"):
        assert kind in kinds, kind
    assert {f"git {verb}" for verb in _GIT_WRITES} <= set(kinds)
    assert kinds[-2:] == ["cleanup", "cleanup"]  # the staging folder, then the journal, after the base is stored

    for kill_at in range(1, len(kinds) + 1):
        repo = tmp_path / f"killed-{kill_at}"
        shutil.copytree(template, repo, symlinks=True)
        assert _forked(repo, v2, kill_at, tmp_path / "ignored.log"), f"not killed at point {kill_at}"
        interrupted = support.files_of(repo)
        for path in set(before) | set(after):
            assert interrupted.get(path) in (before.get(path), after.get(path)), (kill_at, kinds[kill_at - 1], path)
        assert _git_state(repo) == git_before, (kill_at, kinds[kill_at - 1])

        if kill_at < len(kinds):  # a kill after the last write is a finished run: nothing is left to re-run
            assert cli.main(["upgrade", str(repo)]) == 0, (kill_at, kinds[kill_at - 1])
        assert support.files_of(repo) == after, (kill_at, kinds[kill_at - 1])
        assert _base_tree(repo) == _base_tree(reference), (kill_at, kinds[kill_at - 1])
        assert support.empty_folders(repo) == [], (kill_at, kinds[kill_at - 1])
        assert not (repo / transaction.STAGING).exists() and not (repo / transaction.JOURNAL).exists()
        assert not (repo / ".git" / "scaffold-base.index").exists()
        assert _git_state(repo) == git_before, (kill_at, kinds[kill_at - 1])
        shutil.rmtree(repo)
