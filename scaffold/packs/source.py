"""Where a pack comes from: ``--pack SOURCE``, a folder or a git repository at a tag, branch or commit.

SOURCE is one of:

- a folder (``./acme-pack``, ``/srv/packs/acme``): used as it is on disk, uncommitted edits included, so a pack
  author can try a change at once. With ``@REF``, or when the folder is a bare repository, it is read through git
  like a URL instead;
- a git URL: ``file:///path``, ``git://host[:port]/path``, ``http(s)://host/path``, ``ssh://[user@]host/path`` or
  the scp-like ``[user@]host:path``.

A trailing ``@REF`` after the last path part (``https://git.acme.com/platform/pack@v1.2.0``) selects a tag, a
branch, a commit (7 to 64 hex digits, read as a commit only when no tag or branch has that name) or a version
series (``@v1`` or ``@1.4``: the newest release tag of that series, unless a tag or branch is named exactly so).
An ``@`` elsewhere (``git@host:pack``, ``https://user@host/pack``) is not a ref. A folder whose own name holds
an ``@`` can be given as ``pack@2/.``. Refs with a ``/`` cannot be given; use the commit instead.

Without ``@REF`` a repository is read at its newest release tag: ``v1.2.3`` or ``1.2.3``, ordered as semantic
versions (1.10.0 is newer than 1.9.0). Pre-releases (``1.3.0-rc.1``) are never chosen by themselves; ask for one
with ``@REF``. A repository without a release tag is refused.

The pack is fetched into a fresh bare repository of scaffold's own and its files are written out by
``tree_export`` (regular files only; never ``git checkout``). Everything in SOURCE is checked first: no leading
``-`` (git would read an option), no control characters, no transport but file, git, http, https and ssh (no
``ext::`` or ``fd::``), no percent-encoded separators (``%2f``, ``%2e``, ``%40``, ``%3a``, ``%5c``, ``%25``: the
way copier's trust checks were bypassed), no ``.`` or ``..`` parts in a URL, no password in a URL (it would be
recorded in ``.scaffold.yml``), at most ``MAX_SPEC_CHARS`` characters.
"""

from __future__ import annotations

import re
import tempfile
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from scaffold.errors import UnsafePackError, UntrustedPackError, UsageError
from scaffold.packs.pack_git import OutputTooLarge, PackGitError, run_pack_git
from scaffold.packs.signature import verify_tag
from scaffold.packs.tree_export import TreeRefused, export_tree
from scaffold.untrusted.git import GitError, run_git
from scaffold.untrusted.text import shown

MAX_SPEC_CHARS = 2000
MAX_REF_CHARS = 200
ALLOWED_SCHEMES = ("file", "git", "http", "https", "ssh")
_SCHEME = re.compile(r"^(?P<scheme>[A-Za-z][A-Za-z0-9+.-]*)://")
_TRANSPORT = re.compile(r"^(?P<transport>[A-Za-z][A-Za-z0-9+.-]*)::")
_ENCODED_SEPARATOR = re.compile(r"%(?:2f|2e|40|3a|5c|25)", re.IGNORECASE)
_REF = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._+-]*$")
_HEX = re.compile(r"^[0-9a-fA-F]{7,64}$")
_SERIES = re.compile(r"^v?(?P<major>0|[1-9][0-9]{0,17})(?:\.(?P<minor>0|[1-9][0-9]{0,17}))?$")
_NUMBER = r"(?:0|[1-9][0-9]{0,17})"
_IDENTIFIER = r"(?:0|[1-9][0-9]{0,17}|[0-9]*[A-Za-z-][0-9A-Za-z-]*)"
_SEMVER = re.compile(
    rf"^v?(?P<core>{_NUMBER}\.{_NUMBER}\.{_NUMBER})"
    rf"(?:-(?P<pre>{_IDENTIFIER}(?:\.{_IDENTIFIER})*))?"
    r"(?:\+(?P<build>[0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*))?$"
)
_FETCH = ("fetch", "--quiet", "--no-tags", "--no-recurse-submodules", "--no-write-fetch-head")
_ALLOWED = "a folder or a file://, git://, http(s):// or ssh:// URL"


