"""A commit's files written out of a bare repository without ``git checkout``: regular files only, checked first.

``git checkout`` of a hostile tree would create symlinks, honour the pack's ``.gitattributes`` (filters, eol
conversions) and trust git's own path checks. Here the tree is listed with ``git ls-tree`` and each blob read with
``git cat-file --batch``; scaffold writes the files itself:

- only regular files (modes 100644 and 100755) are written; a symlink (120000) or a submodule (160000) is skipped
  and reported, never followed;
- a path with an empty, ``.`` or ``..`` part, an absolute path, a backslash, a control character, or a part that a
  file system could take for ``.git`` (any case, trailing dots or spaces, ignorable Unicode, ``git~1``, an NTFS
  stream) is refused, and nothing is written;
- at most ``MAX_ENTRIES`` entries and ``MAX_TOTAL_BYTES`` bytes, checked before anything is written;
- each file is created exclusively, without following a symlink, under a folder the caller just made.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from scaffold.packs.pack_git import OutputTooLarge, run_pack_git
from scaffold.untrusted.text import printable, shown

MAX_ENTRIES = 20_000
"""Most entries (files, symlinks, submodules) in a pack's tree."""
MAX_TOTAL_BYTES = 50 * 1024 * 1024
"""Most bytes in a pack's files, all together."""
MAX_PATH_BYTES = 1000
MAX_PART_BYTES = 255
_REGULAR_MODES = {"100644": 0o644, "100755": 0o755}
_SKIPPED_MODES = {"120000": "a symlink", "160000": "a submodule"}
_IGNORABLE = re.compile("[\u200b-\u200f\u202a-\u202e\u2060-\u206f\ufeff]")
_LISTING_LIMIT = MAX_ENTRIES * (MAX_PATH_BYTES + 64)


class TreeRefused(Exception):  # noqa: N818 (a reason, read as "the tree is refused")
    """The tree holds a path or a size scaffold will not write; the message is one line without the source."""


def export_tree(git_dir: Path, commit: str, destination: Path) -> tuple[str, ...]:
    """Write the regular files of ``commit``'s tree under ``destination`` (an empty folder). Returns the entries
    skipped, escaped for display, each with its reason (``'docs/link (a symlink)'``). Raises TreeRefused, before
    writing anything, when a path is unsafe or the tree is too large."""
    entries = _entries(git_dir, commit)
    files = [(path, mode, oid) for path, mode, oid in entries if mode in _REGULAR_MODES]
    skipped = tuple(
        f"{printable(path)} ({_describe(mode)})" for path, mode, _oid in entries if mode not in _REGULAR_MODES
    )
    contents = _blobs(git_dir, [oid for _path, _mode, oid in files])
    for (path, mode, _oid), content in zip(files, contents, strict=True):
        _write(destination, path, content, _REGULAR_MODES[mode])
    return skipped


def _entries(git_dir: Path, commit: str) -> list[tuple[str, str, str]]:
    try:
        listing, _ = run_pack_git("ls-tree", "-r", "-z", "--full-tree", commit, git_dir=git_dir, limit=_LISTING_LIMIT)
    except OutputTooLarge:
        raise TreeRefused(f"has more than {MAX_ENTRIES} files or paths longer than {MAX_PATH_BYTES} bytes") from None
    records = [record for record in listing.split(b"\0") if record]
    if len(records) > MAX_ENTRIES:
        raise TreeRefused(f"has more than {MAX_ENTRIES} files")
    entries: list[tuple[str, str, str]] = []
    for record in records:
        meta, _tab, raw_path = record.partition(b"\t")
        mode, _kind, oid = meta.decode("ascii", "replace").split(" ", 2)
        path = _checked_path(raw_path)
        entries.append((path, mode, oid))
    return entries


def _checked_path(raw: bytes) -> str:
    path = os.fsdecode(raw)
    if len(raw) > MAX_PATH_BYTES:
        raise TreeRefused(f"path {shown(path)} is longer than {MAX_PATH_BYTES} bytes")
    if raw.startswith(b"/"):
        raise TreeRefused(f"path {shown(path)} is absolute")
    for part in path.split("/"):
        reason = _unsafe_part(part)
        if reason:
            raise TreeRefused(f"path {shown(path)} {reason}")
    return path


def _unsafe_part(part: str) -> str | None:
    """Why a path part may not be written, or None."""
    if part == "":
        return "has an empty part"
    if part in (".", ".."):
        return f"has a '{part}' part"
    if "\\" in part:
        return "holds a backslash"
    if any(ord(char) < 32 or ord(char) == 127 for char in part):
        return "holds a control character"
    if len(os.fsencode(part)) > MAX_PART_BYTES:
        return f"has a part longer than {MAX_PART_BYTES} bytes"
    if _looks_like_dot_git(part):
        return "names a .git folder"
    return None


def _looks_like_dot_git(part: str) -> bool:
    """True for '.git' as a case-insensitive, HFS+ or NTFS file system may read it."""
    name = _IGNORABLE.sub("", part.split(":", 1)[0]).casefold().rstrip(". ")
    return name in (".git", "git~1")


def _describe(mode: str) -> str:
    return _SKIPPED_MODES.get(mode, f"an entry of mode {shown(mode, 10)}")


def _blobs(git_dir: Path, oids: list[str]) -> list[bytes]:
    """The contents of ``oids``, read in one ``git cat-file --batch`` whose input is a file (no pipe deadlock)."""
    if not oids:
        return []
    request = git_dir / "scaffold-blobs.txt"
    request.write_text("".join(f"{oid}\n" for oid in oids), encoding="ascii")
    limit = MAX_TOTAL_BYTES + len(oids) * 128
    try:
        output, _ = run_pack_git("cat-file", "--batch", git_dir=git_dir, stdin=request, limit=limit)
    except OutputTooLarge:
        raise TreeRefused(f"is larger than {MAX_TOTAL_BYTES // (1024 * 1024)} MB") from None
    finally:
        request.unlink()
    contents: list[bytes] = []
    total, offset = 0, 0
    for oid in oids:
        end = output.find(b"\n", offset)
        header = output[offset:end].decode("ascii", "replace").split(" ")
        if end < 0 or len(header) != 3 or header[0] != oid or header[1] != "blob" or not header[2].isdigit():
            raise TreeRefused(f"object {shown(oid, 12)} could not be read as a file")
        size = int(header[2])
        total += size
        if total > MAX_TOTAL_BYTES:
            raise TreeRefused(f"is larger than {MAX_TOTAL_BYTES // (1024 * 1024)} MB")
        start = end + 1
        contents.append(output[start : start + size])
        offset = start + size + 1
    return contents


def _write(destination: Path, path: str, content: bytes, mode: int) -> None:
    target = destination.joinpath(*path.split("/"))
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        handle = os.open(target, flags, mode)
        try:
            view = memoryview(content)
            written = 0
            while written < len(view):
                written += os.write(handle, view[written:])
        finally:
            os.close(handle)
        os.chmod(target, mode)  # noqa: PTH101 (the umask must not decide whether a script stays executable)
    except OSError as error:
        raise TreeRefused(f"path {shown(path)} could not be written: {error.strerror or error}") from None
