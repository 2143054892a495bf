"""Red team: live resolution against a hostile upstream (a git server, a registry), a damaged or planted cache, and a
careless user on the command line (``harden`` and ``pins update`` options, pins files and pack folders).

Every server is real and on loopback: ``git daemon`` serving repositories built with git's plumbing (tags of trees
and blobs, tag chains, a tag whose commit is missing), raw TCP servers that speak just enough of the git protocol to
misbehave, and the recording HTTP registry of tests/support/oci_registry.py. Each case must end in a one-line
refusal or note, never a traceback or a hang. A test marked ``xfail(strict=True)`` shows a finding still open: the
reason says what is wrong, and the mark comes off with the fix.
"""

from __future__ import annotations

import json
import multiprocessing
import os
import socket
import subprocess
import threading
from collections.abc import Iterator
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pytest

from scaffold import cli
from scaffold.errors import UsageError
from scaffold.resolve.bounded_http import HttpError
from scaffold.resolve.cache import FILE_NAME, MAX_BYTES, PinCache, read_entries
from scaffold.resolve.live import CachedSource, LiveSource
from scaffold.resolve.model import Origin, Pinned, Refused, Resolution, Settings
from scaffold.resolve.oci import ImageReference, forget, resolve_image, token_url
from scaffold.resolve.update import update_text
from tests.packs.gitserver import GIT_TEST_ENV, Daemon, daemon_fixture, isolated_git, require_git
from tests.resolve.upstream import NOW, Upstream, days_ago, settings_for
from tests.support.hang_guard import hang_guard
from tests.support.oci_registry import Reply, Request, fake_registry, raw_server

__all__ = ["daemon_fixture", "isolated_git"]

NO_ADVISORIES: dict[str, str] = {}
COMPROMISED = "0e58ed8671d6b60d0890c21b07f8835ace038e67"  # tj-actions/changed-files, on the shipped advisory list
MISSING = "1234567890abcdef1234567890abcdef12345678"


def _one_line(resolution: Resolution) -> str:
    assert isinstance(resolution, Refused), resolution
    assert resolution.reason and "\n" not in resolution.reason and "Traceback" not in resolution.reason
    return resolution.reason


class Hostile:
    """acme/tool served by a git daemon: v1.0.0 (60 days old, the honest release) and whatever a test adds."""

    def __init__(self, daemon: Daemon, base: Path, cache: Path) -> None:
        self.daemon = daemon
        self.cache = cache
        self.repo = Upstream.create(base / "acme", "tool")
        self.v100 = self.repo.commit("first", days_ago(60))
        self.repo.tag("v1.0.0", self.v100, days_ago(60))

    def source(self, *, cooldown_days: float = 7, timeout: float = 20) -> LiveSource:
        settings = settings_for(self.daemon, self.cache, cooldown_days=cooldown_days)
        return LiveSource(settings, advisories=NO_ADVISORIES, timeout=timeout)

    def write_object(self, kind: str, body: bytes) -> str:
        """An object written as is (``--literally``): a tag naming a commit that does not exist, for one."""
        result = subprocess.run(
            [require_git(), f"--git-dir={self.repo.bare}", "hash-object", "-t", kind, "-w", "--literally", "--stdin"],
            input=body,
            capture_output=True,
            env={**os.environ, **GIT_TEST_ENV},
            check=True,
            timeout=60,
        )
        return result.stdout.decode().strip()

    def blob(self) -> str:
        return self.write_object("blob", b"not a commit\n")

    def tag_object(self, name: str, target: str, kind: str) -> str:
        stamp = int(days_ago(30).timestamp())
        body = f"object {target}\ntype {kind}\ntag {name}\ntagger A <a@example.com> {stamp} +0000\n\nrelease\n"
        return self.write_object("tag", body.encode())

    def packed_refs(self, lines: list[str]) -> None:
        """Refs written straight into packed-refs: thousands at once, or a name too long for a file system."""
        with (self.repo.bare / "packed-refs").open("a") as output:
            output.writelines(f"{line}\n" for line in lines)


@pytest.fixture
def hostile(daemon: tuple[Daemon, Path], isolated_git: None, tmp_path: Path) -> Iterator[Hostile]:
    running, base = daemon
    yield Hostile(running, base, tmp_path / "cache")


