"""## What it does
Finds Dependabot update entries without a `cooldown:`, or whose cooldown is zero days for some or all releases.

## Why is this bad?
Without a cooldown Dependabot proposes a release the day it is published. Hijacked packages and actions are usually
found and pulled within hours or days (the malicious chalk and debug releases on npm, the moved tj-actions tags), so a
pull request opened at once is the one most likely to carry them, and an auto-merge or a hurried review lets them in.
A cooldown lets a release age before it is proposed. It applies to version updates only: security updates still
arrive at once.

`default-days` is the cooldown of every release that no `semver-*-days` key covers; left out, it is zero. The rule
also reports a `semver-major-days`, `semver-minor-days` or `semver-patch-days` of 0, which opts that kind of release
out. Any cooldown of one day or more passes; scaffold's kits use seven.

## Example
```yaml
updates:
  - package-ecosystem: npm
    directory: /
    schedule:
      interval: weekly
```

## Use instead
```yaml
updates:
  - package-ecosystem: npm
    directory: /
    schedule:
      interval: weekly
    cooldown:
      default-days: 7
```

## References
- GitHub Docs, "Dependabot options reference: cooldown"
- William Woodruff, "We should all be using dependency cooldowns"
- zizmor `dependabot-cooldown`
"""

from __future__ import annotations

from collections.abc import Iterator

from scaffold.rules.dependabot.config import label, updates
from scaffold.rules.document import Document
from scaffold.rules.model import Confidence, Hit, Kind, Severity

ID = "dependabot-no-cooldown"
SEVERITY = Severity.MEDIUM
CONFIDENCE = Confidence.HIGH
KINDS = (Kind.DEPENDABOT,)

_SEMVER_KEYS = ("semver-major-days", "semver-minor-days", "semver-patch-days")


def check(document: Document) -> Iterator[Hit]:
    for entry in updates(document):
        name = label(entry)
        cooldown = entry.get("cooldown")
        if cooldown is None:
            yield Hit(entry.line, entry.column, f"{name}: no cooldown, so a release is proposed the day it appears")
            continue
        if not cooldown.is_mapping:
            yield Hit(cooldown.line, cooldown.column, f"{name}: cooldown is not a mapping of days, so there is none")
            continue
        default = cooldown.get("default-days")
        if default is None:
            key = entry.key("cooldown") or cooldown
            yield Hit(key.line, key.column, f"{name}: cooldown has no default-days, so it is 0")
        elif _too_short(default.text):
            yield Hit(default.line, default.column, f"{name}: cooldown default-days is {default.text}")
        for key_name in _SEMVER_KEYS:
            value = cooldown.get(key_name)
            if value is not None and _too_short(value.text):
                yield Hit(value.line, value.column, f"{name}: cooldown {key_name} is {value.text}")


def _too_short(text: str | None) -> bool:
    """Less than a day; a value that is no whole number is left to Dependabot, which rejects the file."""
    try:
        return int(text or "") < 1
    except ValueError:
        return False
