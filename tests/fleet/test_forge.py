"""The command that opens a pull request on each forge."""

from __future__ import annotations

import shlex
from pathlib import Path

import pytest

from scaffold.fleet.forge import forge_of, open_pull_request, pull_request


@pytest.mark.parametrize(
    ("url", "forge"),
    [
        ("https://github.com/acme/x.git", "github"),
        ("git@github.com:acme/x.git", "github"),
        ("ssh://git@github.example.com/acme/x", "github"),
        ("https://gitlab.com/acme/x.git", "gitlab"),
        ("git@gitlab.internal:acme/x.git", "gitlab"),
        ("https://evilgithub.com/acme/x", None),
        ("https://git.example.com/acme/x", None),
        ("/srv/git/x.git", None),
    ],
)
def test_the_forge_comes_from_the_remote_host(url: str, forge: str | None) -> None:
    assert forge_of(url) == forge


def test_each_forge_gets_its_cli_and_the_line_is_quoted(tmp_path: Path) -> None:
    body = tmp_path / "body.md"
    body.write_text("## changes\n")
    title = "scaffold: it's $(touch x)"
    github = pull_request(tmp_path, "https://github.com/a/b", branch="up", base="main", title=title, body_file=body)
    assert github.command is not None and github.command[:3] == ["gh", "pr", "create"]
    shown = github.shown
    assert shown is not None and shlex.split(shown) == github.command
    assert github.command[github.command.index("--repo") + 1] == "github.com/a/b"
    gitlab = pull_request(tmp_path, "git@gitlab.com:a/b.git", branch="up", base="trunk", title=title, body_file=body)
    assert gitlab.command is not None and gitlab.command[:3] == ["glab", "mr", "create"]
    assert gitlab.command[gitlab.command.index("--description") + 1] == "## changes\n"
    assert gitlab.command[gitlab.command.index("--target-branch") + 1] == "trunk"
    assert gitlab.command[gitlab.command.index("--repo") + 1] == "https://gitlab.com/a/b"
    assert gitlab.shown is not None and f'"$(cat {body})"' in gitlab.shown and "## changes" not in gitlab.shown
    unknown = pull_request(
        tmp_path, "https://git.example.com/a/b", branch="up", base="main", title=title, body_file=body
    )
    assert unknown.shown is None
    assert open_pull_request(unknown)[1] is not None


def test_a_missing_cli_is_reported_not_fatal(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    body = tmp_path / "b.md"
    body.write_text("x")
    request = pull_request(tmp_path, "https://github.com/a/b", branch="up", base="main", title="t", body_file=body)
    url, why = open_pull_request(request)
    assert url is None and why is not None and "gh is not installed" in why
