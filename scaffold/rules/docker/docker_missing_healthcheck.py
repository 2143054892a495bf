"""## What it does
Finds Dockerfiles whose final stage has no `HEALTHCHECK`, or turns it off with `HEALTHCHECK NONE`.

## Why is this bad?
Without a health check Docker, Compose and Swarm only know whether the process exists, not whether it still answers:
a hung or deadlocked service keeps receiving traffic and is never restarted. The check also documents how the image
expects to be probed.

Only the final stage counts: a `HEALTHCHECK NONE` in a build stage is right (build stages never run as
containers) and does not cover the final stage. A final stage built `FROM` an earlier stage inherits that stage's
health check. A health check set by an external base image cannot be seen in the file and is not counted. Where an
orchestrator probes the service itself (Kubernetes liveness and readiness probes), suppress the finding with a reason.

## Example
```dockerfile
FROM python:3.13-slim-trixie
USER 10001:10001
CMD ["python", "-m", "service"]
```

## Use instead
```dockerfile
FROM python:3.13-slim-trixie
USER 10001:10001
HEALTHCHECK --interval=30s --timeout=5s --retries=3 \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=4)"]
CMD ["python", "-m", "service"]
```

## References
- CIS Docker Benchmark 4.6, "Ensure that HEALTHCHECK instructions have been added to container images"
- Checkov CKV_DOCKER_2; Docker documentation, "Dockerfile reference: HEALTHCHECK"
"""

from __future__ import annotations

from collections.abc import Iterator

from scaffold.rules.docker.instructions import final_image, final_setting, final_stage_label
from scaffold.rules.document import Document
from scaffold.rules.model import Confidence, Hit, Kind, Severity

ID = "docker-missing-healthcheck"
SEVERITY = Severity.LOW
CONFIDENCE = Confidence.MEDIUM
KINDS = (Kind.DOCKERFILE,)


def check(document: Document) -> Iterator[Hit]:
    chain, stage, last = final_setting(document, "HEALTHCHECK")
    if not chain:
        return
    if stage is None or last is None:
        final = chain[0].start
        yield Hit(final.line, final.column, f"the final stage (FROM {final_image(chain)}) has no HEALTHCHECK")
        return
    first = last.args.split(None, 1)[0].upper() if last.args.strip() else ""
    if first == "NONE":
        where = final_stage_label(chain, stage)
        yield Hit(last.line, last.column, f"{where} turns the health check off (HEALTHCHECK NONE)")
    elif first != "CMD":
        yield Hit(last.line, last.column, "the final stage's HEALTHCHECK has no CMD")