# A hostile git server: what its tags point to ---------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["tree", "blob"])
def test_an_annotated_tag_of_a_tree_or_a_blob_is_never_pinned(hostile: Hostile, kind: str) -> None:
    target = hostile.repo.git("mktree", "--missing") if kind == "tree" else hostile.blob()
    hostile.repo.git("tag", "-a", "-m", "release", "v2.0.0", target, when=days_ago(30))
    hostile.repo.git("tag", "-a", "-m", "release", "v2", target, when=days_ago(30))
    source = hostile.source()
    for ref in ("v2.0.0", "v2"):
        assert "not a commit" in _one_line(source.action("acme/tool", ref))


def test_a_lightweight_tag_of_a_blob_is_refused_under_the_cooldown(hostile: Hostile) -> None:
    blob = hostile.blob()
    hostile.repo.set_ref("refs/tags/v3.0.0", blob)
    reason = _one_line(hostile.source().action("acme/tool", "v3.0.0"))
    assert reason.startswith("the date of v3.0.0 could not be read")


@pytest.mark.parametrize("case", ["blob", "missing-commit"])
def test_without_a_cooldown_a_tag_that_names_no_commit_is_never_pinned(hostile: Hostile, case: str) -> None:
    if case == "blob":
        hostile.repo.set_ref("refs/tags/v4.0.0", hostile.blob())
    else:
        hostile.repo.set_ref("refs/tags/v4.0.0", hostile.tag_object("v4.0.0", MISSING, "commit"))
    _one_line(hostile.source(cooldown_days=0).action("acme/tool", "v4.0.0"))


def test_a_tag_whose_commit_is_missing_is_refused_in_one_line_under_the_cooldown(hostile: Hostile) -> None:
    """The server cannot send the commit, so the fetch fails; one broken tag makes the whole repository unreadable
    for the run (every other tag of it is refused too), which is the upstream's own loss."""
    hostile.repo.set_ref("refs/tags/v5.0.0", hostile.tag_object("v5.0.0", MISSING, "commit"))
    source = hostile.source()
    assert _one_line(source.action("acme/tool", "v5.0.0")).startswith("could not reach ")
    honest = source.action("acme/tool", "v1.0.0")
    assert isinstance(honest, Refused) or (isinstance(honest, Pinned) and honest.value == hostile.v100)


def test_a_tag_chain_is_pinned_to_its_commit_without_a_cooldown(hostile: Hostile) -> None:
    hostile.repo.git("tag", "-a", "-m", "inner", "inner", hostile.v100, when=days_ago(40))
    hostile.repo.git("tag", "-a", "-m", "outer", "v6.0.0", "inner", when=days_ago(40))
    found = hostile.source(cooldown_days=0).action("acme/tool", "v6.0.0")
    assert isinstance(found, Pinned) and found.value == hostile.v100


def test_a_tag_chain_is_pinned_to_its_commit_under_the_cooldown(hostile: Hostile) -> None:
    hostile.repo.git("tag", "-a", "-m", "inner", "inner", hostile.v100, when=days_ago(40))
    hostile.repo.git("tag", "-a", "-m", "outer", "v6.0.0", "inner", when=days_ago(40))
    found = hostile.source().action("acme/tool", "v6.0.0")
    assert isinstance(found, Pinned) and found.value == hostile.v100


def test_a_name_that_is_both_a_tag_and_a_branch_is_not_pinned_silently(hostile: Hostile) -> None:
    hostile.repo.commit("on the branch", days_ago(20), branch="v1.0.0")
    found = hostile.source().action("acme/tool", "v1.0.0")
    assert (isinstance(found, Refused) and "branch" in found.reason) or (
        isinstance(found, Pinned) and "branch" in found.note
    )


def test_a_release_pushed_today_with_a_backdated_tag_is_not_taken_within_the_cooldown(hostile: Hostile) -> None:
    hostile.repo.tag("v1", hostile.v100, days_ago(60))
    yesterday = settings_for(hostile.daemon, hostile.cache)
    earlier = LiveSource(replace(yesterday, now=NOW - timedelta(days=1)), advisories=NO_ADVISORIES, timeout=20)
    assert isinstance(earlier.action("acme/tool", "v1"), Pinned)  # yesterday's run: v1 is v1.0.0
    planted = hostile.repo.commit("backdoor", days_ago(30))
    hostile.repo.tag("v1.0.1", planted, days_ago(30))  # pushed now, dated a month ago
    hostile.repo.tag("v1", planted, days_ago(30))
    found = hostile.source().action("acme/tool", "v1")
    assert not (isinstance(found, Pinned) and found.value == planted and not found.note)


