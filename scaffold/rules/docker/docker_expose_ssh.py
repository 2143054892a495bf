"""## What it does
Finds `EXPOSE` instructions that open port 22, the SSH port. This covers `EXPOSE 22`, `EXPOSE 22/tcp`, port 22 in
a list of ports (`EXPOSE 80 22`) and a port range that includes it (`EXPOSE 20-25`), in any stage.

## Why is this bad?
A container that offers SSH runs an SSH server next to its application: one more network service to patch, keys or
passwords to manage inside the image, and a way in that bypasses the orchestrator's access control and audit log.
`docker exec` and `kubectl exec` already give an operator a shell, with the platform's authentication. `EXPOSE 22`
usually means an `sshd` is in the image, and it documents the port as one to publish.

## Example
```dockerfile
EXPOSE 8080 22
```

## Use instead
```dockerfile
EXPOSE 8080
```
Remove the SSH server from the image and use `docker exec` or `kubectl exec` when a shell is needed.

## References
- CIS Docker Benchmark 5.6, "Ensure sshd is not run within containers"
- Checkov CKV_DOCKER_1; Trivy DS-0004
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from scaffold.rules.docker.instructions import instructions, unquote
from scaffold.rules.document import Document
from scaffold.rules.model import Confidence, Hit, Kind, Severity

ID = "docker-expose-ssh"
SEVERITY = Severity.MEDIUM
CONFIDENCE = Confidence.HIGH
KINDS = (Kind.DOCKERFILE,)

SSH = 22
_PORT = re.compile(r"(?P<low>[0-9]{1,10})(?:-(?P<high>[0-9]{1,10}))?(?:/(?P<protocol>[A-Za-z]+))?")


def check(document: Document) -> Iterator[Hit]:
    for instruction in instructions(document):
        if instruction.keyword != "EXPOSE":
            continue
        for word in instruction.words():
            port = _PORT.fullmatch(unquote(word.text))
            if port is None or (port.group("protocol") or "tcp").lower() != "tcp":
                continue
            low = int(port.group("low"))
            high = int(port.group("high")) if port.group("high") else low
            if low <= SSH <= high:
                line, column = instruction.position(word.offset)
                yield Hit(
                    line,
                    column,
                    f"EXPOSE {unquote(word.text)} opens port 22 (SSH); do not run an SSH server in the image",
                )
