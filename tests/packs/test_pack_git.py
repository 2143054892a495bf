"""git for fetching packs: only the allowed transports, nothing inherited that points elsewhere, and git stopped
when it hangs or prints too much."""

from __future__ import annotations

from pathlib import Path

import pytest

from scaffold.packs import pack_git
from scaffold.packs.pack_git import OutputTooLarge, PackGitError, pack_git_environment, run_pack_git
from tests.packs.gitserver import (
    isolated_git,  # noqa: F401 (a fixture)
    pack_repo,
    silent_server,
)
from tests.support.hang_guard import hang_guard

pytestmark = pytest.mark.usefixtures("isolated_git")


def test_the_environment_allows_only_the_pack_transports_and_no_prompt(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GIT_DIR", "/elsewhere")
    monkeypatch.setenv("GIT_ALLOW_PROTOCOL", "ext:file")
    environment = pack_git_environment()
    assert environment["GIT_ALLOW_PROTOCOL"] == "file:git:http:https:ssh"
    assert environment["GIT_TERMINAL_PROMPT"] == "0"
    assert "GIT_DIR" not in environment


def test_git_itself_refuses_the_ext_transport(tmp_path: Path) -> None:
    """Behind the check of --pack SOURCE: even if an ext:: URL reached git, it would run nothing."""
    mark = tmp_path / "ran"
    with pytest.raises(PackGitError, match="transport 'ext' not allowed"):
        run_pack_git("ls-remote", f"ext::sh -c touch% {mark}")
    assert not mark.exists()


def test_git_reads_nothing_from_standard_input() -> None:
    """git reading its input gets end-of-file at once (the empty blob), never the user's terminal."""
    with hang_guard():
        output, _ = run_pack_git("hash-object", "--stdin")
    assert output == b"e69de29bb2d1d6434b8b29ae775ad8c2e48c5391\n"


def test_git_output_and_its_error_line_are_returned(tmp_path: Path) -> None:
    repo = pack_repo(tmp_path, {"a": "b"}, tags=("v1.0.0",))
    listing, _ = run_pack_git("ls-remote", "--refs", "--tags", str(repo.bare))
    assert listing.endswith(b"\trefs/tags/v1.0.0\n")
    with pytest.raises(PackGitError, match=r"^fatal: .*does not appear to be a git repository") as error:
        run_pack_git("ls-remote", str(tmp_path / "missing"))
    assert b"does not appear" in error.value.stderr


def test_output_past_the_cap_stops_git(tmp_path: Path) -> None:
    repo = pack_repo(tmp_path, {"a": "b"}, tags=tuple(f"v1.0.{number}" for number in range(50)))
    with pytest.raises(OutputTooLarge, match="more than 100 bytes"):
        run_pack_git("ls-remote", "--tags", str(repo.bare), limit=100)


def test_a_hanging_server_is_given_up_on(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(pack_git, "TIMEOUT_SECONDS", 2)
    with silent_server() as port, hang_guard(), pytest.raises(PackGitError, match="did not finish within 2 s"):
        run_pack_git("ls-remote", f"git://127.0.0.1:{port}/pack.git")