def test_ten_thousand_tags_are_read(hostile: Hostile) -> None:
    hostile.packed_refs([f"{hostile.v100} refs/tags/t{number}" for number in range(10_000)])
    with hang_guard():
        found = hostile.source().action("acme/tool", "t9999")
    assert isinstance(found, Pinned) and (found.value, found.version) == (hostile.v100, "v1.0.0")


def test_a_tag_name_longer_than_a_file_system_allows_ends_in_one_line(hostile: Hostile) -> None:
    """The mirror cannot hold a 4,000-character ref, so the fetch fails and every tag of that repository is refused
    under the cooldown: the upstream only blocks its own resolution. The name itself is refused before the network,
    and no message repeats it whole."""
    long_name = "v1.0.0-" + "a" * 4000
    hostile.packed_refs([f"{hostile.v100} refs/tags/{long_name}"])
    with hang_guard():
        source = hostile.source()
        asked = _one_line(source.action("acme/tool", long_name))
        honest = source.action("acme/tool", "v1.0.0")
    assert "is not a tag name or commit SHA" in asked and len(asked) < 400
    assert isinstance(honest, Refused) and len(_one_line(honest)) < 600
    assert isinstance(hostile.source(cooldown_days=0).action("acme/tool", "v1.0.0"), Pinned)  # ls-remote alone


def test_ten_thousand_refs_of_a_repository_with_ten_thousand_tags_do_not_hang(hostile: Hostile) -> None:
    hostile.packed_refs([f"{hostile.v100} refs/tags/t{number}" for number in range(10_000)])
    with hang_guard():
        source = hostile.source()
        found = [source.action("acme/tool", f"t{number}") for number in range(10_000)]
    assert all(isinstance(item, Pinned) and item.value == hostile.v100 for item in found)


# A hostile git server: how it talks -------------------------------------------------------------------------------


def _pkt(data: bytes) -> bytes:
    return b"%04x" % (len(data) + 4) + data


def _endless_refs(connection: socket.socket, done: threading.Event) -> None:
    sha = b"a" * 40
    connection.sendall(_pkt(sha + b" HEAD\0ofs-delta\n"))
    number = 0
    while not done.is_set():
        connection.sendall(b"".join(_pkt(sha + b" refs/tags/t%d\n" % (number + step)) for step in range(500)))
        number += 500


def _hangs_after_the_refs(connection: socket.socket, done: threading.Event) -> None:
    """A valid advertisement of v1.0.0, then silence: ls-remote succeeds, the fetch waits for a pack forever."""
    sha = b"b" * 40
    connection.sendall(_pkt(sha + b" HEAD\0ofs-delta\n") + _pkt(sha + b" refs/tags/v1.0.0\n") + b"0000")
    connection.settimeout(0.2)
    while not done.is_set():
        try:
            if not connection.recv(65536):
                return
        except TimeoutError:
            continue


def _huge_pkt_line(connection: socket.socket, done: threading.Event) -> None:
    connection.sendall(b"ffff" + b"a" * 65531)


@pytest.mark.parametrize(
    "behaviour", [_endless_refs, _hangs_after_the_refs, _huge_pkt_line], ids=lambda value: value.__name__
)
def test_a_misbehaving_git_server_ends_in_one_line_within_the_time_limit(
    isolated_git: None, tmp_path: Path, behaviour: object
) -> None:
    with raw_server(behaviour) as server, hang_guard():  # type: ignore[arg-type]
        settings = Settings(
            online=True, action_forge=f"git://127.0.0.1:{server.port}", cache_dir=tmp_path / "cache", now=NOW
        )
        found = LiveSource(settings, advisories=NO_ADVISORIES, timeout=3).action("acme/tool", "v1.0.0")
    assert _one_line(found).startswith(f"could not reach git://127.0.0.1:{server.port}/acme/tool: ")


# A hostile registry -----------------------------------------------------------------------------------------------

OCI_INDEX = "application/vnd.oci.image.index.v1+json"
INDEX = b'{"schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json", "manifests": []}'


