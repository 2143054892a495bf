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
`scaffold harden` adds the digest to a base image whose tag is in scaffold's pins file, as `image:tag@sha256:...`,
the digest verified from the image's published source. Other images are reported: find their digest with
`crane digest` or `docker buildx imagetools inspect` and add it by hand.

## References
- CIS Docker Benchmark 4.2, "Ensure that containers use only trusted base images"
- OpenSSF Scorecard Pinned-Dependencies (container images); hadolint DL3006/DL3007
"""

from __future__ import annotations

from collections.abc import Iterator

from scaffold.rules.docker.instructions import DIGEST, external_bases, from_subject, shown
from scaffold.rules.document import Document
from scaffold.rules.fixes.model import Fix, Proposal, Safety, TextEdit, Unfixable
from scaffold.rules.model import Confidence, Hit, Kind, Severity

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
    from scaffold.rules.fixes import image_pins

    for stage, image, resolved in external_bases(document):
        if DIGEST.search((resolved if resolved is not None else image.text).lower()):
            continue
        line, column = stage.start.position(image.offset)
        pin = image_pins.lookup(image.text)
        if pin is None:
            why = (
                "comes from an ARG: pin the ARG's value"
                if "$" in image.text
                else "no verified digest in scaffold's pins"
            )
            yield Unfixable(line, f"FROM {shown(image, resolved)}: {why}; add the digest by hand")
            continue
        end = document.line_map.offset(line, column) + len(image.text)
        if document.text[end - len(image.text) : end] != image.text:
            yield Unfixable(line, f"FROM {image.text}: the reference is split across lines; add the digest by hand")
            continue
        yield Fix(line, f"pin FROM {image.text} to {pin.digest}", Safety.SAFE, (TextEdit(end, end, "@" + pin.digest),))