@dataclass(frozen=True)
class PackSource:
    """A parsed ``--pack SOURCE``."""

    location: str
    """The folder (absolute, resolved) or the git URL, without ``@REF``."""
    ref: str | None
    """The ``@REF`` part, when given."""
    is_git: bool
    """A URL, or a folder that is the root of a git repository (a work tree or a bare repository)."""
    given: str = ""
    """The location as the user wrote it, without ``@REF``: what ``.scaffold.yml`` records."""
    kind: str = "folder"
    """``folder``, ``url`` or ``scp`` (``[user@]host:path``)."""

    @property
    def through_git(self) -> bool:
        """Read through git (at a tag, branch or commit) rather than as the files on disk."""
        return self.kind != "folder" or self.ref is not None or _is_bare_repository(Path(self.location))


@dataclass(frozen=True)
class Fetched:
    """A pack's files, ready to load, and what ``.scaffold.yml`` records about where they came from."""

    folder: Path
    """The pack's files: a temporary folder removed when ``fetched`` exits, or the user's folder itself."""
    source: str
    """The URL, or the folder path as the user gave it; without ``@REF``."""
    ref: str | None
    """The tag (``v1.2.0``), branch or full commit read; None for a folder used as it is on disk."""
    commit: str | None
    """The commit read (hex); for a folder on disk, its HEAD when it is a repository's root, else None."""
    version: str | None
    """The semantic version of the tag (``1.2.0`` for ``v1.2.0``); None for a branch, a commit or a folder."""
    skipped: tuple[str, ...] = ()
    """Entries not written (symlinks, submodules), escaped for display with their reason."""
    signer: str | None = None
    """The principal whose key signed the tag, when the signature was verified."""


@dataclass(frozen=True)
class Remote:
    """The parts of a git URL or scp-like address; nothing percent-decoded (a URL's scheme and host are
    lower-cased, as ``urlsplit`` gives them)."""

    scheme: str
    """``file``, ``git``, ``http``, ``https`` or ``ssh``; ``scp`` for ``[user@]host:path``."""
    user: str | None
    host: str
    port: int | None
    path: tuple[str, ...]
    """The path's parts, empty parts (from ``//`` or a trailing ``/``) left out."""


def parse_source(spec: str) -> PackSource:
    """Check and split ``--pack SOURCE``; raises UsageError naming ``--pack`` and the rule broken."""
    location, ref = split_ref(spec)
    kind = source_kind(location)
    if kind != "folder":
        parse_remote(location)
        return PackSource(location=location, ref=ref, is_git=True, given=location, kind=kind)
    folder = _existing_folder(location)
    is_git = (folder / ".git").exists() or _is_bare_repository(folder)
    return PackSource(location=str(folder), ref=ref, is_git=is_git, given=location, kind=kind)


def split_ref(spec: str) -> tuple[str, str | None]:
    """SOURCE without its ``@REF``, and the ref (None when there is none); checks the text and the ref."""
    _check_text(spec)
    kind = source_kind(spec)
    if kind == "url":
        after_scheme = spec.split("://", 1)[1]
        path = after_scheme.partition("/")[2] if "/" in after_scheme else ""
        last = path.rsplit("/", 1)[-1]
    elif kind == "scp":
        last = _scp_parts(spec)[1].rsplit("/", 1)[-1]
    else:
        last = spec.rsplit("/", 1)[-1]
    if "@" not in last:
        return spec, None
    ref = last.rpartition("@")[2]
    _check_ref(spec, ref)
    return spec[: -len(ref) - 1], ref


def source_kind(location: str) -> str:
    """``url``, ``scp`` or ``folder``, the way git tells them apart: an scp-like address has a ``:`` before any
    ``/``."""
    if _SCHEME.match(location):
        return "url"
    colon, slash = location.find(":"), location.find("/")
    if colon > 0 and (slash < 0 or colon < slash or location.startswith("[")):
        return "scp"
    return "folder"


def parse_remote(location: str) -> Remote:
    """The parts of a URL or scp-like address (without ``@REF``); raises UsageError for one a pack may not use."""
    bad = _remote_problem(location)
    if bad:
        raise UsageError(f"--pack {shown(location)}: {bad}")
    if source_kind(location) == "scp":
        authority, path = _scp_parts(location)
        user, _at, host = authority.rpartition("@")
        remote = Remote("scp", user or None, host.strip("[]"), None, _path_parts(path))
    else:
        try:
            parts = urlsplit(location)
        except ValueError as error:  # a bad [IPv6] host, or one that NFKC folds into a '/', '@' or ':'
            raise UsageError(f"--pack {shown(location)}: is not a URL git can read ({shown(str(error), 80)})") from None
        try:
            port = parts.port
        except ValueError:
            raise UsageError(f"--pack {shown(location)}: the port is not a number from 0 to 65535") from None
        if parts.password is not None:
            raise UsageError(
                f"--pack {shown(location)}: a password in the URL would be recorded in .scaffold.yml; "
                "use a git credential helper"
            )
        remote = Remote(parts.scheme.lower(), parts.username, parts.hostname or "", port, _path_parts(parts.path))
    _check_remote(location, remote)
    return remote


