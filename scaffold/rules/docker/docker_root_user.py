"""## What it does
Finds Dockerfiles whose final stage runs as root: it sets no `USER`, or its last `USER` is `root` or UID 0.

## Why is this bad?
A process that runs as root inside the container is root on every file and volume the container can reach, and a
container escape (a kernel or runtime bug) starts with full privileges on the host side too. Most services need no
privileges at all. Only the final stage matters: build stages never run as the image's containers.

A final stage built `FROM` an earlier stage inherits that stage's `USER`. The default user of an external base image
cannot be seen in the file, so an image that relies on it is reported: say `USER` explicitly.

## Example
```dockerfile
FROM python:3.13-slim-trixie
COPY app /app
CMD ["python", "/app/main.py"]
```

## Use instead
```dockerfile
FROM python:3.13-slim-trixie
COPY app /app
USER 10001:10001
CMD ["python", "/app/main.py"]
```
A numeric UID/GID needs no entry in `/etc/passwd` and lets Kubernetes' `runAsNonRoot` verify it.

## References
- CIS Docker Benchmark 4.1, "Ensure that a user for the container has been created"
- hadolint DL3002; Checkov CKV_DOCKER_3
"""

from __future__ import annotations

from collections.abc import Iterator

from scaffold.audit.document import Document
from scaffold.audit.model import Confidence, Hit, Kind, Severity
from scaffold.checks.container import is_root_user
from scaffold.rules.docker.instructions import final_chain, stages

ID = "docker-root-user"
SEVERITY = Severity.MEDIUM
CONFIDENCE = Confidence.MEDIUM
KINDS = (Kind.DOCKERFILE,)


def check(document: Document) -> Iterator[Hit]:
    chain = final_chain(stages(document))
    if not chain:
        return
    for stage in chain:
        users = [item for item in stage.body if item.keyword == "USER"]
        if users:
            last = users[-1]
            words = last.words()
            user = words[0].text if words else ""
            if is_root_user(user):
                line, column = last.position(0)
                where = "the final stage" if stage is chain[0] else f"the final stage, built from stage {stage.name},"
                yield Hit(line, column, f"{where} runs as root (USER {user})")
            return
    final = chain[0].start
    image = chain[0].image.text.partition("@")[0] if chain[0].image is not None else ""
    yield Hit(final.line, final.column, f"the final stage (FROM {image}) sets no USER, so it runs as root")
