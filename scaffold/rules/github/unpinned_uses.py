"""## What it does
Finds `uses:` references to actions and reusable workflows that are not pinned to a full 40-character commit SHA.

The steps of composite actions (`action.yml`) are read too: they run inside the job that calls the action.

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

## Fix
`scaffold harden` replaces a tag with the commit it points to, from scaffold's table of refs verified in mirrors
of the upstream repositories, and writes the version in a comment. A ref the table does not know, such as a branch
or a tag newer than the table, is reported and left alone: a SHA is never guessed.

## References
- GitHub, "Security hardening for GitHub Actions: using third-party actions"
- zizmor `unpinned-uses`; OpenSSF Scorecard Pinned-Dependencies
"""

from __future__ import annotations

from collections.abc import Iterator

from scaffold.rules.document import Document
from scaffold.rules.fixes.model import Fix, Proposal, Safety, TextEdit, Unfixable
from scaffold.rules.github.workflow import jobs, pinned_ref, steps
from scaffold.rules.model import Confidence, Hit, Kind, Severity
from scaffold.rules.yaml_view import YNode

ID = "unpinned-uses"
SEVERITY = Severity.HIGH
CONFIDENCE = Confidence.HIGH
KINDS = (Kind.WORKFLOW, Kind.ACTION)
CONTROLS = ("pinned-dependencies",)
FIX_SAFETY = "safe"


def _unpinned(document: Document) -> Iterator[tuple[str, YNode, str]]:
    for name, job in jobs(document):
        references = [job.get("uses")] + [step.get("uses") for step in steps(job)]
        for uses in references:
            if uses is not None and uses.text is not None and not pinned_ref(uses.text):
                yield name, uses, uses.text


def check(document: Document) -> Iterator[Hit]:
    for name, uses, value in _unpinned(document):
        pin = "by digest" if value.startswith("docker://") else "to a commit SHA"
        yield Hit(uses.line, uses.column, f"job {name}: {value} is not pinned {pin}")


def fix(document: Document) -> Iterator[Proposal]:
    from scaffold.rules.fixes import action_refs, yaml_edit

    for _, uses, value in _unpinned(document):
        action, _, ref = value.partition("@")
        repo = "/".join(action.split("/")[:2])
        resolved = action_refs.lookup(repo, ref) if ref and not value.startswith("docker://") else None
        raw = document.text[uses.node.start_mark.index : uses.node.end_mark.index]
        if resolved is None or raw.count("@" + ref) != 1:
            yield Unfixable(uses.line, f"{value}: no verified commit for this ref in scaffold's table; pin it by hand")
            continue
        start = uses.node.start_mark.index + raw.index("@" + ref) + 1
        edits = [TextEdit(start, start + len(ref), resolved.sha)]
        rest = yaml_edit.trailing_text(document, uses)
        if not rest.strip() or rest.lstrip().startswith("#"):
            end = uses.node.end_mark.index
            edits.append(TextEdit(end, end, f" # {resolved.version}"))
        yield Fix(uses.line, f"pin {value} to {resolved.sha} ({resolved.version})", Safety.SAFE, tuple(edits))
