"""## What it does
Finds `uses:` references to actions and reusable workflows that are not pinned to a full 40-character commit SHA.

## Why is this bad?
A tag or branch can be moved to another commit at any time. In March 2025 every tag of tj-actions/changed-files was
moved to a commit that dumped CI secrets into the logs; workflows that used a tag ran it, workflows pinned to a SHA
did not. A SHA is the only immutable reference GitHub offers.

## Example
```yaml
- uses: actions/checkout@v4
```

## Use instead
```yaml
- uses: actions/checkout@3d3c42e5aac5ba805825da76410c181273ba90b1 # v7.0.1
```
Keep the version in a comment so that Dependabot and readers can tell what the SHA is.

## References
- GitHub, "Security hardening for GitHub Actions: using third-party actions"
- zizmor `unpinned-uses`; OpenSSF Scorecard Pinned-Dependencies
"""

from __future__ import annotations

from collections.abc import Iterator

from scaffold.audit.document import Document
from scaffold.audit.model import Confidence, Hit, Kind, Severity
from scaffold.checks.github import pinned_ref
from scaffold.rules.github.workflow import jobs, steps

ID = "unpinned-uses"
SEVERITY = Severity.HIGH
CONFIDENCE = Confidence.HIGH
KINDS = (Kind.WORKFLOW,)


def check(document: Document) -> Iterator[Hit]:
    for name, job in jobs(document):
        references = [job.get("uses")] + [step.get("uses") for step in steps(job)]
        for uses in references:
            if uses is None or uses.text is None or pinned_ref(uses.text):
                continue
            pin = "by digest" if uses.text.startswith("docker://") else "to a commit SHA"
            yield Hit(uses.line, uses.column, f"job {name}: {uses.text} is not pinned {pin}")