def _online() -> Settings:
    """The hostile registries are on this machine: allowed as a user allows them (``--allow-host``)."""
    loopback = frozenset({"127.0.0.1", "localhost", "::1"})
    return Settings(online=True, cache_dir=Path("/nonexistent/cache"), now=NOW, allowed_hosts=loopback)


@pytest.fixture(autouse=True)
def _no_memo() -> Iterator[None]:
    forget()
    yield
    forget()


@pytest.mark.parametrize(
    "location", ["file:///etc/passwd", "ftp://127.0.0.1/x", "gopher://127.0.0.1:70/x", "//user:pw@127.0.0.1/x"]
)
def test_a_redirect_off_http_is_not_followed(location: str) -> None:
    with fake_registry(lambda _request: Reply(302, {"Location": location})) as fake:
        reason = _one_line(resolve_image(f"{fake.host}/team/app:v1", _online()))
    assert reason.startswith(f"could not resolve {fake.host}/team/app:v1 at {fake.host}: ")
    assert len(fake.requests) == 1


def test_the_token_does_not_follow_a_redirect_to_another_port() -> None:
    """Another port on the same host is another origin: a redirect there goes without the bearer token."""
    with fake_registry(lambda _request: Reply(200, {"Docker-Content-Digest": "sha256:" + "1" * 64})) as other:

        def answer(request: Request) -> Reply:
            if request.path == "/token":
                return Reply(200, {}, b'{"token": "secret-token"}')
            if request.headers.get("Authorization") != "Bearer secret-token":
                return Reply(401, {"WWW-Authenticate": f'Bearer realm="http://127.0.0.1:{box[0]}/token"'})
            return Reply(307, {"Location": f"http://127.0.0.1:{other.port}/v2/team/app/manifests/v1"})

        box: list[int] = []
        with fake_registry(answer) as fake:
            box.append(fake.port)
            found = resolve_image(f"{fake.host}/team/app:v1", _online())
    assert isinstance(found, Pinned)
    assert [request.headers.get("Authorization") for request in other.requests] == [None]


def test_a_digest_header_is_trusted_on_head_without_fetching_the_manifest() -> None:
    """By design (as crane, pinact and frizbee do): HEAD's Docker-Content-Digest is the pin. A registry that lies in
    it gains nothing: the runtime checks what it pulls by that digest, so the lie only breaks the pull."""
    lie = "sha256:" + "9" * 64

    def answer(request: Request) -> Reply:
        return Reply(200, {"Content-Type": OCI_INDEX, "Docker-Content-Digest": lie}, INDEX)

    with fake_registry(answer) as fake:
        found = resolve_image(f"{fake.host}/team/app:v1", _online())
    assert isinstance(found, Pinned) and found.value == lie
    assert [request.method for request in fake.requests] == ["HEAD"]


def test_a_digest_header_that_disagrees_with_the_index_sent_by_get_is_refused() -> None:
    def answer(request: Request) -> Reply:
        if request.method == "HEAD":
            return Reply(405)
        return Reply(200, {"Content-Type": OCI_INDEX, "Docker-Content-Digest": "sha256:" + "9" * 64}, INDEX)

    with fake_registry(answer) as fake:
        reason = _one_line(resolve_image(f"{fake.host}/team/app:v1", _online()))
    assert "is not the digest of the manifest it sent" in reason


@pytest.mark.parametrize(
    "header", ["sha512:" + "0" * 128, "sha256:" + "0" * 63, "SHA256:" + "0" * 64, "sha256:" + "0" * 64 + ", sha256:1"]
)
def test_a_digest_in_another_algorithm_or_shape_is_refused(header: str) -> None:
    with fake_registry(
        lambda _request: Reply(200, {"Content-Type": OCI_INDEX, "Docker-Content-Digest": header})
    ) as fake:
        reason = _one_line(resolve_image(f"{fake.host}/team/app:v1", _online()))
    assert "not sha256:<64 hex>" in reason


def test_a_token_realm_at_a_link_local_address_is_refused() -> None:
    image = ImageReference("registry.example.com", "team/app", "v1")
    with pytest.raises(HttpError):
        token_url(image, "https://169.254.169.254/latest/api/token", None)


# The cache file ---------------------------------------------------------------------------------------------------


