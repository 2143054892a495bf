"""## What it does
Finds Dependabot configurations with no update entry for the `github-actions` ecosystem.

## Why is this bad?
Workflows should pin every action to a commit SHA, and a SHA never moves on its own: without an update entry for
`github-actions`, pinned actions stay at the version they were pinned to, security fixes included, until someone
notices. Dependabot reads the `# vX.Y.Z` comment next to a SHA and proposes the new SHA and comment together, which
is what makes SHA pinning practical.

The rule sees only the Dependabot file, so it cannot tell whether the repository has workflows. A Dependabot file
means the repository is on GitHub, where workflows are the rule rather than the exception, hence medium confidence.
Silence it for a repository that really has none, or whose actions Renovate keeps up to date.

## Example
```yaml
version: 2
updates:
  - package-ecosystem: pip
    directory: /
    schedule:
      interval: weekly
    cooldown:
      default-days: 7
```

## Use instead
```yaml
version: 2
updates:
  - package-ecosystem: pip
    directory: /
    schedule:
      interval: weekly
    cooldown:
      default-days: 7
  - package-ecosystem: github-actions
    directory: /
    schedule:
      interval: weekly
    cooldown:
      default-days: 7
```

## References
- GitHub Docs, "Keeping your actions up to date with Dependabot"
- OpenSSF Scorecard Dependency-Update-Tool
"""

from __future__ import annotations

from collections.abc import Iterator

from scaffold.rules.dependabot.config import ecosystem, updates
from scaffold.rules.document import Document
from scaffold.rules.model import Confidence, Hit, Kind, Severity

ID = "dependabot-missing-github-actions"
SEVERITY = Severity.MEDIUM
CONFIDENCE = Confidence.MEDIUM
KINDS = (Kind.DEPENDABOT,)


def check(document: Document) -> Iterator[Hit]:
    root = document.yaml
    if root is None or not root.is_mapping:
        return
    if any(ecosystem(entry) == "github-actions" for entry in updates(document)):
        return
    where = root.key("updates") or root
    yield Hit(where.line, where.column, "no updates entry for github-actions, so pinned actions are never updated")
