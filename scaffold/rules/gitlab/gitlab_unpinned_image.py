"""## What it does
Finds `image:` and `services:` references that are not pinned by an `@sha256:` digest.

They are checked at the top level, in `default:`, in jobs and in templates; a reference built from variables without
a literal digest is reported too.

## Why is this bad?
A tag such as `python:3.13` or `docker:dind` is a pointer the image's publisher, or anyone who takes over the
account or the registry, can move at any time. The job then runs different code, with the job's token and
variables, without any change to the repository. A digest names the content itself: the runner refuses an image
whose content differs. A reference assembled from variables (`$REGISTRY/tool:$TAG`) cannot be checked at all, and a
pipeline variable set by whoever starts the pipeline may redirect it.

A reference that ends in a literal digest is accepted even if another part of it comes from a variable, because the
digest alone decides which content runs.

## Example
```yaml
test:
  image: python:3.13-slim
  services:
    - name: postgres:17
```

## Use instead
```yaml
test:
  # python:3.13-slim-trixie
  image: docker.io/library/python@sha256:9662417aace5ae7b8e2609cce472b72a8958e134ba372808abe9cc1a0c0125e6
```
Keep the tag in a comment or next to the digest (`image:tag@sha256:...`) for readers and Renovate.

## Fix
`scaffold harden` adds the digest after the tag (`image:tag@sha256:...`, the tag kept for readers), as the run's pin
source gives it: scaffold's pins file by default, or the registry's index digest when resolution online is allowed.
The digest the tag points to now runs the same content, so the fix is safe. Images the source cannot pin, and
references built from variables, are reported with the reason and left alone: a digest is never guessed.

## References
- GitLab documentation, "Pipeline security" (`doc/ci/pipeline_security`)
- OpenSSF Scorecard Pinned-Dependencies (the same idea for Dockerfiles); checkov CKV_GITLABCI_3 only lists images
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import TYPE_CHECKING

from scaffold.rules.document import Document
from scaffold.rules.gitlab.pipeline import get, holders, resolve, root
from scaffold.rules.model import Confidence, Hit, Kind, Severity
from scaffold.rules.yaml_view import YNode

if TYPE_CHECKING:
    from scaffold.rules.fixes.model import Proposal

ID = "gitlab-unpinned-image"
SEVERITY = Severity.HIGH
CONFIDENCE = Confidence.HIGH
KINDS = (Kind.GITLAB_CI,)
CONTROLS = ("pinned-dependencies",)
FIX_SAFETY = "safe"

DIGEST = re.compile(r"@sha256:[0-9a-f]{64}$")


def check(document: Document) -> Iterator[Hit]:
    for label, what, node, reference in _unpinned(document):
        variable = "$" in reference
        problem = "is built from variables and has no digest" if variable else "is not pinned by @sha256 digest"
        yield Hit(node.line, node.column, f"{label}: {what} {reference} {problem}")


def fix(document: Document) -> Iterator[Proposal]:
    from scaffold.rules.fixes.image_pins import pin_scalar

    for label, what, node, reference in _unpinned(document):
        yield pin_scalar(document, node, reference, f"{label}: {what}")


def _unpinned(document: Document) -> Iterator[tuple[str, str, YNode, str]]:
    for label, what, node, reference in references(document):
        if not DIGEST.search(reference):
            yield label, what, node, reference


def references(document: Document) -> Iterator[tuple[str, str, YNode, str]]:
    """(where, image or service, the node naming it, the reference) for each image the pipeline names, once."""
    top = root(document)
    seen: set[tuple[int, int]] = set()
    for label, holder in holders(document):
        image = resolve(top, get(holder, "image"))
        references = [("image", _name(top, image))]
        services = resolve(top, get(holder, "services"))
        references += [("service", _name(top, item)) for item in services.elements()] if services is not None else []
        for what, node in references:
            if node is None or node.text is None or not node.text.strip() or (node.line, node.column) in seen:
                continue
            seen.add((node.line, node.column))
            yield label, what, node, node.text.strip()


def _name(top: YNode | None, node: YNode | None) -> YNode | None:
    """The scalar naming the image: the value itself, or its ``name:``."""
    node = resolve(top, node)
    if node is None:
        return None
    return node if node.text is not None else resolve(top, get(node, "name"))
