"""## What it does
Finds Dependabot update entries with `insecure-external-code-execution: allow`.

## Why is this bad?
Some package managers run code from the repository's manifests while resolving dependencies (`setup.py`, a gemspec,
a `mix.exs`). With `allow`, Dependabot runs that code when it updates the lockfile, with access to the credentials of
every private registry the entry may use. A dependency or a pull request that changes the manifest can then run
whatever it likes there and read those credentials.

## Example
```yaml
updates:
  - package-ecosystem: pip
    directory: /
    schedule:
      interval: weekly
    insecure-external-code-execution: allow
```

## Use instead
```yaml
updates:
  - package-ecosystem: pip
    directory: /
    schedule:
      interval: weekly
    insecure-external-code-execution: deny
```
Leaving the key out is the same as `deny`. If an update really needs to run manifest code, give that entry no
`registries:`, so there are no credentials to take.

## References
- GitHub Docs, "Dependabot options reference: insecure-external-code-execution"
- zizmor `dependabot-execution`
"""

from __future__ import annotations

from collections.abc import Iterator

from scaffold.rules.dependabot.config import label, updates
from scaffold.rules.document import Document
from scaffold.rules.model import Confidence, Hit, Kind, Severity

ID = "dependabot-insecure-execution"
SEVERITY = Severity.HIGH
CONFIDENCE = Confidence.HIGH
KINDS = (Kind.DEPENDABOT,)


def check(document: Document) -> Iterator[Hit]:
    for entry in updates(document):
        value = entry.get("insecure-external-code-execution")
        if value is not None and value.text is not None and value.text.strip().lower() == "allow":
            yield Hit(
                value.line,
                value.column,
                f"{label(entry)}: insecure-external-code-execution is allow, so manifest code runs",
            )
