"""## What it does
Finds workflows triggered by `pull_request_target` or `workflow_run` that check out the pull request's code.

## Why is this bad?
These triggers run with the base repository's privileges: a token that can write and access to secrets. Checking
out the pull request's head and then building, testing or even installing it runs the author's code with those
privileges. This is the "pwn request" that has compromised many public repositories.

## Example
```yaml
on: pull_request_target
jobs:
  test:
    steps:
      - uses: actions/checkout@<sha>  # v4
        with:
          ref: ${{ github.event.pull_request.head.sha }}
      - run: npm ci && npm test
```

## Use instead
Test pull requests in a `pull_request` workflow, which runs with a read-only token and no secrets. If a
privileged step must follow, let it read the results as an artifact and never execute them.

## References
- GitHub Security Lab, "Keeping your GitHub Actions and workflows secure: preventing pwn requests"
- zizmor `dangerous-triggers`; OpenSSF Scorecard Dangerous-Workflow; poutine `untrusted_checkout_exec`
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from scaffold.rules.document import Document
from scaffold.rules.github.workflow import DANGEROUS_TRIGGERS, action_steps, step_input, triggers
from scaffold.rules.model import Confidence, Hit, Kind, Severity

ID = "untrusted-checkout"
SEVERITY = Severity.HIGH
CONFIDENCE = Confidence.HIGH
KINDS = (Kind.WORKFLOW,)

_HEAD = re.compile(
    r"github\.event\.pull_request\.head\.|github\.head_ref|github\.event\.workflow_run\.head_|refs/pull/"
)


def check(document: Document) -> Iterator[Hit]:
    privileged = [event for event in triggers(document) if event in DANGEROUS_TRIGGERS]
    if not privileged:
        return
    for name, step in action_steps(document, "actions/checkout"):
        ref = step_input(step, "ref")
        if ref is not None and ref.text is not None and _HEAD.search(ref.text):
            yield Hit(ref.line, ref.column, f"job {name}: checks out the pull request's code under {privileged[0]}")
