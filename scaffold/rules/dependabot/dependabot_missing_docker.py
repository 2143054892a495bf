"""## What it does
Finds Dependabot configurations that mention container images but have no update entry for the `docker`
ecosystem. A `docker-registry` registry or a `docker-compose` update entry counts as a mention.

## Why is this bad?
Base images should be pinned by digest, and a digest never moves on its own: without a `docker` entry, the `FROM`
lines of Dockerfiles stay on the image they were pinned to while its operating system packages collect known
vulnerabilities. A `docker-compose` entry updates the `image:` lines of compose files only, not Dockerfiles.

The audit reads one file at a time, so this rule sees only the Dependabot file and cannot know whether the
repository has a Dockerfile. To avoid flagging every repository that builds no image, it reports only when the
Dependabot file itself mentions container images, and with low confidence: a repository whose compose file uses
published images only needs no `docker` entry.

## Example
```yaml
updates:
  - package-ecosystem: docker-compose
    directory: /
    schedule:
      interval: weekly
    cooldown:
      default-days: 7
```

## Use instead
```yaml
updates:
  - package-ecosystem: docker-compose
    directory: /
    schedule:
      interval: weekly
    cooldown:
      default-days: 7
  - package-ecosystem: docker
    directory: /
    schedule:
      interval: weekly
    cooldown:
      default-days: 7
```
Use `directories:` when Dockerfiles live in several folders.

## References
- GitHub Docs, "Dependabot options reference: package-ecosystem" (`docker`, `docker-compose`)
- CIS Docker Benchmark 4.2 and 4.3 (trusted, up-to-date base images)
"""

from __future__ import annotations

from collections.abc import Iterator

from scaffold.rules.dependabot.config import ecosystem, updates
from scaffold.rules.document import Document
from scaffold.rules.model import Confidence, Hit, Kind, Severity
from scaffold.rules.yaml_view import YNode

ID = "dependabot-missing-docker"
SEVERITY = Severity.MEDIUM
CONFIDENCE = Confidence.LOW
KINDS = (Kind.DEPENDABOT,)


def check(document: Document) -> Iterator[Hit]:
    root = document.yaml
    if root is None or not root.is_mapping:
        return
    entries = list(updates(document))
    if any(ecosystem(entry) == "docker" for entry in entries):
        return
    registry = next(_docker_registries(root), None)
    if registry is not None:
        name, key = registry
        yield Hit(key.line, key.column, f"registry {name} is a docker-registry, but no updates entry is for docker")
        return
    compose = next((entry for entry in entries if ecosystem(entry) == "docker-compose"), None)
    if compose is not None:
        where = compose.get("package-ecosystem") or compose
        yield Hit(where.line, where.column, "docker-compose entry but no docker entry: Dockerfiles are never updated")


def _docker_registries(root: YNode) -> Iterator[tuple[str, YNode]]:
    registries = root.get("registries")
    for key, registry in registries.entries() if registries is not None else []:
        kind = registry.get("type")
        if key.text is not None and kind is not None and (kind.text or "").strip().lower() == "docker-registry":
            yield key.text, key
