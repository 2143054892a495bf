"""Audit settings from the ``audit:`` section of ``.scaffold.yml``, and from the command line.

```yaml
audit:
  disable: [artipacked]      # rule ids that never run
  min_severity: medium       # findings below it are not reported: low, medium or high
  exceptions:                # findings accepted for now, each until its date (scaffold.rules.exemptions)
    - rule: missing-timeout
      path: .github/workflows/nightly.yml
      reason: the nightly job is bounded by its runner
      expires: 2027-03-31
```

Under an org policy (``scaffold.rules.policy``) the rules it enforces always run: ``disable``, ``--ignore``,
``--select`` and ignore comments do not reach them, and only the policy's own exceptions cover their findings.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from scaffold.rules.exemptions import Exemption, parse_exemptions
from scaffold.rules.model import Severity
from scaffold.rules.requirements import NONE, Requirements

SETTINGS = ("disable", "min_severity", "exceptions")


class ConfigError(ValueError):
    """A setting that names no rule or no severity; the message names the setting."""


@dataclass(frozen=True)
class AuditConfig:
    disabled: frozenset[str] = field(default_factory=frozenset)
    selected: frozenset[str] | None = None
    min_severity: Severity = Severity.LOW
    required: Requirements = NONE  # the controls the repository must keep: its kit record's, or an org policy's
    exemptions: tuple[Exemption, ...] = ()  # findings accepted until a date: the policy's and the repository's
    enforced: frozenset[str] = field(default_factory=frozenset)  # rules an org policy keeps on whatever the settings
    today: datetime.date | None = None  # the day exceptions are judged on (None: the clock's)
    root: str = ""  # the repository's root when findings name files relative to the working folder (exceptions)

    def runs(self, rule: str) -> bool:
        if rule in self.enforced:
            return True
        return rule not in self.disabled and (self.selected is None or rule in self.selected)


def severity(value: str, where: str) -> Severity:
    try:
        return Severity[value.upper()]
    except KeyError:
        raise ConfigError(f"{where}: must be low, medium or high, not {value!r}") from None


def from_section(
    section: Any, known: Iterable[str], where: str = ".scaffold.yml: audit", *, today: datetime.date | None = None
) -> AuditConfig:
    """Settings from a parsed ``audit:`` section (None when the file has none)."""
    if section is None:
        return AuditConfig()
    if not isinstance(section, Mapping):
        raise ConfigError(f"{where}: must be a mapping with 'disable', 'min_severity' and 'exceptions'")
    unknown_keys = set(section) - set(SETTINGS)
    if unknown_keys:
        raise ConfigError(f"{where}.{sorted(map(str, unknown_keys))[0]}: is not a setting ({', '.join(SETTINGS)})")
    known = list(known)
    disabled = section.get("disable") or []
    if not isinstance(disabled, list) or not all(isinstance(item, str) for item in disabled):
        raise ConfigError(f"{where}.disable: must be a list of rule ids")
    check_ids(disabled, known, f"{where}.disable")
    level = section.get("min_severity", "low")
    exemptions = parse_exemptions(section.get("exceptions"), known, f"{where}.exceptions", ConfigError, today=today)
    return AuditConfig(
        frozenset(disabled), None, severity(str(level), f"{where}.min_severity"), exemptions=exemptions, today=today
    )


def check_ids(ids: Iterable[str], known: Iterable[str], where: str) -> None:
    names = set(known)
    for rule in ids:
        if rule not in names:
            raise ConfigError(f"{where}: '{rule}' is not a rule id (see docs/checks.md)")