@contextmanager
def fetched(spec: str, *, require_signed: bool = False, allowed_signers: Path | None = None) -> Iterator[Fetched]:
    """The pack named by ``--pack SOURCE``, its files in a folder for the duration of the ``with`` block.

    A repository is read at the ref chosen (see the module's documentation). With ``require_signed``, the ref
    must be an annotated tag whose SSH signature verifies against ``allowed_signers``; otherwise, or for a folder
    used as it is on disk, UntrustedPackError (exit 4) is raised before any file is written. Bad input, an
    unreachable repository, an unknown ref, an unsafe tree or one too large raise UsageError (exit 2)."""
    source = parse_source(spec)
    if not source.through_git:
        if require_signed:
            raise UntrustedPackError(
                f"--pack {shown(source.given)} is a folder: it has no signed tag to verify "
                "(give a repository URL, or the folder with @TAG)"
            )
        folder = Path(source.location)
        yield Fetched(folder, source.given, None, _head_commit(folder) if source.is_git else None, None)
        return
    if require_signed and allowed_signers is None:
        raise UntrustedPackError(
            "--require-signed needs an allowed-signers file (allowed_signers in the scaffold config)"
        )
    with tempfile.TemporaryDirectory(prefix="scaffold-pack-") as scratch:
        git_dir, tree = Path(scratch) / "repo.git", Path(scratch) / "pack"
        _git(spec, "init", "--bare", "--quiet", "--template=", str(git_dir))
        kind, name = _choose(source, _remote_refs(spec, git_dir, source.location))
        if require_signed and kind != "tag":
            raise UntrustedPackError(f"--pack {shown(spec)}: {kind} {shown(name)} is not a tag, so it has no signature")
        commit = _fetch(spec, git_dir, source.location, kind, name)
        signer = _verified_signer(spec, git_dir, name, allowed_signers) if require_signed else None
        tree.mkdir()
        try:
            skipped = export_tree(git_dir, commit, tree)
        except TreeRefused as reason:
            raise UnsafePackError(f"--pack {shown(spec)}: the pack {reason}") from None
        ref = commit if kind == "commit" else name
        version = tag_version(name) if kind == "tag" else None
        yield Fetched(tree, source.given, ref, commit, version, skipped, signer)


def _verified_signer(spec: str, git_dir: Path, tag: str, allowed_signers: Path | None) -> str:
    if allowed_signers is None:
        raise UntrustedPackError(
            "--require-signed needs an allowed-signers file (allowed_signers in the scaffold config)"
        )
    try:
        return verify_tag(git_dir, tag, allowed_signers)
    except UntrustedPackError as error:
        raise UntrustedPackError(f"--pack {shown(spec)}: {error}") from None


# Versions ----------------------------------------------------------------------------------------------------------


def tag_version(tag: str) -> str | None:
    """The semantic version a tag names (``1.2.0`` for ``v1.2.0`` or ``1.2.0``), or None."""
    return tag.removeprefix("v") if len(tag) <= MAX_REF_CHARS and _SEMVER.match(tag) else None


def version_key(version: str) -> tuple[int, int, int, int, tuple[tuple[int, int, str], ...]]:
    """A sort key that orders semantic versions (with or without a leading ``v``) by precedence: numbers
    compare as numbers, a pre-release sorts before its release, build metadata is ignored. ValueError otherwise."""
    match = _SEMVER.match(version) if len(version) <= MAX_REF_CHARS else None
    if match is None:
        raise ValueError(f"not a semantic version: {shown(version)}")
    major, minor, patch = (int(number) for number in match.group("core").split("."))
    pre = match.group("pre")
    if pre is None:
        return major, minor, patch, 1, ()
    identifiers = tuple((0, int(part), "") if part.isdigit() else (1, 0, part) for part in pre.split("."))
    return major, minor, patch, 0, identifiers


