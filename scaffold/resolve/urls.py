"""Which URLs and hosts live resolution may reach. One judge for the URLs files name and the base URLs the user
gives (``url_problem``), and one for the hosts (``host_problem``).

URLs: https anywhere; plain http and git:// only on this machine.

Hosts: a file in the repository (a workflow, a Dockerfile, a pins file) is hostile, so a host it names is never
contacted when it is this machine (loopback, ``localhost``, ``0.0.0.0``), link-local (169.254.0.0/16, fe80::/10,
where the cloud metadata service answers), multicast, or a known metadata address, whether it is written as an
address or is a name that resolves to one. Such a host is reached only when the user named it: the hosts of
``--action-forge`` and ``--gitlab-url``, and each ``--allow-host HOST[:PORT]``. Private ranges (10/8, 172.16/12,
192.168/16) stay allowed: enterprise forges and registries live there.

A name is resolved here, before anything connects; the HTTP client checks the address it actually connected to
as well, which closes DNS rebinding for registries. git resolves the name again on its own, so for git URLs the
check here is the only one: a DNS server that answers a public address first and a loopback one a moment later
can still steer git (``docs/pins.md`` says so).
"""

from __future__ import annotations

import functools
import ipaddress
import re
import socket
import threading
import time
import urllib.parse

from scaffold.resolve.model import Settings
from scaffold.untrusted.text import shown

LOOPBACK_NAMES = frozenset({"localhost"})
DEFAULT_PORTS = {"https": 443, "http": 80, "git": 9418}
RESOLVE_SECONDS = 5.0
"""How long a host name may take to resolve before it is let through to the connection (which fails on its own)."""
METADATA_ADDRESSES = frozenset(
    ipaddress.ip_address(address)
    for address in ("169.254.169.254", "169.254.170.2", "100.100.100.200", "fd00:ec2::254")
)
"""Cloud metadata services (AWS, GCP and Azure at 169.254.169.254, ECS at 169.254.170.2, Alibaba at
100.100.100.200, AWS's IPv6 endpoint): credentials answer there, so a file may never send scaffold to them."""
_HOST_NAME = re.compile(r"[A-Za-z0-9_](?:[A-Za-z0-9_.-]{0,251}[A-Za-z0-9_])?")
_RESOLVED_LIMIT = 1024
_RESOLVED_SECONDS = 60.0
IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
_SCHEME = re.compile(r"(?P<scheme>[A-Za-z][A-Za-z0-9+.-]*)://")
_MAX_URL = 2048


def is_loopback(host: str) -> bool:
    """Whether ``host`` (a name or an address, IPv6 without brackets) is this machine."""
    if host.lower() in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def url_problem(url: str) -> str | None:
    """Why scaffold will not ask git to read ``url``, or None when it may."""
    if not url:
        return "the URL is empty"
    if len(url) > _MAX_URL:
        return f"the URL is longer than {_MAX_URL} characters"
    if any(char.isspace() or not char.isprintable() for char in url):
        return "the URL holds a space or a control character"
    if url.startswith("-"):
        return "the URL starts with '-'"
    match = _SCHEME.match(url)
    if match is None:
        return "only https:// URLs are read (http:// and git:// on loopback), not local paths or ssh addresses"
    scheme = match.group("scheme").lower()
    if scheme not in ("https", "http", "git"):
        return f"the {scheme}:// transport is not allowed (https://, or http:// and git:// on loopback)"
    try:
        parts = urllib.parse.urlsplit(url)
        host = parts.hostname or ""
        port = parts.port
    except ValueError as error:
        return f"the URL cannot be parsed ({error})"
    if "@" in parts.netloc:
        return "credentials in the URL are not allowed"
    if not host:
        return "the URL names no host"
    if parts.query or parts.fragment:
        return "the URL holds a query or a fragment"
    if port == 0:
        return "the URL names port 0"
    if scheme != "https" and not is_loopback(host):
        return f"{scheme}:// is allowed only to a loopback host (127.0.0.1, ::1, localhost); use https://"
    return None