def _cache_entry(
    value: str, *, url: str = "https://github.com/tj-actions/changed-files", ref: str = "v45"
) -> dict[str, str]:
    return {
        "kind": "git",
        "url": url,
        "ref": ref,
        "value": value,
        "version": "v45.0.7",
        "source": "git ls-remote (planted)",
        "at": "2026-01-01T00:00:00Z",
    }


def test_a_cached_commit_on_the_advisory_list_is_never_used_offline(tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    cache.mkdir()
    (cache / FILE_NAME).write_text(json.dumps({"schema": 1, "pins": [_cache_entry(COMPROMISED)]}))
    found = CachedSource(Settings(cache_dir=cache)).action("tj-actions/changed-files", "v45")
    assert "is on the advisory list (GHSA-mrrh-fwg8-r2c3)" in _one_line(found)


def test_a_cached_commit_on_the_advisory_list_is_not_taken_online_either(hostile: Hostile) -> None:
    """The cache says v1.0.0 was the compromised commit: the live lookup sees the tag elsewhere now and refuses it as
    moved rather than trusting either."""
    hostile.cache.mkdir(parents=True)
    entry = _cache_entry(COMPROMISED, url=hostile.daemon.url("acme/tool"), ref="v1.0.0")
    (hostile.cache / FILE_NAME).write_text(json.dumps({"schema": 1, "pins": [entry]}))
    source = LiveSource(settings_for(hostile.daemon, hostile.cache), advisories={COMPROMISED: "GHSA-test"}, timeout=20)
    reason = _one_line(source.action("acme/tool", "v1.0.0"))
    assert "moved from 0e58ed8" in reason


@pytest.mark.parametrize(
    ("case", "rule"),
    [
        ("symlink-to-passwd", "is not valid JSON"),
        ("directory", "is not a regular file"),
        ("fifo", "is not a regular file"),
        ("one-byte-too-big", "is larger than"),
        ("wrong-types", "must be a string"),
        ("newer-schema", "schema: must be 1"),
        ("bool-schema", "schema: must be 1"),
        ("nested-bomb", "is not valid JSON"),
    ],
)
def test_a_bad_cache_stops_harden_with_one_line_and_exit_2(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], case: str, rule: str
) -> None:
    cache = tmp_path / "cache"
    cache.mkdir()
    path = cache / FILE_NAME
    if case == "symlink-to-passwd":
        path.symlink_to("/etc/passwd")
    elif case == "directory":
        path.mkdir()
    elif case == "fifo":
        os.mkfifo(path)
    elif case == "one-byte-too-big":
        path.write_bytes(b" " * (MAX_BYTES + 1))
    elif case == "wrong-types":
        path.write_text(json.dumps({"schema": 1, "pins": [{**_cache_entry("a" * 40), "ref": 45}]}))
    elif case == "newer-schema":
        path.write_text(json.dumps({"schema": 2, "pins": []}))
    elif case == "bool-schema":
        path.write_text('{"schema": true, "pins": []}')
    else:
        path.write_text("[" * 100_000 + "]" * 100_000)
    (tmp_path / "repo").mkdir()
    (tmp_path / "repo" / "Dockerfile").write_text("FROM python:3.13\n")
    monkeypatch.setenv("SCAFFOLD_CACHE_DIR", str(cache))
    monkeypatch.delenv("SCAFFOLD_ONLINE", raising=False)
    with hang_guard():
        code = cli.main(["harden", str(tmp_path / "repo")])
    err = capsys.readouterr().err
    assert code == 2
    assert len(err.splitlines()) == 1 and err.startswith("scaffold: error: pin cache ")
    assert rule in err
    assert "root:" not in err  # nothing of the file it points to is shown
    if case == "symlink-to-passwd":
        assert path.is_symlink()  # harden without --online writes no cache


def _record_many(cache_dir: str, worker: int, count: int) -> None:
    cache = PinCache.load(Path(cache_dir))
    for number in range(count):
        pinned = Pinned(f"{worker:x}{number:039x}"[:40], "v1.0.0", Origin.LIVE, "test", NOW)
        cache.record("git", f"https://example.com/w{worker}", f"v{number}", pinned)


