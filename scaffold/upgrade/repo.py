"""The few git operations upgrades need, through the system's git: repository checks and the base store.

The base of an upgrade, the exact files scaffold rendered last time, is kept as git objects: a commit whose tree
holds the rendered kit, under ``refs/scaffold/base`` (one ref per kit folder in a monorepo). Blobs are
content-addressed, so the base survives any change to scaffold or its templates.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import stat
import tempfile
from collections.abc import Collection, Iterable, Mapping
from pathlib import Path

from scaffold.errors import UsageError
from scaffold.kit.writer import git_dirs as git_dirs  # re-exported: where the repository keeps its data (kept)
from scaffold.kit.writer import repository_root as repository_root  # re-exported (kept while .git is unchanged)
from scaffold.untrusted.git import GitError as GitError  # re-exported: callers catch repo.GitError
from scaffold.untrusted.git import git_path as _path
from scaffold.untrusted.git import gitdir_file_target, run_git
from scaffold.untrusted.read import UnreadableInput, read_text
from scaffold.untrusted.text import printable

BASE_REF = "refs/scaffold/base"
MAX_BLOB_BYTES = 1024 * 1024  # far above any kit file
_MAX_BASE_BYTES = 16 * 1024 * 1024  # read for the whole base (a kit is a few hundred kilobytes)
_MAX_HISTORY_BYTES = 2 * 1024 * 1024  # read for one file's history
_MAX_HISTORY = 200  # commits that touched one file, newest first
_MAX_BASE_LISTING = 1024 * 1024  # bytes of `ls-tree -r` output: a kit's base lists a few kilobytes
_MAX_REF_LISTING = 64 * 1024
_MAX_REF_ENTRIES = 1000  # entries under the base ref's folder: scaffold makes none
_IDENTITY = {
    "GIT_AUTHOR_NAME": "scaffold",
    "GIT_AUTHOR_EMAIL": "scaffold@localhost",
    "GIT_COMMITTER_NAME": "scaffold",
    "GIT_COMMITTER_EMAIL": "scaffold@localhost",
}


def _git(
    folder: Path,
    *args: str,
    stdin: bytes | None = None,
    env: Mapping[str, str] | None = None,
    limit: int | None = None,
) -> bytes:
    return run_git(folder, *args, stdin=stdin, env=env, limit=limit)


def relative_to_root(root: Path, folder: Path) -> str:
    """``folder`` as a path inside the work tree ``root``; a folder git places elsewhere is refused."""
    try:
        return folder.resolve().relative_to(root).as_posix()
    except (ValueError, OSError, RuntimeError):
        raise UsageError(f"{folder}: git places its work tree at {root}, which does not hold this folder") from None


def tracked_paths(folder: Path, relative: str) -> list[str]:
    """The paths under ``folder/relative`` that git tracks (relative to ``folder``); empty outside git."""
    if repository_root(folder) is None:
        return []
    try:
        output = _git(folder, "ls-files", "-z", "--full-name", "--", relative)
    except GitError as error:
        raise UsageError(f"{folder}: git cannot list the tracked files: {error}") from None
    return [os.fsdecode(name) for name in output.split(b"\0") if name]


def committed_paths(folder: Path, relative: str) -> list[str]:
    """The paths under ``folder/relative`` that git tracks in the index or that HEAD's tree holds (relative to the
    repository), so that a path removed from the index only (``git rm --cached``) still counts."""
    found = tracked_paths(folder, relative)
    try:
        output = _git(folder, "ls-tree", "-r", "-z", "--name-only", "--full-name", "HEAD", "--", relative)
    except GitError:
        return found  # no commit yet
    return sorted({*found, *(os.fsdecode(name) for name in output.split(b"\0") if name)})


def dirty_paths(folder: Path, ignore: Iterable[str] = (), root: Path | None = None) -> list[str]:
    """Changed, staged and untracked paths under ``folder`` (relative to it), except those starting with ``ignore``.
    ``root`` is the top of the work tree when the caller knows it already."""
    output = _git(folder, "status", "--porcelain=v1", "-z", "--untracked-files=all", "--no-renames", "--", ".")
    root = root or repository_root(folder)
    prefix = relative_to_root(root, folder) + "/" if root and root != folder.resolve() else ""
    paths = []
    entries = [os.fsdecode(entry) for entry in output.split(b"\0")]
    skip_next = False
    for entry in entries:
        if skip_next or not entry:
            skip_next = False
            continue
        status, name = entry[:2], entry[3:]
        if "R" in status or "C" in status:
            skip_next = True  # the rename's source path follows
        relative = name[len(prefix) :] if name.startswith(prefix) else name
        if not any(relative.startswith(item) for item in ignore):
            paths.append(relative)
    return paths


def base_ref(root: Path, kit: Path) -> str:
    """The ref holding a kit's base: ``refs/scaffold/base`` at the top, one ref per folder below it."""
    relative = relative_to_root(root, kit)
    if relative == ".":
        return BASE_REF
    return f"{BASE_REF}-{hashlib.sha256(relative.encode()).hexdigest()[:16]}"


