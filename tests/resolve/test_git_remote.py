"""Talking to a remote git repository: which URLs are read, the listing, the mirror of branches and tags, dates,
reachability, time limits. Real git against a real ``git daemon`` on 127.0.0.1."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from scaffold.resolve.git_remote import Remote, RemoteError, is_transport_failure, parse_listing
from scaffold.resolve.urls import url_problem
from tests.packs.gitserver import Daemon, daemon_fixture, isolated_git, silent_server
from tests.resolve.upstream import Upstream, days_ago
from tests.support.hang_guard import hang_guard

__all__ = ["daemon_fixture", "isolated_git"]


@pytest.mark.parametrize(
    "url",
    [
        "https://github.com/actions/checkout",
        "https://ghe.example.com/org/repo.git",
        "https://gitlab.com/group/sub/project.git",
        "http://127.0.0.1:8080/acme/tool",
        "git://127.0.0.1:9418/acme/tool",
        "git://localhost/acme/tool",
        "http://[::1]:8080/acme/tool",
    ],
)
def test_urls_scaffold_reads(url: str) -> None:
    assert url_problem(url) is None


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("", "empty"),
        ("ext::sh -c touch% /tmp/pwned", "space or a control character"),
        ("ext::sh", "not local paths or ssh addresses"),
        ("file:///etc", "the file:// transport is not allowed"),
        ("ssh://git@github.com/a/b", "the ssh:// transport is not allowed"),
        ("git@github.com:a/b.git", "not local paths or ssh addresses"),
        ("/srv/git/repo.git", "not local paths or ssh addresses"),
        ("--upload-pack=touch /tmp/pwned", "space or a control character"),
        ("-uhttps://x", "starts with '-'"),
        ("https://user:token@github.com/a/b", "credentials in the URL"),
        ("https://token@github.com/a/b", "credentials in the URL"),
        ("http://github.com/a/b", "http:// is allowed only to a loopback host"),
        ("git://github.com/a/b", "git:// is allowed only to a loopback host"),
        ("git://127.0.0.1.example.com/a", "git:// is allowed only to a loopback host"),
        ("https://github.com/a/b\n", "space or a control character"),
        ("https://github.com/a/b\x1b[2J", "space or a control character"),
        ("https://github.com/a/b?x=1", "a query or a fragment"),
        ("https://github.com/a/b#frag", "a query or a fragment"),
        ("https:///a/b", "names no host"),
        ("https://github.com:99999/a", "cannot be parsed"),
        ("https://" + "a" * 3000, "longer than 2048"),
    ],
)
def test_urls_scaffold_refuses_before_git_runs(url: str, reason: str) -> None:
    problem = url_problem(url)
    assert problem is not None and reason in problem
    with pytest.raises(ValueError, match=r"\w"):
        Remote(url, Path("/nonexistent"))


def test_the_listing_peels_annotated_tags_and_keeps_branches() -> None:
    tag_object, commit, head = "1" * 40, "2" * 40, "3" * 40
    output = (
        f"{head}\trefs/heads/main\n"
        f"{tag_object}\trefs/tags/v1.0.0\n"
        f"{commit}\trefs/tags/v1.0.0^{{}}\n"
        f"{head}\trefs/tags/v2\n"
        f"{head}\trefs/pull/1/head\n"
        "not-a-sha\trefs/tags/bogus\n"
        "garbage line\n"
    ).encode()
    listing = parse_listing(output)
    assert listing.tags == {"v1.0.0": commit, "v2": head}
    assert listing.heads == {"main": head}


@pytest.fixture
def upstream(daemon: tuple[Daemon, Path], isolated_git: None) -> Iterator[tuple[Daemon, Upstream, dict[str, str]]]:
    """acme/tool: v1.0.0 (lightweight, 60 days), v1.1.0 (annotated, 30 days), main one commit past it, and a
    commit reachable only from refs/pull/1/head, as a fork's pull request leaves in the parent repository."""
    running, base = daemon
    repo = Upstream.create(base / "acme", "tool")
    first = repo.commit("first", days_ago(60))
    repo.tag("v1.0.0", first, days_ago(60), annotated=False)
    second = repo.commit("second", days_ago(30))
    repo.tag("v1.1.0", second, days_ago(29))
    tip = repo.commit("third", days_ago(10))
    fork = repo.commit("from a fork", days_ago(5), branch=None, parent=tip)
    repo.set_ref("refs/pull/1/head", fork)
    yield running, repo, {"first": first, "second": second, "tip": tip, "fork": fork}


