"""``resolve_image``: image tags to digests against a real registry (Debian's docker-registry on loopback, images
pushed with skopeo from OCI layouts built by the test), a token-guarding registry written here, and hostile
servers that stall, flood or loop."""

from __future__ import annotations

import hashlib
import json
import socket
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest

from scaffold.errors import UsageError
from scaffold.resolve.bounded_http import HttpError
from scaffold.resolve.model import Origin, Pinned, Refused, Resolution, Settings
from scaffold.resolve.oci import ImageReference, forget, parse_reference, resolve_image, token_url
from tests.packs.gitserver import silent_server
from tests.support.hang_guard import hang_guard
from tests.support.oci_registry import (
    Fake,
    Registry,
    Reply,
    Request,
    docker_registry,
    fake_registry,
    oci_layout,
    raw_server,
    registry_fixture,
)

__all__ = ["registry_fixture"]

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
OCI_INDEX = "application/vnd.oci.image.index.v1+json"
MANIFEST = json.dumps({"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": []}).encode()
MANIFEST_DIGEST = "sha256:" + hashlib.sha256(MANIFEST).hexdigest()
LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})
"""The registries here are on this machine: the tests name it, as a user does with ``--allow-host``."""


def online() -> Settings:
    """Settings that allow live lookups; each call starts a new run (the answers remembered so far are dropped)."""
    forget()
    return Settings(online=True, now=NOW, cache_dir=Path("/nonexistent-cache"), allowed_hosts=LOOPBACK_HOSTS)


def refused(answer: Resolution) -> str:
    assert isinstance(answer, Refused), answer
    return answer.reason


def pinned(answer: Resolution) -> Pinned:
    assert isinstance(answer, Pinned), answer
    return answer


# references --------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("reference", "expected"),
    [
        ("python:3.13", ImageReference("docker.io", "library/python", "3.13")),
        ("docker.io/python:3.13-slim", ImageReference("docker.io", "library/python", "3.13-slim")),
        ("index.docker.io/bitnami/redis:7", ImageReference("docker.io", "bitnami/redis", "7")),
        ("bitnami/redis:7.2.4", ImageReference("docker.io", "bitnami/redis", "7.2.4")),
        ("ghcr.io/astral-sh/uv:0.5", ImageReference("ghcr.io", "astral-sh/uv", "0.5")),
        ("GHCR.IO/owner/img:V1", ImageReference("ghcr.io", "owner/img", "V1")),
        ("localhost/team/app:v1", ImageReference("localhost", "team/app", "v1")),
        ("localhost:5000/app:v1", ImageReference("localhost:5000", "app", "v1")),
        ("127.0.0.1:5000/a/b/c:x_y", ImageReference("127.0.0.1:5000", "a/b/c", "x_y")),
        ("[::1]:5000/app:v1", ImageReference("[::1]:5000", "app", "v1")),
        (
            "registry.gitlab.com/group/sub/proj/img:main",
            ImageReference("registry.gitlab.com", "group/sub/proj/img", "main"),
        ),
        ("team/app__x-y.z:1", ImageReference("docker.io", "team/app__x-y.z", "1")),
    ],
)
def test_references_are_split_by_dockers_rules(reference: str, expected: ImageReference) -> None:
    assert parse_reference(reference) == expected


def test_docker_hub_is_asked_at_its_api_host_and_loopback_over_http() -> None:
    hub = parse_reference("python:3.13")
    assert hub.api_host == "registry-1.docker.io"
    assert hub.manifest_url == "https://registry-1.docker.io/v2/library/python/manifests/3.13"
    assert parse_reference("ghcr.io/o/i:1").manifest_url == "https://ghcr.io/v2/o/i/manifests/1"
    assert parse_reference("localhost:5000/app:v1").manifest_url == "http://localhost:5000/v2/app/manifests/v1"
    assert parse_reference("[::1]:5000/app:v1").loopback
    assert not parse_reference("127.example.com:5000/app:v1").loopback


