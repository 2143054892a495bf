"""## What it does
Finds jobs of pull-request-triggered workflows that run on self-hosted runners.

## Why is this bad?
A pull request runs code its author wrote. On a self-hosted runner that code runs on your machine, in your
network, and can persist there: it can wait for the next job (with its secrets) or reach internal services.
GitHub advises against self-hosted runners for public repositories for this reason.

## Example
```yaml
on: pull_request
jobs:
  test:
    runs-on: [self-hosted, linux]
```

## Use instead
```yaml
on: pull_request
jobs:
  test:
    runs-on: ubuntu-24.04
```
Keep self-hosted runners for trusted events (pushes to protected branches), ideally ephemeral (one job each).

## References
- GitHub, "Security hardening for GitHub Actions: hardening for self-hosted runners"
- poutine `pr_runs_on_self_hosted`; zizmor `self-hosted-runner`
"""

from __future__ import annotations

from collections.abc import Iterator

from scaffold.rules.document import Document
from scaffold.rules.github.workflow import jobs, triggers
from scaffold.rules.model import Confidence, Hit, Kind, Severity

ID = "self-hosted-pr"
SEVERITY = Severity.HIGH
CONFIDENCE = Confidence.MEDIUM
KINDS = (Kind.WORKFLOW,)
CONTROLS = ("isolated-runners",)

_PR_EVENTS = ("pull_request", "pull_request_target", "pull_request_review", "pull_request_review_comment")


def check(document: Document) -> Iterator[Hit]:
    events = [event for event in triggers(document) if event in _PR_EVENTS]
    if not events:
        return
    for name, job in jobs(document):
        runs_on = job.get("runs-on")
        if runs_on is None:
            continue
        labels = [runs_on.text] if runs_on.text is not None else [item.text for item in runs_on.elements()]
        if runs_on.is_mapping:
            group = runs_on.get("labels")
            labels = (
                [group.text]
                if group is not None and group.text
                else [i.text for i in (group.elements() if group else [])]
            )
        if any(label == "self-hosted" for label in labels):
            yield Hit(runs_on.line, runs_on.column, f"job {name} runs {events[0]} code on a self-hosted runner")
