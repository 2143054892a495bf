"""``bounded_http``: which URLs may be asked, caps, the deadline and redirects, against an http.server on loopback.
The hostile servers (a flood of headers, a trickle, an endless body) are in test_oci.py, through the resolver."""

from __future__ import annotations

import base64
import socket
import threading
import time

import pytest

from scaffold.resolve.bounded_http import Answer, HttpError, checked_url, fetch
from scaffold.resolve.model import Settings
from tests.support.oci_registry import Reply, Request, fake_registry, raw_server

LOOPBACK = Settings(allowed_hosts=frozenset({"127.0.0.1", "localhost", "::1"}))
"""The fake servers here are on this machine, so the user names it, as ``--allow-host`` does."""


def soon() -> float:
    return time.monotonic() + 20


@pytest.mark.parametrize(
    "url",
    [
        "https://ghcr.io/v2/o/i/manifests/1",
        "https://registry.example.com:8443/token?x=1",
        "http://127.0.0.1:5000/v2/",
        "http://127.8.9.10/v2/",
        "http://[::1]:5000/v2/",
        "http://localhost/v2/",
    ],
)
def test_https_anywhere_and_http_on_loopback_may_be_asked(url: str) -> None:
    assert checked_url(url).geturl() == url


@pytest.mark.parametrize(
    ("url", "rule"),
    [
        ("http://registry.example.com/v2/", "plain http to a host that is not loopback"),
        ("http://10.0.0.1/v2/", "plain http to a host that is not loopback"),
        ("ftp://127.0.0.1/x", "not an http(s) URL"),
        ("file:///etc/passwd", "not an http(s) URL"),
        ("https:///v2/", "not an http(s) URL"),
        ("https://user:pw@ghcr.io/token", "user name or password"),
        ("https://token@ghcr.io/token", "user name or password"),
        ("http://127.0.0.1:0/v2/", "port 0"),
        ("http://127.0.0.1:99999/v2/", "not a valid URL"),
    ],
)
def test_other_urls_are_refused_with_the_rule(url: str, rule: str) -> None:
    with pytest.raises(HttpError) as raised:
        checked_url(url)
    assert rule in str(raised.value)


def test_a_get_body_at_the_cap_is_read_and_one_byte_more_is_refused() -> None:
    body = b"x" * 1000
    with fake_registry(lambda _request: Reply(200, {"X-Twice": "a"}, body)) as fake:
        answer = fetch("GET", f"http://{fake.host}/blob", headers={}, deadline=soon(), cap=1000, settings=LOOPBACK)
        assert answer.body == body and answer.status == 200
        assert answer.header("x-twice") == "a"
        with pytest.raises(HttpError, match="the answer is 1000 bytes, more than the 999 allowed"):
            fetch("GET", f"http://{fake.host}/blob", headers={}, deadline=soon(), cap=999, settings=LOOPBACK)


def test_head_reads_no_body_whatever_length_it_declares() -> None:
    with fake_registry(lambda _request: Reply(200, {"Content-Length": str(10**12)})) as fake:
        answer = fetch("HEAD", f"http://{fake.host}/m", headers={}, deadline=soon(), cap=10, settings=LOOPBACK)
    assert (answer.status, answer.body) == (200, b"")


def test_a_deadline_already_passed_asks_nothing() -> None:
    with fake_registry(lambda _request: Reply(200)) as fake:
        with pytest.raises(HttpError, match="no answer within the time limit"):
            fetch("GET", f"http://{fake.host}/m", headers={}, deadline=time.monotonic() - 1, cap=10, settings=LOOPBACK)
        assert fake.requests == []


