"""Who published a pack: a tag's SSH signature checked with git against the user's allowed-signers file.

git does the cryptography (``git verify-tag`` runs ``ssh-keygen -Y verify`` with ``gpg.ssh.allowedSignersFile``);
this module decides what counts as verified. A pack is refused (``UntrustedPackError``, exit 4) when:

- the allowed-signers file is missing, unreadable or not a regular file;
- the ref is not an annotated tag (a lightweight tag, a branch or a commit has no signature to check);
- the tag carries no signature, or an OpenPGP or X.509 one (only SSH signatures are verified here);
- the tag object is named differently from the ref it was found under: a validly signed old ``v1.0.0`` moved to
  ``refs/tags/v2.0.0`` would otherwise pass as version 2 (a downgrade);
- the signing key is not in the allowed-signers file, or the signature does not match the tag.
"""

from __future__ import annotations

import re
from pathlib import Path

from scaffold.errors import UntrustedPackError
from scaffold.packs.pack_git import PackGitError, run_pack_git
from scaffold.untrusted.read import UnreadableInput, read_bytes
from scaffold.untrusted.text import printable, shown

MAX_ALLOWED_SIGNERS_BYTES = 1024 * 1024
_MAX_TAG_BYTES = 1024 * 1024
_SSH_SIGNATURE = b"-----BEGIN SSH SIGNATURE-----"
_OTHER_SIGNATURES = (b"-----BEGIN PGP SIGNATURE-----", b"-----BEGIN SIGNED MESSAGE-----")
_GOOD = re.compile(r'^Good "git" signature for (?P<principal>.+?) with \S+ key \S+$', re.MULTILINE)


def verify_tag(repo_git_dir: Path, tag: str, allowed_signers: Path) -> str:
    """The principal (as written in ``allowed_signers``) whose key signed ``refs/tags/<tag>`` in the repository
    at ``repo_git_dir``. Raises UntrustedPackError, naming the tag and the reason, when it cannot be verified."""
    signers = _readable_signers(allowed_signers)
    ref = f"refs/tags/{tag}"
    shown_tag = shown(tag)
    try:
        kind, _ = run_pack_git("cat-file", "-t", ref, git_dir=repo_git_dir, limit=64)
    except PackGitError:
        raise UntrustedPackError(f"tag {shown_tag} does not exist, so its signature cannot be verified") from None
    if kind.strip() != b"tag":
        raise UntrustedPackError(f"tag {shown_tag} is a lightweight tag: only an annotated, signed tag can be verified")
    _check_tag_object(repo_git_dir, ref, tag)
    try:
        _, said = run_pack_git(
            "-c",
            "gpg.format=ssh",
            "-c",
            f"gpg.ssh.allowedSignersFile={signers}",
            "verify-tag",
            "--raw",
            ref,
            git_dir=repo_git_dir,
        )
    except PackGitError as error:
        raise UntrustedPackError(f"tag {shown_tag} {_failure(error, signers)}") from None
    found = _GOOD.search(said.decode("utf-8", "replace"))
    if found is None:
        raise UntrustedPackError(f"tag {shown_tag}: git verified it but named no principal from {shown(str(signers))}")
    return printable(found.group("principal"), 200)


def _readable_signers(path: Path) -> Path:
    """The allowed-signers file as an absolute path, once it is known to be a readable regular file."""
    absolute = path.expanduser().absolute()
    try:
        read_bytes(absolute, limit=MAX_ALLOWED_SIGNERS_BYTES)
    except UnreadableInput as reason:
        raise UntrustedPackError(
            f"allowed-signers file {shown(str(absolute), 200)} {reason}: no tag can be verified without it"
        ) from None
    return absolute


def _check_tag_object(repo_git_dir: Path, ref: str, tag: str) -> None:
    try:
        body, _ = run_pack_git("cat-file", "tag", ref, git_dir=repo_git_dir, limit=_MAX_TAG_BYTES)
    except PackGitError as error:
        raise UntrustedPackError(f"tag {shown(tag)} cannot be read: {error}") from None
    header = body.split(b"\n\n", 1)[0].split(b"\n")
    names = [line.removeprefix(b"tag ") for line in header if line.startswith(b"tag ")]
    if names != [tag.encode()]:
        written = shown(names[0].decode("utf-8", "replace")) if names else "nothing"
        raise UntrustedPackError(f"tag {shown(tag)} is a tag object named {written}: a signed tag cannot be renamed")
    if _SSH_SIGNATURE not in body:
        other = any(marker in body for marker in _OTHER_SIGNATURES)
        reason = "is signed with OpenPGP or X.509, not an SSH key" if other else "is not signed"
        raise UntrustedPackError(f"tag {shown(tag)} {reason}; sign it with `git tag -s` and gpg.format=ssh")


def _failure(error: PackGitError, signers: Path) -> str:
    said = error.stderr.decode("utf-8", "replace")
    if "No principal matched" in said:
        return f"is signed by a key that is not in the allowed-signers file {shown(str(signers), 200)}"
    return f"has a signature that does not verify ({error})"
