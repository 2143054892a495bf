"""One HTTP request to a server scaffold does not trust, bounded in every way it could go wrong.

- One deadline covers the whole exchange (connecting, the TLS handshake, every read and write, each redirect), so
  a server that trickles its headers a byte at a time ends at the deadline as surely as one that never answers.
- The answer is capped: at most 100 header lines of 64 KiB each (http.client's own limits) and ``cap`` bytes of
  body; a larger body is a failure, not a truncation.
- Plain http only to a loopback host (127.0.0.0/8, ::1, ``localhost``); every other host over https with the
  system's certificate checks. A URL with a user name or password is refused: nothing here sends credentials
  except the ``Authorization`` header a caller adds, which is dropped when a redirect leaves the origin.
- A host on loopback, link-local (the cloud metadata service), multicast or ``0.0.0.0`` is reached only when the
  user named it (``urls.host_problem`` with the run's ``Settings``), at every redirect: the host written in the
  URL and every address its name resolves to are judged before connecting, and the address actually connected to
  is judged again before a byte is sent, so a DNS answer that changes in between cannot steer the request. Through
  a proxy the connection is to the proxy (the user's), and the proxy resolves the name.
- Redirects are followed at most ``redirects`` times, never to another scheme, and every target passes the rules
  above again.
- An https request goes through the proxy ``https_proxy`` names (an ``http://host:port`` proxy, tunnelled with
  CONNECT), unless ``no_proxy`` exempts the host, as curl and git do; loopback is never proxied.

Every failure is ``HttpError`` with a one-line message fit for a report; nothing else escapes.
"""

from __future__ import annotations

import base64
import http.client
import io
import socket
import ssl
import time
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import SplitResult, unquote, urljoin, urlsplit

from scaffold.resolve.model import Settings
from scaffold.resolve.urls import DEFAULT_PORTS, host_problem, is_loopback
from scaffold.untrusted.text import shown

MAX_REDIRECTS = 3
_REDIRECTS = frozenset({301, 302, 303, 307, 308})


class HttpError(Exception):
    """The request failed or broke a rule; the message is one line naming what happened."""


@dataclass(frozen=True)
class Answer:
    """A final (non-redirect) answer: its status, headers in the order sent, body (empty for HEAD) and URL."""

    status: int
    headers: tuple[tuple[str, str], ...]
    body: bytes
    url: str

    def header(self, name: str) -> str | None:
        """The first header called ``name`` (case-insensitive), or None."""
        wanted = name.lower()
        return next((value for key, value in self.headers if key.lower() == wanted), None)

    def headers_named(self, name: str) -> list[str]:
        wanted = name.lower()
        return [value for key, value in self.headers if key.lower() == wanted]


