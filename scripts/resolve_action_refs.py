#!/usr/bin/env python3
"""Resolve action refs to commit SHAs in bare mirrors and print them as entries of scaffold/data/action-refs.yml.

    python scripts/resolve_action_refs.py MIRRORS owner/repo@ref [owner/repo@ref ...]

MIRRORS holds one bare mirror per repository at MIRRORS/<owner>+<repo>/repo. Each ref is resolved with
``git rev-parse <ref>^{commit}`` (annotated tags resolve to their commit, not the tag object); its version is the
most specific vX.Y.Z tag pointing at that commit. Branches are refused: they move. Nothing is written; review the
output and paste it into the data file.
"""

from __future__ import annotations

import re
import subprocess
import sys
from collections import defaultdict
from pathlib import Path

_VERSION = re.compile(r"v?\d+(\.\d+)*")


def _git(mirror: Path, *args: str) -> str:
    return subprocess.run(["git", "-C", str(mirror), *args], capture_output=True, text=True, check=True).stdout


def resolve(mirrors: Path, repo: str, ref: str) -> tuple[str, str]:
    mirror = mirrors / repo.replace("/", "+") / "repo"
    if _git(mirror, "for-each-ref", f"refs/heads/{ref}").strip() or not _git(mirror, "tag", "--list", ref).strip():
        raise SystemExit(f"{repo}@{ref}: not a tag in {mirror}")
    sha = _git(mirror, "rev-parse", f"{ref}^{{commit}}").strip()
    tags = [t for t in _git(mirror, "tag", "--points-at", sha).split() if _VERSION.fullmatch(t)]
    version = max(tags, key=lambda t: (t.count("."), len(t)), default=ref)
    return sha, version


def main(argv: list[str]) -> int:
    mirrors, wanted = Path(argv[0]), argv[1:]
    by_repo: dict[str, list[tuple[str, str, str]]] = defaultdict(list)
    for item in wanted:
        repo, ref = item.split("@", 1)
        by_repo[repo].append((ref, *resolve(mirrors, repo, ref)))
    for repo in sorted(by_repo, key=str.lower):
        mirror = mirrors / repo.replace("/", "+") / "repo"
        newest = _git(mirror, "log", "-1", "--format=%cs", "--all").strip()
        print(f"  {repo}:")
        print(f"    verified: git rev-parse <ref>^{{commit}} in a mirror of github.com/{repo} (newest commit {newest})")
        print("    refs:")
        for ref, sha, version in sorted(by_repo[repo]):
            print(f"      {ref}: {{sha: {sha}, version: {version}}}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