def test_concurrent_runs_never_leave_a_broken_or_half_written_cache(tmp_path: Path) -> None:
    """Four runs recording at once: each write replaces the file whole, so every reader sees a valid file; an entry
    may be lost to a race (the cache is only a cache), but never the file."""
    cache = tmp_path / "cache"
    context = multiprocessing.get_context("spawn")
    workers = [context.Process(target=_record_many, args=(str(cache), worker, 40)) for worker in range(1, 5)]
    with hang_guard():
        for process in workers:
            process.start()
        seen = 0
        while any(process.is_alive() for process in workers):
            if (cache / FILE_NAME).exists():
                read_entries(cache / FILE_NAME)  # never a half-written file
                seen += 1
        for process in workers:
            process.join()
    assert [process.exitcode for process in workers] == [0, 0, 0, 0]
    entries = read_entries(cache / FILE_NAME)
    assert entries and all(key[1].startswith("https://example.com/w") for key in entries)
    assert sorted(path.name for path in cache.iterdir()) == [FILE_NAME]  # no temporary file left behind


# The command line -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("options", "expected"),
    [
        (["--cooldown", "-1"], "scaffold: error: --cooldown: -1 is not a number of days from 0 to 3650"),
        (["--cooldown", "99999999999"], "scaffold: error: --cooldown: 99999999999 is not a number of days"),
        (["--action-forge", "file:///x"], "--action-forge: 'file:///x': the file:// transport is not allowed"),
        (["--action-forge", "ext::sh -c id"], "--action-forge: 'ext::sh -c id': the URL holds a space"),
        (["--action-forge", "http://example.com"], "http:// is allowed only to a loopback host"),
        (["--action-forge", "https://user:pw@x.example"], "credentials in the URL are not allowed"),
        (["--action-forge=-uhttps://x.example"], "the URL starts with '-'"),
        (["--gitlab-url", "git://gitlab.example.com"], "git:// is allowed only to a loopback host"),
        (["--gitlab-url", "https://gitlab.example.com:0"], "the URL names port 0"),
        (["--gitlab-url", "https://gitlab.example.com/?private_token=x"], "the URL holds a query or a fragment"),
        (["--action-forge", "https://x.example\n--upload-pack=id"], "the URL holds a space or a control character"),
    ],
)
@pytest.mark.parametrize("command", ["harden", "pins"])
def test_bad_pin_options_are_exit_2_with_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], command: str, options: list[str], expected: str
) -> None:
    pins = tmp_path / "pins.yml"
    pins.write_text("actions: {}\n")
    argv = ["harden", str(tmp_path)] if command == "harden" else ["pins", "update", str(pins)]
    code = cli.main([*argv, *options])
    err = capsys.readouterr().err
    assert code == 2
    assert len(err.splitlines()) == 1 and expected in err


@pytest.mark.parametrize("days", ["1e3", "3.5", "seven", "\u0663", ""])
def test_a_cooldown_that_is_not_a_whole_number_is_one_line_and_exit_2(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, days: str
) -> None:
    code = cli.main(["harden", str(tmp_path), "--cooldown", days])
    err = capsys.readouterr().err
    assert code == 2
    assert len(err.splitlines()) == 1
    assert err.startswith("scaffold: error: --cooldown: ") and err.endswith(" is not a number of days from 0 to 3650\n")


def _pack(folder: Path, pins: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "pack.yml").write_text(f"name: acme\npins: {pins}\n")
    return folder


def _alias_bomb() -> str:
    lines = ['a0: &a0 ["x", "x", "x", "x", "x", "x", "x", "x", "x"]']
    for level in range(1, 10):
        lines.append(f"a{level}: &a{level} [" + ", ".join([f"*a{level - 1}"] * 9) + "]")
    return "\n".join(lines) + "\n"