def checked_url(url: str) -> SplitResult:
    """``url`` split, when it may be asked at all: http(s), a host, no credentials, http only on loopback."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as error:
        raise HttpError(f"{shown(url, 120)} is not a valid URL ({error})") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise HttpError(f"{shown(url, 120)} is not an http(s) URL with a host")
    if parts.username is not None or parts.password is not None:
        raise HttpError(f"{shown(url, 120)} carries a user name or password; scaffold sends no credentials")
    if parts.scheme == "http" and not is_loopback(parts.hostname):
        raise HttpError(f"{shown(url, 120)} is plain http to a host that is not loopback; https is required")
    if port == 0:
        raise HttpError(f"{shown(url, 120)} names port 0")
    return parts


def reachable_url(url: str, settings: Settings) -> SplitResult:
    """``checked_url(url)``, when its host may also be reached (``urls.host_problem``), else ``HttpError``."""
    parts = checked_url(url)
    problem = host_problem(parts.hostname or "", parts.port or DEFAULT_PORTS[parts.scheme], settings)
    if problem is not None:
        raise HttpError(problem)
    return parts


def fetch(
    method: str,
    url: str,
    *,
    headers: Mapping[str, str],
    deadline: float,
    cap: int,
    settings: Settings,
    redirects: int = MAX_REDIRECTS,
) -> Answer:
    """Ask ``method url`` with ``headers`` and return the final answer; ``deadline`` is a ``time.monotonic()``
    instant; ``settings`` names the hosts the user allowed. A body larger than ``cap`` bytes, a broken rule or any
    network error raises ``HttpError``."""
    sent = dict(headers)
    current = reachable_url(url, settings)
    for _hop in range(redirects + 1):
        status, received, body, location = _once(method, current, sent, deadline, cap, settings)
        if status not in _REDIRECTS or location is None:
            return Answer(status, received, body, current.geturl())
        following = reachable_url(urljoin(current.geturl(), location), settings)
        if following.scheme != current.scheme:
            raise HttpError(f"redirected from {current.scheme} to {following.scheme}; a redirect keeps the scheme")
        if (following.hostname, following.port) != (current.hostname, current.port):
            sent = {key: value for key, value in sent.items() if key.lower() != "authorization"}
        current = following
    raise HttpError(f"more than {redirects} redirects")


def _once(
    method: str, url: SplitResult, headers: Mapping[str, str], deadline: float, cap: int, settings: Settings
) -> tuple[int, tuple[tuple[str, str], ...], bytes, str | None]:
    path = (url.path or "/") + (f"?{url.query}" if url.query else "")
    connection: http.client.HTTPConnection | None = None
    response: http.client.HTTPResponse | None = None
    try:
        connection = _connection(url, deadline, settings)
        connection.request(method, path, headers={"User-Agent": "scaffold", **headers})
        response = connection.getresponse()
        received = tuple(response.getheaders())
        if response.status in _REDIRECTS:
            return response.status, received, b"", response.getheader("Location")
        if method == "HEAD":  # its Content-Length is the size of the body a GET would get
            return response.status, received, b"", None
        declared = response.getheader("Content-Length")
        if declared is not None and declared.strip().isdigit() and int(declared) > cap:
            raise HttpError(f"the answer is {int(declared)} bytes, more than the {cap} allowed")
        body = response.read(cap + 1)
        if len(body) > cap:
            raise HttpError(f"the answer is more than the {cap} bytes allowed")
        return response.status, received, body, None
    except HttpError:
        raise
    except TimeoutError:
        raise HttpError("no answer within the time limit") from None
    except ssl.SSLError as error:
        raise HttpError(f"TLS failed: {shown(str(error.reason or error), 160)}") from None
    except (OSError, http.client.HTTPException, ValueError) as error:
        raise HttpError(_describe(error)) from None
    finally:
        if response is not None:
            response.close()
        if connection is not None:
            connection.close()


def _describe(error: BaseException) -> str:
    if isinstance(error, http.client.LineTooLong):
        return "a header line longer than 64 KiB"
    if isinstance(error, http.client.RemoteDisconnected):
        return "the server closed the connection without answering"
    if isinstance(error, ConnectionRefusedError):
        return "connection refused"
    if isinstance(error, socket.gaierror):
        return f"the host name does not resolve ({shown(str(error.strerror or error), 80)})"
    text = str(error) or type(error).__name__
    return shown(text, 160)


def _remaining(deadline: float) -> float:
    left = deadline - time.monotonic()
    if left <= 0:
        raise TimeoutError("deadline passed")
    return left


def _connection(url: SplitResult, deadline: float, settings: Settings) -> http.client.HTTPConnection:
    host = url.hostname or ""
    if url.scheme != "https":
        return _BoundedHTTP(host, url.port, deadline, settings)
    proxy = _proxy_for(host)
    if proxy is None:
        return _BoundedHTTPS(host, url.port, deadline, settings)
    # The proxy is the environment's, so the user's: it is not judged, and it resolves and judges the host itself.
    connection = _BoundedHTTPS(proxy.hostname or "", proxy.port or 80, deadline, None)
    headers = {}
    if proxy.username is not None:
        pair = f"{unquote(proxy.username)}:{unquote(proxy.password or '')}"
        headers["Proxy-Authorization"] = "Basic " + base64.b64encode(pair.encode()).decode("ascii")
    connection.set_tunnel(host, url.port or 443, headers=headers)
    return connection


def _proxy_for(host: str) -> SplitResult | None:
    """The proxy the environment names for https to ``host`` (its credentials go to the proxy only), or None."""
    named = urllib.request.getproxies_environment().get("https")
    if not named or is_loopback(host) or urllib.request.proxy_bypass(host):
        return None
    parts = urlsplit(named if "://" in named else f"http://{named}")
    try:
        valid = parts.scheme == "http" and bool(parts.hostname) and parts.port != 0
    except ValueError:
        valid = False
    if not valid:  # the value is not shown: it may hold the proxy's password
        raise HttpError("https_proxy is not an http://host:port proxy")
    return parts


class _BoundedHTTP(http.client.HTTPConnection):
    def __init__(self, host: str, port: int | None, deadline: float, settings: Settings | None) -> None:
        super().__init__(host, port, timeout=_remaining(deadline))
        self._deadline = deadline
        self._create_connection = _PeerChecked(settings, self.default_port)

    def connect(self) -> None:
        super().connect()
        self.sock = _DeadlineSocket(self.sock, self._deadline)


class _BoundedHTTPS(http.client.HTTPSConnection):
    def __init__(self, host: str, port: int | None, deadline: float, settings: Settings | None) -> None:
        super().__init__(host, port, timeout=_remaining(deadline), context=ssl.create_default_context())
        self._deadline = deadline
        self._create_connection = _PeerChecked(settings, self.default_port)

    def connect(self) -> None:
        super().connect()
        self.sock = _DeadlineSocket(self.sock, self._deadline)


class _PeerChecked:
    """``socket.create_connection`` that refuses, before a byte is sent, a connection whose peer is an address a
    host a file names may not reach (``urls.host_problem``): the name may have resolved elsewhere a moment ago.
    ``settings`` None: the host is the user's (the proxy), not judged."""

    def __init__(self, settings: Settings | None, default_port: int) -> None:
        self._settings = settings
        self._default_port = default_port

    def __call__(
        self, address: tuple[str, int], timeout: float | None = None, source_address: tuple[str, int] | None = None
    ) -> socket.socket:
        sock = socket.create_connection(address, timeout, source_address)
        if self._settings is None:
            return sock
        host, port = address
        try:
            peer = str(sock.getpeername()[0])
            problem = host_problem(host, port or self._default_port, self._settings, connected_to=peer)
        except OSError:
            sock.close()
            raise
        if problem is not None:
            sock.close()
            raise HttpError(problem)
        return sock


