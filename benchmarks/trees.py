"""The inputs of the audit and harden benchmarks: real workflows, and trees of them.

The workflows are the shared corpus's GitHub workflows (``$SCAFFOLD_CORPUS/github``, else ``../shared/corpus``
beside the checkout, as the tests find it). Without the corpus, the workflows of the default kit stand in: rendered
by the real ``scaffold new``, so the scripts run on any checkout.
"""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

from benchmarks import harness

WORKFLOWS = Path(".github") / "workflows"


@dataclass(frozen=True)
class Workflow:
    name: str
    text: bytes


@dataclass(frozen=True)
class Sources:
    """Where the workflows came from (``corpus`` or ``kit``) and the workflows, by name."""

    origin: str
    workflows: tuple[Workflow, ...]

    @property
    def smallest(self) -> Workflow:
        return min(self.workflows, key=lambda workflow: (len(workflow.text), workflow.name))


def corpus_folder() -> Path:
    configured = os.environ.get("SCAFFOLD_CORPUS")
    return Path(configured) if configured else harness.ROOT.parent / "shared" / "corpus"


def sources(env: dict[str, str]) -> Sources:
    """The corpus's GitHub workflows, or the default kit's when the corpus is absent."""
    folder = corpus_folder() / "github"
    found = sorted(path for path in folder.glob("*") if path.suffix in (".yml", ".yaml")) if folder.is_dir() else []
    if found:
        return Sources("corpus", tuple(Workflow(path.name, path.read_bytes()) for path in found))
    with tempfile.TemporaryDirectory(prefix="scaffold-bench-kit-") as scratch:
        kit = Path(scratch) / "kit"
        render_kit(kit, env)
        rendered = sorted((kit / WORKFLOWS).glob("*.yml"))
        return Sources("kit", tuple(Workflow(path.name, path.read_bytes()) for path in rendered))


def render_kit(folder: Path, env: dict[str, str], *answers: str) -> None:
    """``scaffold new --defaults`` into ``folder``, named SERVICE_NAME, with ``answers`` as more ``--set``s."""
    sets = [f"name={harness.SERVICE_NAME}", *answers]
    command = [*harness.scaffold(), "new", "--defaults", "--output", str(folder)]
    for answer in sets:
        command += ["--set", answer]
    harness.run(command, env)


def distinct_copy(text: bytes, number: int) -> bytes:
    """``text`` with a trailing comment naming its copy, so that no two files of a tree have the same bytes."""
    ending = b"" if text.endswith(b"\n") else b"\n"
    return text + ending + f"# copy {number}\n".encode()


def workflow_tree(root: Path, files: int, found: Sources) -> list[Path]:
    """``root/.github/workflows`` holding ``files`` workflows, the sources in turn, each copy made distinct."""
    folder = root / WORKFLOWS
    folder.mkdir(parents=True, exist_ok=True)
    width = len(str(max(files, 1)))
    written = []
    for number in range(files):
        workflow = found.workflows[number % len(found.workflows)]
        path = folder / f"{number:0{width}d}-{workflow.name}"
        path.write_bytes(distinct_copy(workflow.text, number))
        written.append(path)
    return written


def repository_tree(root: Path, found: Sources) -> list[Path]:
    """``root/.github/workflows`` holding each source once, unchanged, under its own name."""
    folder = root / WORKFLOWS
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for workflow in found.workflows:
        path = folder / workflow.name
        path.write_bytes(workflow.text)
        written.append(path)
    return written


def files_of(root: Path) -> dict[str, tuple[bytes, bool]]:
    """Every file under ``root`` outside .git: its bytes and whether it is executable."""
    found = {}
    for path in sorted(root.rglob("*")):
        relative = path.relative_to(root)
        if ".git" in relative.parts or not path.is_file() or path.is_symlink():
            continue
        found[relative.as_posix()] = (path.read_bytes(), os.access(path, os.X_OK))
    return found


def differences(ours: dict[str, tuple[bytes, bool]], theirs: dict[str, tuple[bytes, bool]]) -> list[str]:
    """The paths whose bytes or executable bit differ, or that only one side has."""
    return sorted(path for path in ours.keys() | theirs.keys() if ours.get(path) != theirs.get(path))
