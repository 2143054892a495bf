"""## What it does
Finds caches restored in workflows that publish: release or tag-triggered workflows, and workflows that run a
publishing action.

## Why is this bad?
Caches are shared across a repository's workflows by key, and a pull request's workflow can write entries that a
later run on the default branch restores. A poisoned cache in a release workflow puts attacker-controlled files
(dependencies, build outputs) into what you sign and publish.

## Example
```yaml
on:
  release:
    types: [published]
jobs:
  publish:
    steps:
      - uses: actions/setup-node@<sha>  # v4
        with:
          cache: npm
```

## Use instead
Leave caching out of release and publish workflows (`cache: false` on `actions/setup-go` and
`gradle/actions/setup-gradle`, which cache by default); install from lockfiles so a clean install is reproducible.

## References
- Adnan Khan, "The Monsters in Your Build Cache: GitHub Actions Cache Poisoning"
- zizmor `cache-poisoning`
"""

from __future__ import annotations

from collections.abc import Iterator

from scaffold.rules.document import Document
from scaffold.rules.github.workflow import action_name, jobs, step_input, steps, triggers
from scaffold.rules.model import Confidence, Hit, Kind, Severity
from scaffold.rules.yaml_view import YNode

ID = "cache-in-release"
SEVERITY = Severity.HIGH
CONFIDENCE = Confidence.MEDIUM
KINDS = (Kind.WORKFLOW,)

PUBLISHERS = (
    "pypa/gh-action-pypi-publish",
    "softprops/action-gh-release",
    "goreleaser/goreleaser-action",
    "ncipollo/release-action",
    "actions/attest-build-provenance",
)
_CACHE_INPUT = ("actions/setup-node", "actions/setup-python", "actions/setup-java", "actions/setup-dotnet")
_CACHE_BY_DEFAULT = ("actions/setup-go", "gradle/actions/setup-gradle", "astral-sh/setup-uv")


def check(document: Document) -> Iterator[Hit]:
    if not _publishes(document):
        return
    for name, job in jobs(document):
        for step in steps(job):
            uses = step.get("uses")
            if uses is not None and uses.text is not None and _restores_cache(action_name(uses.text), step):
                yield Hit(
                    uses.line,
                    uses.column,
                    f"job {name}: {action_name(uses.text)} restores a cache in a workflow that publishes",
                )


def _publishes(document: Document) -> bool:
    events = triggers(document)
    if "release" in events:
        return True
    root = document.yaml
    on = root.get("on") if root is not None else None
    push = on.get("push") if on is not None else None
    if push is not None and push.get("tags") is not None:
        return True
    return any(
        (uses := step.get("uses")) is not None
        and uses.text is not None
        and action_name(uses.text).startswith(PUBLISHERS)
        for _, job in jobs(document)
        for step in steps(job)
    )


def _restores_cache(action: str, step: YNode) -> bool:
    cache = step_input(step, "cache")
    if action in ("actions/cache", "actions/cache/restore"):
        return True
    if action in _CACHE_INPUT:
        return cache is not None and cache.text not in (None, "", "false")
    if action in _CACHE_BY_DEFAULT:
        disabled = step_input(step, "cache-disabled")
        return not ((cache is not None and cache.text == "false") or (disabled is not None and disabled.text == "true"))
    return False