def newest_version_tag(tags: Iterable[str], *, series: str | None = None) -> str | None:
    """The tag of the newest release (pre-releases left out), or None. ``series`` (``v1``, ``1.4``) keeps only
    the releases of that major (and minor) version."""
    releases = [tag for tag in tags if tag_version(tag) is not None and version_key(tag)[3] == 1]
    if series is not None:
        wanted = _SERIES.match(series)
        if wanted is None:
            return None
        numbers = [int(wanted.group("major"))] + ([int(wanted.group("minor"))] if wanted.group("minor") else [])
        releases = [tag for tag in releases if list(version_key(tag)[: len(numbers)]) == numbers]
    return max(releases, key=lambda tag: (version_key(tag), tag), default=None)


# Checking the text -------------------------------------------------------------------------------------------------


def _check_text(spec: str) -> None:
    if not spec:
        raise UsageError("--pack: SOURCE is empty; give a folder or a git URL")
    if len(spec) > MAX_SPEC_CHARS:
        raise UsageError(f"--pack: SOURCE is longer than {MAX_SPEC_CHARS} characters")
    if spec.startswith("-"):
        raise UsageError(f"--pack {shown(spec)}: SOURCE may not start with '-' (git would read it as an option)")
    if any(not char.isprintable() and char != " " for char in spec):
        raise UsageError(f"--pack {shown(spec)}: SOURCE may not hold control or invisible characters")
    transport = _TRANSPORT.match(spec)
    if transport:
        raise UsageError(
            f"--pack {shown(spec)}: git transport '{shown(transport.group('transport'), 20)}::' is not allowed; "
            f"give {_ALLOWED}"
        )


def _check_ref(spec: str, ref: str) -> None:
    if not ref:
        raise UsageError(f"--pack {shown(spec)}: nothing follows '@'; give a tag, branch or commit after it")
    if (
        len(ref) > MAX_REF_CHARS
        or not _REF.match(ref)
        or ".." in ref
        or ref.endswith((".", ".lock"))
        or ref.casefold() == "head"
    ):
        raise UsageError(
            f"--pack {shown(spec)}: @{shown(ref, 40)} is not a tag, branch or commit name (letters, digits, '.', "
            f"'_', '+' and '-', no '..', at most {MAX_REF_CHARS} characters)"
        )


def _remote_problem(location: str) -> str | None:
    scheme = _SCHEME.match(location)
    if scheme and scheme.group("scheme").lower() not in ALLOWED_SCHEMES:
        return f"scheme '{shown(scheme.group('scheme'), 20)}://' is not allowed; give {_ALLOWED}"
    if any(char.isspace() for char in location):
        return "a URL may not hold spaces"
    if "\\" in location:
        return "a URL may not hold a backslash"
    if _ENCODED_SEPARATOR.search(location):
        return "a URL may not percent-encode '/', '.', '@', ':', '\\' or '%'"
    if scheme and ("?" in location or "#" in location):
        return "a git URL has no query or fragment ('?' or '#')"
    return None


def _check_remote(location: str, remote: Remote) -> None:
    where = f"--pack {shown(location)}"
    if remote.scheme == "file":
        if remote.host not in ("", "localhost"):
            raise UsageError(f"{where}: a file URL names a local path: file:///path/to/pack")
    elif not remote.host:
        raise UsageError(f"{where}: the URL names no host")
    if remote.host.startswith("-") or (remote.user or "").startswith("-"):
        raise UsageError(f"{where}: a host or user name may not start with '-'")
    raw_path = _scp_parts(location)[1] if remote.scheme == "scp" else urlsplit(location).path
    if any(part in (".", "..") for part in raw_path.split("/")):
        raise UsageError(f"{where}: a URL may not have '.' or '..' path parts")
    if not remote.path:
        raise UsageError(f"{where}: the URL names no repository")


def _scp_parts(location: str) -> tuple[str, str]:
    """``[user@]host`` and the path of an scp-like address (``[host:port]:path`` keeps its brackets)."""
    if location.startswith("[") and "]:" in location:
        authority, _, path = location.partition("]:")
        return authority + "]", path
    authority, _, path = location.partition(":")
    return authority, path


def _path_parts(path: str) -> tuple[str, ...]:
    return tuple(part for part in path.split("/") if part)


def _existing_folder(location: str) -> Path:
    try:
        folder = Path(location).resolve()
        exists, is_dir = folder.exists(), folder.is_dir()
    except (OSError, RuntimeError) as error:
        raise UsageError(f"--pack {shown(location)}: the folder cannot be read ({error})") from None
    if not exists:
        raise UsageError(f"--pack {shown(location)}: no such folder (give {_ALLOWED})")
    if not is_dir:
        raise UsageError(f"--pack {shown(location)}: not a folder (give {_ALLOWED})")
    return folder