class _DeadlineSocket:
    """The parts of a socket http.client uses, each bounded by what is left of the deadline.

    Like a real socket's ``makefile``, a reader keeps the socket open: http.client closes the connection as soon as
    it has the headers of a response that ends the connection, and reads the body afterwards.
    """

    def __init__(self, sock: socket.socket, deadline: float) -> None:
        self._sock = sock
        self._deadline = deadline
        self._readers = 0
        self._closing = False

    def sendall(self, data: bytes) -> None:
        self._sock.settimeout(_remaining(self._deadline))
        self._sock.sendall(data)

    def recv_into(self, buffer: memoryview) -> int:
        self._sock.settimeout(_remaining(self._deadline))
        return self._sock.recv_into(buffer)

    def makefile(self, mode: str) -> io.BufferedReader:
        self._readers += 1
        return io.BufferedReader(_DeadlineReader(self))

    def reader_closed(self) -> None:
        self._readers -= 1
        if self._closing and self._readers <= 0:
            self._sock.close()

    def close(self) -> None:
        self._closing = True
        if self._readers <= 0:
            self._sock.close()


class _DeadlineReader(io.RawIOBase):
    def __init__(self, sock: _DeadlineSocket) -> None:
        self._sock = sock

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        return self._sock.recv_into(buffer)

    def close(self) -> None:
        if not self.closed:
            self._sock.reader_closed()
        super().close()
