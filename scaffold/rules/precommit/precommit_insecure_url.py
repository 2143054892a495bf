"""## What it does
Finds hook repositories in `.pre-commit-config.yaml` fetched over `http://`, `git://` or `ftp://`, which neither
encrypt nor authenticate the server.

## Why is this bad?
Anyone on the network path (a café Wi-Fi, a compromised proxy, a hijacked DNS answer) can answer the clone with a
repository of their own, and pre-commit then runs its hooks on the developer's machine or in CI. With a tag as `rev`
the attacker can serve any code under that tag; even a commit SHA only leaves git's hash check between the attacker
and the hook.

`https://` and SSH (`ssh://` or `git@host:path`) both authenticate the server and are fine. `file://` URLs and
paths name a repository on the same machine and are not checked, nor are `repo: local` and `repo: meta`.

## Example
```yaml
repos:
  - repo: git://github.com/pre-commit/pre-commit-hooks
    rev: 3e8a8703264a2f4a69428a0aa4dcb512790b2c8c  # frozen: v6.0.0
```

## Use instead
```yaml
repos:
  - repo: https://github.com/pre-commit/pre-commit-hooks
    rev: 3e8a8703264a2f4a69428a0aa4dcb512790b2c8c  # frozen: v6.0.0
```

## References
- Git documentation, "git-clone: GIT URLS" (the git protocol has no authentication)
- zizmor `insecure-url-scheme`
"""

from __future__ import annotations

from collections.abc import Iterator

from scaffold.rules.document import Document
from scaffold.rules.model import Confidence, Hit, Kind, Severity
from scaffold.rules.precommit.config import remote_repos

ID = "precommit-insecure-url"
SEVERITY = Severity.HIGH
CONFIDENCE = Confidence.HIGH
KINDS = (Kind.PRE_COMMIT,)

INSECURE = ("http", "git", "ftp")


def check(document: Document) -> Iterator[Hit]:
    for url, node, _ in remote_repos(document):
        scheme, separator, _ = url.partition("://")
        if separator and scheme.lower() in INSECURE:
            yield Hit(node.line, node.column, f"repo {url}: {scheme.lower()}:// does not authenticate the server")
