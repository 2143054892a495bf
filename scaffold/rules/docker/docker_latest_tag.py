"""## What it does
Finds `FROM` lines that use the `latest` tag, or no tag and no digest (which means `latest`).

## Why is this bad?
`latest` follows every new release of the base image, including new major versions. The same Dockerfile builds a
different image from one day to the next, a build can break or change behaviour without any change in the
repository, and nobody can tell afterwards which base an image was built from.

An image pinned by digest (`image:latest@sha256:...`) is not reported: the digest decides what is used. A base
built from an `ARG` is judged by the ARG's default; an ARG without a default is not reported.

## Example
```dockerfile
FROM node
FROM nginx:latest
```

## Use instead
```dockerfile
FROM docker.io/library/node:24-trixie-slim@sha256:50c3b2f6988dfc307b86e5301d69611af31f4789bdf232863b07d3b02fe55ae0
```
Name the version you mean, and pin it by digest (see `docker-unpinned-base`).

## References
- hadolint DL3006 and DL3007
- Docker documentation, "Building best practices: choose the right base image"
"""

from __future__ import annotations

from collections.abc import Iterator

from scaffold.rules.docker.instructions import external_bases, from_subject, shown
from scaffold.rules.document import Document
from scaffold.rules.model import Confidence, Hit, Kind, Severity

ID = "docker-latest-tag"
SEVERITY = Severity.MEDIUM
CONFIDENCE = Confidence.HIGH
KINDS = (Kind.DOCKERFILE,)


def check(document: Document) -> Iterator[Hit]:
    for stage, image, resolved in external_bases(document):
        tag = _tag(resolved) if resolved else ""  # an ARG without a default cannot be judged
        if tag in (None, "latest"):
            problem = "has no tag, so it means latest" if tag is None else "uses the latest tag"
            line, column = stage.start.position(image.offset)
            message = f"stage {stage.index}: FROM {shown(image, resolved)} {problem}"
            yield Hit(line, column, message, from_subject(stage))


def _tag(reference: str) -> str | None:
    """The tag of an image reference; "" when it is pinned by digest (no tag needed), None when it has none."""
    if "@" in reference:
        return ""
    last = reference.rsplit("/", 1)[-1]
    _, sep, tag = last.partition(":")
    return tag.lower() if sep else None
