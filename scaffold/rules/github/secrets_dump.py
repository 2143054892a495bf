"""## What it does
Finds `toJSON(secrets)`, which serializes every secret the workflow can read into one value.

## Why is this bad?
The whole set of secrets then travels as one string: into an environment variable every later process can read,
into a script, or to an action that only needed one of them. Masking in logs works per secret value, so a
reformatted JSON blob can leak them. Secrets should be referenced one at a time, where they are used.

## Example
```yaml
- run: ./deploy.sh
  env:
    ALL_SECRETS: ${{ toJSON(secrets) }}
```

## Use instead
```yaml
- run: ./deploy.sh
  env:
    DEPLOY_TOKEN: ${{ secrets.DEPLOY_TOKEN }}
```

## References
- GitHub, "Using secrets in GitHub Actions"
- zizmor `overprovisioned-secrets`
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from scaffold.rules.document import Document
from scaffold.rules.model import Confidence, Hit, Kind, Severity

ID = "secrets-dump"
SEVERITY = Severity.HIGH
CONFIDENCE = Confidence.HIGH
KINDS = (Kind.WORKFLOW,)
CONTROLS = ("scoped-secrets",)

_TOJSON = re.compile(r"\btojson\s*\(\s*secrets\s*\)", re.IGNORECASE)


def check(document: Document) -> Iterator[Hit]:
    if not _may_dump(document.text):
        return
    for number, line in enumerate(document.lines, start=1):
        if line.lstrip().startswith("#"):
            continue
        # `${{ ... toJSON(secrets)` with no `}` between: found from the call backwards, in linear time (a pattern
        # `\$\{\{[^}]*tojson` backtracks quadratically on a line full of `${{`).
        for match in _TOJSON.finditer(line):
            segment = line.rfind("}", 0, match.start()) + 1
            opening = line.find("${{", segment, match.start())
            if opening >= 0:
                yield Hit(number, opening + 1, "toJSON(secrets) exposes every secret at once")
                break


def _may_dump(text: str) -> bool:
    """Whether some line may call ``toJSON(secrets)`` (each line is a piece of the text). An ASCII text that does
    holds ``tojson`` once lower-cased; other text is searched, since a case-blind match may pair ``s`` with the long
    s (U+017F)."""
    return "tojson" in text.lower() if text.isascii() else _TOJSON.search(text) is not None
