"""Exceptions: findings an org policy, or a repository, accepts for now. Each entry of an ``exceptions:`` list names
a rule, optionally a path, why, and the day it expires; after that day it applies to nothing.

```yaml
exceptions:
  - rule: unpinned-uses                    # a rule id of docs/checks.md (kit-<control> and policy-* included)
    path: .github/workflows/legacy.yml     # optional: a path from the repository's root, or a glob of them
    reason: vendor action, pinned upstream in Q1
    expires: 2027-03-31                    # YYYY-MM-DD, at most 366 days after the day it is read
```

A glob's ``*`` stands for any characters within one part of the path, and a part that is ``**`` for any number of
parts (none included); nothing else is special. An exception covers a finding of its rule whose file matches its
path (every file when it has none) through its expiry date included. A finding that only expired exceptions cover
is reported, its message ending with ``(its exception expired YYYY-MM-DD)``.

The expiry date is capped so that an exception cannot be made permanent with a far date: one year (366 days)
from the day the list is read. An entry whose date has passed is valid: it simply applies to nothing.
"""

from __future__ import annotations

import contextlib
import datetime
import os
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from scaffold.rules.model import Finding
from scaffold.rules.wildcard import path_matches
from scaffold.untrusted.text import shown

MAX_ENTRIES = 1000
MAX_REASON = 500
MAX_PATH = 300
MAX_DAYS_AHEAD = 366
_KEYS = ("rule", "path", "reason", "expires")
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_PATH_PART = re.compile(r"[A-Za-z0-9._*+@=,~ -]+")


@dataclass(frozen=True)
class Exemption:
    """One entry of an ``exceptions:`` list (named so as not to be read as a Python exception)."""

    rule: str
    reason: str
    expires: datetime.date
    path: str = ""  # a glob of repository paths; "" covers every file

    def covers(self, rule: str, path: str) -> bool:
        """Whether a finding of ``rule`` in ``path`` (from the repository's root) is what this entry names."""
        return rule == self.rule and (not self.path or path_matches(self.path, path))

    def expired(self, today: datetime.date) -> bool:
        return today > self.expires

    def to_record(self) -> dict[str, str]:
        """The entry as YAML data, keys sorted; ``parse_exemptions`` reads it back to the same entry."""
        record = {"expires": self.expires.isoformat(), "reason": self.reason, "rule": self.rule}
        return {"path": self.path, **record} if self.path else record


def parse_exemptions(
    raw: object,
    known: Iterable[str],
    where: str,
    error: type[ValueError],
    *,
    today: datetime.date | None = None,
) -> tuple[Exemption, ...]:
    """The entries of an ``exceptions:`` list (None for none), in a stable order. ``where`` names the list in
    messages (``.scaffold.yml: audit.exceptions``); any problem raises ``error`` with one line naming the field."""
    if raw is None:
        return ()
    if not isinstance(raw, list):
        raise error(f"{where}: must be a list of exceptions (rule, path, reason, expires)")
    if len(raw) > MAX_ENTRIES:
        raise error(f"{where}: must list at most {MAX_ENTRIES} exceptions")
    rules = set(known)
    day = today or datetime.date.today()
    found = [_entry(item, rules, f"{where}[{index}]", error, day) for index, item in enumerate(raw)]
    return tuple(sorted(set(found), key=lambda item: (item.rule, item.path, item.expires, item.reason)))


def _entry(item: object, rules: set[str], where: str, error: type[ValueError], today: datetime.date) -> Exemption:
    if not isinstance(item, dict):
        raise error(f"{where}: must be a mapping with rule, reason and expires (and path)")
    unknown = [key for key in item if key not in _KEYS]
    if unknown:
        raise error(f"{where}.{shown(str(unknown[0]))}: is not a field of an exception ({', '.join(_KEYS)})")
    rule = item.get("rule")
    if not isinstance(rule, str) or rule not in rules:
        named = f"'{shown(rule)}' " if isinstance(rule, str) else ""
        raise error(f"{where}.rule: {named}must be a rule id (see docs/checks.md)")
    reason = item.get("reason")
    if not isinstance(reason, str) or not reason.strip():
        raise error(f"{where}.reason: must say why, in text that is not empty")
    if len(reason) > MAX_REASON or not reason.isprintable():
        raise error(f"{where}.reason: must be one line of at most {MAX_REASON} characters")
    path = item.get("path", "")
    if "path" in item:
        problem = path_problem(path) if isinstance(path, str) else "must be a path from the repository's root or a glob"
        if problem is not None:
            raise error(f"{where}.path: {problem}")
    return Exemption(rule, reason.strip(), _expiry(item.get("expires"), f"{where}.expires", error, today), path)


def _expiry(value: object, where: str, error: type[ValueError], today: datetime.date) -> datetime.date:
    """``expires:`` as YAML reads it (a date when unquoted) or as text."""
    if isinstance(value, str) and _DATE.fullmatch(value):
        with contextlib.suppress(ValueError):  # 2027-02-30 is no date: the message below says so
            value = datetime.date.fromisoformat(value)
    if not isinstance(value, datetime.date) or isinstance(value, datetime.datetime):
        raise error(f"{where}: must be a date YYYY-MM-DD")
    latest = today + datetime.timedelta(days=MAX_DAYS_AHEAD)
    if value > latest:
        raise error(f"{where}: must be at most {MAX_DAYS_AHEAD} days ahead (on or before {latest.isoformat()})")
    return value


def path_problem(path: str) -> str | None:
    """Why ``path`` is not a repository path or glob, or None."""
    if not path:
        return "must not be empty (leave it out to cover every file)"
    if len(path) > MAX_PATH:
        return f"must be at most {MAX_PATH} characters"
    parts = path.split("/")
    for part in parts:
        if part in ("", ".", ".."):
            return f"'{shown(path)}' must be relative, with no empty, '.' or '..' part"
        if not _PATH_PART.fullmatch(part):
            return f"'{shown(path)}' must hold only letters, digits, spaces and ._*+@=,~- between the slashes"
        if "**" in part and part != "**":
            return f"'{shown(path)}': '**' must be a whole part of the path"
    return None


def screen(
    findings: Sequence[Finding], exemptions: Sequence[Exemption], today: datetime.date, root: str = ""
) -> list[Finding]:
    """The findings no unexpired exemption covers; one that only expired ones cover says so in its message.
    ``root`` is the repository's root (absolute) when findings name files as the user named them (relative to the
    working folder, or absolute) instead of from the root."""
    if not exemptions:
        return list(findings)
    kept = []
    for finding in findings:
        path = _from_root(finding.path, root)
        covering = [item for item in exemptions if item.covers(finding.rule, path)]
        if any(not item.expired(today) for item in covering):
            continue
        if covering:
            expired = max(item.expires for item in covering).isoformat()
            finding = finding.with_message(f"{finding.message} (its exception expired {expired})")
        kept.append(finding)
    return kept


def _from_root(path: str, root: str) -> str:
    if not root:
        return path
    absolute = os.path.abspath(path)  # noqa: PTH100 - lexical, as the audit names files
    relative = os.path.relpath(absolute, root)
    outside = relative == os.pardir or relative.startswith(os.pardir + os.sep)
    return absolute if outside else relative.replace(os.sep, "/")
