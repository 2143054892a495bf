"""## What it does
Finds `FROM` lines whose base image is not pinned by an `@sha256:` digest.

## Why is this bad?
A tag such as `python:3.13-slim` is a pointer the publisher (or anyone who takes over the account or registry) can
move to different content at any time. Every build then silently starts from whatever the tag points to that day.
A digest names exact content: the build fails rather than using anything else.

`FROM scratch` and `FROM <earlier stage>` are not images and are never reported. A base built from an `ARG`
(`FROM $BASE`) counts as pinned only when the ARG's default carries a digest; a value passed with `--build-arg` at
build time cannot be seen in the file.

## Example
```dockerfile
FROM python:3.13-slim-trixie
```

## Use instead
```dockerfile
FROM python:3.13-slim-trixie@sha256:9662417aace5ae7b8e2609cce472b72a8958e134ba372808abe9cc1a0c0125e6
```
Keep the tag in front of the digest for readers, and let Dependabot or Renovate update the digest.

## References
- CIS Docker Benchmark 4.2, "Ensure that containers use only trusted base images"
- OpenSSF Scorecard Pinned-Dependencies (container images); hadolint DL3006/DL3007
"""

from __future__ import annotations

from collections.abc import Iterator

from scaffold.audit.document import Document
from scaffold.audit.model import Confidence, Hit, Kind, Severity
from scaffold.rules.docker.instructions import DIGEST, external_bases, shown

ID = "docker-unpinned-base"
SEVERITY = Severity.MEDIUM
CONFIDENCE = Confidence.HIGH
KINDS = (Kind.DOCKERFILE,)


def check(document: Document) -> Iterator[Hit]:
    for stage, image, resolved in external_bases(document):
        if not DIGEST.search((resolved if resolved is not None else image.text).lower()):
            line, column = stage.start.position(image.offset)
            yield Hit(
                line, column, f"stage {stage.index}: FROM {shown(image, resolved)} is not pinned by @sha256 digest"
            )