@pytest.mark.parametrize(
    ("case", "expected"),
    [
        ("fifo", "is not a regular file"),
        ("device", "is not a regular file"),
        ("folder-without-pack", "is a folder without pack.yml; name the pins file itself"),
        ("pack-pins-escapes", "must be a relative path inside the pack"),
        ("pack-pins-absolute", "must be a relative path inside the pack"),
        ("pack-pins-symlink-out", "resolves outside the pack"),
        ("pack-pins-fifo", "is not a regular file"),
        ("pack-names-no-pins", "pins: the pack names no pins file"),
        ("fifty-megabytes", "is larger than 10 MB"),
        ("pack-fifty-megabytes", "pins file"),
        ("alias-bomb", "aliases expand to more than"),
        ("not-a-mapping", "must be a mapping of sections"),
        ("unknown-section", "is not a section"),
    ],
)
def test_pins_update_refuses_a_bad_target_with_one_line_and_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], case: str, expected: str
) -> None:
    target = tmp_path / "target"
    if case == "fifo":
        os.mkfifo(target)
    elif case == "device":
        target = Path("/dev/null")
    elif case == "folder-without-pack":
        target.mkdir()
    elif case == "pack-pins-escapes":
        _pack(target, "../../../etc/passwd")
    elif case == "pack-pins-absolute":
        _pack(target, "/etc/passwd")
    elif case == "pack-pins-symlink-out":
        (_pack(target, "pins.yml") / "pins.yml").symlink_to("/etc/passwd")
    elif case == "pack-pins-fifo":
        os.mkfifo(_pack(target, "pins.yml") / "pins.yml")
    elif case == "pack-names-no-pins":
        target.mkdir()
        (target / "pack.yml").write_text("name: acme\n")
    elif case == "fifty-megabytes":
        target.write_bytes(b"actions:\n" + b"#" * (50 * 1024 * 1024))
    elif case == "pack-fifty-megabytes":
        (_pack(target, "pins.yml") / "pins.yml").write_bytes(b"actions:\n" + b"#" * (50 * 1024 * 1024))
    elif case == "alias-bomb":
        target.write_text(_alias_bomb())
    elif case == "not-a-mapping":
        target.write_text("- actions\n")
    else:
        target.write_text("scripts: {}\n")
    with hang_guard():
        code = cli.main(["pins", "update", str(target), "--action-forge", "http://127.0.0.1:9"])
    err = capsys.readouterr().err
    assert code == 2
    assert len(err.splitlines()) == 1 and err.startswith("scaffold: error: ") and expected in err
    assert "root:" not in err


PINS_ENTRY = "repo: acme/tool\n    version: v1.0.0\n    sha: {sha}\n    verified: by hand\n"


class NewerRelease:
    """A live source with one newer release of every line: stands in for the network, not for the update."""

    def newest_release(self, url: str, prefix: str) -> Resolution:
        return Pinned("b" * 40, "v1.1.0", Origin.LIVE, f"git ls-remote {url}", NOW)

    def image(self, reference: str) -> Resolution:
        return Refused("no registry in this test")


def test_pins_update_refuses_entries_that_are_aliases_of_one_another() -> None:
    text = f"actions:\n  x: &x {{repo: acme/tool, version: v1.0.0, sha: {'a' * 40}, verified: by hand}}\n  y: *x\n"
    with pytest.raises(UsageError, match=r"actions\.y"):
        update_text(text, NewerRelease(), action_forge="https://github.com", advisory=lambda _sha: None, when="today")


def test_pins_update_refuses_a_key_written_twice_in_an_entry() -> None:
    planted = COMPROMISED
    text = f"actions:\n  x:\n    {PINS_ENTRY.format(sha='a' * 40)}    sha: {planted}\n"
    with pytest.raises(UsageError, match="sha"):
        update_text(
            text,
            NewerRelease(),
            action_forge="https://github.com",
            advisory=lambda sha: "GHSA-test" if sha == planted else None,
            when="today",
        )


def test_pins_update_against_a_live_server_names_each_refusal_in_one_line(
    hostile: Hostile, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """A real run against the daemon: a repository that does not exist and a tag line with no release are each one
    line of the report, and the file is left as it was."""
    pins = tmp_path / "pins.yml"
    text = (
        f"actions:\n  gone:\n    {PINS_ENTRY.format(sha='a' * 40).replace('acme/tool', 'acme/gone')}"
        f"  tool:\n    {PINS_ENTRY.format(sha=hostile.v100).replace('v1.0.0', 'v7.0.0')}"
    )
    pins.write_text(text)
    forge = f"git://127.0.0.1:{hostile.daemon.port}"
    with hang_guard():
        code = cli.main(["pins", "update", str(pins), "--action-forge", forge, "--cooldown", "0"])
    out = capsys.readouterr().out.splitlines()
    assert code == 1 and pins.read_text() == text
    assert out[0].startswith(f"actions.gone: not checked: {forge}/acme/gone: ") or out[0].startswith(
        "actions.gone: not checked: could not reach "
    )
    assert out[1] == f"actions.tool: not checked: {forge}/acme/tool: no v7 release tag (vX.Y.Z) found"
