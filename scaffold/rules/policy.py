"""An org policy: what a team pack requires of every repository that uses it, and what the audit enforces there.

A pack's ``pack.yml`` declares it; a repository rendered from the pack carries a copy (``OrgPolicy.to_record``)
under ``policy:`` in its ``.scaffold.yml``; ``scaffold audit --pack`` reads the pack's own instead. Every key is
optional:

```yaml
policy:
  controls: [pinned-dependencies, least-privilege-token]   # ids of scaffold/kit/controls.py, or: all
  allowed_actions: ["actions/*", "github/codeql-action/*"]  # GitHub uses: owner/repo[/path], '*' within a part
  allowed_registries: ["harbor.acme.example", "docker.io/library"]  # host[/path]; images must come from one
  fail_on: medium                                           # the lowest severity that is reported: low (default)
  waive:                                                    # controls of the kit this pack does not keep, and why
    - control: dast
      reason: we have no staging environment to scan
  exceptions:                                               # findings accepted for now (scaffold.rules.exemptions)
    - rule: unpinned-uses
      path: .github/workflows/legacy.yml
      reason: vendor action, pinned upstream in Q1
      expires: 2027-03-31
```

What it means (``OrgPolicy.required`` and ``OrgPolicy.govern``):

- **Required controls**: the controls the answers apply, plus the policy's ``controls`` on each chosen platform that
  can express them (whatever the answers say: a control the answers turn off, such as ``dast`` with ``dast: false``,
  is still required, so the pack must lock the answer that turns it on and ``scaffold pack test`` shows it when it
  does not), minus the ``waive``d ones. A repository whose record has no answers chose no platform: the policy's
  controls are required nowhere, and only its allow lists, floor and exceptions apply.
- **Allow lists**: ``policy-action-not-allowed`` and ``policy-registry-not-allowed`` run when the list is set (an
  empty list allows nothing but local actions, or no image at all); ``scaffold.rules.policy_rules.refs`` says how
  names are compared.
- **Enforced rules**: the policy rules and every rule guarding a control the policy lists (``rules.guards``) always
  run: ``audit.disable``, ``--ignore`` and ``--select`` leave them on, ignore comments do not hide their findings,
  and a repository's own ``audit.exceptions`` do not cover them; only the policy's exceptions do.
- **Floor**: ``fail_on`` is the lowest severity reported; a repository's own ``audit.min_severity`` (or
  ``--min-severity``) may be lower, never higher.
- **Exceptions** cover findings until they expire; they and the floor apply to ``scaffold audit`` and to the gate of
  ``scaffold new`` and ``pack test``, never to the upgrade ratchet (``scaffold.upgrade.posture``).

Read without pydantic, like ``rules/config.py``: the audit starts fast. Any problem raises ``PolicyError`` with one
line naming the field (``pack.yml: policy.exceptions[1].expires: must be a date YYYY-MM-DD``).
"""

from __future__ import annotations

import dataclasses
import datetime
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from scaffold.kit.controls import CONTROLS, PLATFORMS, NotApplicable
from scaffold.rules import policy_rules
from scaffold.rules.catalog import REGISTRY
from scaffold.rules.config import AuditConfig
from scaffold.rules.exemptions import Exemption, parse_exemptions
from scaffold.rules.guards import guards
from scaffold.rules.model import Severity
from scaffold.rules.policy_rules.refs import action_pattern_problem, normal_registry, registry_problem
from scaffold.rules.registry import Rule
from scaffold.rules.requirements import KIND_PLATFORMS, Requirements, from_answers
from scaffold.untrusted.text import shown

KEYS = ("controls", "allowed_actions", "allowed_registries", "fail_on", "waive", "exceptions")
ALL = "all"
MAX_LIST = 500
MAX_REASON = 500
_CONTROL_IDS = tuple(control.id for control in CONTROLS)
_SEVERITIES = tuple(level.label for level in Severity)


class PolicyError(ValueError):
    """A ``policy:`` section that does not say what it must; the message names the field."""


@dataclass(frozen=True)
class Waiver:
    """A control of the built-in kit the pack does not keep, and why."""

    control: str
    reason: str


