"""A tag's SSH signature, checked by git against an allowed-signers file made with ssh-keygen keys."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from scaffold.errors import UntrustedPackError
from scaffold.packs.signature import verify_tag
from tests.packs.gitserver import (
    PackRepo,
    allowed_signers,
    git,
    isolated_git,  # noqa: F401 (a fixture)
    ssh_key,
)
from tests.support.hang_guard import hang_guard

pytestmark = pytest.mark.usefixtures("isolated_git")


@pytest.fixture
def keys(tmp_path: Path) -> tuple[Path, Path, Path]:
    """The publisher's key, a stranger's key, and an allowed-signers file that names the publisher only."""
    folder = tmp_path / "keys"
    publisher, stranger = ssh_key(folder, "publisher"), ssh_key(folder, "stranger")
    return publisher, stranger, allowed_signers(folder / "allowed_signers", {"platform@acme.example": publisher})


@pytest.fixture
def repo(tmp_path: Path) -> PackRepo:
    made = PackRepo.create(tmp_path / "pack.git")
    made.commit({"pack.yml": "name: acme\nversion: 1.0.0\n"})
    return made


def test_a_tag_signed_by_an_allowed_key_names_its_signer(repo: PackRepo, keys: tuple[Path, Path, Path]) -> None:
    publisher, _, signers = keys
    repo.tag("v1.0.0", key=publisher)
    assert verify_tag(repo.bare, "v1.0.0", signers) == "platform@acme.example"


def test_a_tag_signed_by_a_key_not_allowed_is_untrusted(repo: PackRepo, keys: tuple[Path, Path, Path]) -> None:
    _, stranger, signers = keys
    repo.tag("v1.0.0", key=stranger)
    with pytest.raises(UntrustedPackError, match="signed by a key that is not in the allowed-signers file") as error:
        verify_tag(repo.bare, "v1.0.0", signers)
    assert error.value.exit_code == 4


def test_an_unsigned_annotated_tag_is_untrusted(repo: PackRepo, keys: tuple[Path, Path, Path]) -> None:
    repo.tag("v1.0.0")
    with pytest.raises(UntrustedPackError, match=r"tag v1\.0\.0 is not signed"):
        verify_tag(repo.bare, "v1.0.0", keys[2])


def test_a_lightweight_tag_is_untrusted(repo: PackRepo, keys: tuple[Path, Path, Path]) -> None:
    repo.tag("v1.0.0", annotated=False)
    with pytest.raises(UntrustedPackError, match="is a lightweight tag"):
        verify_tag(repo.bare, "v1.0.0", keys[2])


def test_a_missing_tag_is_untrusted(repo: PackRepo, keys: tuple[Path, Path, Path]) -> None:
    with pytest.raises(UntrustedPackError, match="does not exist"):
        verify_tag(repo.bare, "v9.0.0", keys[2])


@pytest.mark.parametrize("problem", ["missing", "folder", "fifo"])
def test_an_allowed_signers_file_that_cannot_be_read_refuses_every_tag(
    repo: PackRepo, keys: tuple[Path, Path, Path], tmp_path: Path, problem: str
) -> None:
    publisher, _, signers = keys
    repo.tag("v1.0.0", key=publisher)
    if problem == "missing":
        signers = tmp_path / "missing"
    elif problem == "folder":
        signers = tmp_path
    else:
        signers = tmp_path / "fifo"
        os.mkfifo(signers)  # ssh-keygen would wait on it for a writer
    refused = pytest.raises(UntrustedPackError, match=r"allowed-signers file .* no tag can be verified")
    with hang_guard(), refused as error:
        verify_tag(repo.bare, "v1.0.0", signers)
    assert error.value.exit_code == 4


def test_a_signed_tag_moved_under_a_newer_name_is_untrusted(repo: PackRepo, keys: tuple[Path, Path, Path]) -> None:
    """The signature covers the name written in the tag object; a downgrade replays v1.0.0 as v2.0.0."""
    publisher, _, signers = keys
    repo.tag("v1.0.0", key=publisher)
    repo.copy_ref("refs/tags/v1.0.0", "refs/tags/v2.0.0")
    assert git(repo.bare, "cat-file", "-t", "refs/tags/v2.0.0") == "tag"
    with pytest.raises(UntrustedPackError, match=r"tag v2\.0\.0 is a tag object named v1\.0\.0"):
        verify_tag(repo.bare, "v2.0.0", signers)


def test_a_tag_whose_signed_content_was_altered_is_untrusted(repo: PackRepo, keys: tuple[Path, Path, Path]) -> None:
    """A tag object rewritten after signing (another commit, the signature kept) fails the check."""
    publisher, _, signers = keys
    repo.tag("v1.0.0", key=publisher)
    other = repo.commit({"pack.yml": "name: acme\nversion: 6.6.6\n"})
    body = git(repo.bare, "cat-file", "tag", "v1.0.0") + "\n"
    forged = "\n".join([f"object {other}", *body.split("\n")[1:]])
    oid = git(repo.bare, "hash-object", "-t", "tag", "-w", "--stdin", stdin=forged.encode())
    git(repo.bare, "update-ref", "refs/tags/v1.0.0", oid)
    with pytest.raises(UntrustedPackError, match="signature that does not verify") as error:
        verify_tag(repo.bare, "v1.0.0", signers)
    assert error.value.exit_code == 4
