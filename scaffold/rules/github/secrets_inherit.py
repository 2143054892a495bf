"""## What it does
Finds calls to reusable workflows with `secrets: inherit`.

## Why is this bad?
`inherit` hands every secret the calling workflow can read to the called workflow, whatever it needs. A called
workflow in another repository, or one that changes later, gets all of them; a compromise of any of its steps
leaks them all.

## Example
```yaml
jobs:
  build:
    uses: my-org/workflows/.github/workflows/build.yml@<sha>
    secrets: inherit
```

## Use instead
```yaml
jobs:
  build:
    uses: my-org/workflows/.github/workflows/build.yml@<sha>
    secrets:
      registry-token: ${{ secrets.REGISTRY_TOKEN }}
```

## References
- GitHub, "Reusing workflows: passing inputs and secrets to a reusable workflow"
- zizmor `secrets-inherit`
"""

from __future__ import annotations

from collections.abc import Iterator

from scaffold.rules.document import Document
from scaffold.rules.github.workflow import jobs
from scaffold.rules.model import Confidence, Hit, Kind, Severity

ID = "secrets-inherit"
SEVERITY = Severity.MEDIUM
CONFIDENCE = Confidence.HIGH
KINDS = (Kind.WORKFLOW,)
CONTROLS = ("scoped-secrets",)


def check(document: Document) -> Iterator[Hit]:
    for name, job in jobs(document):
        secrets = job.get("secrets")
        if secrets is not None and secrets.text == "inherit":
            yield Hit(secrets.line, secrets.column, f"job {name}: passes every secret to the called workflow")