@dataclass(frozen=True)
class OrgPolicy:
    controls: frozenset[str] = frozenset()
    allowed_actions: tuple[str, ...] | None = None  # None: not set, the rule does not run; sorted, lower case
    allowed_registries: tuple[str, ...] | None = None  # None: not set; sorted, as refs.normal_registry writes them
    fail_on: Severity = Severity.LOW
    waive: tuple[Waiver, ...] = ()  # sorted by control
    exceptions: tuple[Exemption, ...] = ()

    @property
    def waived(self) -> frozenset[str]:
        return frozenset(item.control for item in self.waive)

    def required(self, answers: Mapping[str, Any]) -> Requirements:
        """What a repository with these answers must keep under this policy (answers as the kit's model dumps them)."""
        return self.apply(from_answers(answers))

    def apply(self, base: Requirements) -> Requirements:
        """``base`` (the answers' requirements) under this policy: on each of its platforms, the policy's controls
        that platform can express are added and the waived ones taken away; the allow lists are the policy's."""
        controls = {}
        for kind, kept in base.controls.items():
            platform = KIND_PLATFORMS[kind]
            listed = {
                control.id
                for control in CONTROLS
                if control.id in self.controls and not isinstance(control.how[platform], NotApplicable)
            }
            controls[kind] = frozenset((kept | listed) - self.waived)
        return Requirements(controls, self.allowed_actions, self.allowed_registries)

    def enforced(self, rules: Sequence[Rule] = REGISTRY) -> frozenset[str]:
        """The rules no repository setting can switch off: the policy rules, and the guards of its controls."""
        ids = set(policy_rules.IDS)
        for control in self.controls:
            for platform in PLATFORMS:
                ids.update(rule.id for rule in guards(control, platform, rules))
        return frozenset(ids)

    def waived_rules(self, rules: Sequence[Rule] = REGISTRY) -> frozenset[str]:
        """The rules that guard only waived controls: the policy says the pack does not keep those controls, so
        their rules do not run under it (a rule that also guards a kept control still runs)."""
        if not self.waive:
            return frozenset()
        return frozenset(
            rule.id
            for rule in rules
            if rule.controls and set(rule.controls) <= self.waived and rule.id not in self.enforced(rules)
        )

    def govern(self, config: AuditConfig, *, min_severity: Severity | None = None) -> AuditConfig:
        """A repository's audit settings under this policy. ``min_severity`` is the floor the repository asked for
        itself (its ``audit.min_severity`` or ``--min-severity``; None when it asked for none): it applies when it
        is lower than ``fail_on``. The repository's exceptions of an enforced rule are dropped."""
        enforced = self.enforced()
        own = {item for item in config.exemptions if item.rule not in enforced}
        return dataclasses.replace(
            config,
            disabled=config.disabled | self.waived_rules(),
            min_severity=self.fail_on if min_severity is None else min(min_severity, self.fail_on),
            required=self.apply(config.required),
            exemptions=tuple(sorted(own | set(self.exceptions), key=_order)),
            enforced=config.enforced | enforced,
        )

    def audit_config(
        self, answers: Mapping[str, Any] | None = None, *, today: datetime.date | None = None
    ) -> AuditConfig:
        """The settings to audit a render from these answers with, as ``scaffold audit`` would in the repository:
        the required controls (none without ``answers``: pass ``required(answers)`` to ``audit_tree`` then), the
        allow lists, the enforced rules, the floor and the exceptions. The gate of ``new`` and ``pack test``."""
        base = from_answers(answers) if answers is not None else Requirements()
        return self.govern(AuditConfig(required=base, today=today))

    def to_record(self) -> dict[str, Any]:
        """The policy as YAML data for ``.scaffold.yml``: keys and lists sorted, defaults left out except
        ``fail_on``; ``parse_policy`` reads it back to an equal policy."""
        record: dict[str, Any] = {}
        if self.allowed_actions is not None:
            record["allowed_actions"] = list(self.allowed_actions)
        if self.allowed_registries is not None:
            record["allowed_registries"] = list(self.allowed_registries)
        if self.controls:
            record["controls"] = [control for control in _CONTROL_IDS if control in self.controls]
        if self.exceptions:
            record["exceptions"] = [item.to_record() for item in self.exceptions]
        record["fail_on"] = self.fail_on.label
        if self.waive:
            record["waive"] = [{"control": item.control, "reason": item.reason} for item in self.waive]
        return record


def _order(item: Exemption) -> tuple[str, str, datetime.date, str]:
    return item.rule, item.path, item.expires, item.reason


