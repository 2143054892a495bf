"""## What it does
Finds workflows without a `concurrency:` group, at the top level or on every job.

## Why is this bad?
Without a concurrency group, every push starts another run while the previous ones go on. Superseded runs waste
runners, and two deploys or releases for the same ref can race each other and finish in the wrong order.

## Example
```yaml
on: push
jobs:
  deploy:
    runs-on: ubuntu-24.04
```

## Use instead
```yaml
on: push
concurrency:
  group: ${{ github.workflow }}-${{ github.ref }}
  cancel-in-progress: true
```
Release and deploy workflows usually want `cancel-in-progress: false`, so a started deploy finishes.

## References
- GitHub, "Control the concurrency of workflows and jobs"
- zizmor `concurrency-limits`
"""

from __future__ import annotations

from collections.abc import Iterator

from scaffold.audit.document import Document
from scaffold.audit.model import Confidence, Hit, Kind, Severity
from scaffold.rules.github.workflow import jobs

ID = "missing-concurrency"
SEVERITY = Severity.LOW
CONFIDENCE = Confidence.HIGH
KINDS = (Kind.WORKFLOW,)


def check(document: Document) -> Iterator[Hit]:
    root = document.yaml
    if root is None or not root.is_mapping or root.get("concurrency") is not None:
        return
    listed = list(jobs(document))
    if listed and all(job.get("concurrency") is not None for _, job in listed):
        return
    where = root.key("jobs") or root
    yield Hit(where.line, where.column, "the workflow has no concurrency group; superseded runs are not cancelled")
