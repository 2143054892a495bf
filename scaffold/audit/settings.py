"""Where an audit's settings come from: the ``audit:`` section of ``.scaffold.yml`` in the root of the repository
the audited paths are in (``sources.repository_root``, wherever the command runs), then the command line, all under
the org policy in force: the record's ``policy:`` section, or the one the caller passes (``scaffold audit --pack``)
in its place (``scaffold.rules.policy``)."""

from __future__ import annotations

import dataclasses
import datetime
import os
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import yaml

from scaffold.audit.sources import repository_root
from scaffold.errors import UsageError
from scaffold.rules.catalog import REGISTRY
from scaffold.rules.config import AuditConfig, ConfigError, check_ids, from_section, severity
from scaffold.rules.requirements import RequirementsError, from_record
from scaffold.untrusted import yaml_load
from scaffold.untrusted.read import UnreadableInput, read_text
from scaffold.untrusted.text import printable

if TYPE_CHECKING:
    from scaffold.rules.policy import OrgPolicy

RECORD = ".scaffold.yml"


def for_paths(
    paths: Sequence[Path],
    *,
    select: Sequence[str] = (),
    ignore: Sequence[str] = (),
    min_severity: str | None = None,
    policy: OrgPolicy | None = None,
    today: datetime.date | None = None,
) -> AuditConfig:
    """The settings for auditing ``paths``: from ``.scaffold.yml`` in the root of the repository they are in. Paths
    in repositories whose settings differ are a usage error: one run has one set of settings (exceptions with a
    path are read from their repository's root, so two repositories that have some are never one run)."""
    roots = list(dict.fromkeys(repository_root(path) for path in paths or [Path()]))
    configs = [
        load(root, select=select, ignore=ignore, min_severity=min_severity, policy=policy, today=today)
        for root in roots
    ]
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
    folder: Path,
    *,
    select: Sequence[str] = (),
    ignore: Sequence[str] = (),
    min_severity: str | None = None,
    policy: OrgPolicy | None = None,
    today: datetime.date | None = None,
) -> AuditConfig:
    """The settings of the repository whose root is ``folder``: its record's ``audit:`` section and the controls its
    kit's answers require (the kit rules run for those), then the command line's, under the record's ``policy:``
    or, when ``policy`` is given, under that one instead. ``today`` is the day exceptions are judged on."""
    known = [rule.id for rule in REGISTRY]
    record = _record(folder / RECORD)
    shown = _shown(folder / RECORD)
    section = record.get("audit")
    try:
        config = from_section(section, known, f"{shown}: audit", today=today)
        required = from_record(record.get("answers"), f"{shown}: answers")
        check_ids(select, known, "--select")
        check_ids(ignore, known, "--ignore")
        if policy is None and record.get("policy") is not None:
            policy = _recorded_policy(record["policy"], f"{shown}: policy", today)
        asked = isinstance(section, dict) and section.get("min_severity") is not None
        level = severity(min_severity, "--min-severity") if min_severity else config.min_severity
    except (ConfigError, RequirementsError) as error:
        raise UsageError(str(error)) from None
    config = AuditConfig(
        config.disabled | frozenset(ignore),
        frozenset(select) if select else None,
        level,
        required,
        exemptions=config.exemptions,
        today=today,
    )
    if policy is not None:
        config = policy.govern(config, min_severity=level if min_severity or asked else None)
    if any(item.path for item in config.exemptions):  # findings name files as given; exception paths are from here
        config = dataclasses.replace(config, root=str(folder.absolute()))
    return config


def _recorded_policy(raw: object, where: str, today: datetime.date | None) -> OrgPolicy:
    """The org policy a record's ``policy:`` section says; only a repository under one loads the policy module."""
    from scaffold.rules.policy import PolicyError, parse_policy

    try:
        return parse_policy(raw, where, today=today)
    except PolicyError as error:
        raise UsageError(str(error)) from None


def _record(path: Path) -> dict[object, object]:
    """The repository's ``.scaffold.yml`` as a mapping (empty when there is none), read as untrusted input."""
    if not os.path.lexists(path):
        return {}
    try:
        data = yaml_load.load(read_text(path))
    except (UnreadableInput, yaml.YAMLError):
        raise UsageError(f"{_shown(path)}: cannot be read as YAML for its audit settings") from None
    return data if isinstance(data, dict) else {}