@pytest.mark.parametrize(
    ("reference", "rule"),
    [
        ("python", "has no tag to resolve"),
        ("localhost:5000/app", "has no tag to resolve"),
        ("python:3.13@sha256:" + "a" * 64, "already has a digest"),
        ("python@sha256:" + "a" * 64, "already has a digest"),
        ("$REGISTRY/app:v1", "built from variables"),
        ("app:${TAG}", "built from variables"),
        ("app:{{tag}}", "built from variables"),
        ("python:3.13\n", "space or control character"),
        ("python:3\x1b[2J", "space or control character"),
        ("py thon:3", "space or control character"),
        ("team/../etc:1", "contains '..'"),
        ("Team/app:1", "name component"),
        ("team//app:1", "name component"),
        ("team/app-:1", "name component"),
        ("app:.hidden", "the tag is not"),
        ("app:" + "a" * 129, "the tag is not"),
        ("host:0/app:1", "not a host name"),
        ("host:70000/app:1", "not a host name"),
        ("[::zz]:5000/app:1", "not a host name"),
        ("-bad.example/app:1", "not a host name"),
        ("a" * 600 + ":1", "longer than 512"),
        ("ghcr.io/" + "a/" * 130 + "b:1", "longer than 255"),
    ],
)
def test_hostile_references_are_refused_with_the_rule(reference: str, rule: str) -> None:
    with pytest.raises(UsageError, match="image reference") as raised:
        parse_reference(reference)
    message = str(raised.value)
    assert rule in message
    assert "\n" not in message and "\x1b" not in message
    answer = refused(resolve_image(reference, online()))
    assert rule in answer


def test_nothing_is_asked_unless_the_settings_are_online() -> None:
    with fake_registry(lambda request: Reply(200, {"Docker-Content-Digest": MANIFEST_DIGEST})) as fake:
        reason = refused(resolve_image(f"{fake.host}/team/app:v1", Settings(online=False)))
    assert "--online" in reason
    assert fake.requests == []


# the real registry -------------------------------------------------------------------------------------------------


def test_a_single_manifest_image_resolves_to_the_digest_skopeo_reports(registry: Registry, tmp_path: Path) -> None:
    layout = oci_layout(tmp_path / "one", "v1.0", "hello")
    reference = registry.push(layout, "team/app")
    settings = online()

    pin = pinned(resolve_image(reference, settings))

    assert pin.value == layout.digest == registry.served_digest(reference)
    assert pin.version == "v1.0"
    assert pin.origin is Origin.LIVE
    assert pin.source == f"HEAD http://{registry.host}/v2/team/app/manifests/v1.0"
    assert pin.at == NOW


def test_an_index_resolves_to_the_index_digest_not_a_platform_manifest(registry: Registry, tmp_path: Path) -> None:
    layout = oci_layout(tmp_path / "multi", "2.1", "hello", architectures=("amd64", "arm64"))
    reference = registry.push(layout, "library/multi")
    assert len(layout.platforms) == 2

    pin = pinned(resolve_image(reference, online()))

    assert pin.value == layout.digest == registry.served_digest(reference)
    assert pin.value not in layout.platforms


def test_repushing_the_tag_changes_the_digest(registry: Registry, tmp_path: Path) -> None:
    first = oci_layout(tmp_path / "first", "stable", "first content")
    reference = registry.push(first, "team/app")
    first_run = online()
    before = pinned(resolve_image(reference, first_run)).value

    second = oci_layout(tmp_path / "second", "stable", "second content")
    registry.push(second, "team/app")
    remembered = pinned(resolve_image(reference, first_run)).value
    after = pinned(resolve_image(reference, online())).value

    assert (before, after) == (first.digest, second.digest)
    assert before != after
    assert remembered == before  # one run asks once per reference and keeps its answer


