"""## What it does
Finds `include:` entries (also in `trigger:include`) whose content can change without a change to this repository.

That is `project:` without `ref:` or with a ref that is neither a full commit SHA nor a full version tag, `remote:`
without `integrity:`, and `component:` without a full version or commit SHA.

## Why is this bad?
Included configuration runs with this project's variables, tokens and runners. If it comes from another project's
branch, a URL or a moving component version, whoever can push there (or take over the host) changes what this
pipeline runs, and nothing in this repository's history shows it.

What counts as pinned:
- `project:` with `ref:` set to a 40-character commit SHA, or to a full version tag such as `v1.2.3` or `1.2.3`
  (with an optional `-rc.1` suffix). Protect such tags in the other project: a tag is only immutable when it is
  protected. A missing ref (the default branch), a branch, a partial version (`v1`) or a variable is not pinned.
- `remote:` with `integrity: sha256-...` (GitLab 17.9+). A string URL as an include entry cannot carry one.
- `component:` ending in `@` plus a commit SHA or a full version (`1.2.3`); `@~latest`, a partial version (`@1`,
  `@1.2`), a branch or no version at all is not pinned.
- `local:` and `artifact:` come from this commit and pipeline and are always fine. `template:` is reported by
  `gitlab-include-template`.

## Example
```yaml
include:
  - project: platform/ci-templates
    ref: main
    file: /build.yml
  - remote: https://example.com/ci/lint.yml
  - component: $CI_SERVER_FQDN/platform/components/lint@~latest
```

## Use instead
```yaml
include:
  - project: platform/ci-templates
    ref: v2.4.1
    file: /build.yml
  - remote: https://example.com/ci/lint.yml
    integrity: sha256-<base64 of the file's SHA-256>
  - component: $CI_SERVER_FQDN/platform/components/lint@2.4.1
```
Or vendor the file into this repository and use `local:`.

## Fix
`scaffold harden` pins a `project:` include whose `ref:` names a tag or branch to the commit that ref points to now,
with the ref kept in a `# v1.2` comment when the line has room, asking the run's pin source (the GitLab server's
tags when resolution online is allowed; scaffold's own tables know no projects). The same file is included, so the
fix is safe. A `project:` without `ref:` (harden will not guess which release you meant), a ref built from
variables, `remote:` URLs (harden does not download them to compute `integrity:`) and components are reported with
the reason.

## References
- GitLab documentation, "Pipeline security" and "include" (`integrity`, `ref`)
- GitLab documentation, "CI/CD components" (component versions and `~latest`)
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

from scaffold.rules.document import Document
from scaffold.rules.gitlab.includes import includes
from scaffold.rules.gitlab.pipeline import SHA, get
from scaffold.rules.model import Confidence, Hit, Kind, Severity
from scaffold.rules.yaml_view import YNode

if TYPE_CHECKING:
    from scaffold.rules.fixes.model import Proposal

ID = "gitlab-unpinned-include"
SEVERITY = Severity.HIGH
CONFIDENCE = Confidence.HIGH
KINDS = (Kind.GITLAB_CI,)
CONTROLS = ("pinned-dependencies",)
FIX_SAFETY = "safe"

VERSION_TAG = re.compile(r"v?\d+\.\d+\.\d+(?:-[0-9A-Za-z][0-9A-Za-z.-]*)?")
_COMPONENT_VERSION = re.compile(r"\d+\.\d+\.\d+(?:-[0-9A-Za-z][0-9A-Za-z.-]*)?")
_PARTIAL_VERSION = re.compile(r"v?\d+(?:\.\d+)?")
_PROJECT_PATH = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,254}(?:/[A-Za-z0-9_][A-Za-z0-9_.-]{0,254}){1,20}")
_REF = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_./+-]{0,254}")


@dataclass(frozen=True)
class _Problem:
    """One unpinned include: what kind (``remote``, ``no-ref``, ``ref``, ``component``), the node the finding is
    on, the finding's message, and for a project include its path and ``ref:`` node."""

    kind: str
    node: YNode
    message: str
    project: str = ""
    ref: YNode | None = None


