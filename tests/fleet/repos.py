"""Real git repositories for the fleet tests: kits made by the real ``scaffold new``, plain repositories, and the
``scaffold`` command run as users run it."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

IDENTITY = {
    "GIT_AUTHOR_NAME": "fleet test",
    "GIT_AUTHOR_EMAIL": "fleet@example.com",
    "GIT_COMMITTER_NAME": "fleet test",
    "GIT_COMMITTER_EMAIL": "fleet@example.com",
}
_TEMPLATES: dict[tuple[str, ...], Path] = {}


def git(repo: Path, *args: str) -> str:
    done = subprocess.run(
        ["git", "-C", str(repo), *args],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, **IDENTITY},
    )
    return done.stdout.strip()


def scaffold(*args: str, cwd: Path | None = None, timeout: float = 600) -> subprocess.CompletedProcess[str]:
    """The real command line, in a child process, as a user or CI runs it."""
    return subprocess.run(
        [sys.executable, "-m", "scaffold", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=timeout,
        check=False,
        stdin=subprocess.DEVNULL,
    )


def kit_repo(path: Path, *settings: str, template_root: Path) -> Path:
    """A git repository on branch main holding the kit ``scaffold new --defaults [--set ...]`` writes, committed.
    The first kit of each answer set is rendered for real; later ones are copies of it."""
    key = tuple(settings)
    if key not in _TEMPLATES or not _TEMPLATES[key].exists():
        template = template_root / f"template-{len(_TEMPLATES)}"
        template.mkdir(parents=True)
        git(template, "init", "-q", "-b", "main")
        flags = [part for setting in settings for part in ("--set", setting)]
        done = scaffold("new", "--defaults", *flags, "--output", str(template))
        assert done.returncode == 0, done.stderr
        git(template, "add", "-A")
        git(template, "commit", "-qm", "kit")
        _TEMPLATES[key] = template
    shutil.copytree(_TEMPLATES[key], path, symlinks=True)
    return path


def plain_repo(path: Path, files: dict[str, str]) -> Path:
    path.mkdir(parents=True)
    git(path, "init", "-q", "-b", "main")
    for name, text in files.items():
        (path / name).parent.mkdir(parents=True, exist_ok=True)
        (path / name).write_text(text, encoding="utf-8")
    git(path, "add", "-A")
    git(path, "commit", "-qm", "files")
    return path


def commit_edit(repo: Path, name: str, old: str, new: str) -> None:
    """Replace ``old`` by ``new`` in one file and commit it."""
    text = (repo / name).read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {name}"
    (repo / name).write_text(text.replace(old, new, 1), encoding="utf-8")
    git(repo, "commit", "-qam", f"edit {name}")


def fleet_json(*args: str, cwd: Path | None = None, expect: Sequence[int] = (0, 1)) -> tuple[int, dict[str, Any]]:
    """Run a fleet command with ``--format json``; its exit code and report."""
    done = scaffold("fleet", *args, "--format", "json", cwd=cwd)
    assert done.returncode in expect, (done.returncode, done.stderr)
    return done.returncode, json.loads(done.stdout)


def by_name(report: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {item["name"]: item for item in report["repositories"]}


def github_forge(tmp_path: Path, repo: Path) -> tuple[dict[str, str], Path, Path]:
    """A github.com origin for ``repo`` that the user's own git configuration sends to a local bare repository, and
    a ``gh`` on PATH that does what the real one does in ``pr create``: ``git status --porcelain`` in its folder
    (to warn about uncommitted changes), then print the pull request's URL. Returns the environment to run
    scaffold with, the file where ``gh`` writes its arguments, and the bare repository."""
    remote = tmp_path / "remote" / "svc.git"
    subprocess.run(["git", "init", "-q", "--bare", str(remote)], check=True)
    git(repo, "remote", "add", "origin", "https://github.com/acme/svc.git")
    user_config = tmp_path / "user.gitconfig"
    user_config.write_text(f'[url "{remote.as_uri()}"]\n\tinsteadOf = https://github.com/acme/svc.git\n')
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    calls = tmp_path / "gh-argv.json"
    (bin_dir / "gh").write_text(
        "#!/usr/bin/env python3\nimport json, pathlib, subprocess, sys\n"
        "subprocess.run(['git', 'status', '--porcelain'], check=False, capture_output=True)\n"
        f"pathlib.Path({str(calls)!r}).write_text(json.dumps(sys.argv[1:]))\n"
        "print('https://github.com/acme/svc/pull/7')\n",
        encoding="utf-8",
    )
    (bin_dir / "gh").chmod(0o755)
    env = {"GIT_CONFIG_GLOBAL": str(user_config), "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}"}
    return env, calls, remote
