"""The repositories a fleet command runs over: paths, folders of clones and git URLs, de-duplicated, sorted and
sharded. A target that does not exist is not an error here: it is that repository's error in the report, so one
stale line in a list of thousands does not stop the run."""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from scaffold.errors import UsageError
from scaffold.packs.source import source_kind
from scaffold.untrusted.read import UnreadableInput, read_text
from scaffold.untrusted.text import printable

MAX_LIST_BYTES = 16 * 1024 * 1024
MAX_TARGETS = 100_000
MAX_TARGET_CHARS = 4000
MAX_CLONES_LISTED = 100_000
_SHARD = re.compile(r"^(0|[1-9][0-9]{0,5})/([1-9][0-9]{0,5})$")


@dataclass(frozen=True, order=True)
class Target:
    """One repository: a local folder (``remote`` False, ``spec`` an absolute path) or a git URL to clone."""

    spec: str
    remote: bool = False

    @property
    def key(self) -> str:
        """A stable file-name-safe identity: where its clone, work tree and lock live."""
        return hashlib.sha256(f"{self.remote}:{self.spec}".encode()).hexdigest()[:20]

    @property
    def name(self) -> str:
        """A short display name: the last part of the path or URL, without ``.git``."""
        last = re.split(r"[/:]", self.spec.rstrip("/"))[-1] or self.spec
        return last[:-4] if last.endswith(".git") and len(last) > 4 else last


def read_list(path: Path) -> list[str]:
    """The targets listed in ``--from FILE``: one per line; blank lines and ``#`` comments are skipped."""
    try:
        text = read_text(path, limit=MAX_LIST_BYTES)
    except UnreadableInput as error:
        raise UsageError(f"--from {printable(str(path), 200)}: {error}") from None
    lines = [line.strip() for line in text.splitlines()]
    specs = [line for line in lines if line and not line.startswith("#")]
    if len(specs) > MAX_TARGETS:
        raise UsageError(f"--from {printable(str(path), 200)}: more than {MAX_TARGETS} repositories; shard the list")
    return specs


def expand(specs: Iterable[str]) -> list[Target]:
    """Every repository the specs name, sorted, each once. A folder that is neither a repository nor a kit but
    holds git repositories stands for them (a folder of clones)."""
    found: dict[str, Target] = {}
    for spec in specs:
        if "://" in spec:
            _check_url(spec)  # before anything could print it
        check_spec(spec)
        if source_kind(spec) != "folder":
            found.setdefault(spec, Target(spec, remote=True))
            continue
        folder = Path(spec).expanduser()
        absolute = Path.cwd() / folder  # not resolved: a symlinked folder keeps the name it was given
        for path in _clones_in(absolute) or [absolute]:
            check_spec(str(path), typed=False)
            # one repository once, however it was named (a path, a symlink to it, a path with '..')
            found.setdefault(os.path.realpath(path), Target(str(path)))
    targets = sorted(set(found.values()))
    if len(targets) > MAX_TARGETS:
        raise UsageError(f"more than {MAX_TARGETS} repositories in one run; shard the list (--shard K/N)")
    return targets


def parse_shard(text: str) -> tuple[int, int]:
    """``K/N`` with 0 <= K < N."""
    match = _SHARD.match(text)
    if match is None or int(match.group(1)) >= int(match.group(2)):
        raise UsageError(f"--shard {printable(text, 40)}: must be K/N with 0 <= K < N (for example 0/4)")
    return int(match.group(1)), int(match.group(2))


def shard(targets: Sequence[Target], index: int, count: int) -> list[Target]:
    """The targets whose position in the sorted list is ``index`` modulo ``count``: shards differ by one at most."""
    return [target for position, target in enumerate(targets) if position % count == index]


def check_spec(spec: str, *, typed: bool = True) -> None:
    """A target. One the user typed (an argument or a line of ``--from``) must be printable; one found on disk (a
    clone in a folder of clones, and so one read back from the history) may hold any character its file system
    allows, since it is escaped wherever it is shown; a URL, which git parses, is always printable."""
    strict = typed or source_kind(spec) != "folder"
    control = any(ord(char) < 32 or ord(char) == 127 for char in spec) if strict else "\0" in spec
    if not spec or len(spec) > MAX_TARGET_CHARS or control:
        what = "a path or git URL of printable characters" if strict else "a path"
        raise UsageError(f"repository {printable(spec, 80)}: must be {what}, 1 to {MAX_TARGET_CHARS} characters long")
    if spec.startswith("-"):
        raise UsageError(f"repository {printable(spec, 80)}: must not start with '-'")


def _check_url(spec: str) -> None:
    """A URL with a password would be stored in the history and printed in every report: refused, unshown."""
    try:
        password = urlsplit(spec).password if "://" in spec else None
    except ValueError:
        return  # the worker names what is wrong with it, as that repository's error
    if password is not None:
        shown = printable(spec.split("://", 1)[0], 20)
        raise UsageError(
            f"repository {shown}://...: a password in the URL would be kept in the history and the reports; "
            "give git the credential another way (a credential helper, or http.extraheader in GIT_CONFIG_*)"
        )


def _clones_in(folder: Path) -> list[Path]:
    """The git repositories directly inside ``folder`` when it is neither one itself nor a kit; else none."""
    try:
        if not folder.is_dir() or (folder / ".git").exists() or (folder / ".scaffold.yml").exists():
            return []
        children = []
        with os.scandir(folder) as entries:
            for count, entry in enumerate(entries):
                if count >= MAX_CLONES_LISTED:
                    break
                if entry.is_dir(follow_symlinks=False) and os.path.lexists(Path(entry.path) / ".git"):
                    children.append(Path(entry.path))
    except OSError:
        return []
    return sorted(children)