class BaseStoreRefusedError(GitError):
    """The repository's git directory is not one scaffold may write the base into; nothing was written to it."""


def store_base(kit: Path, files: Mapping[str, str], message: str) -> str | None:
    """Record ``files`` as the kit's base commit; returns its id, or None outside a git repository. Raises
    BaseStoreRefusedError, before git writes anything, when the git directory is not the folder's own or a path git
    would write the ref through is not a plain folder or file (see ``base_store_refusal``)."""
    root = repository_root(kit)
    if root is None:
        return None
    ref = base_ref(root, kit)
    refusal = base_store_refusal(root, ref)
    if refusal is not None:
        raise BaseStoreRefusedError(refusal)
    with tempfile.TemporaryDirectory(prefix="scaffold-base-") as scratch:  # never a path the repository chose
        paths = sorted(files)
        blobs = _store_blobs(kit, Path(scratch), [files[path] for path in paths])
        entries = [f"100644 {blob}\t{path}\n" for path, blob in zip(paths, blobs, strict=True)]
        env = {"GIT_INDEX_FILE": os.fspath(Path(scratch) / "index")}
        _git(root, "update-index", "--add", "--index-info", stdin="".join(entries).encode("utf-8"), env=env)
        tree = _git(root, "write-tree", env=env).decode().strip()
    previous = _base_commit(kit, ref)
    parents = ["-p", previous] if previous else []
    commit = _git(kit, "commit-tree", tree, *parents, "-m", message, env=_IDENTITY).decode().strip()
    _clear_ref(kit, ref, previous)
    _git(kit, "update-ref", "--no-deref", ref, commit)
    return commit


def _store_blobs(kit: Path, scratch: Path, texts: list[str]) -> list[str]:
    """Write each text into the repository's object store as a blob and return their ids, in order, with one git
    process: each text goes to a file of the scratch folder (scaffold's own temporary folder), and
    ``hash-object --stdin-paths`` reads them all. ``--no-filters`` stores the bytes as they are, as ``--stdin``
    does: no attribute, filter or end-of-line setting of the repository touches them."""
    folder = scratch / "blobs"
    folder.mkdir()
    names = []
    for number, text in enumerate(texts):
        name = folder / str(number)
        name.write_bytes(text.encode("utf-8"))
        names.append(os.fsencode(name))
    if any(b"\n" in name for name in names):  # a line break in the temporary folder's path: one process a blob
        return [_git(kit, "hash-object", "-w", "--stdin", stdin=text.encode()).decode().strip() for text in texts]
    listing = b"".join(name + b"\n" for name in names)
    blobs = _git(kit, "hash-object", "-w", "--no-filters", "--stdin-paths", stdin=listing).decode().split()
    if len(blobs) != len(texts):
        raise GitError(f"git hash-object stored {len(blobs)} of {len(texts)} files")
    return blobs


def base_store_refusal(root: Path, ref: str) -> str | None:
    """Why the base ref ``ref`` of the work tree ``root`` must not be written, as one line, or None when it may.

    The git directory must belong to ``root``: a real ``.git`` folder in it, or a ``.git`` file naming a folder inside
    it, a linked worktree whose ``gitdir`` file names this ``.git`` back, or a submodule whose ``core.worktree`` names
    this folder. A ``.git`` file naming another repository's git directory would move that repository's base. Every
    path under the git directory that git reads or writes for the ref (``refs/scaffold/...`` and its reflog) must be a
    real folder or a regular file: a symlink would lead the write elsewhere, and a FIFO would block git."""
    try:
        owned = _owned_git_directory(root)
        if owned is None:
            return (
                f"{printable(str(root / '.git'), 200)} names a git directory that is not this folder's own "
                "(not inside it, not one of its worktrees or submodules)"
            )
        dirs = git_dirs(root)
        if not dirs or dirs[0] != owned:
            return f"git does not use {printable(str(owned), 200)} as this folder's git directory"
        return _unsafe_ref_path(dirs[-1], ref)
    except (OSError, RuntimeError, UnreadableInput, GitError) as error:
        return f"the git directory of {printable(str(root), 200)} could not be read: {printable(str(error), 200)}"


def _unsafe_ref_path(common: Path, ref: str) -> str | None:
    """Why a path git reads or writes for ``ref`` in the common git directory is unsafe, or None."""
    for written in (ref, f"logs/{ref}"):  # the ref, and its reflog when the configuration asks for one
        problem = _plain_path(common, written)
        if problem is not None:
            return printable(problem, 300)
    return None


