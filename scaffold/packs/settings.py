"""The user's own scaffold settings: which pack sources they trust and whether pack tags must be signed.

The file is ``$SCAFFOLD_CONFIG`` when that is set, else ``$XDG_CONFIG_HOME/scaffold/config.yml`` (with
``~/.config`` when XDG_CONFIG_HOME is unset or not absolute). It is optional, and it is YAML read with the bounded
safe loader::

    require_signed: true                     # as if --require-signed were always given
    allowed_signers: ~/.config/scaffold/allowed_signers   # relative paths are read from this file's folder
    trust:                                   # packs from these places are trusted as if --trust were given
      - https://git.acme.com/platform/
      - /srv/packs/

A trust entry is a prefix of sources, compared part by part after normalising both sides (``is_trusted``):
scheme and host lower-cased, the default port made explicit, empty path parts dropped, folders resolved. It
matches on whole path parts only, and the scheme, user, host and port must be the same, so
``https://git.acme.com/platform/`` trusts neither ``https://git.acme.com/platform-evil/pack`` nor
``http://git.acme.com/platform/pack`` nor ``https://me@git.acme.com/platform/pack``. A source with ``.`` or
``..`` parts, a backslash, any percent-encoding or a host name that is not plain ASCII (``maß`` casefolds to
``mass``, but IDNA names another host by it) is never trusted. An scp-like address (``git@host:org/pack``) is
compared with scp-like entries only, since ``ssh://host/org`` names another folder than ``host:org``.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from scaffold.errors import UsageError
from scaffold.packs.source import parse_remote, source_kind, split_ref
from scaffold.untrusted.read import UnreadableInput, read_text
from scaffold.untrusted.text import shown
from scaffold.untrusted.yaml_load import load

CONFIG_ENV = "SCAFFOLD_CONFIG"
MAX_CONFIG_BYTES = 256 * 1024
MAX_TRUST_ENTRIES = 500
MAX_PATH_CHARS = 4096
_KNOWN = ("allowed_signers", "require_signed", "trust")
_DEFAULT_PORTS = {"http": 80, "https": 443, "ssh": 22, "git": 9418}


@dataclass(frozen=True)
class UserSettings:
    """The settings in effect; every field has the value it has without a configuration file."""

    require_signed: bool = False
    allowed_signers: Path | None = None
    """Absolute; None when not set."""
    trust: tuple[str, ...] = ()
    """Source prefixes, as written in the file."""
    path: Path | None = None
    """The file the settings were read from; None when there was none."""


def config_path() -> Path | None:
    """Where the user's settings file is (whether or not it exists); None when there is no home folder."""
    override = os.environ.get(CONFIG_ENV, "")
    if override:
        return Path(override).expanduser()
    xdg = os.environ.get("XDG_CONFIG_HOME", "")
    if xdg and Path(xdg).is_absolute():
        return Path(xdg) / "scaffold" / "config.yml"
    try:
        return Path.home() / ".config" / "scaffold" / "config.yml"
    except RuntimeError:
        return None


def load_settings() -> UserSettings:
    """The user's settings. A missing file means the defaults, unless ``$SCAFFOLD_CONFIG`` named it. Bad content
    raises UsageError naming the file, the setting and the rule."""
    path = config_path()
    if path is None:
        return UserSettings()
    named = bool(os.environ.get(CONFIG_ENV))
    if not named and not os.path.lexists(path):
        return UserSettings()
    where = shown(str(path), 200)
    try:
        text = read_text(path, limit=MAX_CONFIG_BYTES)
    except UnreadableInput as reason:
        origin = f" (from {CONFIG_ENV})" if named else ""
        raise UsageError(f"scaffold settings {where}{origin} {reason}") from None
    try:
        data = load(text)
    except yaml.YAMLError as error:
        raise UsageError(f"{where}: not valid YAML: {shown(str(error).splitlines()[0], 120)}") from None
    return _settings(data, path, where)


def _settings(data: Any, path: Path, where: str) -> UserSettings:
    if data is None:
        return UserSettings(path=path)
    if not isinstance(data, dict):
        raise UsageError(f"{where}: must be a mapping of settings ({', '.join(_KNOWN)})")
    for key in data:
        if key not in _KNOWN:
            raise UsageError(f"{where}: unknown setting {shown(str(key), 40)} (known: {', '.join(_KNOWN)})")
    require_signed = data.get("require_signed", False)
    if not isinstance(require_signed, bool):
        raise UsageError(f"{where}: require_signed: must be true or false")
    return UserSettings(
        require_signed=require_signed,
        allowed_signers=_signers_path(data.get("allowed_signers"), path, where),
        trust=_trust(data.get("trust"), where),
        path=path,
    )


