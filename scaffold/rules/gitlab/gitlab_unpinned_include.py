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

## References
- GitLab documentation, "Pipeline security" and "include" (`integrity`, `ref`)
- GitLab documentation, "CI/CD components" (component versions and `~latest`)
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from scaffold.rules.document import Document
from scaffold.rules.gitlab.includes import includes
from scaffold.rules.gitlab.pipeline import SHA, get
from scaffold.rules.model import Confidence, Hit, Kind, Severity
from scaffold.rules.yaml_view import YNode

ID = "gitlab-unpinned-include"
SEVERITY = Severity.HIGH
CONFIDENCE = Confidence.HIGH
KINDS = (Kind.GITLAB_CI,)
CONTROLS = ("pinned-dependencies",)

VERSION_TAG = re.compile(r"v?\d+\.\d+\.\d+(?:-[0-9A-Za-z][0-9A-Za-z.-]*)?")
_COMPONENT_VERSION = re.compile(r"\d+\.\d+\.\d+(?:-[0-9A-Za-z][0-9A-Za-z.-]*)?")
_PARTIAL_VERSION = re.compile(r"v?\d+(?:\.\d+)?")


def check(document: Document) -> Iterator[Hit]:
    for where, entry in includes(document):
        if entry.text is not None:
            if "://" in entry.text:
                yield Hit(entry.line, entry.column, f"{where}: remote {entry.text} has no integrity hash")
            continue
        yield from _entry(where, entry)


def _entry(where: str, entry: YNode) -> Iterator[Hit]:
    remote = get(entry, "remote")
    if remote is not None and remote.text is not None:
        integrity = get(entry, "integrity")
        if integrity is None or not (integrity.text or "").strip():
            yield Hit(remote.line, remote.column, f"{where}: remote {remote.text} has no integrity hash")
    project = get(entry, "project")
    if project is not None and project.text is not None:
        ref = get(entry, "ref")
        if ref is None or ref.text is None:
            yield Hit(
                project.line,
                project.column,
                f"{where}: project {project.text} has no ref and follows its default branch",
            )
        elif not (SHA.fullmatch(ref.text) or VERSION_TAG.fullmatch(ref.text)):
            yield Hit(
                ref.line,
                ref.column,
                f"{where}: project {project.text} ref {ref.text} is not a commit SHA or a full version tag",
            )
    component = get(entry, "component")
    if component is not None and component.text is not None:
        problem = _component_problem(component.text)
        if problem:
            yield Hit(component.line, component.column, f"{where}: component {component.text} {problem}")


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
