"""## What it does
Finds free-form `workflow_dispatch` inputs (of type `string`, or with no type) used by jobs that release or publish.

A job counts as releasing when it may write contents or packages or mint an OIDC token (`contents: write`,
`packages: write`, `id-token: write` or `write-all`, its own or inherited from the top level), or when its id, its
name or the workflow's name says `release` or `publish`. An input is reported when such a job reads it
(`inputs.<name>` or `github.event.inputs.<name>`); inputs only other jobs read are left alone.

## Why is this bad?
Whatever is typed into a free-form input goes into the release: a version, a ref to build, a tag, extra flags.
The build is then defined by a person's input at run time rather than by the repository, which provenance (SLSA
"parameters") cannot vouch for, and a typo or a crafted value (`main; curl ...`, an unreviewed branch) is published
under the project's name. A `choice`, `boolean` or `environment` input only admits values listed in the workflow.

## Example
```yaml
on:
  workflow_dispatch:
    inputs:
      ref:
        description: Commit to release
```

## Use instead
```yaml
on:
  push:
    tags: ["v*"]
  workflow_dispatch:
    inputs:
      channel:
        type: choice
        options: [stable, beta]
```
Release from a pushed tag, and keep manual inputs to a fixed list of choices.

## References
- SLSA v1.0 build provenance, "external parameters"
- checkov CKV_GHA_7
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from scaffold.rules.document import Document
from scaffold.rules.github.workflow import jobs
from scaffold.rules.model import Confidence, Hit, Kind, Severity
from scaffold.rules.yaml_view import YNode

ID = "free-form-release-input"
SEVERITY = Severity.LOW
CONFIDENCE = Confidence.MEDIUM
KINDS = (Kind.WORKFLOW,)

_RELEASING_NAME = re.compile(r"releas|publish", re.IGNORECASE)
_WRITES = ("contents", "packages", "id-token")


def check(document: Document) -> Iterator[Hit]:
    root = document.yaml
    on = root.get("on") if root is not None else None
    event = on.get("workflow_dispatch") if on is not None else None
    inputs = event.get("inputs") if event is not None else None
    if root is None or inputs is None:
        return
    releasing = _releasing_jobs(document, root)
    for key, spec in inputs.entries():
        kind = spec.get("type") if spec.is_mapping else None
        if key.text is None or (kind is not None and (kind.text or "").strip() != "string"):
            continue
        read = re.compile(rf"\binputs\s*(?:\.\s*{re.escape(key.text)}\b|\[\s*'{re.escape(key.text)}'\s*\])")
        users = [name for name, text in releasing if read.search(text)]
        if users:
            message = f"workflow_dispatch input {key.text} is free-form text read by releasing job {users[0]}"
            yield Hit(key.line, key.column, message)


def _releasing_jobs(document: Document, root: YNode) -> list[tuple[str, str]]:
    """(job id, the job's source text) for each job that releases or publishes."""
    name = root.get("name")
    whole = name is not None and bool(_RELEASING_NAME.search(name.text or ""))
    top = root.get("permissions")
    found: list[tuple[str, str]] = []
    for job_id, job in jobs(document):
        title = job.get("name")
        named = bool(_RELEASING_NAME.search(job_id)) or (
            title is not None and bool(_RELEASING_NAME.search(title.text or ""))
        )
        permissions = job.get("permissions")
        writes = _writes(permissions if permissions is not None else top)
        if whole or named or writes:
            found.append((job_id, document.text[job.node.start_mark.index : job.node.end_mark.index]))
    return found


def _writes(permissions: YNode | None) -> bool:
    if permissions is None:
        return False
    if permissions.text is not None:
        return permissions.text.strip() == "write-all"
    return any(scope in _WRITES and (value.text or "").strip() == "write" for scope, value in permissions.items())
