"""## What it does
Finds `uses:` references to actions and reusable workflows whose repository its owner has archived, as recorded in
scaffold's offline data file `scaffold/data/archived-actions.yml` (each entry says where its archived state was
seen). Any ref of such a repository is reported, pinned or not.

## Why is this bad?
An archived repository is read-only: nobody fixes its bugs or vulnerabilities, updates the runtime it was built for
(many archived actions run on Node versions GitHub has retired) or the dependencies bundled into it. A flaw found in
it later stays in every workflow that uses it.

## Example
```yaml
- uses: actions-rs/toolchain@<sha>  # v1
```

## Use instead
```yaml
- uses: dtolnay/rust-toolchain@<sha>  # stable
```
Replace the action with a maintained one (`actions/setup-ruby` -> `ruby/setup-ruby`, `actions/create-release` ->
`gh release create` in a `run:` step), or with the command it wrapped: many archived actions are thin wrappers of
the GitHub API that the preinstalled `gh` CLI covers.

## References
- GitHub, "Archiving repositories"
- zizmor `archived-uses`
"""

from __future__ import annotations

import functools
from collections.abc import Iterator

from scaffold.kit.shipped import shipped_yaml
from scaffold.rules.document import Document
from scaffold.rules.github.workflow import action_name, jobs, steps
from scaffold.rules.model import Confidence, Hit, Kind, Severity

ID = "archived-uses"
SEVERITY = Severity.MEDIUM
CONFIDENCE = Confidence.HIGH
KINDS = (Kind.WORKFLOW, Kind.ACTION)


@functools.cache
def archived() -> dict[str, str]:
    """Archived ``owner/repo`` (lowercase) -> the date the entry gives, from the packaged data file."""
    return {
        str(entry["repo"]).lower(): str(entry["date"])
        for entry in shipped_yaml("data/archived-actions.yml")["archived"]
    }


def check(document: Document) -> Iterator[Hit]:
    known = archived()
    for name, job in jobs(document):
        for uses in [job.get("uses")] + [step.get("uses") for step in steps(job)]:
            if uses is None or uses.text is None or "@" not in uses.text or uses.text.startswith("docker://"):
                continue
            repository = "/".join(action_name(uses.text).split("/")[:2])
            if repository in known:
                yield Hit(
                    uses.line,
                    uses.column,
                    f"job {name}: {repository} is archived by its owner (read-only, unmaintained)",
                )