def parse_policy(raw: object, where: str, *, today: datetime.date | None = None) -> OrgPolicy:
    """The policy a ``policy:`` section says (None or an empty mapping: one that requires nothing more). ``where``
    names the section in messages: ``pack.yml: policy`` or ``.scaffold.yml: policy``. ``today`` is the day
    exception dates are checked against (the clock's when None)."""
    if raw is None:
        return OrgPolicy()
    if not isinstance(raw, dict):
        raise PolicyError(f"{where}: must be a mapping of {', '.join(KEYS)}")
    unknown = [key for key in raw if key not in KEYS]
    if unknown:
        raise PolicyError(f"{where}.{shown(str(unknown[0]))}: is not a policy setting ({', '.join(KEYS)})")
    controls = _controls(raw.get("controls"), f"{where}.controls")
    waive = _waive(raw.get("waive"), f"{where}.waive")
    for index, item in enumerate(waive):
        if item.control in controls:
            raise PolicyError(f"{where}.waive[{index}].control: '{item.control}' is also required by {where}.controls")
    known = [rule.id for rule in REGISTRY]
    return OrgPolicy(
        controls=controls,
        allowed_actions=_entries(raw, "allowed_actions", where, action_pattern_problem, str.lower),
        allowed_registries=_entries(raw, "allowed_registries", where, registry_problem, normal_registry),
        fail_on=_severity(raw.get("fail_on") or "low", f"{where}.fail_on"),
        waive=tuple(sorted(waive, key=lambda item: item.control)),
        exceptions=parse_exemptions(raw.get("exceptions"), known, f"{where}.exceptions", PolicyError, today=today),
    )


def _controls(value: object, where: str) -> frozenset[str]:
    if value is None:
        return frozenset()
    if value == ALL:
        return frozenset(_CONTROL_IDS)
    if not isinstance(value, list) or len(value) > MAX_LIST:
        raise PolicyError(f"{where}: must be a list of control ids (scaffold/kit/controls.py), or 'all'")
    for index, item in enumerate(value):
        if not isinstance(item, str) or item not in _CONTROL_IDS:
            named = f"'{shown(item)}' " if isinstance(item, str) else ""
            raise PolicyError(f"{where}[{index}]: {named}is not a control id ({', '.join(_CONTROL_IDS)})")
    return frozenset(value)


def _waive(value: object, where: str) -> list[Waiver]:
    if value is None:
        return []
    if not isinstance(value, list) or len(value) > MAX_LIST:
        raise PolicyError(f"{where}: must be a list of controls, each with control and reason")
    found: dict[str, Waiver] = {}
    for index, item in enumerate(value):
        at = f"{where}[{index}]"
        if not isinstance(item, dict):
            raise PolicyError(f"{at}: must be a mapping with control and reason")
        unknown = [key for key in item if key not in ("control", "reason")]
        if unknown:
            raise PolicyError(f"{at}.{shown(str(unknown[0]))}: is not a field of a waiver (control, reason)")
        control = item.get("control")
        if not isinstance(control, str) or control not in _CONTROL_IDS:
            named = f"'{shown(control)}' " if isinstance(control, str) else ""
            raise PolicyError(f"{at}.control: {named}must be a control id ({', '.join(_CONTROL_IDS)})")
        if control in found:
            raise PolicyError(f"{at}.control: '{control}' is waived twice")
        found[control] = Waiver(control, _reason(item.get("reason"), f"{at}.reason"))
    return list(found.values())


def _reason(value: object, where: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise PolicyError(f"{where}: must say why, in text that is not empty")
    if len(value) > MAX_REASON or not value.isprintable():
        raise PolicyError(f"{where}: must be one line of at most {MAX_REASON} characters")
    return value.strip()


def _entries(
    raw: Mapping[Any, Any],
    key: str,
    where: str,
    problem: Callable[[str], str | None],
    normal: Callable[[str], str],
) -> tuple[str, ...] | None:
    """An allow list: None when it is not set, else its entries checked, normalised, sorted and unique."""
    value = raw.get(key)
    if value is None:
        return None
    if not isinstance(value, list) or len(value) > MAX_LIST:
        raise PolicyError(f"{where}.{key}: must be a list of at most {MAX_LIST} entries")
    for index, item in enumerate(value):
        why = problem(item) if isinstance(item, str) else "must be text"
        if why is not None:
            named = f"'{shown(item)}' " if isinstance(item, str) else ""
            raise PolicyError(f"{where}.{key}[{index}]: {named}{why}")
    return tuple(sorted({normal(item) for item in value}))


def _severity(value: object, where: str) -> Severity:
    if not isinstance(value, str) or value.lower() not in _SEVERITIES:
        raise PolicyError(f"{where}: must be low, medium or high")
    return Severity[value.upper()]
