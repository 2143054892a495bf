"""## What it does
Finds `uses:` references to actions and reusable workflows that are not pinned to a full 40-character commit SHA.

The steps of composite actions (`action.yml`) are read too: they run inside the job that calls the action.

One exception: the SLSA generator's reusable workflows (`slsa-framework/slsa-github-generator/.github/workflows/`)
called by a full release tag (`@v2.1.0`). Its README ("Referencing SLSA builders and generators") says they must be
referenced by a `vX.Y.Z` tag so that `slsa-verifier` can verify which builder made the provenance; called by SHA
(or by `@v2`) the verification fails. `slsa-verifier` itself checks the builder and its release tag, which stands
in for the pin. Any other ref of those workflows is still reported.

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
`scaffold harden` asks the run's pin source for the commit the tag points to: the table shipped with scaffold (refs
verified in mirrors of the upstream repositories) and the cache of earlier live lookups by default, the action's
own repository with `--online` (`git ls-remote`, checked against the cooldown, the advisory list and tags that
moved). It writes the SHA and the version in a comment, and says where the pin came from. A `docker://` image gets
the digest of its tag the same way. Pinning the commit a tag points to now is safe; when the source stepped back to
an earlier release (the newest is inside the cooldown or on the advisory list) the fix is unsafe and says why. A ref
the source cannot pin, such as a branch or a tag it does not know, is reported and left alone: a SHA is never
guessed.

## References
- GitHub, "Security hardening for GitHub Actions: using third-party actions"
- zizmor `unpinned-uses`; OpenSSF Scorecard Pinned-Dependencies
- slsa-framework/slsa-github-generator README, "Referencing SLSA builders and generators"; slsa-verifier issue #12
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator

from scaffold.rules.document import Document
from scaffold.rules.fixes.model import Proposal, TextEdit, Unfixable
from scaffold.rules.github.workflow import jobs, pinned_ref, steps
from scaffold.rules.model import Confidence, Hit, Kind, Severity
from scaffold.rules.yaml_view import YNode
from scaffold.untrusted.text import printable

ID = "unpinned-uses"
SEVERITY = Severity.HIGH
CONFIDENCE = Confidence.HIGH
KINDS = (Kind.WORKFLOW, Kind.ACTION)
CONTROLS = ("pinned-dependencies",)
FIX_SAFETY = "safe; unsafe when the cooldown or the advisory list made the pin source take an earlier release"


@functools.cache
def _slsa_builder() -> re.Pattern[str]:
    """The SLSA generator's reusable workflows at a release tag: they must be called so (see "What it does")."""
    return re.compile(r"slsa-framework/slsa-github-generator/\.github/workflows/[^@]+@v\d+\.\d+\.\d+", re.IGNORECASE)


def _unpinned(document: Document) -> Iterator[tuple[str, YNode, str]]:
    for name, job in jobs(document):
        called = job.get("uses")
        if called is not None and called.text is not None and _slsa_builder().fullmatch(called.text):
            called = None
        for uses in [called] + [step.get("uses") for step in steps(job)]:
            if uses is not None and uses.text is not None and not pinned_ref(uses.text):
                yield name, uses, uses.text


def check(document: Document) -> Iterator[Hit]:
    for name, uses, value in _unpinned(document):
        pin = "by digest" if value.startswith("docker://") else "to a commit SHA"
        yield Hit(uses.line, uses.column, f"job {name}: {value} is not pinned {pin}")


def fix(document: Document) -> Iterator[Proposal]:
    for _, uses, value in _unpinned(document):
        raw = document.text[uses.node.start_mark.index : uses.node.end_mark.index]
        if value.startswith("docker://"):
            yield _pin_image(uses, value, raw)
        else:
            yield _pin_action(document, uses, value, raw)


def _pin_action(document: Document, uses: YNode, value: str, raw: str) -> Proposal:
    """The commit the pin source gives for ``owner/repo[/path]@ref``, written in place of the ref."""
    from scaffold.resolve.model import Refused
    from scaffold.resolve.source import current
    from scaffold.rules.fixes import yaml_edit
    from scaffold.rules.fixes.pinning import COMMIT, checked, comment_version, pin_fix, refused

    what = printable(value, 120)
    action, _, ref = value.partition("@")
    if not ref:
        return Unfixable(uses.line, f"{what}: names no ref; pin it by hand")
    if raw.count("@" + ref) != 1:
        return Unfixable(uses.line, f"{what}: written with escapes or more than once in its value; pin it by hand")
    resolution = checked(current().action("/".join(action.split("/")[:2]), ref), COMMIT, "commit")
    if isinstance(resolution, Refused):
        return refused(uses.line, what, resolution)
    start = uses.node.start_mark.index + raw.index("@" + ref) + 1
    edits = [TextEdit(start, start + len(ref), resolution.value)]
    version = comment_version(resolution.version)
    rest = yaml_edit.trailing_text(document, uses)
    if version is not None and (not rest.strip() or rest.lstrip().startswith("#")):
        end = uses.node.end_mark.index
        edits.append(TextEdit(end, end, f" # {version}"))
    return pin_fix(uses.line, what, resolution, tuple(edits), f"pin to {resolution.value}")


def _pin_image(uses: YNode, value: str, raw: str) -> Proposal:
    """The digest the pin source gives for ``docker://image:tag``, added after the tag."""
    from scaffold.resolve.model import Refused
    from scaffold.rules.fixes import image_pins
    from scaffold.rules.fixes.pinning import refused

    what = printable(value, 120)
    reference = value.removeprefix("docker://")
    if raw.count(value) != 1:
        return Unfixable(uses.line, f"{what}: written with escapes or more than once in its value; pin it by hand")
    resolution = image_pins.resolve(reference)
    if isinstance(resolution, Refused):
        return refused(uses.line, what, resolution)
    end = uses.node.start_mark.index + raw.index(value) + len(value)
    return image_pins.digest_fix(uses.line, what, end, resolution)