def check_base_url(url: str) -> str | None:
    """Why ``url`` cannot be a forge or server base URL (``--action-forge``, ``--gitlab-url``), or None: the same
    rules as any URL scaffold reads (``url_problem``), in a message that quotes the URL."""
    problem = url_problem(url)
    return None if problem is None else f"'{shown(url, 80)}': {problem}"


# Hosts --------------------------------------------------------------------------------------------------------------


def normal_host(host: str) -> str:
    """``host`` as compared: lower case, no brackets or trailing dot, an address in its compressed form."""
    text = host.strip().removeprefix("[").removesuffix("]").rstrip(".").lower()
    try:
        return ipaddress.ip_address(text).compressed
    except ValueError:
        return text


def allowed_host(text: str) -> str:
    """``HOST`` or ``HOST:PORT`` (``[v6]:PORT`` for an IPv6 address with a port) as ``--allow-host`` takes it,
    normalised; ``ValueError`` with the rule when it is not one."""
    host, port = _split_host_port(text.strip())
    name = normal_host(host)
    if not name or not (_is_address(name) or _HOST_NAME.fullmatch(name)):
        raise ValueError(f"'{shown(text, 80)}' is not HOST or HOST:PORT (a host name or an IP address)")
    if port is not None and not (port.isdigit() and 0 < int(port) < 65536):
        raise ValueError(f"'{shown(text, 80)}': the port is not a number from 1 to 65535")
    shown_host = f"[{name}]" if ":" in name and port is not None else name
    return shown_host if port is None else f"{shown_host}:{int(port)}"


def host_problem(host: str, port: int | None, settings: Settings, *, connected_to: str | None = None) -> str | None:
    """Why scaffold will not connect to ``host`` at ``port`` (None: the scheme's default is unknown) when a file
    named it, or None when it may. With ``connected_to``, judge that address (the peer of an open connection)
    instead of resolving the name."""
    name = normal_host(host)
    if user_named(name, port, settings):
        return None
    if connected_to is not None:
        peer = _address(connected_to)
        what = None if peer is None else address_kind(peer)
        if peer is None or what is None:
            return None
        return f"{shown(host, 80)} connected to {peer.compressed}, {what}{_ask(host, port)}"
    literal = _address(name)
    if literal is not None:
        what = address_kind(literal)
        return None if what is None else f"{shown(host, 80)} is {what}{_ask(host, port)}"
    if name in LOOPBACK_NAMES or name.endswith(".localhost"):
        return f"{shown(host, 80)} names this machine (loopback){_ask(host, port)}"
    for address in resolved(name):
        what = address_kind(address)
        if what is not None:
            return f"{shown(host, 80)} resolves to {address.compressed}, {what}{_ask(host, port)}"
    return None


def url_host_problem(url: str, settings: Settings) -> str | None:
    """``url_problem(url)``, then ``host_problem`` for its host: why scaffold will not read ``url``, or None."""
    problem = url_problem(url)
    if problem is not None:
        return problem
    parts = urllib.parse.urlsplit(url)
    return host_problem(parts.hostname or "", parts.port or DEFAULT_PORTS.get(parts.scheme.lower()), settings)


def _ask(host: str, port: int | None) -> str:
    """The end of a refusal: the option that would allow this host at this port."""
    name = normal_host(host)
    named = name if port is None else f"[{name}]:{port}" if ":" in name else f"{name}:{port}"
    return f"; scaffold reaches such a host only when you name it (--allow-host {shown(named, 80)})"


