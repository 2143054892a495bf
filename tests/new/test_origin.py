"""scaffold.new.origin: the forge repository an origin URL names, from hostile text."""

from __future__ import annotations

import pytest

from scaffold.new.origin import MAX_URL, Remote, parse_origin
from tests.support.hang_guard import hang_guard


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("git@github.com:acme/x.git", Remote("github", "github.com", "acme/x")),
        ("git@github.com:acme/x", Remote("github", "github.com", "acme/x")),
        ("git@github.com:/acme/x.git", Remote("github", "github.com", "acme/x")),
        ("https://github.com/acme/x.git", Remote("github", "github.com", "acme/x")),
        ("https://github.com/acme/x/", Remote("github", "github.com", "acme/x")),
        ("https://GitHub.com/Acme/X.git", Remote("github", "github.com", "Acme/X")),
        ("http://github.com/acme/x", Remote("github", "github.com", "acme/x")),
        ("ssh://git@github.com/acme/x.git", Remote("github", "github.com", "acme/x")),
        ("ssh://git@ssh.github.com:443/acme/x.git", Remote("github", "github.com", "acme/x")),
        ("git://github.com/acme/x.git", Remote("github", "github.com", "acme/x")),
        ("git@gitlab.com:acme/sub/x.git", Remote("gitlab", "gitlab.com", "acme/sub/x")),
        ("https://gitlab.com/acme/x", Remote("gitlab", "gitlab.com", "acme/x")),
        ("ssh://git@altssh.gitlab.com:443/acme/x.git", Remote("gitlab", "gitlab.com", "acme/x")),
    ],
)
def test_the_forms_git_uses_for_a_hosted_repository_are_read(url: str, expected: Remote) -> None:
    assert parse_origin(url) == expected


def test_a_gitlab_instance_is_a_forge_only_when_the_answers_name_it() -> None:
    url = "git@git.example.com:platform/payments/api.git"
    assert parse_origin(url) is None
    assert parse_origin(url, ["git.example.com"]) == Remote("gitlab", "git.example.com", "platform/payments/api")
    assert parse_origin("https://git.example.com:8443/platform/api", ["git.example.com"]) is not None


@pytest.mark.parametrize(
    "url",
    [
        "https://x-access-token:ghp_secret123@github.com/acme/x.git",
        "https://ghp_secret123@github.com/acme/x.git",
        "ssh://deploy:ghp_secret123@github.com/acme/x.git",
    ],
)
def test_a_credential_in_the_url_is_dropped(url: str) -> None:
    remote = parse_origin(url)
    assert remote == Remote("github", "github.com", "acme/x")
    assert "secret" not in repr(remote) and "secret" not in str(remote)


@pytest.mark.parametrize(
    "url",
    [
        pytest.param("file:///srv/git/acme/x.git", id="file-url"),
        pytest.param("/srv/git/github.com/acme/x.git", id="local-path"),
        pytest.param("../x.git", id="relative-path"),
        pytest.param("ext::ssh -o ProxyCommand=evil github.com %S acme/x", id="ext-helper"),
        pytest.param("ext::sh -c touch% /tmp/pwned", id="ext-no-space"),
        pytest.param("fd::17", id="fd-helper"),
        pytest.param("persistent-https::https://github.com/acme/x", id="other-helper"),
        pytest.param("ftp://github.com/acme/x.git", id="other-scheme"),
        pytest.param("https://github.com/acme/x\x1b[2J", id="escape"),
        pytest.param("https://github.com/acme/x\nhttps://github.com/evil/y", id="newline"),
        pytest.param("https://github.com/acme/x y", id="space"),
        pytest.param("https://github.com/acme/\u0445", id="non-ascii"),
        pytest.param("https://github.com/acme", id="owner-only"),
        pytest.param("https://github.com/acme/x/tree/main", id="too-deep-for-github"),
        pytest.param("https://github.com/acme/..", id="dot-dot"),
        pytest.param("https://github.com/acme/%2e%2e", id="percent-encoded"),
        pytest.param("https://github.com/acme/x?ref=y", id="query"),
        pytest.param("https://github.com:99999/acme/x", id="bad-port"),
        pytest.param("https://[::1]/acme/x", id="ipv6-host"),
        pytest.param("git@github.com:~acme/x.git", id="home-path"),
        pytest.param("https://github.com.evil.example/acme/x", id="lookalike-host"),
        pytest.param("https://evil.example/github.com/acme/x", id="forge-in-path"),
        pytest.param("", id="empty"),
    ],
)
def test_anything_else_gives_nothing(url: str) -> None:
    assert parse_origin(url) is None


def test_a_huge_url_gives_nothing_without_work() -> None:
    with hang_guard():
        assert parse_origin("https://github.com/acme/" + "x" * (MAX_URL + 1)) is None
        assert parse_origin("git@github.com:" + "a/" * 100_000) is None
        assert parse_origin("a@" * 100_000 + "github.com:acme/x") is None
