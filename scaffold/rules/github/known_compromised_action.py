"""## What it does
Finds `uses:` references pinned to a commit that is known to be malicious: a commit an attacker pushed to an
action's repository and pointed its tags at, as recorded in scaffold's offline advisory data.

## Why is this bad?
Pinning to a SHA protects against tags that move later, but not against a SHA taken while the tags pointed at the
attacker's commit. Workflows that ran such a commit leaked their secrets into logs (tj-actions/changed-files and
reviewdog/action-setup in March 2025) or to the attacker (aquasecurity/trivy-action and setup-trivy in March
2026). A pin taken in that window keeps running the malicious code until it is replaced.

## Example
```yaml
- uses: tj-actions/changed-files@<the March 2025 impostor commit>  # v45
```

## Use instead
Pin to a commit of a release published after the incident (the advisory names it), and rotate every secret the
workflow could read while it ran the compromised commit.

## References
- GHSA-mrrh-fwg8-r2c3 (tj-actions/changed-files), GHSA-qmg3-hpqr-gqvc (reviewdog/action-setup),
  GHSA-69fq-xp46-6x23 (aquasecurity/trivy-action and setup-trivy)
- scaffold's data file `scaffold/data/advisories.yml` names the source of every commit
"""

from __future__ import annotations

import functools
from collections.abc import Iterator

from scaffold.resolve import advisories
from scaffold.rules.document import Document
from scaffold.rules.github.workflow import action_name, jobs, steps
from scaffold.rules.model import Confidence, Hit, Kind, Severity

ID = "known-compromised-action"
SEVERITY = Severity.HIGH
CONFIDENCE = Confidence.HIGH
KINDS = (Kind.WORKFLOW, Kind.ACTION)


@functools.cache
def compromised() -> dict[tuple[str, str], str]:
    """(action, commit) -> advisory id, from the packaged data file (read by ``scaffold.resolve.advisories``)."""
    return {(item.action, item.commit): item.advisory for item in advisories.shipped()}


def check(document: Document) -> Iterator[Hit]:
    known = compromised()
    for name, job in jobs(document):
        for uses in [job.get("uses")] + [step.get("uses") for step in steps(job)]:
            if uses is None or uses.text is None or "@" not in uses.text:
                continue
            action = "/".join(action_name(uses.text).split("/")[:2])
            commit = uses.text.rsplit("@", 1)[1].lower()
            advisory = known.get((action, commit))
            if advisory is not None:
                yield Hit(
                    uses.line, uses.column, f"job {name}: {action}@{commit[:12]} is a compromised commit ({advisory})"
                )
