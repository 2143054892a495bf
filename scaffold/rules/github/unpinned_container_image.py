"""## What it does
Finds job `container:` and `services:` images, and the `docker://` image of a Docker action's `action.yml`, that
are not pinned by an `@sha256:` digest.

Both spellings are read: the image as a plain string and as the `image:` of a mapping. An image built from a
`${{ }}` expression without a literal digest is reported too. Actions run as `uses: docker://...` are checked by
`unpinned-uses`, not here.

## Why is this bad?
A tag such as `python:3.13` or `postgres:17` is a pointer the publisher, or whoever takes over the account or the
registry, can move at any time. The job's steps then run inside different code, with the job's token and secrets,
and nothing in the repository changed. A digest names the content itself: the runner refuses an image whose
content differs. An image chosen by an expression (`${{ matrix.image }}`, `${{ inputs.image }}`) cannot be checked
by reading the workflow, and an input may be set by whoever starts the run.

## Example
```yaml
jobs:
  test:
    container: python:3.13-slim
    services:
      db:
        image: postgres:17
```

## Use instead
```yaml
jobs:
  test:
    # python:3.13-slim-trixie
    container: docker.io/library/python@sha256:9662417aace5ae7b8e2609cce472b72a8958e134ba372808abe9cc1a0c0125e6
```
Keep the tag in a comment or next to the digest (`image:tag@sha256:...`) for readers and Dependabot.

## Fix
`scaffold harden` adds the digest after the tag (`image:tag@sha256:...`, the tag kept for readers), as the run's pin
source gives it: scaffold's pins file by default, or the registry's index digest when resolution online is allowed.
The digest the tag points to now runs the same content, so the fix is safe. Images the source cannot pin, and
images chosen by an expression, are reported with the reason and left alone: a digest is never guessed.

## References
- GitHub, "Running jobs in a container" and "About service containers"
- zizmor `unpinned-images`; OpenSSF Scorecard Pinned-Dependencies
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from scaffold.rules.document import Document
from scaffold.rules.fixes.model import Proposal
from scaffold.rules.github.workflow import ACTION_JOB, action_image, jobs
from scaffold.rules.model import Confidence, Hit, Kind, Severity
from scaffold.rules.yaml_view import YNode

ID = "unpinned-container-image"
SEVERITY = Severity.HIGH
CONFIDENCE = Confidence.HIGH
KINDS = (Kind.WORKFLOW, Kind.ACTION)
CONTROLS = ("pinned-dependencies",)
FIX_SAFETY = "safe"

DIGEST = re.compile(r"@sha256:[0-9a-f]{64}$")


def check(document: Document) -> Iterator[Hit]:
    for job, what, node, reference in _unpinned(document):
        if "${{" in reference:
            problem = "is chosen by an expression and has no literal @sha256 digest"
        else:
            problem = "is not pinned by @sha256 digest"
        yield Hit(node.line, node.column, f"job {job}: {what} {reference} {problem}")


def fix(document: Document) -> Iterator[Proposal]:
    from scaffold.rules.fixes.image_pins import pin_scalar

    for job, what, node, reference in _unpinned(document):
        yield pin_scalar(document, node, reference, f"job {job}: {what}")


def _unpinned(document: Document) -> Iterator[tuple[str, str, YNode, str]]:
    """(job, ``container image`` or ``service <name> image``, the image's scalar, its text) per unpinned image."""
    for name, what, node, reference in images(document):
        if not DIGEST.search(reference):
            yield name, what, node, reference


def images(document: Document) -> Iterator[tuple[str, str, YNode, str]]:
    """(job, ``container image``, ``service <name> image`` or ``action image``, the image's scalar, its text) per
    job image and per Docker action's ``docker://`` image (its text without the prefix)."""
    for name, job in jobs(document):
        found = [("container image", _image(job.get("container")))]
        services = job.get("services")
        for service, value in services.items() if services is not None else []:
            found.append((f"service {service} image", _image(value)))
        for what, node in found:
            reference = (node.text or "").strip() if node is not None and not node.node.tag.endswith(":null") else ""
            if node is not None and reference:
                yield name, what, node, reference
    image = action_image(document)
    if image is not None:
        yield ACTION_JOB, "action image", *image


def _image(node: YNode | None) -> YNode | None:
    """The scalar naming the image: the value itself, or its ``image:``."""
    if node is None or node.text is not None:
        return node
    return node.get("image")
