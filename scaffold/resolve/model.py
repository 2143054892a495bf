"""What a resolution gives: a pin with where it came from, or a one-line reason it was refused."""

from __future__ import annotations

import enum
import os
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path


class Origin(enum.Enum):
    """Where a pin came from: the table shipped in the package, the on-disk cache of earlier live lookups, or a live
    lookup in this run."""

    TABLE = "table"
    CACHE = "cache"
    LIVE = "live"


@dataclass(frozen=True)
class Pinned:
    """An immutable pin: ``value`` is a 40-hex commit SHA or a ``sha256:`` image digest.

    ``version`` is the tag the pin stands for, written in the version comment; it differs from the ref asked for
    when the cooldown or the advisory list made the resolver step back to an earlier release, and ``note`` says so.
    ``source`` names the lookup (``git ls-remote https://github.com/actions/checkout``, the table's verified line).
    ``at`` is when the lookup was made (None for the shipped table, which carries its own date in ``source``).
    """

    value: str
    version: str
    origin: Origin
    source: str
    at: datetime | None = None
    note: str = ""

    @property
    def provenance(self) -> str:
        """One line for reports: ``live: git ls-remote ... at 2026-12-07T20:41Z``."""
        when = f" at {self.at.strftime('%Y-%m-%dT%H:%MZ')}" if self.at is not None else ""
        return f"{self.origin.value}: {self.source}{when}"


@dataclass(frozen=True)
class Refused:
    """No pin, and why, in one line fit for a harden note (``tag v1.2.0 moved from 1a2b3c4 to 5d6e7f8 ...``)."""

    reason: str
    unreachable: bool = False
    """The remote could not be asked (no network, a timeout, an error answer): a floor may still vouch for a pin."""


Resolution = Pinned | Refused


def default_cache_dir() -> Path:
    """``$SCAFFOLD_CACHE_DIR``, else ``$XDG_CACHE_HOME/scaffold``, else ``~/.cache/scaffold``."""
    named = os.environ.get("SCAFFOLD_CACHE_DIR")
    if named:
        return Path(named)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "scaffold"


@dataclass(frozen=True)
class Settings:
    """How references are resolved in one run.

    Nothing reaches the network unless ``online`` is set, and it is set only by the user (``--online`` or
    ``SCAFFOLD_ONLINE=1``), never by a file in the repository.
    """

    online: bool = False
    cooldown: timedelta = timedelta(days=7)
    action_forge: str = "https://github.com"
    """Where ``owner/repo`` actions live: ``https://github.com``, a GitHub Enterprise URL, or a loopback fake."""
    gitlab_url: str = "https://gitlab.com"
    """Where ``include: project:`` projects live."""
    allowed_hosts: frozenset[str] = frozenset()
    """Hosts the user named (``--allow-host``: ``HOST`` or ``HOST:PORT``, normalised by ``urls.allowed_host``) that
    may be reached even on loopback or link-local, where a host a file names never is (``urls.host_problem``)."""
    cache_dir: Path = field(default_factory=default_cache_dir)
    now: datetime = field(default_factory=lambda: datetime.now(UTC))
