"""Kill the upgrade between file moves: every file is fully old or fully new, and a re-run finishes the job."""

from __future__ import annotations

import shutil
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from scaffold import api, cli
from scaffold.packs import Pack, load_pack
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
    from scaffold.packs import load_pack

    pack = load_pack(Path(sys.argv[1]))
    api.load_pack = lambda directory=None: pack
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
    monkeypatch.setattr(api, "load_pack", lambda directory=None: pack)
    assert cli.main(["upgrade", str(reference)]) == 0
    after = tree(reference)

    killed = subprocess.run(
        [sys.executable, "-c", KILLER, str(kit_v2_dir), str(repo), str(moves_before_kill)],
        capture_output=True,
        check=False,
    )
    assert killed.returncode == -signal.SIGKILL
    interrupted = {path: text for path, text in tree(repo).items() if not path.startswith(transaction.STAGING)}
    for path in set(before) | set(after):
        assert interrupted.get(path) in (before.get(path), after.get(path)), path
    changed = [path for path in after if before.get(path) != after.get(path)]
    assert sum(interrupted.get(path) == after[path] for path in changed) == moves_before_kill
    assert interrupted[".scaffold.yml"] == before[".scaffold.yml"]  # the record is always written last

    assert cli.main(["upgrade", str(repo)]) == 0
    assert tree(repo) == after
    assert not (repo / transaction.STAGING).exists()


def test_a_staging_folder_without_journal_is_discarded(tmp_path: Path) -> None:
    staging = tmp_path / transaction.STAGING
    staging.mkdir()
    (staging / "0.stage").write_text("half")
    assert transaction.finish_interrupted(tmp_path) == []
    assert not staging.exists()


def test_a_tampered_journal_cannot_move_files_from_outside(tmp_path: Path) -> None:
    staging = tmp_path / transaction.STAGING
    staging.mkdir()
    (staging / "journal.json").write_text('{"writes": [{"path": "x", "stage": "../../etc/passwd", "sha256": ""}]}')
    with pytest.raises(transaction.UsageError, match="outside the staging folder"):
        transaction.finish_interrupted(tmp_path)
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
