"""## What it does
Finds `actions/checkout` steps that keep the job's token in the checked-out repository's git configuration, because
`persist-credentials: false` is not set.

## Why is this bad?
By default checkout writes the token into `.git/config` so later steps can push. Every later step can read it, and a
step that uploads the workspace as an artifact publishes it: anyone who can download the artifact gets a live
token ("artipacked").

## Example
```yaml
- uses: actions/checkout@3d3c42e5aac5ba805825da76410c181273ba90b1 # v7.0.1
```

## Use instead
```yaml
- uses: actions/checkout@3d3c42e5aac5ba805825da76410c181273ba90b1 # v7.0.1
  with:
    persist-credentials: false
```
A job that really pushes can pass the token to that one `git push`.

## References
- Palo Alto Unit 42, "ArtiPACKED: hacking giants through a race condition in GitHub Actions artifacts"
- zizmor `artipacked`
"""

from __future__ import annotations

from collections.abc import Iterator

from scaffold.audit.document import Document
from scaffold.audit.model import Confidence, Hit, Kind, Severity
from scaffold.rules.github.workflow import action_steps, step_input

ID = "artipacked"
SEVERITY = Severity.MEDIUM
CONFIDENCE = Confidence.HIGH
KINDS = (Kind.WORKFLOW,)


def check(document: Document) -> Iterator[Hit]:
    for name, step in action_steps(document, "actions/checkout"):
        persist = step_input(step, "persist-credentials")
        if persist is None or persist.text not in ("false", "False", "FALSE"):
            yield Hit(step.line, step.column, f"job {name}: checkout keeps the token in .git/config")
