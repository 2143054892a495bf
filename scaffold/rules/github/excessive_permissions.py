"""## What it does
Finds workflows whose token permissions are broader than least privilege: no top-level `permissions:` block,
`write-all` or `read-all`, or a write scope granted at the top level, where every job inherits it.

## Why is this bad?
Without a `permissions:` block the `GITHUB_TOKEN` gets the repository's default, which is often write access to
contents, packages and more. Any step that is compromised, or any injected command, can then push code, publish
packages or change releases. A write scope at the top level hands that power to every job, including the ones that
only lint or test.

## Example
```yaml
permissions: write-all
jobs:
  test:
    runs-on: ubuntu-24.04
```

## Use instead
```yaml
permissions: {}
jobs:
  test:
    runs-on: ubuntu-24.04
    permissions:
      contents: read  # check out the repository
```

## References
- GitHub, "Automatic token authentication: modifying the permissions for the GITHUB_TOKEN"
- zizmor `excessive-permissions`; OpenSSF Scorecard Token-Permissions; checkov CKV2_GHA_1
"""

from __future__ import annotations

from collections.abc import Iterator

from scaffold.audit.document import Document
from scaffold.audit.model import Confidence, Hit, Kind, Severity
from scaffold.audit.yaml_view import YNode
from scaffold.rules.github.workflow import jobs

ID = "excessive-permissions"
SEVERITY = Severity.HIGH
CONFIDENCE = Confidence.HIGH
KINDS = (Kind.WORKFLOW,)


def check(document: Document) -> Iterator[Hit]:
    root = document.yaml
    if root is None or not root.is_mapping:
        return
    top = root.get("permissions")
    if top is None:
        section = root.get("jobs")
        keys = {key.text: key for key, _ in section.entries()} if section is not None else {}
        exposed = [name for name, job in jobs(document) if job.get("permissions") is None and job.get("uses") is None]
        if not exposed and keys:
            yield Hit(1, 1, "no top-level permissions: set permissions: {} so that a job added later gets no scopes")
        for name in exposed:
            where = keys[name]
            yield Hit(
                where.line,
                where.column,
                f"job {name} gets the repository's default token scopes: no permissions on it or at the top "
                "level (set permissions: {} and grant the job what it needs)",
            )
    else:
        yield from _broad(top, "the workflow", top_level=True)
    for name, job in jobs(document):
        permissions = job.get("permissions")
        if permissions is not None:
            yield from _broad(permissions, f"job {name}", top_level=False)


def _broad(permissions: YNode, owner: str, *, top_level: bool) -> Iterator[Hit]:
    if permissions.text in ("write-all", "read-all"):
        yield Hit(permissions.line, permissions.column, f"{owner} uses {permissions.text}; grant named scopes")
        return
    if not top_level:
        return
    for scope, value in permissions.items():
        if value.text == "write":
            yield Hit(value.line, value.column, f"{scope}: write at the top level reaches every job; grant it per job")