def check(document: Document) -> Iterator[Hit]:
    for problem in _problems(document):
        yield Hit(problem.node.line, problem.node.column, problem.message)


def fix(document: Document) -> Iterator[Proposal]:
    from scaffold.rules.fixes.model import Unfixable

    for problem in _problems(document):
        line = problem.node.line
        if problem.kind == "remote":
            why = "harden does not download included files to hash them; add integrity: sha256-... by hand"
            yield Unfixable(line, f"{problem.message}: {why}")
        elif problem.kind == "component":
            yield Unfixable(line, f"{problem.message}: pin it to a full version or a commit SHA by hand")
        elif problem.kind == "no-ref" or problem.ref is None:
            why = "write the release to use as ref:, then run harden again to pin it to its commit"
            yield Unfixable(line, f"{problem.message}: {why}")
        else:
            yield _pin_project(document, problem.project, problem.ref)


def _pin_project(document: Document, project: str, ref: YNode) -> Proposal:
    from scaffold.resolve.model import Refused
    from scaffold.resolve.source import current
    from scaffold.rules.fixes import pinning
    from scaffold.rules.fixes.model import Unfixable
    from scaffold.untrusted.text import printable

    value = (ref.text or "").strip()
    what = f"project {printable(project, 120)} ref {printable(value, 80)}"
    if "$" in project or "$" in value:
        return Unfixable(ref.line, f"{what}: built from variables, known only when the pipeline runs; pin it by hand")
    if not _PROJECT_PATH.fullmatch(project) or not _REF.fullmatch(value) or value.startswith("-"):
        return Unfixable(ref.line, f"{what}: not a project path and ref scaffold can read; pin it by hand")
    resolution = pinning.checked(current().project(project, value), pinning.COMMIT, "commit")
    if isinstance(resolution, Refused):
        return pinning.refused(ref.line, what, resolution)
    edits = pinning.yaml_pin_edits(document, ref, resolution.value, pinning.comment_version(resolution.version))
    if edits is None:
        return Unfixable(ref.line, f"{what}: a block scalar; pin it by hand")
    return pinning.pin_fix(ref.line, what, resolution, edits, f"pin to {resolution.value}")


def _problems(document: Document) -> Iterator[_Problem]:
    for where, entry in includes(document):
        if entry.text is not None:
            if "://" in entry.text:
                yield _Problem("remote", entry, f"{where}: remote {entry.text} has no integrity hash")
            continue
        yield from _entry(where, entry)


def _entry(where: str, entry: YNode) -> Iterator[_Problem]:
    remote = get(entry, "remote")
    if remote is not None and remote.text is not None:
        integrity = get(entry, "integrity")
        if integrity is None or not (integrity.text or "").strip():
            yield _Problem("remote", remote, f"{where}: remote {remote.text} has no integrity hash")
    project = get(entry, "project")
    if project is not None and project.text is not None:
        path = project.text.strip()
        ref = get(entry, "ref")
        if ref is None or ref.text is None:
            message = f"{where}: project {project.text} has no ref and follows its default branch"
            yield _Problem("no-ref", project, message, path)
        elif not (SHA.fullmatch(ref.text) or VERSION_TAG.fullmatch(ref.text)):
            message = f"{where}: project {project.text} ref {ref.text} is not a commit SHA or a full version tag"
            yield _Problem("ref", ref, message, path, ref)
    component = get(entry, "component")
    if component is not None and component.text is not None:
        problem = _component_problem(component.text)
        if problem:
            yield _Problem("component", component, f"{where}: component {component.text} {problem}")


def _component_problem(reference: str) -> str | None:
    path, at, version = reference.rpartition("@")
    if not at or not path:
        return "has no version and follows its default branch"
    if SHA.fullmatch(version) or _COMPONENT_VERSION.fullmatch(version):
        return None
    if version == "~latest":
        return "follows ~latest, the newest release"
    if _PARTIAL_VERSION.fullmatch(version):
        return "has a partial version that moves with new releases"
    return "is not pinned to a full version or commit SHA"