def test_a_redirect_on_the_same_origin_keeps_the_headers_and_another_origin_drops_authorization() -> None:
    def answer(request: Request) -> Reply:
        if request.path == "/first":
            return Reply(302, {"Location": "/second"})
        if request.path == "/second":
            return Reply(307, {"Location": f"http://localhost:{boxed[0]}/third"})
        return Reply(200, {}, b"done")

    boxed: list[int] = []
    with fake_registry(answer) as fake:
        boxed.append(fake.port)
        headers = {"Authorization": "Bearer abc", "Accept": "x/y"}
        final = fetch("GET", f"http://{fake.host}/first", headers=headers, deadline=soon(), cap=100, settings=LOOPBACK)

    assert isinstance(final, Answer)
    assert (final.body, final.url) == (b"done", f"http://localhost:{fake.port}/third")
    seen = [
        (request.path, request.headers.get("Authorization"), request.headers.get("Accept")) for request in fake.requests
    ]
    assert seen == [
        ("/first", "Bearer abc", "x/y"),
        ("/second", "Bearer abc", "x/y"),
        ("/third", None, "x/y"),
    ]


def test_a_redirect_without_a_location_is_the_answer() -> None:
    with fake_registry(lambda _request: Reply(302)) as fake:
        answer = fetch("GET", f"http://{fake.host}/m", headers={}, deadline=soon(), cap=100, settings=LOOPBACK)
    assert answer.status == 302
    assert len(fake.requests) == 1


def refuse_the_tunnel(connection: socket.socket, done: threading.Event) -> None:
    connection.sendall(b"HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n")


