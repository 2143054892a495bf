"""``host_problem``: the hosts a file may send live resolution to, and the ones only the user may name.

Names are resolved by the system's real resolver: the numeric spellings of 127.0.0.1 that ``getaddrinfo`` accepts
(``2130706433``, ``0x7f000001``, ``127.1``) are names to it, and must be caught by what they resolve to.
"""

from __future__ import annotations

import pytest

from scaffold.resolve.model import Settings
from scaffold.resolve.urls import allowed_host, host_problem, normal_host, url_host_problem

NOBODY = Settings(action_forge="https://github.com", gitlab_url="https://gitlab.com")


@pytest.mark.parametrize(
    ("host", "kind"),
    [
        ("127.0.0.1", "a loopback address"),
        ("127.8.9.10", "a loopback address"),
        ("::1", "a loopback address"),
        ("[::1]", "a loopback address"),
        ("::ffff:127.0.0.1", "a loopback address"),
        ("localhost", "names this machine"),
        ("LocalHost.", "names this machine"),
        ("registry.localhost", "names this machine"),
        ("0.0.0.0", "an unspecified address"),  # noqa: S104 - a host a file names, not a bind address
        ("0.1.2.3", "an unspecified address"),
        ("::", "an unspecified address"),
        ("169.254.169.254", "a cloud metadata address (link-local)"),
        ("::ffff:169.254.169.254", "a cloud metadata address (link-local)"),
        ("169.254.170.2", "a cloud metadata address (link-local)"),
        ("100.100.100.200", "a cloud metadata address"),
        ("fd00:ec2::254", "a cloud metadata address"),
        ("169.254.1.1", "a link-local address"),
        ("fe80::1", "a link-local address"),
        ("224.0.0.1", "a multicast address"),
        ("ff02::1", "a multicast address"),
    ],
)
def test_a_host_off_limits_is_refused_with_what_it_is(host: str, kind: str) -> None:
    problem = host_problem(host, 443, NOBODY)
    assert problem is not None and kind in problem
    assert problem.endswith(f"(--allow-host {allowed_host(f'[{normal_host(host)}]:443')})")
    assert "\n" not in problem


@pytest.mark.parametrize("name", ["2130706433", "0x7f000001", "127.1", "0177.0.0.1"])
def test_a_name_that_resolves_to_loopback_is_refused(name: str) -> None:
    problem = host_problem(name, 443, NOBODY)
    assert problem is not None and f"{name} resolves to 127.0.0.1, a loopback address" in problem


@pytest.mark.parametrize(
    "host",
    ["10.0.0.1", "172.16.5.4", "192.168.1.1", "fd12:3456::1", "8.8.8.8", "2001:4860:4860::8888", "forge.invalid"],
)
def test_private_public_and_unresolvable_hosts_may_be_reached(host: str) -> None:
    """Enterprise forges and registries live in the private ranges; a name that does not resolve is left to the
    connection, which fails by itself (or to the proxy, which resolves it there)."""
    assert host_problem(host, 443, NOBODY) is None


def test_the_hosts_of_the_forge_options_are_allowed_at_their_port_only() -> None:
    settings = Settings(action_forge="git://127.0.0.1:9000", gitlab_url="http://localhost")
    assert host_problem("127.0.0.1", 9000, settings) is None
    assert host_problem("localhost", 80, settings) is None
    problem = host_problem("127.0.0.1", 9001, settings)
    assert problem is not None and problem.endswith("(--allow-host 127.0.0.1:9001)")
    assert host_problem("localhost", 5000, settings) is not None
    assert host_problem("127.0.0.1", 80, settings) is not None  # localhost was named, not every loopback spelling


def test_a_url_is_judged_at_its_schemes_default_port() -> None:
    settings = Settings(action_forge="git://127.0.0.1")
    assert url_host_problem("git://127.0.0.1:9418/acme/tool", settings) is None
    assert url_host_problem("git://127.0.0.1/acme/tool", settings) is None
    https = url_host_problem("https://127.0.0.1/acme/tool", settings)
    assert https is not None and "(--allow-host 127.0.0.1:443)" in https
    assert url_host_problem("file:///etc", settings) is not None  # url_problem's rules come first


@pytest.mark.parametrize(
    ("given", "allowed", "refused"),
    [
        ("127.0.0.1", [("127.0.0.1", 1), ("127.0.0.1", 65535)], [("127.0.0.2", 1)]),
        ("127.0.0.1:5000", [("127.0.0.1", 5000)], [("127.0.0.1", 5001)]),
        ("LOCALHOST.:5000", [("localhost", 5000)], [("localhost", 80)]),
        ("::1", [("::1", 443), ("[0:0::1]", 5000)], []),
        ("[::1]:5000", [("[::1]", 5000)], [("::1", 443)]),
        ("169.254.169.254:80", [("169.254.169.254", 80)], [("169.254.169.254", 443)]),
    ],
)
def test_allow_host_names_a_host_at_any_port_or_at_one(
    given: str, allowed: list[tuple[str, int]], refused: list[tuple[str, int]]
) -> None:
    settings = Settings(allowed_hosts=frozenset({allowed_host(given)}))
    assert all(host_problem(host, port, settings) is None for host, port in allowed)
    assert all(host_problem(host, port, settings) is not None for host, port in refused)


@pytest.mark.parametrize(
    ("given", "normalised"),
    [("Registry.Example.COM", "registry.example.com"), ("[0:0::1]:80", "[::1]:80"), ("fe80::1", "fe80::1")],
)
def test_allow_host_is_normalised(given: str, normalised: str) -> None:
    assert allowed_host(given) == normalised


@pytest.mark.parametrize(
    ("given", "rule"),
    [
        ("", "is not HOST or HOST:PORT"),
        ("a b", "is not HOST or HOST:PORT"),
        ("host/path", "is not HOST or HOST:PORT"),
        ("-host", "is not HOST or HOST:PORT"),
        ("host:0", "the port is not a number from 1 to 65535"),
        ("host:65536", "the port is not a number from 1 to 65535"),
        ("host:http", "the port is not a number from 1 to 65535"),
        ("[::1", "is not [IPv6] or [IPv6]:PORT"),
        ("[::1]x", "is not [IPv6] or [IPv6]:PORT"),
    ],
)
def test_a_bad_allow_host_is_refused_with_the_rule(given: str, rule: str) -> None:
    with pytest.raises(ValueError, match=rule.replace("[", r"\[").replace("]", r"\]")):
        allowed_host(given)


def test_the_address_a_connection_reached_is_judged_instead_of_the_name() -> None:
    """The HTTP client's second look: the name resolved to a public address a moment ago, the connection landed
    on loopback (DNS rebinding)."""
    problem = host_problem("registry.example.com", 443, NOBODY, connected_to="127.0.0.1")
    assert problem is not None and "registry.example.com connected to 127.0.0.1, a loopback address" in problem
    assert host_problem("registry.example.com", 443, NOBODY, connected_to="10.1.2.3") is None
    named = Settings(allowed_hosts=frozenset({"registry.example.com"}))
    assert host_problem("registry.example.com", 443, named, connected_to="127.0.0.1") is None
