"""Where a repository lives on its forge, read from the URL of its ``origin`` remote.

The URL is untrusted text from ``.git/config``. Only the forms git itself uses for a hosted repository are read:
``https://`` (and ``http://``), ``ssh://``, ``git://`` and the scp-like ``user@host:path``. Everything else gives
nothing: a local path, ``file://``, a remote helper (``ext::``, ``fd::``, ``transport::address``), a URL holding
spaces, control characters or non-ASCII text, one longer than ``MAX_URL``. Userinfo (``user:token@``) is dropped
while parsing and never kept, so no credential can reach a message. Only github.com and gitlab.com, and the host
of a GitLab instance the answers name, are forges scaffold knows; the path must be a valid ``source_repo``.
"""

from __future__ import annotations

import re
from collections.abc import Collection
from dataclasses import dataclass
from typing import Literal

from scaffold.kit.answers import check_one

__all__ = ["MAX_URL", "Remote", "parse_origin"]

MAX_URL = 2048
"""Longest origin URL read; a real one is well under 200 characters."""

Forge = Literal["github", "gitlab"]

_GITHUB_HOSTS = frozenset({"github.com", "ssh.github.com"})  # ssh.github.com: SSH over port 443
_GITLAB_HOSTS = frozenset({"gitlab.com", "altssh.gitlab.com"})  # altssh.gitlab.com: SSH over port 443
_SCHEMES = frozenset({"https", "http", "ssh", "git", "git+ssh", "ssh+git"})
_VISIBLE_ASCII = re.compile(r"[!-~]+")
_HELPER = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*::")
# scheme://authority/path; the authority has no '/', and the path no '?' or '#'.
_URL = re.compile(r"(?P<scheme>[A-Za-z][A-Za-z0-9+.-]*)://(?P<authority>[^/?#]*)(?P<path>/[^?#]*)?")
# git's scp-like syntax: a colon before any slash, and no "://".
_SCP = re.compile(r"(?:[^@/:]+@)?(?P<host>[^@/:]+):(?P<path>[^:].*)")
_PORT = re.compile(r":[0-9]{1,5}")


@dataclass(frozen=True)
class Remote:
    forge: Forge
    host: str
    """The forge's host name, lower case, without port or userinfo."""
    path: str
    """The repository's path on the forge: owner/repo on GitHub, group/subgroup/project on GitLab."""

    def __str__(self) -> str:
        return f"{self.host}/{self.path}"


def parse_origin(url: str, gitlab_hosts: Collection[str] = ()) -> Remote | None:
    """The forge repository ``url`` names, or None when it is not a forge URL scaffold reads (see the module).
    ``gitlab_hosts`` are host names of GitLab instances (lower case), such as the answered ``gitlab_url``'s."""
    found = _on_a_forge(url, gitlab_hosts)
    if found is None or path_problem(*found) is not None:
        return None
    return Remote(*found)


def refused_path(url: str, gitlab_hosts: Collection[str] = ()) -> str | None:
    """Why the repository path of a URL on a forge scaffold reads cannot be ``source_repo`` (too deep, too long,
    not owner/repo on GitHub); None when it can, or when ``url`` is not on such a forge."""
    found = _on_a_forge(url, gitlab_hosts)
    return None if found is None else path_problem(*found)


def path_problem(forge: Forge, host: str, path: str) -> str | None:
    if forge == "github" and path.count("/") != 1:
        return "a GitHub repository path is owner/repo"
    problem = check_one("source_repo", path)
    return None if problem is None else f"source_repo {problem}"


def _on_a_forge(url: str, gitlab_hosts: Collection[str]) -> tuple[Forge, str, str] | None:
    """(forge, host, repository path) of a URL on github.com, gitlab.com or one of ``gitlab_hosts``."""
    if len(url) > MAX_URL or not _VISIBLE_ASCII.fullmatch(url) or _HELPER.match(url):
        return None
    parts = _host_and_path(url)
    if parts is None:
        return None
    host, path = parts
    forge: Forge
    if host in _GITHUB_HOSTS:
        forge, host = "github", "github.com"
    elif host in _GITLAB_HOSTS:
        forge, host = "gitlab", "gitlab.com"
    elif host in gitlab_hosts:
        forge = "gitlab"
    else:
        return None
    path = path.strip("/")
    if path.lower().endswith(".git"):
        path = path[: -len(".git")]
    return forge, host, path.rstrip("/")


def _host_and_path(url: str) -> tuple[str, str] | None:
    """(host, path) of a URL or scp-like address; userinfo and port are dropped."""
    match = _URL.fullmatch(url)
    if match is not None:
        if match["scheme"].lower() not in _SCHEMES or not match["path"]:
            return None
        authority = match["authority"].rpartition("@")[2]  # userinfo, a credential perhaps, is dropped here
        host, port = authority, ""
        if ":" in authority:
            host, _, digits = authority.partition(":")
            port = f":{digits}"
        if port and not (_PORT.fullmatch(port) and int(port[1:]) <= 65535):
            return None
        return host.lower(), match["path"]
    if "://" in url:
        return None
    match = _SCP.fullmatch(url)
    if match is None or match["path"].startswith("~"):
        return None
    return match["host"].lower(), match["path"]
