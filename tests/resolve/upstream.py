"""Upstream repositories for the resolver's tests: bare repositories whose commits and tags carry the dates the test
gives (a tag two days old, a release a month old), served by the real ``git daemon`` of tests/packs/gitserver.py."""

from __future__ import annotations

import os
import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path

from scaffold.resolve.model import Settings
from tests.packs.gitserver import GIT_TEST_ENV, Daemon, require_git

NOW = datetime.now(UTC).replace(microsecond=0)


def days_ago(days: float) -> datetime:
    return NOW - timedelta(days=days)


def settings_for(daemon: Daemon, cache_dir: Path, *, online: bool = True, cooldown_days: float = 7) -> Settings:
    """Settings that send actions and GitLab projects to the loopback daemon."""
    base = f"git://127.0.0.1:{daemon.port}"
    return Settings(
        online=online,
        cooldown=timedelta(days=cooldown_days),
        action_forge=base,
        gitlab_url=base,
        cache_dir=cache_dir,
        now=NOW,
    )


class Upstream:
    """A bare repository ``<base>/<name>.git``; commits hold an empty tree and differ by message, date and parent."""

    def __init__(self, bare: Path) -> None:
        self.bare = bare

    @classmethod
    def create(cls, base: Path, name: str) -> Upstream:
        bare = base / f"{name}.git"
        bare.parent.mkdir(parents=True, exist_ok=True)
        subprocess.run(
            [require_git(), "init", "--quiet", "--bare", "--initial-branch=main", str(bare)],
            check=True,
            env={**os.environ, **GIT_TEST_ENV},
            timeout=60,
        )
        return cls(bare)

    def git(self, *args: str, when: datetime | None = None) -> str:
        env = {**os.environ, **GIT_TEST_ENV}
        if when is not None:
            stamp = f"@{int(when.timestamp())} +0000"
            env |= {"GIT_AUTHOR_DATE": stamp, "GIT_COMMITTER_DATE": stamp}
        result = subprocess.run(
            [require_git(), f"--git-dir={self.bare}", *args],
            input=b"",
            capture_output=True,
            env=env,
            check=False,
            timeout=60,
        )
        if result.returncode != 0:
            raise AssertionError(f"git {' '.join(args)}: {result.stderr.decode(errors='replace')}")
        return result.stdout.decode().strip()

    def commit(self, message: str, when: datetime, *, branch: str | None = "main", parent: str | None = None) -> str:
        """A commit dated ``when`` on top of ``parent`` (default: the tip of ``branch``), which then moves to it."""
        tree = self.git("mktree", "--missing")
        base = parent or (self.tip(branch) if branch else None)
        commit = self.git("commit-tree", tree, *(["-p", base] if base else []), "-m", message, when=when)
        if branch is not None:
            self.git("update-ref", f"refs/heads/{branch}", commit)
        return commit

    def tip(self, branch: str) -> str | None:
        try:
            return self.git("rev-parse", "--verify", "--quiet", f"refs/heads/{branch}")
        except AssertionError:
            return None

    def tag(self, name: str, commit: str, when: datetime, *, annotated: bool = True) -> None:
        """Tag ``commit`` (moving the tag when it exists): annotated with tagger date ``when``, or lightweight (then
        its age is the commit's own date)."""
        if annotated:
            self.git("tag", "-f", "-a", "-m", f"release {name}", name, commit, when=when)
        else:
            self.git("tag", "-f", name, commit)

    def set_ref(self, ref: str, commit: str) -> None:
        self.git("update-ref", ref, commit)

    def config(self, key: str, value: str) -> None:
        self.git("config", key, value)