def _is_bare_repository(folder: Path) -> bool:
    """What git itself looks for in a git directory: HEAD, objects/ and refs/."""
    try:
        return (folder / "HEAD").is_file() and (folder / "objects").is_dir() and (folder / "refs").is_dir()
    except OSError:
        return False


def _head_commit(folder: Path) -> str | None:
    """The HEAD commit of the repository rooted at ``folder``, read with the hardened git; None without one."""
    try:
        output = run_git(folder, "rev-parse", "--verify", "--quiet", "HEAD^{commit}", limit=200)
    except GitError:
        return None
    commit = output.decode("ascii", "replace").strip()
    return commit if _HEX.match(commit) else None


# Fetching ----------------------------------------------------------------------------------------------------------


def _git(spec: str, *args: str, git_dir: Path | None = None) -> bytes:
    try:
        output, _ = run_pack_git(*args, git_dir=git_dir)
    except OutputTooLarge:
        raise UsageError(f"--pack {shown(spec)}: the repository has too many tags and branches to list") from None
    except PackGitError as error:
        raise UsageError(f"--pack {shown(spec)}: git could not read the repository: {error}") from None
    return output


def _remote_refs(spec: str, git_dir: Path, location: str) -> dict[str, dict[str, str]]:
    """The repository's tags and branches (``{"tags": {name: oid}, "heads": {...}}``); names a ref may not
    take are left out."""
    listing = _git(spec, "ls-remote", "--refs", "--tags", "--heads", "--end-of-options", location, git_dir=git_dir)
    refs: dict[str, dict[str, str]] = {"tags": {}, "heads": {}}
    for line in listing.decode("utf-8", "replace").splitlines():
        oid, _tab, full_name = line.partition("\t")
        for kind in refs:
            name = full_name.removeprefix(f"refs/{kind}/")
            if name != full_name and _REF.match(name) and len(name) <= MAX_REF_CHARS and ".." not in name:
                refs[kind][name] = oid
    return refs


def _choose(source: PackSource, refs: Mapping[str, Mapping[str, str]]) -> tuple[str, str]:
    """The kind (``tag``, ``branch``, ``commit``) and name of the ref to read."""
    tags, heads, ref = refs["tags"], refs["heads"], source.ref
    where = f"--pack {shown(source.given)}"
    if ref is None:
        newest = newest_version_tag(tags)
        if newest is not None:
            return "tag", newest
        previews = sorted((tag for tag in tags if tag_version(tag)), key=version_key)
        if previews:
            raise UsageError(
                f"{where}: has only pre-release version tags (newest {shown(previews[-1])}); "
                "name one with @REF to use it"
            )
        raise UsageError(f"{where}: has no version tag; tag a release like v1.0.0 or pass @REF")
    if ref in tags:
        return "tag", ref
    if ref in heads:
        return "branch", ref
    same_version = [tag for tag in tags if tag_version(ref) is not None and tag_version(tag) == tag_version(ref)]
    if same_version:
        return "tag", max(same_version)
    in_series = newest_version_tag(tags, series=ref) if _SERIES.match(ref) else None
    if in_series is not None:
        return "tag", in_series
    if _HEX.match(ref):
        return "commit", ref.lower()
    raise UsageError(f"{where}: has no tag or branch named {shown(ref)}")


def _fetch(spec: str, git_dir: Path, location: str, kind: str, name: str) -> str:
    """Fetch what ``_choose`` picked into ``git_dir``; return the commit it names."""
    if kind == "commit":
        refspecs = ["+refs/heads/*:refs/heads/*", "+refs/tags/*:refs/tags/*"]
        _git(spec, *_FETCH, "--end-of-options", location, *refspecs, git_dir=git_dir)
        wanted = name
    else:
        full = f"refs/{'tags' if kind == 'tag' else 'heads'}/{name}"
        _git(spec, *_FETCH, "--depth=1", "--end-of-options", location, f"+{full}:{full}", git_dir=git_dir)
        wanted = full
    try:
        output, _ = run_pack_git(
            "rev-parse", "--verify", "--quiet", "--end-of-options", f"{wanted}^{{commit}}", git_dir=git_dir, limit=200
        )
    except PackGitError:
        output = b""
    commit = output.decode("ascii", "replace").strip()
    if not _HEX.match(commit) or (kind == "commit" and not commit.startswith(name)):
        raise UsageError(f"--pack {shown(spec)}: {kind} {shown(name)} does not name a commit in the repository")
    return commit
