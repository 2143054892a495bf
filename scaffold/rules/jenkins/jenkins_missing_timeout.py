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

## Fix
`scaffold harden --fix=all` gives a declarative pipeline `timeout(time: 60, unit: 'MINUTES')` in its `options`
(adding an `options` block above `stages` when there is none), the same hour GitHub jobs get from
`missing-timeout`, and wraps the work inside each outermost `node` of a scripted pipeline in the same `timeout`.
It is unsafe: a build that really takes longer would now be aborted; adjust the time to the pipeline.

## References
- Jenkins, "Pipeline syntax: options (timeout)"
- Jenkins, "Pipeline: basic steps: timeout"
- OWASP Top 10 CI/CD Security Risks, CICD-SEC-10 (resource abuse)
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import TYPE_CHECKING

from scaffold.rules.document import Document
from scaffold.rules.jenkins.groovy import Block, Source, read
from scaffold.rules.model import Confidence, Hit, Kind, Severity

if TYPE_CHECKING:
    from scaffold.rules.fixes.model import Proposal, TextEdit

ID = "jenkins-missing-timeout"
SEVERITY = Severity.LOW
CONFIDENCE = Confidence.HIGH
KINDS = (Kind.JENKINSFILE,)
CONTROLS = ("timeouts",)
FIX_SAFETY = "unsafe"

_TIMEOUT = re.compile(r"(?<![\w.$])timeout\s*[(\w]")


def check(document: Document) -> Iterator[Hit]:
    source = read(document.text)
    for pipeline in _untimed_pipelines(source):
        line, column = source.position(pipeline.start)
        message = "pipeline: no timeout() in options, so a hung build holds its executor"
        yield Hit(line, column, message, "pipeline options timeout")
    nodes = _untimed_nodes(source)
    if nodes:
        line, column = source.position(nodes[0].start)
        message = "scripted pipeline: no timeout() step anywhere, so a hung build holds its executor"
        yield Hit(line, column, message, "scripted pipeline timeout")


def fix(document: Document) -> Iterator[Proposal]:
    from scaffold.rules.fixes.edits import newline
    from scaffold.rules.fixes.model import Fix, Safety, TextEdit, Unfixable
    from scaffold.rules.github.missing_timeout import TIMEOUT

    source = read(document.text)
    step = f"timeout(time: {TIMEOUT}, unit: 'MINUTES')"
    end = newline(document.text, Kind.JENKINSFILE)
    risk = "a build that needs longer will be aborted"
    for pipeline in _untimed_pipelines(source):
        line, _ = source.position(pipeline.start)
        edit = _into_options(source, pipeline, step, end)
        if edit is None:
            yield Unfixable(line, f"pipeline: no options block or stages line to put {step} by; add it by hand")
            continue
        yield Fix(line, f"pipeline: {step} in options", Safety.UNSAFE, (edit,), risk)
    nodes = _untimed_nodes(source)
    if nodes:
        line, _ = source.position(nodes[0].start)
        outermost = [node for node in nodes if not any(block.name == "node" for block in _ancestors(node))]
        if any(node.close >= len(source.text) or source.text[node.close] != "}" for node in outermost):
            yield Unfixable(line, f"scripted pipeline: a node block is not closed; add {step} {{ ... }} by hand")
            return
        edits = [TextEdit(node.open + 1, node.open + 1, f" {step} {{") for node in outermost]
        edits += [TextEdit(node.close, node.close, "} ") for node in outermost]
        count = f"{len(outermost)} node blocks" if len(outermost) > 1 else "the node block"
        yield Fix(line, f"scripted pipeline: {step} around the work of {count}", Safety.UNSAFE, tuple(edits), risk)


def _untimed_pipelines(source: Source) -> list[Block]:
    """The declarative pipelines whose ``options`` have no ``timeout``."""
    found = []
    for pipeline in (block for block in source.blocks if block.head == "pipeline"):
        options = [child for child in pipeline.children if child.head == "options"]
        if not any(_TIMEOUT.search(source.code, block.open, block.close) for block in options):
            found.append(pipeline)
    return found


def _untimed_nodes(source: Source) -> list[Block]:
    """The ``node`` blocks of a scripted pipeline (a file without ``pipeline``) with no ``timeout`` anywhere."""
    if any(block.head == "pipeline" for block in source.blocks):
        return []
    nodes = [
        block
        for block in source.blocks
        if block.name == "node" and (block.parent is None or block.parent.name != "agent")
    ]
    return nodes if nodes and not _TIMEOUT.search(source.code) else []


def _ancestors(block: Block) -> Iterator[Block]:
    parent = block.parent
    while parent is not None:
        yield parent
        parent = parent.parent


def _into_options(source: Source, pipeline: Block, step: str, end: str) -> TextEdit | None:
    """The edit that puts ``step`` first in the pipeline's ``options``, or adds ``options { step }`` on its own
    lines above ``stages``; None when the file's layout leaves no clear place."""
    from scaffold.rules.fixes.model import TextEdit

    options = next((child for child in pipeline.children if child.head == "options"), None)
    if options is not None:
        first = options.statements[0] if options.statements else None
        if first is not None:
            indent = _indent_before(source.text, first.start)
            if indent is not None:
                start = first.start - len(indent)
                return TextEdit(start, start, f"{indent}{step}{end}")
        return TextEdit(options.open + 1, options.open + 1, f" {step};" if first is not None else f" {step} ")
    stages = next((child for child in pipeline.children if child.head == "stages"), None)
    indent = _indent_before(source.text, stages.start) if stages is not None else None
    if stages is None or indent is None:
        return None
    outer = _indent_before(source.text, pipeline.start) or ""
    unit = indent[len(outer) :] if indent.startswith(outer) and len(indent) > len(outer) else "  "
    block = f"{indent}options {{{end}{indent}{unit}{step}{end}{indent}}}{end}"
    start = stages.start - len(indent)
    return TextEdit(start, start, block)


def _indent_before(text: str, offset: int) -> str | None:
    """The blanks between the start of the line and ``offset``, or None when anything else comes first."""
    start = max(text.rfind("\n", 0, offset), text.rfind("\r", 0, offset)) + 1
    before = text[start:offset]
    return before if not before.strip(" \t") else None