@pytest.fixture
def no_proxy_settings(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    for name in ("https_proxy", "HTTPS_PROXY", "no_proxy", "NO_PROXY", "http_proxy", "HTTP_PROXY", "all_proxy"):
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


def test_https_goes_through_the_proxy_the_environment_names(no_proxy_settings: pytest.MonkeyPatch) -> None:
    with raw_server(refuse_the_tunnel) as proxy:
        no_proxy_settings.setenv("https_proxy", f"http://me:p%40ss@127.0.0.1:{proxy.port}")
        with pytest.raises(HttpError, match="Tunnel connection failed: 403"):
            fetch(
                "GET",
                "https://registry.invalid/v2/",
                headers={"Authorization": "Bearer t"},
                deadline=soon(),
                cap=10,
                settings=LOOPBACK,
            )

    assert len(proxy.received) == 1
    head = proxy.received[0].decode()
    assert head.startswith("CONNECT registry.invalid:443 HTTP/")
    assert f"Proxy-Authorization: Basic {base64.b64encode(b'me:p@ss').decode()}" in head
    assert "Bearer" not in head  # the registry's token is for the registry, inside the tunnel


@pytest.mark.parametrize("url", ["https://registry.invalid/v2/", "https://127.0.0.1:{closed}/v2/"])
def test_no_proxy_and_loopback_are_not_proxied(no_proxy_settings: pytest.MonkeyPatch, url: str) -> None:
    with raw_server(refuse_the_tunnel) as closed:
        closed_port = closed.port  # a port nobody listens on once the block exits
    with raw_server(refuse_the_tunnel) as proxy:
        no_proxy_settings.setenv("https_proxy", f"127.0.0.1:{proxy.port}")
        no_proxy_settings.setenv("no_proxy", "example.com,registry.invalid")
        with pytest.raises(HttpError, match=r"does not resolve|connection refused"):
            fetch("GET", url.format(closed=closed_port), headers={}, deadline=soon(), cap=10, settings=LOOPBACK)
    assert proxy.received == []


@pytest.mark.parametrize("value", ["socks5://127.0.0.1:1080", "http://127.0.0.1:99999", "http://:8080"])
def test_a_proxy_setting_that_is_not_an_http_proxy_is_refused_without_showing_it(
    no_proxy_settings: pytest.MonkeyPatch, value: str
) -> None:
    no_proxy_settings.setenv("HTTPS_PROXY", value.replace("//", "//user:hunter2@"))
    with pytest.raises(HttpError, match="https_proxy is not an http://host:port proxy") as raised:
        fetch("GET", "https://registry.invalid/v2/", headers={}, deadline=soon(), cap=10, settings=LOOPBACK)
    assert "hunter2" not in str(raised.value)


# Hosts a file may not send the client to ---------------------------------------------------------------------------


def test_a_loopback_server_the_user_did_not_name_is_not_asked() -> None:
    with fake_registry(lambda _request: Reply(200, {}, b"secret")) as fake:
        with pytest.raises(
            HttpError, match=rf"127\.0\.0\.1 is a loopback address .*--allow-host 127\.0\.0\.1:{fake.port}"
        ):
            fetch("GET", f"http://{fake.host}/admin", headers={}, deadline=soon(), cap=100, settings=Settings())
        assert fake.requests == []


def test_only_the_port_the_user_named_is_allowed() -> None:
    with fake_registry(lambda _request: Reply(200, {}, b"ok")) as fake:
        named = Settings(allowed_hosts=frozenset({f"127.0.0.1:{fake.port}"}))
        assert (
            fetch("GET", f"http://{fake.host}/v2/", headers={}, deadline=soon(), cap=10, settings=named).body == b"ok"
        )
        with pytest.raises(HttpError, match=r"localhost names this machine \(loopback\)"):
            fetch("GET", f"http://localhost:{fake.port}/v2/", headers={}, deadline=soon(), cap=10, settings=named)
    assert len(fake.requests) == 1


@pytest.mark.parametrize(
    ("location", "kind"),
    [
        ("https://169.254.169.254/latest/meta-data/", "a cloud metadata address"),
        ("https://[fe80::1]/x", "a link-local address"),
        ("https://0.0.0.0:{other}/x", "an unspecified address"),
        ("http://127.0.0.1:{other}/x", "a loopback address"),
        ("https://2130706433:{other}/x", "resolves to 127.0.0.1"),
    ],
)
def test_a_redirect_may_not_send_the_client_where_a_file_could_not(location: str, kind: str) -> None:
    """The first server was named by the user; where it redirects is the server's word, judged like a file's."""
    with raw_server(lambda _connection, _done: None) as other:
        target = location.format(other=other.port)
        with fake_registry(lambda _request: Reply(302, {"Location": target})) as fake:
            named = Settings(allowed_hosts=frozenset({fake.host}))
            with pytest.raises(HttpError, match=kind):
                fetch("GET", f"http://{fake.host}/v2/", headers={}, deadline=soon(), cap=10, settings=named)
        assert len(fake.requests) == 1
    assert other.received == []


def test_the_address_actually_connected_to_is_judged_again(no_proxy_settings: pytest.MonkeyPatch) -> None:
    """DNS rebinding: the name resolved to a public address when it was judged, and to loopback when the client
    connected. The pre-check's resolver is replaced by one giving the public answer (a stand-in for the rebinding
    DNS server); the connection itself resolves ``2130706433`` to 127.0.0.1 for real and must be refused before a
    byte is sent."""
    import ipaddress

    from scaffold.resolve import urls

    no_proxy_settings.setattr(urls, "resolved", lambda _name: (ipaddress.ip_address("192.0.2.10"),))
    refusal = r"2130706433 connected to 127\.0\.0\.1, a loopback address"
    with raw_server(lambda _connection, _done: None) as server, pytest.raises(HttpError, match=refusal):
        fetch("GET", f"https://2130706433:{server.port}/v2/", headers={}, deadline=soon(), cap=10, settings=Settings())
    assert all(chunk == b"" for chunk in server.received)  # connected, then closed: no TLS hello, no request


def test_the_proxy_is_the_users_and_is_not_judged(no_proxy_settings: pytest.MonkeyPatch) -> None:
    """A proxy on this machine (a common setup) is named by the environment, so by the user: it is used."""
    with raw_server(refuse_the_tunnel) as proxy:
        no_proxy_settings.setenv("https_proxy", f"http://127.0.0.1:{proxy.port}")
        with pytest.raises(HttpError, match="Tunnel connection failed: 403"):
            fetch("GET", "https://registry.invalid/v2/", headers={}, deadline=soon(), cap=10, settings=Settings())
    assert len(proxy.received) == 1 and proxy.received[0].startswith(b"CONNECT registry.invalid:443 ")
