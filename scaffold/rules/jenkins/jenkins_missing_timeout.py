"""## What it does
Finds pipelines without a time limit: a declarative pipeline whose `options` have no `timeout`, or a scripted
pipeline with no `timeout` step anywhere.

## Why is this bad?
Jenkins has no default build time limit. A hung test, a prompt waiting for input, or a build that someone made loop
on purpose keeps its executor (and any credentials it holds) busy until a person notices. Other builds queue behind it,
and the agent stays open to whatever is running on it.

## Example
```groovy
pipeline {
  agent none
  options { disableConcurrentBuilds() }
  stages { stage('Test') { steps { sh 'make test' } } }
}
```

## Use instead
```groovy
pipeline {
  agent none
  options {
    timeout(time: 30, unit: 'MINUTES')
    disableConcurrentBuilds()
  }
  stages { stage('Test') { steps { sh 'make test' } } }
}
```
In scripted pipelines, wrap the work of each `node` in `timeout(time: 30, unit: 'MINUTES') { ... }`.

## References
- Jenkins, "Pipeline syntax: options (timeout)"
- Jenkins, "Pipeline: basic steps: timeout"
- OWASP Top 10 CI/CD Security Risks, CICD-SEC-10 (resource abuse)
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from scaffold.rules.document import Document
from scaffold.rules.jenkins.groovy import read
from scaffold.rules.model import Confidence, Hit, Kind, Severity

ID = "jenkins-missing-timeout"
SEVERITY = Severity.LOW
CONFIDENCE = Confidence.HIGH
KINDS = (Kind.JENKINSFILE,)
CONTROLS = ("timeouts",)

_TIMEOUT = re.compile(r"(?<![\w.$])timeout\s*[(\w]")


def check(document: Document) -> Iterator[Hit]:
    source = read(document.text)
    pipelines = [block for block in source.blocks if block.head == "pipeline"]
    for pipeline in pipelines:
        options = [child for child in pipeline.children if child.head == "options"]
        if not any(_TIMEOUT.search(source.code, block.open, block.close) for block in options):
            line, column = source.position(pipeline.start)
            message = "pipeline: no timeout() in options, so a hung build holds its executor"
            yield Hit(line, column, message, "pipeline options timeout")
    if pipelines:
        return
    nodes = [
        block
        for block in source.blocks
        if block.name == "node" and (block.parent is None or block.parent.name != "agent")
    ]
    if nodes and not _TIMEOUT.search(source.code):
        line, column = source.position(nodes[0].start)
        message = "scripted pipeline: no timeout() step anywhere, so a hung build holds its executor"
        yield Hit(line, column, message, "scripted pipeline timeout")
