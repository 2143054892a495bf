"""## What it does
Finds workflows without a `concurrency:` group, at the top level or on every job. A reusable workflow that only
runs when called (`on: workflow_call` alone) is not asked for one: it runs inside its caller's group.

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

## Fix
`scaffold harden --fix=all` adds a group per workflow and ref that cancels superseded pull-request runs only:

```yaml
concurrency:
  group: ${{ github.workflow }}-${{ github.ref }}
  cancel-in-progress: ${{ github.event_name == 'pull_request' }}
```
It is unsafe because a run waiting in the group replaces the one waiting before it, which a deployment queue may
not want. A reusable workflow (`on: workflow_call`) is left to its caller, since the group would be the caller's.

## References
- GitHub, "Control the concurrency of workflows and jobs"
- zizmor `concurrency-limits`
"""

from __future__ import annotations

from collections.abc import Iterator

from scaffold.rules.document import Document
from scaffold.rules.fixes.model import Fix, Proposal, Safety, Unfixable
from scaffold.rules.github.workflow import jobs, triggers
from scaffold.rules.model import Confidence, Hit, Kind, Severity

ID = "missing-concurrency"
SEVERITY = Severity.LOW
CONFIDENCE = Confidence.HIGH
KINDS = (Kind.WORKFLOW,)
CONTROLS = ("no-duplicate-runs",)
FIX_SAFETY = "unsafe"
GROUP = (
    "concurrency:",
    "  group: ${{ github.workflow }}-${{ github.ref }}",
    "  cancel-in-progress: ${{ github.event_name == 'pull_request' }}",
)


def check(document: Document) -> Iterator[Hit]:
    root = document.yaml
    if root is None or not root.is_mapping or root.get("concurrency") is not None:
        return
    if set(triggers(document)) == {"workflow_call"}:  # a called workflow runs under its caller's group
        return
    listed = list(jobs(document))
    if listed and all(job.get("concurrency") is not None for _, job in listed):
        return
    where = root.key("jobs") or root
    yield Hit(where.line, where.column, "the workflow has no concurrency group; superseded runs are not cancelled")


def fix(document: Document) -> Iterator[Proposal]:
    from scaffold.rules.fixes import yaml_edit

    root = document.yaml
    for hit in check(document):
        if "workflow_call" in triggers(document):
            yield Unfixable(hit.line, "a reusable workflow: set concurrency in the workflows that call it")
            return
        key = root.key("jobs") if root is not None else None
        if key is None:
            return
        edit = yaml_edit.insert_before_key(document, key, GROUP)
        if edit is not None:
            risk = "a queued run replaces the one queued before it"
            yield Fix(hit.line, "cancel superseded pull-request runs", Safety.UNSAFE, (edit,), risk)
