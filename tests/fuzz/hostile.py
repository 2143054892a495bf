"""Building blocks of the red-team fuzz tests: hostile mutations of text, hostile file types, seeds (generated
kits and the shared corpus, read in place), the CLI run in-process under a hang guard, and snapshots that show
what a run wrote.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import os
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from hypothesis import strategies as st

from scaffold.api import render_kit
from scaffold.cli import main
from scaffold.kit.answers import validate
from tests.answer_sets import ANSWER_SETS
from tests.support.corpus import CANONICAL_PATHS
from tests.support.hang_guard import hang_guard

EXAMPLES = int(os.environ.get("SCAFFOLD_FUZZ_EXAMPLES", "50"))
DEADLINE = int(os.environ.get("SCAFFOLD_FUZZ_DEADLINE", "60"))
"""Seconds one CLI run may take before it counts as a hang."""

LINE_BREAKS = ("\f", "\v", "\x85", "\u2028", "\u2029", "\r", "\x1c", "\x1e")
_BOMB = "bomb: &a0 [x, x, x, x, x, x, x, x, x]\n" + "".join(
    f"b{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 9) + "]\n" for i in range(1, 9)
)
_ALIAS_SCALAR = "big: &big '" + "x" * 50_000 + "'\nmany: [" + ", ".join(["*big"] * 20_000) + "]\n"
MUTATIONS = (
    "line-break",
    "duplicate-line",
    "deep-nesting",
    "alias-bomb",
    "alias-big-scalar",
    "huge-int",
    "nul",
    "bom",
    "crlf",
    "truncate",
    "replace",
    "tab-indent",
    "bad-date",
    "unknown-tag",
    "control-chars",
    "long-line",
)
FILE_KINDS = ("fifo", "dev-zero", "outside", "loop", "folder", "dangling")


@dataclass(frozen=True)
class Mutation:
    kind: str
    where: float  # position in the text, 0..1
    text: str  # random text some mutations insert


def mutations() -> st.SearchStrategy[Mutation]:
    return st.builds(
        Mutation,
        st.sampled_from(MUTATIONS),
        st.floats(min_value=0, max_value=1),
        st.text(st.characters(codec="utf-8"), max_size=40),
    )


def mutate(text: str, mutation: Mutation) -> str | bytes:
    """``text`` with one hostile change; bytes when the change makes it invalid UTF-8 or binary."""
    at = int(len(text) * mutation.where)
    line_start = text.rfind("\n", 0, at) + 1
    kind = mutation.kind
    if kind == "line-break":
        return text[:at] + LINE_BREAKS[at % len(LINE_BREAKS)] + text[at:]
    if kind == "duplicate-line":
        end = text.find("\n", at)
        line = text[line_start : end if end >= 0 else len(text)]
        return text[:line_start] + line + "\n" + text[line_start:]
    if kind == "deep-nesting":
        return text[:line_start] + "deep: " + "[" * 5000 + "\n" + text[line_start:]
    if kind == "alias-bomb":
        return _BOMB + text
    if kind == "alias-big-scalar":
        return _ALIAS_SCALAR + text
    if kind == "huge-int":
        return text[:at] + "9" * 5000 + text[at:]
    if kind == "nul":
        return text[:at] + "\0" + text[at:]
    if kind == "bom":
        return "\ufeff" + text
    if kind == "crlf":
        return text.replace("\n", "\r\n")
    if kind == "truncate":
        return text.encode()[: len(text.encode()) * at // max(len(text), 1)] + b"\xc3"
    if kind == "replace":
        return mutation.text
    if kind == "tab-indent":
        return text.replace("  ", "\t")
    if kind == "bad-date":
        return text[:line_start] + "when: 2020-02-30\n" + text[line_start:]
    if kind == "unknown-tag":
        return text[:line_start] + "x: !!python/object/apply:os.system ['touch /tmp/pwned']\n" + text[line_start:]
    if kind == "control-chars":
        return text[:at] + "\x1b[2J\x07\x00"[: 1 + at % 3] + mutation.text + text[at:]
    if kind == "long-line":
        return text[:at] + "a" * 200_000 + text[at:]
    raise AssertionError(kind)


def write_hostile(path: Path, kind: str, outside: Path) -> None:
    """Make ``path`` a hostile file: a FIFO, a device, a symlink out of the repository or to itself, a folder."""
    if path.parent.is_symlink() or (path.parent.exists() and not path.parent.is_dir()):
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.is_dir() and not path.is_symlink():
        return
    if path.is_symlink() or path.exists():
        path.unlink()
    if kind == "fifo":
        os.mkfifo(path)
    elif kind == "dev-zero":
        path.symlink_to("/dev/zero")
    elif kind == "outside":
        path.symlink_to(outside / "secret.txt")
    elif kind == "loop":
        path.symlink_to(path.name)
    elif kind == "folder":
        path.mkdir()
    else:
        path.symlink_to(outside / "missing")


# --- seeds -------------------------------------------------------------------------------------------------------


@cache
def kit(name: str) -> dict[str, str]:
    """A generated kit, rendered once per answer set."""
    return render_kit(answers=validate(ANSWER_SETS[name]))


KITS = ("python-ghcr-defaults", "node-ecr-aws", "go-gar-gcp", "node-jenkins-harbor-azure")


def corpus_folder() -> Path | None:
    configured = os.environ.get("SCAFFOLD_CORPUS")
    folder = Path(configured) if configured else Path(__file__).resolve().parents[2].parent / "shared" / "corpus"
    return folder if folder.is_dir() else None


@cache
def corpus_seeds() -> tuple[tuple[str, str], ...]:
    """(path in a repository, text) of each corpus file, read in place; empty without the corpus."""
    folder = corpus_folder()
    if folder is None:
        return ()
    placed: dict[str, Callable[[str], str]] = {**CANONICAL_PATHS, "precommit": lambda _name: ".pre-commit-config.yaml"}
    seeds = []
    for kind, where in sorted(placed.items()):
        for path in sorted((folder / kind).glob("*")) if (folder / kind).is_dir() else []:
            with contextlib.suppress(OSError, UnicodeDecodeError):
                seeds.append((where(path.name), path.read_text(encoding="utf-8")))
    return tuple(seeds)


# --- running the CLI -----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Run:
    argv: list[str]
    code: int
    stdout: str
    stderr: str


def run_cli(argv: list[str], cwd: Path) -> Run:
    """``scaffold.cli.main(argv)`` in ``cwd``, stdout and stderr captured, under the hang guard. Any exception
    out of ``main`` (a traceback for a user) propagates and fails the test."""
    out, err = io.StringIO(), io.StringIO()
    before = Path.cwd()
    os.chdir(cwd)
    try:
        with hang_guard(DEADLINE), contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            code = main(argv)
    except SystemExit as exit_:  # argparse
        code = exit_.code if isinstance(exit_.code, int) else 2
    finally:
        os.chdir(before)
    return Run(argv, code, out.getvalue(), err.getvalue())


def check_run(run: Run, *, one_line_on_2: bool = True) -> None:
    """Exit code in {0, 1, 2, 3}; no traceback; with exit 2, stderr is one line (or, for audit and harden, which
    report unreadable files in their report, at most one)."""
    where = f"scaffold {' '.join(run.argv)}: exit {run.code}, stderr {run.stderr[:2000]!r}"
    assert run.code in (0, 1, 2, 3), where
    assert "Traceback" not in run.stderr, where
    lines = run.stderr.splitlines()
    if run.code == 2:
        assert len(lines) == 1 if one_line_on_2 else len(lines) <= 1, where


# --- snapshots ---------------------------------------------------------------------------------------------------

_GIT_ALLOWED = ("refs/scaffold/", "logs/refs/scaffold/")


def snapshot(root: Path, skip: tuple[str, ...] = ()) -> dict[str, str]:
    """Every entry under ``root`` (symlinks not followed): its kind and content hash or link target."""
    found: dict[str, str] = {}
    for folder, subfolders, names in os.walk(root, followlinks=False):
        for name in subfolders + names:
            path = Path(folder) / name
            relative = path.relative_to(root).as_posix()
            if any(relative == s or relative.startswith(s + "/") for s in skip):
                continue
            if path.is_symlink():
                found[relative] = "link:" + str(path.readlink())
            elif path.is_dir():
                found[relative] = "dir"
            elif path.is_file():
                found[relative] = hashlib.sha256(path.read_bytes()).hexdigest()
            else:
                found[relative] = "special"
    return found


def git_changes(before: dict[str, str], after: dict[str, str]) -> list[str]:
    """Changes under .git other than scaffold's own refs and new objects (which those refs need)."""
    changed = []
    for path in sorted(before.keys() | after.keys()):
        if before.get(path) == after.get(path):
            continue
        if path.startswith(_GIT_ALLOWED) or (path.startswith("objects/") and path not in before):
            continue
        if after.get(path) == "dir" and path not in before and any(a.startswith(path + "/") for a in _GIT_ALLOWED):
            continue
        changed.append(path)
    return changed


def git(root: Path, *args: str) -> None:
    subprocess.run(
        ["git", "-c", "user.name=fuzz", "-c", "user.email=fuzz@example.com", "-c", "commit.gpgsign=false", *args],
        cwd=root,
        check=True,
        capture_output=True,
    )