@pytest.mark.parametrize(("name", "tag"), [("team/app", "missing-tag"), ("team/no-such-repo", "v1.0")])
def test_an_unknown_tag_or_repository_is_refused_naming_it(
    registry: Registry, tmp_path: Path, name: str, tag: str
) -> None:
    registry.push(oci_layout(tmp_path / "one", "v1.0", "hello"), "team/app")

    reason = refused(resolve_image(f"{registry.host}/{name}:{tag}", online()))

    assert reason.startswith(f"could not resolve {registry.host}/{name}:{tag} at {registry.host}: ")
    assert f"no tag '{tag}' in repository '{name}'" in reason
    assert "404" in reason


def test_a_stopped_registry_is_refused_within_the_time_limit(tmp_path: Path) -> None:
    with docker_registry(tmp_path / "registry") as running:
        reference = running.push(oci_layout(tmp_path / "one", "v1", "hello"), "team/app")
        assert isinstance(resolve_image(reference, online()), Pinned)

    with hang_guard(30):
        reason = refused(resolve_image(reference, online(), timeout=5))
    assert reason.startswith(f"could not resolve {reference} at {running.host}: ")
    assert "connection refused" in reason


# a registry written here: tokens, redirects and answers the real one never gives -------------------------------------


def guarded(token: str, realm: Callable[[Fake], str], fake_box: list[Fake]) -> Callable[[Request], Reply]:
    """A registry that wants ``Bearer <token>`` on its manifests and issues that token at ``/token``."""

    def answer(request: Request) -> Reply:
        if request.path == "/token":
            return Reply(200, {"Content-Type": "application/json"}, json.dumps({"token": token}).encode())
        if request.headers.get("Authorization") != f"Bearer {token}":
            challenge = f'Bearer realm="{realm(fake_box[0])}",service="fake.test",scope="repository:team/app:pull"'
            return Reply(401, {"WWW-Authenticate": challenge})
        return Reply(200, {"Docker-Content-Digest": MANIFEST_DIGEST, "Content-Type": OCI_INDEX}, MANIFEST)

    return answer


def test_the_anonymous_token_flow_gets_the_digest() -> None:
    box: list[Fake] = []
    with fake_registry(guarded("t0k3n.abc", lambda fake: f"http://{fake.host}/token", box)) as fake:
        box.append(fake)
        pin = pinned(resolve_image(f"{fake.host}/team/app:v1", online()))

    assert pin.value == MANIFEST_DIGEST
    token_requests = [request for request in fake.requests if request.path == "/token"]
    assert len(token_requests) == 1
    assert token_requests[0].query == {"service": ["fake.test"], "scope": ["repository:team/app:pull"]}
    assert "Authorization" not in token_requests[0].headers
    manifests = [request for request in fake.requests if request.path != "/token"]
    assert [request.headers.get("Authorization") for request in manifests] == [None, "Bearer t0k3n.abc"]
    accepted = manifests[0].headers["Accept"]
    assert OCI_INDEX in accepted and "application/vnd.docker.distribution.manifest.list.v2+json" in accepted


@pytest.mark.parametrize(
    ("realm", "rule"),
    [
        ("http://auth.example.com/token", "plain http to a host that is not loopback"),
        ("ftp://127.0.0.1/token", "not an http(s) URL"),
        ("http://user:secret@127.0.0.1/token", "user name or password"),
    ],
)
def test_a_token_realm_that_breaks_the_rules_is_refused(realm: str, rule: str) -> None:
    box: list[Fake] = []
    with fake_registry(guarded("t", lambda _fake: realm, box)) as fake:
        box.append(fake)
        reason = refused(resolve_image(f"{fake.host}/team/app:v1", online()))

    assert "token realm refused" in reason and rule in reason
    assert [request.path for request in fake.requests] == ["/v2/team/app/manifests/v1"]