def address_kind(address: IPAddress) -> str | None:
    """What makes ``address`` off limits to a host a file names (``a loopback address``), or None."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    if address in METADATA_ADDRESSES:
        return "a cloud metadata address (link-local)" if address.is_link_local else "a cloud metadata address"
    if address.is_loopback:
        return "a loopback address (this machine)"
    if address.is_link_local:
        return "a link-local address"
    if address.is_unspecified or (isinstance(address, ipaddress.IPv4Address) and address.packed[0] == 0):
        return "an unspecified address (it reaches this machine)"
    if address.is_multicast:
        return "a multicast address"
    return None


def user_named(host: str, port: int | None, settings: Settings) -> bool:
    """Whether the user named ``host`` (normalised) at ``port``: the host of ``--action-forge`` or ``--gitlab-url``
    at its port, or an ``--allow-host`` (any port unless it gives one)."""
    return any(
        named == host and (named_port is None or named_port == port) for named, named_port in _user_hosts(settings)
    )


@functools.lru_cache(maxsize=32)
def _user_hosts(settings: Settings) -> frozenset[tuple[str, int | None]]:
    found: set[tuple[str, int | None]] = set()
    for base in (settings.action_forge, settings.gitlab_url):
        try:
            parts = urllib.parse.urlsplit(base)
            if parts.hostname:
                found.add((normal_host(parts.hostname), parts.port or DEFAULT_PORTS.get(parts.scheme.lower())))
        except ValueError:
            continue
    for entry in settings.allowed_hosts:
        try:
            host, port = _split_host_port(entry)
        except ValueError:
            continue
        found.add((normal_host(host), int(port) if port and port.isdigit() else None))
    return frozenset(found)


def _split_host_port(text: str) -> tuple[str, str | None]:
    if text.startswith("["):
        host, bracket, rest = text[1:].partition("]")
        if not bracket or (rest and not rest.startswith(":")):
            raise ValueError(f"'{shown(text, 80)}' is not [IPv6] or [IPv6]:PORT")
        return host, rest[1:] if rest else None
    if text.count(":") == 1:
        host, _, port = text.partition(":")
        return host, port
    return text, None  # a name, an IPv4 address, or an IPv6 address without brackets (and so without a port)


def _is_address(text: str) -> bool:
    return _address(text) is not None


def _address(text: str) -> IPAddress | None:
    try:
        return ipaddress.ip_address(text)
    except ValueError:
        return None


class _Resolved:
    """Addresses names resolved to in this process, for a minute: a file may name one host a thousand times."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._known: dict[str, tuple[float, tuple[IPAddress, ...]]] = {}

    def get(self, name: str) -> tuple[IPAddress, ...] | None:
        with self._lock:
            found = self._known.get(name)
        if found is None or time.monotonic() - found[0] > _RESOLVED_SECONDS:
            return None
        return found[1]

    def put(self, name: str, addresses: tuple[IPAddress, ...]) -> None:
        with self._lock:
            if len(self._known) >= _RESOLVED_LIMIT:
                self._known.clear()
            self._known[name] = (time.monotonic(), addresses)


_RESOLVED = _Resolved()


def resolved(name: str) -> tuple[IPAddress, ...]:
    """Every address ``name`` resolves to now; none when it does not resolve within ``RESOLVE_SECONDS`` (the
    connection then fails by itself, or goes through the proxy, which resolves it there)."""
    known = _RESOLVED.get(name)
    if known is not None:
        return known
    answers: list[tuple[IPAddress, ...]] = []

    def lookup() -> None:
        try:
            found = socket.getaddrinfo(name, None, type=socket.SOCK_STREAM)
        except (OSError, UnicodeError, ValueError):
            answers.append(())
            return
        addresses = (_address(str(entry[4][0])) for entry in found)
        answers.append(tuple(dict.fromkeys(address for address in addresses if address is not None)))

    worker = threading.Thread(target=lookup, name="scaffold-resolve-host", daemon=True)
    worker.start()
    worker.join(RESOLVE_SECONDS)
    found = answers[0] if answers else ()  # a name that did not resolve in time is not waited for again soon
    _RESOLVED.put(name, found)
    return found
