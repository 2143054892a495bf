"""Which base URLs live resolution may talk to: https anywhere; plain http and git:// only on this machine."""

from __future__ import annotations

import ipaddress
from urllib.parse import urlsplit

from scaffold.untrusted.text import shown

LOOPBACK_NAMES = frozenset({"localhost"})


def is_loopback(host: str) -> bool:
    """Whether ``host`` (a name or an address, IPv6 without brackets) is this machine."""
    if host.lower() in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_base_url(url: str) -> str | None:
    """Why ``url`` cannot be a forge or server base URL (one line), or None.

    https is always allowed; http:// and git:// only to a loopback host (a test server, a local mirror), since
    neither authenticates the server. No credentials, query, fragment, control characters or leading '-'.
    """
    if not url or len(url) > 512 or any(not char.isprintable() or char.isspace() for char in url):
        return f"'{shown(url, 80)}' must be a printable URL without spaces, at most 512 characters"
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return f"'{shown(url, 80)}' is not a URL"
    host = parts.hostname or ""
    if parts.scheme not in ("https", "http", "git") or not host:
        return f"'{shown(url, 80)}' must be an https:// URL (http:// and git:// only on 127.0.0.1 or localhost)"
    if parts.scheme != "https" and not is_loopback(host):
        return f"'{shown(url, 80)}': {parts.scheme}:// is allowed only to a loopback host; use https://"
    if parts.username is not None or parts.password is not None:
        return f"'{shown(url, 80)}' must not carry credentials"
    if parts.query or parts.fragment:
        return f"'{shown(url, 80)}' must not have a query or a fragment"
    if port == 0:
        return f"'{shown(url, 80)}' has port 0"
    return None
