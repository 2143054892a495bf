"""## What it does
Finds `docker` agents whose image is not pinned by an `@sha256:` digest, for the whole pipeline or for one stage.

It reads `agent { docker { image '...' } }` and the short form `agent { docker '...' }`. An image built from a
variable (`"${REGISTRY}/tool:${TAG}"`, `env.IMAGE`) is reported too, unless it ends in a literal digest: the
digest alone decides which content runs. One finding per image reference, at the reference.

## Why is this bad?
The agent image holds every tool the stage runs, and the stage runs with its credentials and its workspace. A tag
such as `python:3.13` or `node:22` is a pointer that the image's publisher, or anyone who takes over the account or
the registry, can move at any time: the stage then runs other code without any change to the repository. A digest
names the content itself, and the Docker daemon refuses an image whose content differs. A reference assembled from
variables cannot be checked at all.

## Example
```groovy
pipeline {
  agent none
  stages {
    stage('Test') {
      agent { docker { image 'python:3.13-slim' } }
      steps { sh 'make test' }
    }
  }
}
```

## Use instead
```groovy
pipeline {
  agent none
  stages {
    stage('Test') {
      agent {
        docker {
          image 'python:3.13-slim@sha256:9662417aace5ae7b8e2609cce472b72a8958e134ba372808abe9cc1a0c0125e6'
        }
      }
      steps { sh 'make test' }
    }
  }
}
```
Keep the tag next to the digest (`image:tag@sha256:...`) for readers and Renovate; write the registry in full
(`docker.io/library/python:...`) so a mirror setting cannot change where the image comes from.

## References
- Jenkins, "Pipeline syntax: agent (docker)"
- OpenSSF Scorecard, Pinned-Dependencies
- OWASP Top 10 CI/CD Security Risks, CICD-SEC-3 (dependency chain abuse)
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from scaffold.rules.document import Document
from scaffold.rules.jenkins.groovy import Source, Statement, read
from scaffold.rules.model import Confidence, Hit, Kind, Severity

ID = "jenkins-unpinned-agent-image"
SEVERITY = Severity.HIGH
CONFIDENCE = Confidence.HIGH
KINDS = (Kind.JENKINSFILE,)
CONTROLS = ("pinned-dependencies",)

DIGEST = re.compile(r"@sha256:[0-9a-f]{64}\Z")
_SHORT_FORM = re.compile(r"docker\s*\(?\s*['\"]")
_MAX_SHOWN = 200


def check(document: Document) -> Iterator[Hit]:
    source = read(document.text)
    for statement in agent_images(source):
        literals = source.arguments(statement)
        if len(literals) == 1 and DIGEST.search(literals[0].value):
            continue
        offset = literals[0].start if literals else statement.start
        reference = literals[0].value if literals else statement.head.removeprefix(statement.name)
        variable = len(literals) != 1 or "$" in reference
        reference = " ".join(reference.split())[:_MAX_SHOWN]
        if not reference:
            continue  # no image at all: Jenkins refuses the agent, there is nothing to pin
        problem = "is built from a variable and has no digest" if variable else "is not pinned by @sha256 digest"
        line, column = source.position(offset)
        yield Hit(line, column, f"{source.where(offset)}agent image {reference} {problem}", reference)


def agent_images(source: Source) -> list[Statement]:
    """The ``image`` statements of ``docker { ... }`` agents, and ``docker '...'`` short forms, in file order."""
    found = []
    for agent in source.blocks:
        if agent.head != "agent":
            continue
        for statement in source.statements(agent):
            if statement.name != "docker":
                continue
            if statement.block is not None:
                found += source.find(statement.block, "image")
            elif _SHORT_FORM.match(statement.head):
                found.append(statement)
    return found