def _owned_git_directory(root: Path) -> Path | None:
    """The resolved git directory that ``root``'s ``.git`` makes its own, or None when it names another one."""
    dot_git = root / ".git"
    mode = os.lstat(dot_git).st_mode
    if stat.S_ISDIR(mode):
        return dot_git.resolve()
    if not stat.S_ISREG(mode):
        return None  # a symlink (or anything else) may lead to any repository
    try:
        target = gitdir_file_target(dot_git).resolve()
    except (UnreadableInput, ValueError):
        return None
    if target.is_relative_to(root.resolve()):
        return target
    back = target / "gitdir"  # a linked worktree's git directory names the .git file of its work tree
    if os.path.lexists(back) and stat.S_ISREG(os.lstat(back).st_mode):
        pointer = Path(read_text(back, limit=4096).strip())
        if (pointer if pointer.is_absolute() else target / pointer).resolve() == dot_git.resolve():
            return target
        return None
    try:  # a submodule's git directory names its work tree in core.worktree
        worktree = _git(root, "config", "--file", os.fspath(target / "config"), "--get", "core.worktree")
    except GitError:
        return None
    named_tree = _path(worktree)
    return (
        target
        if (named_tree if named_tree.is_absolute() else target / named_tree).resolve() == root.resolve()
        else None
    )


def _plain_path(base: Path, relative: str) -> str | None:
    """Why ``base/relative`` is not safe for git to write: one of its folders is not a real folder, the path is not
    a regular file or a real folder, or it holds (at most ``_MAX_REF_ENTRIES`` deep entries) anything else."""
    current = base
    parts = relative.split("/")
    for number, part in enumerate(parts):
        current = current / part
        try:
            mode = os.lstat(current).st_mode
        except FileNotFoundError:
            return None
        last = number == len(parts) - 1
        if stat.S_ISDIR(mode):
            continue
        if not (last and stat.S_ISREG(mode)):
            return f"{current}: is not a {'regular file or ' if last else ''}folder (a symlink, FIFO or device)"
    if not stat.S_ISDIR(mode):
        return None
    count = 0
    for folder, subfolders, names in os.walk(current, followlinks=False):
        for name in subfolders + names:
            count += 1
            if count > _MAX_REF_ENTRIES:
                return f"{current}: holds more than {_MAX_REF_ENTRIES} entries"
            entry = Path(folder) / name
            mode = os.lstat(entry).st_mode
            if not (stat.S_ISDIR(mode) or stat.S_ISREG(mode)):
                return f"{entry}: is not a regular file or folder (a symlink, FIFO or device)"
    return None


def _base_commit(kit: Path, ref: str) -> str | None:
    """The commit the base ref names, or None when there is none or the ref is not scaffold's: a symbolic ref (which
    would lead an update to another branch) or a ref to anything but a commit (a blob, a tree, a tag) is ignored."""
    try:
        _git(kit, "symbolic-ref", "--quiet", ref)
        return None  # a symbolic ref: never read through it, never update through it
    except GitError:
        pass
    try:  # the object the ref names and its type, in one call (what rev-parse --verify and cat-file -t say)
        found = _git(kit, "cat-file", "--batch-check", stdin=f"{ref}\n".encode()).decode(errors="replace").split()
    except GitError:
        return None
    return found[0] if len(found) == 3 and found[1] == "commit" else None


def _clear_ref(kit: Path, ref: str, current: str | None) -> None:
    """Remove whatever stands where the base ref goes and is not a base commit (``current``, what ``_base_commit``
    found there): a symbolic ref, a ref to a non-commit, or refs below it (``<ref>/x``) that would keep git from
    creating it. Only ``refs/scaffold/``, scaffold's own namespace, is touched."""
    below = _git(kit, "for-each-ref", "--format=%(refname)", f"{ref}/", limit=_MAX_REF_LISTING).decode().split()
    for name in below:
        if name.startswith(f"{ref}/"):
            _git(kit, "update-ref", "--no-deref", "-d", name)
    if current is None:
        with contextlib.suppress(GitError):
            _git(kit, "update-ref", "--no-deref", "-d", ref)


