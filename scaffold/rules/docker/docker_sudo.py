"""## What it does
Finds `RUN` instructions that call `sudo`.

## Why is this bad?
A build step already runs as the current `USER`; `sudo` is only needed when that user was given root rights through
sudoers, which leaves a ready path from the image's "non-root" user back to root at run time. `sudo` also behaves
badly without a terminal (signals, environment, prompts). Installing the `sudo` package is not reported by this
rule; calling it is.

## Example
```dockerfile
USER app
RUN sudo apt-get update && sudo apt-get install -y --no-install-recommends curl
```

## Use instead
```dockerfile
USER root
RUN apt-get update && apt-get install -y --no-install-recommends curl && rm -rf /var/lib/apt/lists/*
USER 10001:10001
```
Do the privileged work as root, then switch to the unprivileged user for the rest of the build and for run time.

## References
- CIS Docker Benchmark 4.8, setuid and setgid permissions (sudo is a setuid program)
- hadolint DL3004
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from scaffold.rules.docker.instructions import run_scripts
from scaffold.rules.document import Document
from scaffold.rules.model import Confidence, Hit, Kind, Severity

ID = "docker-sudo"
SEVERITY = Severity.MEDIUM
CONFIDENCE = Confidence.HIGH
KINDS = (Kind.DOCKERFILE,)

# sudo where a command starts: at the beginning, after ; & | ( ` $( or a shell keyword, or as an exec-form program.
_SUDO = re.compile(
    r"(?:^|[;&|(`{!]|\$\(|\b(?:then|do|else|exec|xargs|time)\s)\s*(?P<sudo>(?:/usr)?(?:/bin/)?sudo)(?=\s|$|[;&|)])"
    r'|^\[\s*"(?P<exec>(?:/usr)?(?:/bin/)?sudo)"'
)


def check(document: Document) -> Iterator[Hit]:
    for text, place in run_scripts(document):
        for match in _SUDO.finditer(text):
            group = "sudo" if match.group("sudo") else "exec"
            line, column = place(match.start(group))
            yield Hit(line, column, "RUN uses sudo; run the step as root with USER root instead")
