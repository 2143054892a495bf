"""## What it does
Finds `FROM` lines whose base image is not pinned by an `@sha256:` digest.

## Why is this bad?
A tag such as `python:3.13-slim` is a pointer the publisher (or anyone who takes over the account or registry) can
move to different content at any time. Every build then silently starts from whatever the tag points to that day.
A digest names exact content: the build fails rather than using anything else.

`FROM scratch` and `FROM <earlier stage>` are not images and are never reported. A base built from an `ARG`
(`FROM $BASE`, `FROM ${BASE}`, `FROM ${BASE:-python:3.13}`) is read as BuildKit reads it, with the global ARGs (those
before the first `FROM`) and their defaults: `ARG BASE=python:3.13` is unpinned, `ARG BASE=python:3.13@sha256:...`
is pinned, and an ARG without a default is unpinned (a value passed with `--build-arg` at build time cannot be
seen in the file). An ARG whose value names an earlier stage or `scratch` is that stage or `scratch`.

## Example
```dockerfile
FROM python:3.13-slim-trixie
```

## Use instead
```dockerfile
FROM python:3.13-slim-trixie@sha256:9662417aace5ae7b8e2609cce472b72a8958e134ba372808abe9cc1a0c0125e6
```
Keep the tag in front of the digest for readers, and let Dependabot or Renovate update the digest.

## Fix
`scaffold harden` adds the digest after the tag of every stage's base (`image:tag@sha256:...`, the tag kept for
readers), as the run's pin source gives it: scaffold's pins file by default (verified from each image's published
source), or the registry's index digest when resolution online is allowed. Adding the digest the tag points to now
does not change what is built, so the fix is safe. A base that comes from an ARG, and an image the source cannot
pin, are reported with the reason: find their digest with `crane digest` or `docker buildx imagetools inspect`.

## References
- CIS Docker Benchmark 4.2, "Ensure that containers use only trusted base images"
- OpenSSF Scorecard Pinned-Dependencies (container images); hadolint DL3006/DL3007
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from scaffold.rules.docker.instructions import DIGEST, external_bases, from_subject, shown
from scaffold.rules.document import Document
from scaffold.rules.model import Confidence, Hit, Kind, Severity

if TYPE_CHECKING:
    from scaffold.rules.fixes.model import Proposal

ID = "docker-unpinned-base"
SEVERITY = Severity.MEDIUM
CONFIDENCE = Confidence.HIGH
KINDS = (Kind.DOCKERFILE,)
FIX_SAFETY = "safe"


def check(document: Document) -> Iterator[Hit]:
    for stage, image, resolved in external_bases(document):
        if not DIGEST.search((resolved if resolved is not None else image.text).lower()):
            line, column = stage.start.position(image.offset)
            message = f"stage {stage.index}: FROM {shown(image, resolved)} is not pinned by @sha256 digest"
            yield Hit(line, column, message, from_subject(stage))


def fix(document: Document) -> Iterator[Proposal]:
    from scaffold.resolve.model import Refused
    from scaffold.rules.fixes import image_pins
    from scaffold.rules.fixes.model import Unfixable
    from scaffold.rules.fixes.pinning import refused

    for stage, image, resolved in external_bases(document):
        if DIGEST.search((resolved if resolved is not None else image.text).lower()):
            continue
        line, column = stage.start.position(image.offset)
        what = f"FROM {shown(image, resolved)}"
        if "$" in image.text:
            yield Unfixable(line, f"{what}: the base comes from an ARG; pin the ARG's value by digest by hand")
            continue
        end = document.line_map.offset(line, column) + len(image.text)
        if document.text[end - len(image.text) : end] != image.text:
            yield Unfixable(line, f"{what}: the reference is split across lines; pin it by hand")
            continue
        resolution = image_pins.resolve(image.text)
        if isinstance(resolution, Refused):
            yield refused(line, what, resolution)
            continue
        yield image_pins.digest_fix(line, what, end, resolution)
