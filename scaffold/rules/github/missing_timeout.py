"""## What it does
Finds jobs without `timeout-minutes`.

## Why is this bad?
A job without a timeout runs for up to six hours on GitHub-hosted runners, and as long as the runner allows on
self-hosted ones. A hung test, a stuck network call or an abused job (crypto-mining from a malicious dependency)
holds a runner and its token for all that time.

## Example
```yaml
jobs:
  test:
    runs-on: ubuntu-24.04
```

## Use instead
```yaml
jobs:
  test:
    runs-on: ubuntu-24.04
    timeout-minutes: 15
```

## Fix
`scaffold harden --fix=all` gives each such job `timeout-minutes: 60`. It is unsafe because a job that really takes
longer would now fail; adjust the number to the job.

## References
- GitHub, "Workflow syntax: jobs.<job_id>.timeout-minutes"
- OWASP CI/CD Security Risks, CICD-SEC-10 (insufficient logging and visibility) and resource abuse
"""

from __future__ import annotations

from collections.abc import Iterator

from scaffold.rules.document import Document
from scaffold.rules.fixes.model import Fix, Proposal, Safety, Unfixable
from scaffold.rules.github.workflow import jobs
from scaffold.rules.model import Confidence, Hit, Kind, Severity
from scaffold.rules.yaml_view import YNode

ID = "missing-timeout"
SEVERITY = Severity.LOW
CONFIDENCE = Confidence.HIGH
KINDS = (Kind.WORKFLOW,)
CONTROLS = ("timeouts",)
FIX_SAFETY = "unsafe"
TIMEOUT = 60


def _untimed(document: Document) -> Iterator[tuple[str, YNode, YNode]]:
    """(name, key node, job) for each job that runs steps and has no timeout-minutes."""
    root = document.yaml
    section = root.get("jobs") if root is not None else None
    keys = {key.text: key for key, _ in section.entries()} if section is not None else {}
    for name, job in jobs(document):
        if job.get("uses") is not None:
            continue  # a reusable workflow call: the called workflow's jobs carry their own timeouts
        if job.get("timeout-minutes") is None:
            yield name, keys[name], job


def check(document: Document) -> Iterator[Hit]:
    for name, key, _ in _untimed(document):
        yield Hit(key.line, key.column, f"job {name} has no timeout-minutes")


def fix(document: Document) -> Iterator[Proposal]:
    from scaffold.rules.fixes import yaml_edit

    for name, key, job in _untimed(document):
        entry = [f"timeout-minutes: {TIMEOUT}"]
        steps = job.key("steps")
        edit = yaml_edit.insert_before_key(document, steps, entry) if steps is not None else None
        edit = edit or yaml_edit.append_entry(document, job, entry)
        if edit is None:
            yield Unfixable(key.line, f"job {name}: a flow mapping; add timeout-minutes by hand")
            continue
        risk = "a job that needs longer will fail"
        yield Fix(key.line, f"job {name}: timeout-minutes: {TIMEOUT}", Safety.UNSAFE, (edit,), risk)
