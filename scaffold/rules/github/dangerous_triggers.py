"""## What it does
Finds workflows triggered by `pull_request_target` or `workflow_run`. Comment and review triggers
(`issue_comment` and the like), which anyone can also cause but which run the default branch's workflow, are
`comment-triggers`, at low severity.

## Why is this bad?
Both run in the context of the base repository, with a token that can write and with access to secrets, while being
started by something a fork controls (a pull request, or another workflow's run). Combined with a checkout of the
pull request's head, or with any use of its data, this is the most common way public repositories are compromised
("pwn requests").

## Example
```yaml
on: pull_request_target
```

## Use instead
```yaml
on: pull_request
```
Run untrusted code with `pull_request` and a read-only token. If a privileged follow-up is needed, pass data through an
artifact and treat it as untrusted in a separate, minimal workflow.

## References
- GitHub Security Lab, "Keeping your GitHub Actions and workflows secure: preventing pwn requests"
- zizmor `dangerous-triggers`; OpenSSF Scorecard Dangerous-Workflow
"""

from __future__ import annotations

from collections.abc import Iterator

from scaffold.rules.document import Document
from scaffold.rules.github.workflow import DANGEROUS_TRIGGERS, triggers
from scaffold.rules.model import Confidence, Hit, Kind, Severity

ID = "dangerous-triggers"
SEVERITY = Severity.HIGH
CONFIDENCE = Confidence.MEDIUM
KINDS = (Kind.WORKFLOW,)


def check(document: Document) -> Iterator[Hit]:
    for event, node in triggers(document).items():
        if event in DANGEROUS_TRIGGERS:
            yield Hit(node.line, node.column, f"triggered by {event}, which runs fork-started work with privileges")