@pytest.mark.parametrize(
    ("registry", "realm", "expected"),
    [
        (
            "ghcr.io/o/i:1",
            "https://ghcr.io/token?a=1&a=2",
            "https://ghcr.io/token?a=1&a=2&service=svc&scope=repository%3Ao%2Fi%3Apull",
        ),
        (
            "python:3",
            "https://auth.docker.io/token",
            "https://auth.docker.io/token?service=svc&scope=repository%3Alibrary%2Fpython%3Apull",
        ),
        (
            "localhost:5000/app:1",
            "http://127.0.0.1:9/t",
            "http://127.0.0.1:9/t?service=svc&scope=repository%3Aapp%3Apull",
        ),
    ],
)
def test_the_token_is_asked_for_pull_on_the_repository_only(registry: str, realm: str, expected: str) -> None:
    assert token_url(parse_reference(registry), realm, "svc", online()) == expected


@pytest.mark.parametrize("realm", ["https://127.0.0.1/token", "https://localhost:8443/token", "http://[::1]/token"])
def test_a_registry_off_this_machine_may_not_send_the_token_request_to_loopback(realm: str) -> None:
    with pytest.raises(HttpError, match="is on loopback but the registry is not"):
        token_url(parse_reference("ghcr.io/o/i:1"), realm, None)


def test_a_registry_that_always_says_401_ends_with_a_refusal() -> None:
    def answer(request: Request) -> Reply:
        if request.path == "/token":
            return Reply(200, {}, b'{"access_token": "fresh"}')
        return Reply(401, {"WWW-Authenticate": f'Bearer realm="http://127.0.0.1:{box[0].port}/token"'})

    box: list[Fake] = []
    with fake_registry(answer) as fake, hang_guard(30):
        box.append(fake)
        reason = refused(resolve_image(f"{fake.host}/team/app:v1", online()))

    assert "401 again" in reason
    assert len(fake.requests) == 3  # the manifest, the token, the manifest once more: then it stops


@pytest.mark.parametrize(
    ("challenge", "rule"),
    [
        ('Basic realm="registry"', "asks for basic authentication"),
        ("", "asks for no authentication"),
        ('Bearer service="x"', "names no realm"),
    ],
)
def test_a_challenge_without_an_anonymous_way_in_is_refused(challenge: str, rule: str) -> None:
    headers = {"WWW-Authenticate": challenge} if challenge else {}
    with fake_registry(lambda _request: Reply(401, headers)) as fake:
        reason = refused(resolve_image(f"{fake.host}/team/app:v1", online()))
    assert rule in reason


@pytest.mark.parametrize(
    "body",
    [b"not json", b'{"tok": "x"}', b'{"token": "a b"}', b'{"token": "line\\r\\nX-Injected: 1"}', b"[1, 2]"],
)
def test_a_token_answer_that_is_not_a_usable_token_is_refused(body: bytes) -> None:
    def answer(request: Request) -> Reply:
        if request.path == "/token":
            return Reply(200, {}, body)
        return Reply(401, {"WWW-Authenticate": f'Bearer realm="http://127.0.0.1:{box[0].port}/token"'})

    box: list[Fake] = []
    with fake_registry(answer) as fake:
        box.append(fake)
        reason = refused(resolve_image(f"{fake.host}/team/app:v1", online()))
    assert "token" in reason
    assert sum(1 for request in fake.requests if request.path != "/token") == 1


def test_without_a_digest_header_the_manifest_is_fetched_and_hashed() -> None:
    def answer(request: Request) -> Reply:
        return Reply(200, {"Content-Type": OCI_INDEX}, MANIFEST)

    with fake_registry(answer) as fake:
        pin = pinned(resolve_image(f"{fake.host}/team/app:v1", online()))

    assert pin.value == MANIFEST_DIGEST
    assert pin.source == f"GET http://{fake.host}/v2/team/app/manifests/v1"
    assert [request.method for request in fake.requests] == ["HEAD", "GET"]


