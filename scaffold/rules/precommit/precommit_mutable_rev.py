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

## Fix
`scaffold harden` freezes each such `rev` the way `pre-commit autoupdate --freeze` does: the tag becomes the commit
it points to now, with the tag in a `# frozen:` comment (a comment already on the line is kept after it), asking the
run's pin source: scaffold's pins file for the hooks the kit itself uses, or the repository's tags when resolution
online is allowed. The same commit runs, so the fix is safe. An empty `rev`, a repository URL that is not an
`https`, `ssh` or `git` URL, and a tag the source cannot verify are reported with the reason.

## References
- pre-commit documentation, "pre-commit autoupdate" (`--freeze`)
- GitHub, "Security hardening for GitHub Actions: using third-party actions" (the same reasoning for pinning)
- zizmor `impostor-commit` (checks online that a frozen SHA belongs to the repository)
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import TYPE_CHECKING

from scaffold.rules.document import Document
from scaffold.rules.model import Confidence, Hit, Kind, Severity
from scaffold.rules.precommit.config import remote_repos
from scaffold.rules.yaml_view import YNode

if TYPE_CHECKING:
    from scaffold.rules.fixes.model import Proposal

ID = "precommit-mutable-rev"
SEVERITY = Severity.HIGH
CONFIDENCE = Confidence.HIGH
KINDS = (Kind.PRE_COMMIT,)
FIX_SAFETY = "safe"

# git reads object names in either case; 40 hex digits are always taken as a commit, never as a ref name.
SHA = re.compile(r"[0-9a-fA-F]{40}")


def _mutable(document: Document) -> Iterator[tuple[str, YNode, str]]:
    """(repository URL, the rev's node, its value) for each remote repository whose rev is not a full SHA."""
    for url, _, entry in remote_repos(document):
        rev = entry.get("rev")
        if rev is None or rev.text is None:
            continue  # pre-commit itself rejects a remote repository without a rev
        value = rev.text.strip()
        if not SHA.fullmatch(value):
            yield url, rev, value


def check(document: Document) -> Iterator[Hit]:
    for url, rev, value in _mutable(document):
        shown = value if value else "(empty)"
        yield Hit(rev.line, rev.column, f"repo {url}: rev {shown} is not a full commit SHA")


def fix(document: Document) -> Iterator[Proposal]:
    from scaffold.resolve.model import Refused
    from scaffold.resolve.source import current
    from scaffold.rules.fixes import pinning
    from scaffold.rules.fixes.model import Unfixable
    from scaffold.untrusted.text import printable

    for url, rev, value in _mutable(document):
        what = f"repo {printable(url, 120)}: rev {printable(value, 80) if value else '(empty)'}"
        problem = pinning.remote_problem(url)
        if not value:
            yield Unfixable(rev.line, f"{what}: names no release; write the release to use, then run harden again")
        elif problem is not None:
            yield Unfixable(rev.line, f"{what}: {problem}; pin it by hand")
        else:
            resolution = pinning.checked(current().git(url, value), pinning.COMMIT, "commit")
            if isinstance(resolution, Refused):
                yield pinning.refused(rev.line, what, resolution)
                continue
            version = pinning.comment_version(resolution.version)
            comment = f"frozen: {version}" if version is not None else None
            edits = pinning.yaml_pin_edits(document, rev, resolution.value, comment)
            if edits is None:
                yield Unfixable(rev.line, f"{what}: a block scalar; pin it by hand")
                continue
            yield pinning.pin_fix(rev.line, what, resolution, edits, f"freeze to {resolution.value}")
