"""## What it does
Finds shared libraries loaded without a commit SHA or a release tag as their version.

It reads `@Library('name')`, `@Library('name@main')`, `library 'name@develop'`, `library(identifier: ...)` and
`libraries { lib('name') }`; a version is fixed when it is a 40-character commit SHA or a tag like `v1.4.2` or
`1.4.2`. A version computed at run time (`"name@${...}"`) is not judged.

## Why is this bad?
A shared library is Groovy code that runs inside the pipeline, and a global library runs outside the sandbox with the
controller's rights. Without a version Jenkins loads the default version set by an administrator, usually a branch;
with a branch, every push to it changes what all pipelines run, and anyone who can push there (or who compromises
that repository) reaches every build and its credentials.

## Example
```groovy
@Library('pipeline-utils@main') _
```

## Use instead
```groovy
@Library('pipeline-utils@v2.3.1') _
```
Pin to a commit SHA for the strongest guarantee, or to a release tag you protect against being moved. In the
library's settings, also turn off "Allow default version to be overridden" only after every pipeline is pinned.

## References
- Jenkins, "Extending with shared libraries: library versions"
- OWASP Top 10 CI/CD Security Risks, CICD-SEC-3 and CICD-SEC-8
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from scaffold.rules.document import Document
from scaffold.rules.jenkins.groovy import Literal, Source, read
from scaffold.rules.model import Confidence, Hit, Kind, Severity

ID = "jenkins-unpinned-library"
SEVERITY = Severity.HIGH
CONFIDENCE = Confidence.HIGH
KINDS = (Kind.JENKINSFILE,)
CONTROLS = ("pinned-dependencies",)

_PINNED = re.compile(r"[0-9a-f]{40}|v?\d+\.\d+\.\d+")
_ANNOTATION = re.compile(r"@Library\s*\(")
_STEP = re.compile(r"(?<![\w.$])library(?:\s*\(|\s+(?=['\"]|identifier\s*:))")
_LIB = re.compile(r"(?<![\w.$])lib\s*\(")


def check(document: Document) -> Iterator[Hit]:
    source = read(document.text)
    for match in _ANNOTATION.finditer(source.code):
        for literal in source.literals_in(match.end(), _call_end(source.code, match.end())):
            yield from _reference(source, literal)
    for match in _STEP.finditer(source.code):
        if match.group().endswith("("):
            end = _call_end(source.code, match.end())
        else:
            newline = source.code.find("\n", match.end())
            end = len(source.code) if newline < 0 else newline
        reference = _identifier(source, match.end(), end)
        if reference is not None:
            yield from _reference(source, reference)
    for match in _LIB.finditer(source.code):
        holders = source.innermost(match.start())
        if holders and holders[0].head == "libraries":
            reference = _identifier(source, match.end(), _call_end(source.code, match.end()))
            if reference is not None:
                yield from _reference(source, reference)


def _call_end(code: str, start: int) -> int:
    """The offset of the ``)`` that closes a call whose arguments start at ``start``."""
    depth = 1
    for offset in range(start, len(code)):
        if code[offset] in "([{":
            depth += 1
        elif code[offset] in ")]}":
            depth -= 1
            if depth == 0:
                return offset
    return len(code)


def _identifier(source: Source, start: int, end: int) -> Literal | None:
    """The library reference among a call's arguments: the ``identifier:`` one, else the first string."""
    literals = source.literals_in(start, end)
    for literal in literals:
        if re.search(r"identifier\s*:\s*\Z", source.code[start : literal.start]):
            return literal
    return literals[0] if literals else None


def _reference(source: Source, literal: Literal) -> Iterator[Hit]:
    reference = literal.value.strip()
    if not reference or "$" in reference:
        return  # computed at run time: nothing to judge here
    name, at, version = reference.partition("@")
    line, column = source.position(literal.start)
    if not at:
        message = f"shared library {name} has no version, so Jenkins loads its default (usually a branch)"
        yield Hit(line, column, message, f"shared library {reference}")
    elif not _PINNED.fullmatch(version):
        message = f"shared library {name} is loaded at {version}, not at a commit SHA or release tag"
        yield Hit(line, column, message, f"shared library {reference}")