def base_files(kit: Path) -> dict[str, bytes]:
    """Every file of the stored base of the kit in ``kit``, or nothing when there is none."""
    root = repository_root(kit)
    if root is None:
        return {}
    ref = base_ref(root, kit)
    dirs = git_dirs(kit)
    try:
        if not dirs or _unsafe_ref_path(dirs[-1], ref) is not None:
            return {}  # a FIFO where the ref goes would block git: no base
    except OSError:
        return {}
    commit = _base_commit(kit, ref)
    if commit is None:
        return {}
    try:
        listing = _git(root, "ls-tree", "-r", "-z", "--full-tree", commit, limit=_MAX_BASE_LISTING)
    except GitError:
        return {}  # no base, or a tree far larger than any kit (a tree bomb): treated as no base
    blobs = {}
    for line in os.fsdecode(listing).split("\0"):
        meta, _, path = line.partition("\t")
        fields = meta.split()
        if path and len(fields) == 3 and fields[1] == "blob":
            blobs[path] = fields[2]
    contents = read_blobs(kit, list(dict.fromkeys(blobs.values())), budget=_MAX_BASE_BYTES)
    return {path: contents[blob] for path, blob in blobs.items() if blob in contents}


def historical_versions(kit: Path, relative: str) -> list[bytes]:
    """Every version of one file that any commit in the repository ever held, newest first."""
    root = repository_root(kit)
    if root is None:
        return []
    try:
        output = _git(
            kit,
            "log",
            "--all",
            "--format=",
            "--raw",
            "--no-abbrev",
            "--no-renames",
            "--no-ext-diff",
            "--no-textconv",
            f"--max-count={_MAX_HISTORY}",
            "--",
            relative,
        )
    except GitError:
        return []
    blobs: dict[str, None] = {}  # ordered and without repeats
    for line in output.decode("utf-8", errors="replace").splitlines():
        fields = line.split()
        if line.startswith(":") and len(fields) >= 5:
            blobs.update((blob, None) for blob in (fields[3], fields[2]) if set(blob) != {"0"})
    contents = read_blobs(kit, list(blobs), budget=_MAX_HISTORY_BYTES)
    return [contents[blob] for blob in blobs if blob in contents]


def read_blobs(kit: Path, blobs: list[str], budget: int = _MAX_BASE_BYTES) -> dict[str, bytes]:
    """The contents of the given blob ids, read in one ``git cat-file --batch`` call; a blob git cannot give (missing,
    or a repository too damaged to read) is left out, so the caller falls back to the next source."""
    if not blobs:
        return {}
    try:
        blobs = _small_blobs(kit, blobs, budget)
        output = _git(kit, "cat-file", "--batch", stdin="".join(f"{blob}\n" for blob in blobs).encode())
    except GitError:
        return {}
    contents: dict[str, bytes] = {}
    position = 0
    for blob in blobs:
        header_end = output.find(b"\n", position)
        if header_end < 0:
            break
        header = output[position:header_end].decode(errors="replace").split()
        position = header_end + 1
        if len(header) != 3 or header[1] != "blob":
            continue
        size = int(header[2])
        contents[blob] = output[position : position + size]
        position += size + 1
    return contents


def _small_blobs(kit: Path, blobs: list[str], budget: int) -> list[str]:
    """The blobs no larger than ``MAX_BLOB_BYTES``, in order, while their total stays within ``budget``: a kit file
    is never that large, and a hostile history must not make scaffold read gigabytes."""
    listing = _git(kit, "cat-file", "--batch-check", stdin="".join(f"{blob}\n" for blob in blobs).encode())
    chosen, total = [], 0
    for line in listing.decode(errors="replace").splitlines():
        fields = line.split()
        if len(fields) == 3 and fields[1] == "blob" and fields[2].isdigit():
            size = int(fields[2])
            if size <= MAX_BLOB_BYTES and total + size <= budget:
                chosen.append(fields[0])
                total += size
    return chosen


def require_clean(kit: Path, ignore: Iterable[str], allowed: Collection[str] = (), besides: str = "") -> None:
    """Refuse (exit 2) to change a kit whose git tree has uncommitted changes, or that is not in git at all.

    Paths starting with ``ignore`` and the exact paths in ``allowed`` may differ; ``besides`` names what they are
    in the message (an interrupted upgrade's own files)."""
    root = repository_root(kit)
    if root is None:
        raise UsageError(
            f"{kit.resolve()}: is not in a git repository, so an upgrade could not be reviewed or undone; "
            "commit it to git first, or pass --allow-dirty"
        )
    try:
        dirty = [path for path in dirty_paths(kit, ignore, root) if path not in allowed]
    except GitError as error:
        raise UsageError(f"{kit}: git cannot tell whether the tree is clean: {error}") from None
    if dirty:
        shown = ", ".join(printable(path, 200) for path in dirty[:5])
        shown += f" and {len(dirty) - 5} more" if len(dirty) > 5 else ""
        raise UsageError(
            f"{kit.resolve()}: the git tree has uncommitted changes{f' besides {besides}' if besides else ''} "
            f"({shown}); commit or stash them first, or pass --allow-dirty"
        )