@pytest.mark.parametrize(
    ("head", "get", "rule"),
    [
        ({}, {"Docker-Content-Digest": "sha256:" + "0" * 64}, "is not the digest of the manifest it sent"),
        ({"Docker-Content-Digest": "sha256:ABC"}, {}, "not sha256:<64 hex>"),
        ({"Docker-Content-Digest": "sha512:" + "0" * 128}, {}, "not sha256:<64 hex>"),
        ({"Docker-Content-Digest": MANIFEST_DIGEST, "Content-Type": "text/html"}, {}, "served text/html"),
        ({}, {"Content-Type": "application/json"}, "served application/json"),
    ],
)
def test_a_digest_that_cannot_be_trusted_is_refused(head: dict[str, str], get: dict[str, str], rule: str) -> None:
    def answer(request: Request) -> Reply:
        if request.method == "HEAD":
            return Reply(200, {"Content-Type": OCI_INDEX, **head})
        return Reply(200, {"Content-Type": OCI_INDEX, **get}, MANIFEST)

    with fake_registry(answer) as fake:
        reason = refused(resolve_image(f"{fake.host}/team/app:v1", online()))
    assert rule in reason


@pytest.mark.parametrize(
    ("body", "rule"),
    [
        (b"<html>hello</html>", "is not JSON"),
        (b'{"schemaVersion": 1, "name": "x"}', "not a schema 2 manifest"),
        (b'{"schemaVersion": 2, "mediaType": "application/vnd.docker.container.image.v1+json"}', "is a application"),
    ],
)
def test_a_fetched_body_that_is_not_a_manifest_is_refused(body: bytes, rule: str) -> None:
    with fake_registry(lambda _request: Reply(200, {}, body)) as fake:
        reason = refused(resolve_image(f"{fake.host}/team/app:v1", online()))
    assert rule in reason


@pytest.mark.parametrize(
    ("status", "rule"),
    [(403, "denied (403)"), (429, "rate-limiting"), (500, "answered HTTP 500"), (418, "answered HTTP 418")],
)
def test_other_statuses_are_refused_with_the_status(status: int, rule: str) -> None:
    with fake_registry(lambda _request: Reply(status)) as fake:
        reason = refused(resolve_image(f"{fake.host}/team/app:v1", online()))
    assert rule in reason


def test_a_redirect_to_another_scheme_is_not_followed() -> None:
    def answer(request: Request) -> Reply:
        return Reply(307, {"Location": f"https://127.0.0.1:{box[0].port}/elsewhere"})

    box: list[Fake] = []
    with fake_registry(answer) as fake:
        box.append(fake)
        reason = refused(resolve_image(f"{fake.host}/team/app:v1", online()))
    assert "a redirect keeps the scheme" in reason
    assert len(fake.requests) == 1


def test_a_redirect_to_a_host_that_is_not_loopback_over_http_is_not_followed() -> None:
    with fake_registry(lambda _request: Reply(302, {"Location": "http://registry.example.com/v2/x"})) as fake:
        reason = refused(resolve_image(f"{fake.host}/team/app:v1", online()))
    assert "plain http to a host that is not loopback" in reason


def test_redirects_are_limited() -> None:
    with fake_registry(lambda request: Reply(302, {"Location": request.path + "x"})) as fake, hang_guard(30):
        reason = refused(resolve_image(f"{fake.host}/team/app:v1", online()))
    assert "more than 3 redirects" in reason
    assert len(fake.requests) == 4


