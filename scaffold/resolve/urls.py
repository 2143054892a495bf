"""Which URLs live resolution may read: https anywhere; plain http and git:// only on this machine. One judge for
the URLs files name and the base URLs the user gives."""

from __future__ import annotations

import ipaddress
import re
import urllib.parse

from scaffold.untrusted.text import shown

LOOPBACK_NAMES = frozenset({"localhost"})
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
