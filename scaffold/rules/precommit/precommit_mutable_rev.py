"""## What it does
Finds hook repositories in `.pre-commit-config.yaml` whose `rev:` is a tag or a branch rather than a full 40-character
commit SHA.

## Why is this bad?
pre-commit clones each hook repository at its `rev` and runs its code on every developer's machine and in CI, with
their credentials at hand. A tag or branch can be moved to another commit by anyone who controls the hook
repository (or steals its maintainer's token), and every fresh clone or CI cache then runs the new code; this is how
the tj-actions/changed-files tags were turned against their users. A commit SHA cannot be moved. A shortened SHA is
not enough either: it can become ambiguous, and a tag may carry the same name.

## Example
```yaml
repos:
  - repo: https://github.com/gitleaks/gitleaks
    rev: v8.30.1
```

## Use instead
```yaml
repos:
  - repo: https://github.com/gitleaks/gitleaks
    rev: 83d9cd684c87d95d656c1458ef04895a7f1cbd8e  # frozen: v8.30.1
```
`pre-commit autoupdate --freeze` writes the SHA and keeps the release in the `# frozen:` comment, so readers and
later updates still see the version. `repo: local` and `repo: meta` have no `rev` and are not checked.

## References
- pre-commit documentation, "pre-commit autoupdate" (`--freeze`)
- GitHub, "Security hardening for GitHub Actions: using third-party actions" (the same reasoning for pinning)
- zizmor `impostor-commit` (checks online that a frozen SHA belongs to the repository)
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from scaffold.rules.document import Document
from scaffold.rules.model import Confidence, Hit, Kind, Severity
from scaffold.rules.precommit.config import remote_repos

ID = "precommit-mutable-rev"
SEVERITY = Severity.HIGH
CONFIDENCE = Confidence.HIGH
KINDS = (Kind.PRE_COMMIT,)

# git reads object names in either case; 40 hex digits are always taken as a commit, never as a ref name.
SHA = re.compile(r"[0-9a-fA-F]{40}")


def check(document: Document) -> Iterator[Hit]:
    for url, _, entry in remote_repos(document):
        rev = entry.get("rev")
        if rev is None or rev.text is None:
            continue  # pre-commit itself rejects a remote repository without a rev
        value = rev.text.strip()
        if not SHA.fullmatch(value):
            shown = value if value else "(empty)"
            yield Hit(rev.line, rev.column, f"repo {url}: rev {shown} is not a full commit SHA")
