"""Where an audit's settings come from: the ``audit:`` section of ``.scaffold.yml`` in the root of the repository
the audited paths are in (``sources.repository_root``, wherever the command runs), then the command line."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

import yaml

from scaffold.audit.config import AuditConfig, ConfigError, check_ids, from_section, severity
from scaffold.audit.sources import repository_root
from scaffold.errors import UsageError
from scaffold.rules import REGISTRY
from scaffold.untrusted.text import printable

RECORD = ".scaffold.yml"


def for_paths(
    paths: Sequence[Path], *, select: Sequence[str] = (), ignore: Sequence[str] = (), min_severity: str | None = None
) -> AuditConfig:
    """The settings for auditing ``paths``: from ``.scaffold.yml`` in the root of the repository they are in. Paths
    in repositories whose settings differ are a usage error: one run has one set of settings."""
    roots = list(dict.fromkeys(repository_root(path) for path in paths or [Path()]))
    configs = [load(root, select=select, ignore=ignore, min_severity=min_severity) for root in roots]
    for root, config in zip(roots[1:], configs[1:], strict=True):
        if config != configs[0]:
            raise UsageError(
                f"{_shown(root / RECORD)} and {_shown(roots[0] / RECORD)} give different audit settings; "
                "check each repository in its own run"
            )
    return configs[0]


def _shown(path: Path) -> str:
    """``path`` relative to the working folder when that is shorter, for messages."""
    try:
        relative = os.path.relpath(path)
    except (ValueError, OSError):  # another drive, or no working folder
        relative = str(path)
    return printable(min(relative, str(path), key=len))


def load(
    folder: Path, *, select: Sequence[str] = (), ignore: Sequence[str] = (), min_severity: str | None = None
) -> AuditConfig:
    known = [rule.id for rule in REGISTRY]
    try:
        config = from_section(_section(folder / RECORD), known, f"{_shown(folder / RECORD)}: audit")
        check_ids(select, known, "--select")
        check_ids(ignore, known, "--ignore")
        level = severity(min_severity, "--min-severity") if min_severity else config.min_severity
    except ConfigError as error:
        raise UsageError(str(error)) from None
    return AuditConfig(config.disabled | frozenset(ignore), frozenset(select) if select else None, level)


def _section(path: Path) -> object:
    if not path.is_file():
        return None
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError):
        raise UsageError(f"{_shown(path)}: cannot be read as YAML for its audit settings") from None
    return data.get("audit") if isinstance(data, dict) else None