def test_a_remote_lists_tags_and_branches(upstream: tuple[Daemon, Upstream, dict[str, str]], tmp_path: Path) -> None:
    running, _, commits = upstream
    listing = Remote(running.url("acme/tool"), tmp_path / "cache").listing()
    assert listing.tags == {"v1.0.0": commits["first"], "v1.1.0": commits["second"]}
    assert listing.heads == {"main": commits["tip"]}


def test_releases_carry_the_tagger_date_or_the_commit_date(
    upstream: tuple[Daemon, Upstream, dict[str, str]], tmp_path: Path
) -> None:
    running, _, commits = upstream
    found = Remote(running.url("acme/tool"), tmp_path / "cache").releases()
    assert sorted(found) == ["v1.0.0", "v1.1.0"]
    assert found["v1.0.0"].commit == commits["first"]
    assert found["v1.0.0"].created == days_ago(60)  # lightweight: the commit's date
    assert found["v1.1.0"].commit == commits["second"]
    assert found["v1.1.0"].created == days_ago(29)  # annotated: the tagger's date, not the commit's


@pytest.mark.parametrize("filters", [False, True], ids=["server-without-filters", "server-with-filters"])
def test_only_branches_and_tags_are_fetched_and_a_pull_request_commit_is_not_reachable(
    upstream: tuple[Daemon, Upstream, dict[str, str]], tmp_path: Path, filters: bool
) -> None:
    running, repo, commits = upstream
    if filters:  # the server then honours --filter=tree:0, and would hand out any commit asked for by SHA
        repo.config("uploadpack.allowFilter", "true")
        repo.config("uploadpack.allowAnySHA1InWant", "true")
    remote = Remote(running.url("acme/tool"), tmp_path / "cache")
    assert remote.reachable(commits["first"]) and remote.reachable(commits["tip"])
    assert not remote.reachable(commits["fork"])
    assert not remote.reachable("0" * 40)
    refs = subprocess.run(
        ["git", f"--git-dir={remote.mirror}", "for-each-ref", "--format=%(refname)"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    assert sorted(refs) == ["refs/heads/main", "refs/tags/v1.0.0", "refs/tags/v1.1.0"]
    has_fork = subprocess.run(
        ["git", f"--git-dir={remote.mirror}", "cat-file", "-e", commits["fork"]],
        capture_output=True,
        check=False,
        env={**os.environ, "GIT_NO_LAZY_FETCH": "1"},
        stdin=subprocess.DEVNULL,
        timeout=60,
    )
    assert has_fork.returncode != 0  # never fetched, not even lazily


def test_a_mirror_made_for_another_url_is_made_again(
    upstream: tuple[Daemon, Upstream, dict[str, str]], tmp_path: Path
) -> None:
    running, _, commits = upstream
    url = running.url("acme/tool")
    first = Remote(url, tmp_path / "cache")
    first.listing()
    subprocess.run(
        ["git", f"--git-dir={first.mirror}", "config", "remote.origin.url", "git://127.0.0.1:1/elsewhere"], check=True
    )
    again = Remote(url, tmp_path / "cache")
    assert again.reachable(commits["tip"])
    assert (first.mirror / "HEAD").is_file()


def test_a_mirror_git_would_block_on_is_made_again_not_waited_on(
    upstream: tuple[Daemon, Upstream, dict[str, str]], tmp_path: Path
) -> None:
    running, _, commits = upstream
    url = running.url("acme/tool")
    mirror = Remote(url, tmp_path / "cache").mirror
    Remote(url, tmp_path / "cache").listing()
    (mirror / "config").unlink()
    os.mkfifo(mirror / "config")  # git would wait on it for a writer forever
    with hang_guard():
        assert Remote(url, tmp_path / "cache", timeout=5).listing().heads == {"main": commits["tip"]}
    assert (mirror / "config").is_file()


def test_a_failure_is_kept_for_the_run(isolated_git: None, tmp_path: Path) -> None:
    with silent_server() as port:
        pass  # the port is closed again: nothing listens there
    remote = Remote(f"git://127.0.0.1:{port}/acme/tool", tmp_path / "cache", timeout=10)
    with pytest.raises(RemoteError) as first:
        remote.listing()
    with pytest.raises(RemoteError) as second:
        remote.listing()
    assert second.value is first.value
    assert "\n" not in str(first.value) and str(first.value)


def test_a_server_that_never_answers_is_given_up_on_at_the_time_limit(isolated_git: None, tmp_path: Path) -> None:
    with silent_server() as port, hang_guard():
        remote = Remote(f"git://127.0.0.1:{port}/acme/tool", tmp_path / "cache", timeout=2)
        with pytest.raises(RemoteError, match="did not finish within 2 s"):
            remote.listing()


# What a tag names, one tag at a time, and what kind of failure ------------------------------------------------------


def test_tags_are_peeled_through_every_level_and_typed(
    upstream: tuple[Daemon, Upstream, dict[str, str]], tmp_path: Path
) -> None:
    running, repo, commits = upstream
    repo.git("tag", "-a", "-m", "inner", "inner", commits["first"], when=days_ago(40))
    repo.git("tag", "-a", "-m", "outer", "chain", "inner", when=days_ago(40))
    blob = repo.git("hash-object", "-w", "--stdin")  # the empty blob
    repo.git("tag", "-a", "-m", "blob", "on-a-blob", blob, when=days_ago(40))
    found = Remote(running.url("acme/tool"), tmp_path / "cache").releases()
    assert (found["chain"].commit, found["chain"].kind) == (commits["first"], "commit")
    assert found["chain"].created == days_ago(40)  # the outer tag's own date
    assert (found["on-a-blob"].commit, found["on-a-blob"].kind) == (blob, "blob")
    assert found["v1.1.0"].kind == "commit"


def test_one_tag_is_fetched_alone_and_peeled(upstream: tuple[Daemon, Upstream, dict[str, str]], tmp_path: Path) -> None:
    running, repo, commits = upstream
    repo.git("tag", "-a", "-m", "inner", "inner", commits["second"], when=days_ago(40))
    repo.git("tag", "-a", "-m", "outer", "chain", "inner", when=days_ago(40))
    remote = Remote(running.url("acme/tool"), tmp_path / "cache")
    found = remote.tag("chain")
    assert (found.commit, found.kind) == (commits["second"], "commit")
    refs = subprocess.run(
        ["git", f"--git-dir={remote.mirror}", "for-each-ref", "--format=%(refname)"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    assert refs == ["refs/tags/chain"]  # nothing else was fetched
    with pytest.raises(RemoteError) as caught:
        remote.tag("no-such-tag")
    assert not caught.value.transport  # the server answered: there is no such tag


def test_only_a_remote_never_reached_is_a_transport_failure(
    upstream: tuple[Daemon, Upstream, dict[str, str]], tmp_path: Path
) -> None:
    running, _, _ = upstream
    with pytest.raises(RemoteError) as unexported:
        Remote(running.url("acme/nothing"), tmp_path / "cache").listing()
    assert not unexported.value.transport  # the daemon answered, with an error
    with silent_server() as port:
        pass  # closed again: the connection is refused
    with pytest.raises(RemoteError) as refused:
        Remote(f"git://127.0.0.1:{port}/acme/tool", tmp_path / "cache", timeout=10).listing()
    assert refused.value.transport
    with silent_server() as port, hang_guard(), pytest.raises(RemoteError) as silent:
        Remote(f"git://127.0.0.1:{port}/acme/tool", tmp_path / "cache", timeout=2).listing()
    assert silent.value.transport


@pytest.mark.parametrize(
    ("line", "transport"),
    [
        ("fatal: unable to connect to 127.0.0.1:", True),
        ("fatal: unable to access 'https://forge.invalid/a/b/': Could not resolve host: forge.invalid", True),
        ("fatal: unable to access 'https://x/a/b/': Failed to connect to x port 443: Connection refused", True),
        ("fatal: unable to access 'https://x/a/b/': The requested URL returned error: 503", True),
        ("git did not finish within 2 s; the repository was not read", True),
        ("fatal: unable to access 'https://x/a/b/': The requested URL returned error: 404", False),
        ("fatal: remote error: access denied or repository not exported: /acme/nothing", False),
        ("fatal: protocol error: bad line length character: aaaa", False),
        ("git ls-remote gave more than 16777216 bytes; the repository was not read", False),
        ("fatal: unable to access 'https://x/a/b/': SSL certificate problem: self-signed certificate", False),
    ],
)
def test_transport_failures_are_told_from_bad_answers(line: str, transport: bool) -> None:
    assert is_transport_failure(line) is transport
