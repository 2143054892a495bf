"""## What it does
Finds a job's `container:` or `services:` registry credentials whose `password:` is written into the workflow as a
literal instead of an expression (`${{ secrets.NAME }}`).

## Why is this bad?
Everything in a workflow file is readable by anyone who can read the repository, is kept forever in its history and
is copied into every fork. A registry password written there is public, and it is not masked in logs the way a
secret is.

## Example
```yaml
jobs:
  test:
    container:
      image: registry.example.com/build:1.4
      credentials:
        username: ci
        password: hunter2
```

## Use instead
```yaml
      credentials:
        username: ci
        password: ${{ secrets.REGISTRY_PASSWORD }}
```
Store the password as a repository or environment secret, rotate the one that was committed, and prefer a registry
that accepts the job's OIDC token or `GITHUB_TOKEN` (GitHub Container Registry) over a stored password.

## References
- GitHub, "Using secrets in GitHub Actions"
- GitHub workflow syntax, `jobs.<job_id>.container.credentials`
- zizmor `hardcoded-container-credentials`
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from scaffold.rules.document import Document
from scaffold.rules.github.workflow import jobs
from scaffold.rules.model import Confidence, Hit, Kind, Severity
from scaffold.rules.yaml_view import YNode

ID = "hardcoded-container-credentials"
SEVERITY = Severity.HIGH
CONFIDENCE = Confidence.HIGH
KINDS = (Kind.WORKFLOW,)
CONTROLS = ("scoped-secrets",)

_WHOLE_EXPRESSION = re.compile(r"^\s*\$\{\{.*\}\}\s*$", re.DOTALL)


def check(document: Document) -> Iterator[Hit]:
    for name, job in jobs(document):
        container = job.get("container")
        password = _literal_password(container)
        if password is not None:
            yield Hit(password.line, password.column, f"job {name}: the container registry password is hard-coded")
        services = job.get("services")
        for service, config in services.items() if services is not None else []:
            password = _literal_password(config)
            if password is not None:
                yield Hit(
                    password.line,
                    password.column,
                    f"job {name}: service {service}: the container registry password is hard-coded",
                )


def _literal_password(container: YNode | None) -> YNode | None:
    """The ``credentials.password`` node of a container or service when it is a literal, not a ``${{ }}``."""
    credentials = container.get("credentials") if container is not None else None
    password = credentials.get("password") if credentials is not None else None
    if password is None or password.text is None or not password.text.strip():
        return None
    return None if _WHOLE_EXPRESSION.match(password.text) else password