def _signers_path(value: Any, config: Path, where: str) -> Path | None:
    if value is None:
        return None
    if not isinstance(value, str) or not value.strip() or len(value) > MAX_PATH_CHARS or not value.isprintable():
        raise UsageError(f"{where}: allowed_signers: must be the path of an allowed-signers file")
    signers = Path(value).expanduser()
    return signers if signers.is_absolute() else config.parent.absolute() / signers


def _trust(value: Any, where: str) -> tuple[str, ...]:
    if value is None:
        return ()
    if not isinstance(value, list) or len(value) > MAX_TRUST_ENTRIES:
        raise UsageError(f"{where}: trust: must be a list of at most {MAX_TRUST_ENTRIES} sources")
    for index, entry in enumerate(value):
        problem = _prefix_problem(entry)
        if problem:
            raise UsageError(f"{where}: trust[{index}]: {problem}")
    return tuple(value)


def _prefix_problem(entry: Any) -> str | None:
    """Why ``entry`` cannot be a trust prefix, or None."""
    if not isinstance(entry, str) or not entry:
        return "must be a folder or a git URL"
    try:
        location, ref = split_ref(entry)
    except UsageError as error:
        return f"{shown(entry)} is not a source scaffold accepts ({_reason(error)})"
    if ref is not None:
        return f"{shown(entry)} names a ref; trust a place, without '@'"
    if source_kind(location) == "folder":
        try:
            absolute = Path(location).expanduser().is_absolute()
        except RuntimeError:  # "~user" for a user that does not exist
            absolute = False
        return None if absolute else f"{shown(entry)} is a relative folder; write it absolute (or from ~)"
    if "%" in location:
        return f"{shown(entry)} is percent-encoded; write the URL as plain text"
    try:
        remote = parse_remote(location)
    except UsageError as error:
        return f"{shown(entry)} is not a source scaffold accepts ({_reason(error)})"
    if not remote.host.isascii():
        return f"{shown(entry)} has a host name that is not plain ASCII; write it in its xn-- form"
    return None


def _reason(error: UsageError) -> str:
    """The rule from a ``--pack SOURCE: rule`` message."""
    return str(error).split(": ", 1)[-1]


def is_trusted(source: str, prefixes: Iterable[str]) -> bool:
    """Whether ``source`` (a ``--pack`` SOURCE, with or without ``@REF``) lies under one of ``prefixes``,
    comparing normalised forms on whole path parts. Anything that cannot be normalised is not trusted."""
    key = trust_key(source)
    if key is None:
        return False
    for prefix in prefixes:
        try:
            has_ref = split_ref(prefix)[1] is not None
        except UsageError:
            continue
        wanted = None if has_ref else trust_key(prefix)
        if wanted is not None and key[: len(wanted)] == wanted:
            return True
    return False


def trust_key(source: str) -> tuple[str, ...] | None:
    """The normalised form of a source that trust prefixes are compared with: a header (kind, scheme, user, host,
    port) and then one item per path part. None for a source that may not be trusted."""
    try:
        location = split_ref(source)[0]
        kind = source_kind(location)
        if kind == "folder":
            return ("folder", "", "", "", "", *Path(location).expanduser().resolve().parts[1:])
        if "%" in location:
            return None
        remote = parse_remote(location)
    except (UsageError, OSError, RuntimeError, ValueError):
        return None
    if remote.scheme == "file":
        return ("folder", "", "", "", "", *Path("/", *remote.path).resolve().parts[1:])
    if not remote.host.isascii():  # casefold makes 'maß' 'mass', but IDNA names another host: never trusted
        return None
    user, host = remote.user or "", remote.host.lower()
    if remote.scheme == "scp":
        rooted = "/" if location.partition("]:" if location.startswith("[") else ":")[2].startswith("/") else ""
        return ("scp", user, host, rooted, "", *remote.path)
    port = str(remote.port if remote.port is not None else _DEFAULT_PORTS.get(remote.scheme, ""))
    return (remote.scheme, user, host, port, "", *remote.path)