def test_the_token_does_not_follow_a_redirect_to_another_host() -> None:
    """The manifest moved from 127.0.0.1 to localhost (another origin): the bearer token stays behind."""

    def answer(request: Request) -> Reply:
        if request.path == "/token":
            return Reply(200, {}, b'{"token": "secret-token"}')
        if request.path == "/moved":
            return Reply(200, {"Docker-Content-Digest": MANIFEST_DIGEST})
        if request.headers.get("Authorization") != "Bearer secret-token":
            return Reply(401, {"WWW-Authenticate": f'Bearer realm="http://127.0.0.1:{box[0].port}/token"'})
        return Reply(307, {"Location": f"http://localhost:{box[0].port}/moved"})

    box: list[Fake] = []
    with fake_registry(answer) as fake:
        box.append(fake)
        pin = pinned(resolve_image(f"{fake.host}/team/app:v1", online()))

    assert pin.value == MANIFEST_DIGEST
    moved = [request for request in fake.requests if request.path == "/moved"]
    assert len(moved) == 1 and "Authorization" not in moved[0].headers


# hostile servers ---------------------------------------------------------------------------------------------------


def headers_forever(connection: socket.socket, done: threading.Event) -> None:
    connection.sendall(b"HTTP/1.1 200 OK\r\n")
    while not done.is_set():
        connection.sendall(b"X-More: " + b"a" * 100 + b"\r\n")


def headers_trickled(connection: socket.socket, done: threading.Event) -> None:
    connection.sendall(b"HTTP/1.1 200 OK\r\n")
    while not done.is_set():
        connection.sendall(b"X")
        time.sleep(0.1)


def endless_header_line(connection: socket.socket, done: threading.Event) -> None:
    connection.sendall(b"HTTP/1.1 200 OK\r\nX-Long: ")
    while not done.is_set():
        connection.sendall(b"a" * 8192)


def body_larger_than_the_cap(connection: socket.socket, done: threading.Event) -> None:
    """No digest header and a body without a length that never ends: the GET must stop at the cap."""
    connection.sendall(f"HTTP/1.1 200 OK\r\nContent-Type: {OCI_INDEX}\r\nConnection: close\r\n\r\n".encode())
    while not done.is_set():
        connection.sendall(b" " * 65536)


