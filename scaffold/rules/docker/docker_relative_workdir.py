"""## What it does
Finds `WORKDIR` instructions with a relative path. A path is absolute when it starts with `/`, a variable (`$HOME`,
`${APP_HOME}`) or a Windows drive letter.

## Why is this bad?
A relative `WORKDIR` is joined to the `WORKDIR` in effect before it, which may be set by the base image and change
when the base is updated. Files are then copied to, and commands run in, a directory the Dockerfile does not show,
and a path that used to hold the application can silently move. An absolute path says exactly where the
application lives.

## Example
```dockerfile
WORKDIR app
```

## Use instead
```dockerfile
WORKDIR /app
```

## References
- hadolint DL3000; Checkov CKV_DOCKER_10
- Docker documentation, "Dockerfile reference: WORKDIR"
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from scaffold.audit.document import Document
from scaffold.audit.model import Confidence, Hit, Kind, Severity
from scaffold.rules.docker.instructions import instructions, unquote

ID = "docker-relative-workdir"
SEVERITY = Severity.LOW
CONFIDENCE = Confidence.HIGH
KINDS = (Kind.DOCKERFILE,)

_ABSOLUTE = re.compile(r"[/$]|[A-Za-z]:[\\/]|\\")


def check(document: Document) -> Iterator[Hit]:
    for instruction in instructions(document):
        if instruction.keyword != "WORKDIR" or not instruction.args:
            continue
        path = unquote(instruction.args.strip())
        if path and not _ABSOLUTE.match(path):
            line, column = instruction.position(0)
            yield Hit(line, column, f"WORKDIR {path} is relative to the WORKDIR before it; use an absolute path")
