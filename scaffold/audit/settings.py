"""Where an audit's settings come from: ``.scaffold.yml``'s ``audit:`` section, then the command line."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import yaml

from scaffold.audit.config import AuditConfig, ConfigError, check_ids, from_section, severity
from scaffold.errors import UsageError
from scaffold.rules import REGISTRY

RECORD = ".scaffold.yml"


def load(
    folder: Path, *, select: Sequence[str] = (), ignore: Sequence[str] = (), min_severity: str | None = None
) -> AuditConfig:
    known = [rule.id for rule in REGISTRY]
    try:
        config = from_section(_section(folder / RECORD), known)
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
        raise UsageError(f"{path}: cannot be read as YAML for its audit settings") from None
    return data.get("audit") if isinstance(data, dict) else None
