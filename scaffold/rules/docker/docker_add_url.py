"""## What it does
Finds `ADD` instructions that download a URL or clone a git repository without verifying what they fetched.

## Why is this bad?
`ADD https://...` copies whatever the server returns into the image: a compromised or hijacked download site, or a
release asset replaced after the fact, ends up in the build with nothing to notice it. A git source at a branch or
tag can move in the same way.

`ADD --checksum=sha256:...` makes BuildKit verify the download, and is not reported; neither is a git source that
names a full 40-character commit (`...git#<commit>`), which cannot move.

## Example
```dockerfile
ADD https://example.com/tool-1.2.3-linux-amd64.tar.gz /tmp/tool.tar.gz
ADD https://github.com/example/lib.git#main /src/lib
```

## Use instead
```dockerfile
ADD --checksum=sha256:<the published sha256> https://example.com/tool-1.2.3.tar.gz /tmp/tool.tar.gz
```
Take the checksum from the publisher's signed release notes, or download it in a `RUN` step and check it with
`sha256sum -c`. For local files use `COPY`.

## References
- CIS Docker Benchmark 4.9, "Ensure that COPY is used instead of ADD in Dockerfiles"
- hadolint DL3020; Docker documentation, "Dockerfile reference: ADD --checksum"
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from scaffold.rules.docker.instructions import instructions, unquote
from scaffold.rules.document import Document
from scaffold.rules.model import Confidence, Hit, Kind, Severity

ID = "docker-add-url"
SEVERITY = Severity.MEDIUM
CONFIDENCE = Confidence.HIGH
KINDS = (Kind.DOCKERFILE,)

_GIT = re.compile(r"(?:git@|git://|ssh://)|https?://[^#\s]+\.git(?:#|$)", re.IGNORECASE)
_URL = re.compile(r"https?://", re.IGNORECASE)
_COMMIT = re.compile(r"[0-9a-f]{40}")


def check(document: Document) -> Iterator[Hit]:
    for instruction in instructions(document):
        if instruction.keyword != "ADD" or instruction.flag("checksum"):
            continue
        exec_form = instruction.exec_form()
        if exec_form is not None:
            sources = [(item, 0) for item in exec_form[:-1]]
        else:
            sources = [(unquote(word.text), word.offset) for word in instruction.words()[:-1]]
        for source, offset in sources:
            line, column = instruction.position(offset)
            if _GIT.match(source):
                ref = source.partition("#")[2].partition(":")[0]
                if not _COMMIT.fullmatch(ref):
                    yield Hit(line, column, f"ADD clones {source} at a ref that can move; name a full commit SHA")
            elif _URL.match(source):
                yield Hit(line, column, f"ADD downloads {source} without --checksum, so nothing verifies it")