def declared_too_large(connection: socket.socket, done: threading.Event) -> None:
    connection.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 99999999999\r\n\r\n{")


def closes_at_once(connection: socket.socket, done: threading.Event) -> None:
    return


def garbage(connection: socket.socket, done: threading.Event) -> None:
    connection.sendall(b"\x16\x03\x01 this is not http\r\n\r\n")


@pytest.mark.parametrize(
    ("behaviour", "rule"),
    [
        (headers_forever, "more than 100 headers"),
        (headers_trickled, "no answer within the time limit"),
        (endless_header_line, "a header line longer than 64 KiB"),
        (body_larger_than_the_cap, "more than the 4194304 bytes allowed"),
        (declared_too_large, "more than the 4194304 allowed"),
        (closes_at_once, "closed the connection without answering"),
        (garbage, "could not resolve"),
    ],
    ids=lambda value: getattr(value, "__name__", None),
)
def test_a_hostile_server_is_refused_not_followed(
    behaviour: Callable[[socket.socket, threading.Event], None], rule: str
) -> None:
    with raw_server(behaviour) as server, hang_guard(60):
        port = server.port
        reason = refused(resolve_image(f"127.0.0.1:{port}/team/app:v1", online(), timeout=3))
    assert rule in reason
    assert reason.startswith(f"could not resolve 127.0.0.1:{port}/team/app:v1 at 127.0.0.1:{port}: ")
    assert "\n" not in reason


def test_a_registry_that_never_answers_is_refused_at_the_time_limit() -> None:
    with silent_server() as port, hang_guard(60):
        reason = refused(resolve_image(f"127.0.0.1:{port}/team/app:v1", online(), timeout=2))
    assert "no answer within the time limit" in reason


def test_a_token_service_that_sends_too_much_is_refused() -> None:
    def answer(request: Request) -> Reply:
        if request.path == "/token":
            return Reply(200, {}, b'{"token": "' + b"a" * (300 * 1024) + b'"}')
        return Reply(401, {"WWW-Authenticate": f'Bearer realm="http://127.0.0.1:{box[0].port}/token"'})

    box: list[Fake] = []
    with fake_registry(answer) as fake:
        box.append(fake)
        reason = refused(resolve_image(f"{fake.host}/team/app:v1", online()))
    assert "token service: the answer is" in reason and "allowed" in reason


# Registries a file may not send scaffold to ------------------------------------------------------------------------


def _only(*hosts: str) -> Settings:
    forget()
    return Settings(online=True, now=NOW, cache_dir=Path("/nonexistent-cache"), allowed_hosts=frozenset(hosts))


def test_a_loopback_registry_the_user_did_not_name_is_never_asked() -> None:
    with fake_registry(lambda _request: Reply(200, {"Docker-Content-Digest": MANIFEST_DIGEST})) as fake:
        found = resolve_image(f"{fake.host}/team/app:v1", _only())
        other_port = resolve_image(f"{fake.host}/team/app:v1", _only("127.0.0.1:1"))
        named = resolve_image(f"{fake.host}/team/app:v1", _only(f"127.0.0.1:{fake.port}"))
    for answer in (found, other_port):
        assert isinstance(answer, Refused) and not answer.unreachable
        assert answer.reason == (
            f"{fake.host}/team/app:v1: the registry 127.0.0.1 is a loopback address (this machine); scaffold reaches "
            f"such a host only when you name it (--allow-host {fake.host})"
        )
    assert pinned(named).value == MANIFEST_DIGEST
    assert len(fake.requests) == 1  # the named run's HEAD only


@pytest.mark.parametrize(
    ("reference", "kind"),
    [
        ("169.254.169.254/latest/meta-data:1", "the registry 169.254.169.254 is a cloud metadata address"),
        ("169.254.7.7:5000/app:1", "the registry 169.254.7.7 is a link-local address"),
        ("[fe80::1]:5000/app:1", "the registry fe80::1 is a link-local address"),
        ("0.0.0.0:5000/app:1", "the registry 0.0.0.0 is an unspecified address"),
        ("localhost/app:1", "the registry localhost names this machine"),
        ("2130706433:5000/app:1", "the registry 2130706433 resolves to 127.0.0.1"),
    ],
)
def test_a_registry_off_limits_is_refused_before_any_connection(reference: str, kind: str) -> None:
    with hang_guard(30):
        reason = refused(resolve_image(reference, _only()))
    assert reason.startswith(f"{reference}: {kind}")
    assert "could not" not in reason


@pytest.mark.parametrize(
    ("realm", "kind"),
    [
        ("https://169.254.169.254/latest/api/token", "a cloud metadata address"),
        ("https://[fe80::1]/token", "a link-local address"),
        ("http://127.0.0.1:{other}/token", "a loopback address"),
    ],
)
def test_a_token_realm_off_limits_is_refused_even_from_a_named_registry(realm: str, kind: str) -> None:
    """The user named the registry; the realm is the registry's word, judged like a file's: another port on the
    same loopback host is another service."""
    with fake_registry(lambda _request: Reply(200, {}, b'{"token": "t"}')) as other:
        box: list[Fake] = []
        with fake_registry(guarded("t", lambda _fake: realm.format(other=other.port), box)) as fake:
            box.append(fake)
            reason = refused(resolve_image(f"{fake.host}/team/app:v1", _only(fake.host)))
    assert "token realm refused" in reason and kind in reason
    assert [request.path for request in fake.requests] == ["/v2/team/app/manifests/v1"]
    assert other.requests == []


def test_token_url_judges_the_realm_with_nobody_named_when_no_settings_are_given() -> None:
    image = ImageReference("registry.example.com", "team/app", "v1")
    with pytest.raises(HttpError, match="a cloud metadata address"):
        token_url(image, "https://169.254.169.254/latest/api/token", None)
    named = Settings(allowed_hosts=frozenset({"169.254.169.254"}))
    assert token_url(image, "https://169.254.169.254/t", None, named).startswith("https://169.254.169.254/t?scope=")
