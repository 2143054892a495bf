"""## What it does
Finds `WORKDIR` instructions with a relative path. A path is absolute when it starts with `/` or a Windows drive
letter. A path with variables is read as BuildKit reads it, with the file's `ARG` defaults and `ENV` values:
`ARG APP_HOME=/srv/app` with `WORKDIR $APP_HOME` is absolute, `ARG DIR=app` with `WORKDIR $DIR` is relative, and one
that starts with a variable the file gives no value (`$HOME` from the base image) is not reported.

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

from scaffold.rules.docker.instructions import Instruction, instructions, unquote, value
from scaffold.rules.document import Document
from scaffold.rules.model import Confidence, Hit, Kind, Severity

ID = "docker-relative-workdir"
SEVERITY = Severity.LOW
CONFIDENCE = Confidence.HIGH
KINDS = (Kind.DOCKERFILE,)

_ABSOLUTE = re.compile(r"[/$]|[A-Za-z]:[\\/]|\\")


def check(document: Document) -> Iterator[Hit]:
    for instruction in instructions(document):
        if instruction.keyword != "WORKDIR" or not instruction.args:
            continue
        path = _relative(document, instruction)
        if path is not None:
            line, column = instruction.position(0)
            message = f"WORKDIR {path} is relative to the WORKDIR before it; use an absolute path"
            yield Hit(line, column, message, f"WORKDIR {instruction.args.strip()}")


def _relative(document: Document, instruction: Instruction) -> str | None:
    """The path as a message shows it when it is relative, else None."""
    path = unquote(instruction.args.strip())
    if "$" not in path:
        return path if path and not _ABSOLUTE.match(path) else None
    expansion = value(document, instruction)
    resolved = expansion.known if expansion is not None else None
    if not resolved or _ABSOLUTE.match(resolved):
        return None
    return f"{path} ({resolved})"
