"""## What it does
Finds pipelines and stages declared with `agent any`, and scripted `node` blocks without a label.

## Why is this bad?
Without a label Jenkins may schedule the build on any executor it has, including the built-in node (the controller)
when it still has executors. A build there runs code from the repository next to Jenkins' own secrets, job
configurations and credentials store, and on shared long-lived agents one build can leave tools, caches or files
behind for the next one.

## Example
```groovy
pipeline {
  agent any
  stages { stage('Test') { steps { sh 'make test' } } }
}
```

## Use instead
```groovy
pipeline {
  agent none
  stages {
    stage('Test') {
      agent { label 'linux-ephemeral' }
      steps { sh 'make test' }
    }
  }
}
```
A `docker` agent whose image is pinned by digest works as well. In scripted pipelines, give `node` a label
(`node('linux-ephemeral') { ... }`). Also set the built-in node's executors to 0.

## References
- Jenkins, "Securing builds: not building on the built-in node"
- Jenkins, "Pipeline syntax: agent"
- OWASP Top 10 CI/CD Security Risks, CICD-SEC-5 and CICD-SEC-7
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from scaffold.rules.document import Document
from scaffold.rules.jenkins.groovy import read
from scaffold.rules.model import Confidence, Hit, Kind, Severity

ID = "jenkins-agent-any"
SEVERITY = Severity.MEDIUM
CONFIDENCE = Confidence.MEDIUM
KINDS = (Kind.JENKINSFILE,)
CONTROLS = ("isolated-runners",)

_AGENT_ANY = re.compile(r"(?<![\w.$])agent\s+any(?![\w$])")
_NODE = re.compile(r"node\s*(?:\((?P<args>.*)\))?\s*", re.DOTALL)


def check(document: Document) -> Iterator[Hit]:
    source = read(document.text)
    hits = []
    for match in _AGENT_ANY.finditer(source.code):
        line, column = source.position(match.start())
        where = source.where(match.start())
        message = f"{where}agent any may run on any executor, including the built-in node"
        hits.append(Hit(line, column, message, f"{where.removesuffix(': ') or 'top level'} agent any"))
    for block in source.blocks:
        if block.name != "node" or (block.parent is not None and block.parent.name == "agent"):
            continue  # a declarative `agent { node { label '...' } }` is the agent syntax, not a scripted node
        call = _NODE.fullmatch(block.head)
        if call is None:
            continue
        args = (call.group("args") or "").strip()
        literals = source.head_literals(block)
        empty_label = len(literals) == 1 and not literals[0].value.strip() and args == literals[0].quote * 2
        if args and not empty_label:
            continue
        line, column = source.position(block.start)
        prefix = source.where(block.start)
        message = f"{prefix}node without a label may run on any executor, including the built-in node"
        hits.append(Hit(line, column, message, f"{prefix.removesuffix(': ') or 'top level'} node"))
    yield from sorted(hits)
