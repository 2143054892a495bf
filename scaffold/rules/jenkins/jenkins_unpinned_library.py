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

## Fix
`scaffold harden` pins a library loaded by the `library` step whose `retriever:` names its repository (`remote:` of
`GitSCMSource` or `git`, `url:` of `userRemoteConfigs`, or `github(repoOwner:, repository:)`): the version becomes
the commit it points to now, with the version in a `// ` comment when the line has room, asking the run's pin
source (the repository's tags and branches when resolution online is allowed). The same code is loaded, so the fix
is safe. `@Library`, `library 'name@version'` and `libraries { lib(...) }` name no repository: it is configured in
Jenkins, so they are reported for a fix by hand, as is a reference without a version.

## References
- Jenkins, "Extending with shared libraries: library versions"
- OWASP Top 10 CI/CD Security Risks, CICD-SEC-3 and CICD-SEC-8
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import TYPE_CHECKING

from scaffold.rules.document import Document
from scaffold.rules.jenkins.groovy import Literal, Source, read
from scaffold.rules.model import Confidence, Hit, Kind, Severity

if TYPE_CHECKING:
    from scaffold.rules.fixes.model import Proposal

ID = "jenkins-unpinned-library"
SEVERITY = Severity.HIGH
CONFIDENCE = Confidence.HIGH
KINDS = (Kind.JENKINSFILE,)
CONTROLS = ("pinned-dependencies",)
FIX_SAFETY = "safe"

_PINNED = re.compile(r"[0-9a-f]{40}|v?\d+\.\d+\.\d+")
_ANNOTATION = re.compile(r"@Library\s*\(")
_STEP = re.compile(r"(?<![\w.$])library(?:\s*\(|\s+(?=['\"]|identifier\s*:))")
_LIB = re.compile(r"(?<![\w.$])lib\s*\(")
_GITHUB = re.compile(r"(?<![\w.$])github\s*\(")
_KEY_BEFORE = re.compile(r"(?<![\w$])(remote|url|repoOwner|repository)\s*:\s*\Z")


def check(document: Document) -> Iterator[Hit]:
    source = read(document.text)
    for literal, _ in _references(source):
        yield from _reference(source, literal)


def fix(document: Document) -> Iterator[Proposal]:
    source = read(document.text)
    for literal, call in _references(source):
        for hit in _reference(source, literal):
            yield _pin(document, source, literal, call, hit)


def _references(source: Source) -> Iterator[tuple[Literal, tuple[int, int] | None]]:
    """Each library reference, with the span of the ``library`` step's arguments it is one of (where the
    ``retriever:`` may name the library's repository), or None for ``@Library`` and ``lib``."""
    for match in _ANNOTATION.finditer(source.code):
        for literal in source.literals_in(match.end(), _call_end(source.code, match.end())):
            yield literal, None
    for match in _STEP.finditer(source.code):
        if match.group().endswith("("):
            end = arguments_end = _call_end(source.code, match.end())
        else:
            newline = source.code.find("\n", match.end())
            end = len(source.code) if newline < 0 else newline
            statement = source.statement_at(match.start())  # named arguments may go on over several lines
            arguments_end = max(end, statement.end) if statement is not None else end
        reference = _identifier(source, match.end(), end)
        if reference is not None:
            yield reference, (match.end(), arguments_end)
    for match in _LIB.finditer(source.code):
        holders = source.innermost(match.start())
        if holders and holders[0].head == "libraries":
            reference = _identifier(source, match.end(), _call_end(source.code, match.end()))
            if reference is not None:
                yield reference, None


def _pin(document: Document, source: Source, literal: Literal, call: tuple[int, int] | None, hit: Hit) -> Proposal:
    """The fix that puts the commit the reference's version points to now in place of the version, when the file
    names the library's repository; else the note saying why not."""
    from scaffold.resolve.model import Refused
    from scaffold.resolve.source import current
    from scaffold.rules.fixes import pinning
    from scaffold.rules.fixes.edits import content_end
    from scaffold.rules.fixes.model import TextEdit, Unfixable
    from scaffold.untrusted.text import printable

    what = f"shared library {printable(literal.value.strip(), 120)}"
    remote = _remote(source, call) if call is not None else None
    at = literal.value.find("@")
    version = literal.value[at + 1 :].rstrip() if at >= 0 else ""
    if remote is None:
        why = "its repository is configured in Jenkins, not in this file"
        return Unfixable(hit.line, f"{what}: {why}; pin it by hand to a commit SHA or release tag after @")
    if not version:
        why = "names no version; write the release to load after @, then run harden again"
        return Unfixable(hit.line, f"{what}: {why}")
    problem = pinning.remote_problem(remote)
    if "$" in remote or "\\" in literal.value or "\\" in remote:
        problem = "the repository or version is built from variables or escapes"
    if problem is not None:
        return Unfixable(hit.line, f"{what}: {problem}; pin it by hand")
    resolution = pinning.checked(current().git(remote, version), pinning.COMMIT, "commit")
    if isinstance(resolution, Refused):
        return pinning.refused(hit.line, what, resolution)
    start = literal.body + at + 1
    edits = [TextEdit(start, start + len(version), resolution.value)]
    comment = pinning.comment_version(resolution.version)
    eol = content_end(document.text, literal.end, Kind.JENKINSFILE)
    if comment is not None and _comment_fits(source, literal.end, eol):
        edits.append(TextEdit(eol, eol, f" // {comment}"))
    return pinning.pin_fix(hit.line, what, resolution, tuple(edits), f"pin to {resolution.value}")


def _remote(source: Source, call: tuple[int, int]) -> str | None:
    """The repository URL the ``library(...)`` step's retriever names: ``remote: '...'`` (``GitSCMSource``,
    ``git``), ``url: '...'`` (``userRemoteConfigs``) or ``github(repoOwner: '...', repository: '...')``."""
    named: dict[str, str] = {}
    for literal in source.literals_in(*call):
        key = _KEY_BEFORE.search(source.code, max(call[0], literal.start - 64), literal.start)
        if key is not None:
            named.setdefault(key.group(1), literal.value.strip())
    if "remote" in named or "url" in named:
        return named.get("remote", named.get("url"))
    if "repoOwner" in named and "repository" in named and _GITHUB.search(source.code, *call):
        return f"https://github.com/{named['repoOwner']}/{named['repository']}.git"
    return None


def _comment_fits(source: Source, start: int, eol: int) -> bool:
    """Whether ``// version`` may end the line: no comment follows the literal on it, and no string runs on past
    the line's end (strings that end on the line are fine)."""
    position = start
    for literal in source.literals_in(start, eol):
        if literal.end > eol:
            return False
        if source.code[position : literal.start] != source.text[position : literal.start]:
            return False  # a comment between two strings
        position = literal.end
    return source.code[position:eol] == source.text[position:eol]


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
