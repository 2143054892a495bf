"""## What it does
Finds `CI_DEBUG_TRACE` or `CI_DEBUG_SERVICES` set to `"true"` in a `variables:` block (top level, job, template, or
the `variables:` of a `rules:` entry).

## Why is this bad?
Debug tracing prints every shell command of the job with its variables expanded, so masked secrets, tokens and
keys appear in the job log, which every project member with access to jobs can read and which is kept with the
job. Service debugging does the same for service containers' output.

## Example
```yaml
variables:
  CI_DEBUG_TRACE: "true"
```

## Use instead
Remove the variable. When a failure needs tracing, set it for one manual run in the pipeline form of a branch
that holds no secrets, and delete the job log afterwards.

## References
- GitLab documentation, "Debugging CI/CD pipelines: mask variables" (the `CI_DEBUG_TRACE` warning)
- poutine `debug_enabled`
"""

from __future__ import annotations

from collections.abc import Iterator

from scaffold.rules.document import Document
from scaffold.rules.gitlab.pipeline import variable_blocks, variables
from scaffold.rules.model import Confidence, Hit, Kind, Severity

ID = "gitlab-debug-trace"
SEVERITY = Severity.HIGH
CONFIDENCE = Confidence.HIGH
KINDS = (Kind.GITLAB_CI,)
CONTROLS = ("no-debug-tracing",)

DEBUG_VARIABLES = ("CI_DEBUG_TRACE", "CI_DEBUG_SERVICES")


def check(document: Document) -> Iterator[Hit]:
    seen: set[tuple[int, int]] = set()
    for where, block in variable_blocks(document):
        for name, _, value in variables(block):
            place = (value.line, value.column)
            if name in DEBUG_VARIABLES and (value.text or "").strip().lower() == "true" and place not in seen:
                seen.add(place)
                yield Hit(value.line, value.column, f"{where}: {name} is true, so secrets reach the job log")
