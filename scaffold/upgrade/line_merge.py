"""Line-based three-way merge through the system's ``git merge-file``, for files without a structure to use.

The result is parsed back into clean text and conflict blocks, so the caller can write git-style markers or keep
the user's text and put the kit's side of each conflict in a ``.rej`` file.
"""

from __future__ import annotations

import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from scaffold.errors import UsageError
from scaffold.untrusted.git import GitError, environment, git_executable


@dataclass(frozen=True)
class Labels:
    """How conflict markers name each side."""

    ours: str = "yours"
    base: str = "base"
    theirs: str = "kit"


@dataclass(frozen=True)
class Conflict:
    ours: str
    base: str
    theirs: str


Segment = str | Conflict


@dataclass(frozen=True)
class Merged:
    """A merge result as a sequence of clean text and conflicts."""

    segments: tuple[Segment, ...]

    @property
    def conflicts(self) -> int:
        return sum(isinstance(segment, Conflict) for segment in self.segments)

    def text_without_conflicts(self) -> str:
        """The merged text; only meaningful when there are no conflicts."""
        return "".join(segment for segment in self.segments if isinstance(segment, str))

    def text(self, labels: Labels) -> str:
        """The merged text with git-style markers (``<<<<<<<``, ``=======``, ``>>>>>>>``) around each conflict."""
        size = marker_size(self)
        parts: list[str] = []
        for segment in self.segments:
            if isinstance(segment, str):
                parts.append(segment)
                continue
            parts += [
                f"{'<' * size} {labels.ours}\n",
                _ended(segment.ours),
                f"{'=' * size}\n",
                _ended(segment.theirs),
                f"{'>' * size} {labels.theirs}\n",
            ]
        return "".join(parts)

    def ours_with_rejects(self, path: str, labels: Labels) -> tuple[str, str]:
        """The user's side of every conflict, and a ``.rej`` text holding the kit's side as unified hunks."""
        kept: list[str] = []
        rejects = [f"--- {path} ({labels.base})\n", f"+++ {path} ({labels.theirs})\n"]
        line = 1
        for segment in self.segments:
            if isinstance(segment, str):
                kept.append(segment)
                line += segment.count("\n")
                continue
            kept.append(segment.ours)
            base_lines = segment.base.splitlines(keepends=True)
            theirs_lines = segment.theirs.splitlines(keepends=True)
            rejects.append(f"@@ -{line},{len(base_lines)} +{line},{len(theirs_lines)} @@\n")
            rejects += [f"-{_ended(text)}" for text in base_lines]
            rejects += [f"+{_ended(text)}" for text in theirs_lines]
            line += segment.ours.count("\n")
        return "".join(kept), "".join(rejects)


def _ended(text: str) -> str:
    return text if not text or text.endswith("\n") else text + "\n"


def marker_size(merged: Merged) -> int:
    """Marker length: git's 7, longer when a conflicting side has a line that already starts like a marker."""
    sides = [s.ours + s.base + s.theirs for s in merged.segments if isinstance(s, Conflict)]
    return max((_longest_marker_run(text) for text in sides), default=6) + 1


def merge_lines(base: str, ours: str, theirs: str) -> Merged:
    """Three-way merge of whole texts, line by line, with ``git merge-file --diff3``."""
    if ours == theirs:
        return Merged((ours,))
    if base == ours:
        return Merged((theirs,))
    if base == theirs:
        return Merged((ours,))
    try:
        git = git_executable()
    except GitError:
        raise UsageError("upgrade: git is not installed; it is needed to merge files you changed") from None
    size = max(_longest_marker_run(text) for text in (base, ours, theirs)) + 1
    with tempfile.TemporaryDirectory(prefix="scaffold-merge-") as folder:
        paths = []
        for name, text in (("ours", ours), ("base", base), ("theirs", theirs)):
            path = Path(folder) / name
            path.write_text(text, encoding="utf-8", newline="")
            paths.append(str(path))
        result = subprocess.run(
            [git, "merge-file", "-p", "--diff3", f"--marker-size={size}", "-L", "o", "-L", "b", "-L", "t", *paths],
            capture_output=True,
            check=False,
            cwd=folder,  # outside any repository, so no repository configuration is read
            env=environment({"GIT_CEILING_DIRECTORIES": str(Path(folder).parent)}),
        )
    if result.returncode < 0 or result.returncode > 127:
        raise UsageError(f"upgrade: git merge-file failed: {result.stderr.decode(errors='replace').strip()}")
    return _parse(result.stdout.decode("utf-8"), size)


def _longest_marker_run(text: str) -> int:
    longest = 6
    for line in text.splitlines():
        for char in "<=>|":
            longest = max(longest, len(line) - len(line.lstrip(char)))
    return longest


def _parse(output: str, size: int) -> Merged:
    """Split ``git merge-file --diff3`` output into clean text and conflicts."""
    start, middle, split, end = "<" * size + " o", "|" * size + " b", "=" * size, ">" * size + " t"
    segments: list[Segment] = []
    clean: list[str] = []
    sides: dict[str, list[str]] = {}
    current: str | None = None
    for line in output.splitlines(keepends=True):
        bare = line.rstrip("\n")
        if current is None and bare == start:
            if clean:
                segments.append("".join(clean))
                clean = []
            sides = {"ours": [], "base": [], "theirs": []}
            current = "ours"
        elif current == "ours" and bare == middle:
            current = "base"
        elif current in ("ours", "base") and bare == split:
            current = "theirs"
        elif current == "theirs" and bare == end:
            segments.append(Conflict("".join(sides["ours"]), "".join(sides["base"]), "".join(sides["theirs"])))
            current = None
        elif current is None:
            clean.append(line)
        else:
            sides[current].append(line)
    if clean:
        segments.append("".join(clean))
    return Merged(tuple(segments))
