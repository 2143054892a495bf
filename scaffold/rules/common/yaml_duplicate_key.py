"""## What it does
Finds a key written twice in the same YAML mapping, in any YAML file scaffold audits.

## Why is this bad?
Tools disagree on what a repeated key means. GitHub Actions refuses the workflow; GitLab, pre-commit and PyYAML
silently keep the last value; other parsers keep the first. A reviewer (or a checker) that reads the first value
sees a pinned image or a harmless script, while the pipeline runs the second one, so a repeated key is a classic
way to slip a change past review. scaffold reads the last value, like the tools that accept the file, and reports
the repetition so that nobody has to guess.

## Example
```yaml
build:
  image: python:3.12@sha256:<digest>
  script: [make]
  image: python:latest
```

## Use instead
```yaml
build:
  image: python:3.12@sha256:<digest>
  script: [make]
```

## References
- YAML 1.2.2 specification, section 3.2.1.1: "the keys of a mapping must be unique"
- GitHub Docs, "Workflow syntax for GitHub Actions" (a workflow with a repeated key is invalid)
"""

from __future__ import annotations

from collections.abc import Iterator

from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from scaffold.rules.document import Document
from scaffold.rules.model import Confidence, Hit, Kind, Severity

ID = "yaml-duplicate-key"
SEVERITY = Severity.MEDIUM
CONFIDENCE = Confidence.HIGH
KINDS = (Kind.WORKFLOW, Kind.ACTION, Kind.DEPENDABOT, Kind.GITLAB_CI, Kind.PRE_COMMIT)


def check(document: Document) -> Iterator[Hit]:
    root = document.yaml
    if root is None:
        return
    for key, first in _repeated(root.node):
        name = _shown(str(key.value))
        line, column = int(key.start_mark.line) + 1, int(key.start_mark.column) + 1
        yield Hit(line, column, f"key {name} is repeated (first on line {first}); tools disagree on which one counts")


def _repeated(root: Node) -> Iterator[tuple[ScalarNode, int]]:
    """Each key after the first of its text in one mapping, with the first one's line; every mapping once, however
    often aliases repeat it, shadowed values included."""
    seen: set[int] = set()
    pending = [root]
    while pending:
        node = pending.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        if isinstance(node, MappingNode):
            texts = [str(key.value) for key, _ in node.value if isinstance(key, ScalarNode)]
            if len(set(texts)) < len(texts):  # some key is repeated: find which, with the first one's line
                first: dict[str, int] = {}
                for key, _ in node.value:
                    if isinstance(key, ScalarNode):
                        text = str(key.value)
                        if text in first:
                            yield key, first[text]
                        else:
                            first[text] = int(key.start_mark.line) + 1
            pending += [item for pair in node.value for item in pair if not isinstance(item, ScalarNode)]
        elif isinstance(node, SequenceNode):
            pending += [item for item in node.value if not isinstance(item, ScalarNode)]


def _shown(name: str) -> str:
    return f"`{name[:60]}...`" if len(name) > 60 else f"`{name}`"
