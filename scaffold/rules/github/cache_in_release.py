"""## What it does
Finds caches restored in jobs that publish: every job of a workflow triggered by a release, a tag push or a push to
a family of release branches (a pattern such as `release/*`), and any job that runs a publishing action (a package
upload, a GitHub release, an image push, a cloud deployment, a provenance signature). One literal branch, even one
named `release`, is not taken for a release trigger: it may be the repository's main line.

A cache counts when a step restores one: `actions/cache` and `actions/cache/restore` (unless `lookup-only: true`),
and the setup actions that cache on request or by default: `actions/setup-node` (`cache:` npm, yarn or pnpm, and
from v5 on the implicit package-manager cache unless `package-manager-cache: false`), `setup-python`, `setup-java`,
`setup-go` (by default), `setup-dotnet`, `astral-sh/setup-uv`, `Swatinem/rust-cache`,
`mozilla-actions/sccache-action`, `ramsey/composer-install`, `ruby/setup-ruby` (`bundler-cache`),
`gradle/actions/setup-gradle`, `docker/setup-buildx-action` (a `version:` cached as a binary),
`docker/build-push-action` with `cache-from: type=gha`, and other common setup actions. An input set by an
expression that is off for tag pushes (`${{ !startsWith(github.ref, 'refs/tags/') }}`) turns the cache off in
workflows triggered only by tags and releases.

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
      - uses: actions/setup-node@<sha>  # v6
        with:
          cache: npm
```

## Use instead
```yaml
      - uses: actions/setup-node@<sha>  # v6
        with:
          package-manager-cache: false
```
Leave caching out of release and publish jobs (`cache: false` on `actions/setup-go`, `cache-disabled: true` on
`gradle/actions/setup-gradle`, `lookup-only: true` on `Swatinem/rust-cache`, `enable-cache: false` on
`astral-sh/setup-uv`); install from lockfiles so a clean install is reproducible.

## References
- Adnan Khan, "The Monsters in Your Build Cache: GitHub Actions Cache Poisoning"
- zizmor `cache-poisoning`
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator
from typing import NamedTuple

from scaffold.rules.document import Document
from scaffold.rules.github.workflow import action_name, jobs, step_input, steps
from scaffold.rules.model import Confidence, Hit, Kind, Severity
from scaffold.rules.yaml_view import YNode

ID = "cache-in-release"
SEVERITY = Severity.HIGH
CONFIDENCE = Confidence.MEDIUM
KINDS = (Kind.WORKFLOW,)

# Actions whose use marks a job as publishing (zizmor's list, plus two that release or sign: ncipollo and attest).
PUBLISHERS = (
    "pypa/gh-action-pypi-publish",
    "rubygems/release-gem",
    "jreleaser/release-action",
    "goreleaser/goreleaser-action",
    "softprops/action-gh-release",
    "release-drafter/release-drafter",
    "googleapis/release-please-action",
    "redhat-actions/push-to-registry",
    "aws-actions/amazon-ecs-deploy-task-definition",
    "aws-actions/aws-cloudformation-github-deploy",
    "azure/aci-deploy",
    "azure/container-apps-deploy-action",
    "azure/functions-action",
    "azure/sql-action",
    "cloudflare/wrangler-action",
    "google-github-actions/deploy-appengine",
    "google-github-actions/deploy-cloudrun",
    "google-github-actions/deploy-cloud-functions",
    "ncipollo/release-action",
    "actions/attest-build-provenance",
)
_ON = ("true", "yes", "1")
_OFF = ("false", "no", "0")
_MAJOR = re.compile(r"^v?(\d+)(?:\.|$)")
_COMMENT_VERSION = re.compile(r"#\s*v?(\d+)(?:[.\s]|$)")
_EXPRESSION = re.compile(r"^\$\{\{\s*(.*?)\s*\}\}$", re.DOTALL)


class _Toggle(NamedTuple):
    """One input that turns an action's cache on (``opt_in``) or off; ``default`` is the cache's state without it."""

    field: str
    opt_in: bool
    default: bool
    words: tuple[str, ...] = ()  # for a text input: the values that count (empty: any non-empty value but "false")


# Action -> the toggles of its cache (any one on means it restores); an empty tuple: it always restores.
_CACHE_AWARE: dict[str, tuple[_Toggle, ...]] = {
    "actions/cache": (_Toggle("lookup-only", opt_in=False, default=True),),
    "actions/cache/restore": (_Toggle("lookup-only", opt_in=False, default=True),),
    "actions/setup-java": (_Toggle("cache", opt_in=True, default=False),),
    "actions/setup-go": (_Toggle("cache", opt_in=True, default=True),),
    "actions/setup-node": (
        _Toggle("cache", opt_in=True, default=False, words=("npm", "yarn", "pnpm")),
        _Toggle("package-manager-cache", opt_in=True, default=True),  # from v5 on; older majors have no such input
    ),
    "actions/setup-python": (_Toggle("cache", opt_in=True, default=False),),
    "actions/setup-dotnet": (_Toggle("cache", opt_in=True, default=False),),
    "astral-sh/setup-uv": (_Toggle("enable-cache", opt_in=True, default=True),),  # default "auto" before v10
    "swatinem/rust-cache": (_Toggle("lookup-only", opt_in=False, default=True),),
    "ruby/setup-ruby": (_Toggle("bundler-cache", opt_in=True, default=False),),
    "pyo3/maturin-action": (_Toggle("sccache", opt_in=True, default=False),),
    "mlugg/setup-zig": (_Toggle("use-cache", opt_in=True, default=True),),
    "oven-sh/setup-bun": (_Toggle("no-cache", opt_in=False, default=True),),
    "determinatesystems/magic-nix-cache-action": (_Toggle("use-gha-cache", opt_in=True, default=True),),
    "graalvm/setup-graalvm": (_Toggle("cache", opt_in=True, default=False),),
    "gradle/actions/setup-gradle": (_Toggle("cache-disabled", opt_in=False, default=True),),
    "actions-rust-lang/setup-rust-toolchain": (_Toggle("cache", opt_in=True, default=True),),
    "jdx/mise-action": (_Toggle("cache", opt_in=True, default=True),),
    "ramsey/composer-install": (_Toggle("ignore-cache", opt_in=False, default=True, words=("yes", "true", "1")),),
    "mozilla-actions/sccache-action": (),
    "nix-community/cache-nix-action": (),
    "awalsh128/cache-apt-pkgs-action": (),
}
_SETUP_UV_DEFAULT_OFF_FROM = 10  # setup-uv v10 stopped caching unless enable-cache is true
_SETUP_NODE_IMPLICIT_FROM = 5  # setup-node v5 started caching the package manager's store by default


def check(document: Document) -> Iterator[Hit]:
    release = _release_triggers(document)
    for name, job in jobs(document):
        listed = list(steps(job))
        if not release and not any(_publishes(step) for step in listed):
            continue
        tags_only = bool(release) and release <= {"tag", "release"}
        for step in listed:
            uses = step.get("uses")
            if uses is None or uses.text is None:
                continue
            action = action_name(uses.text)
            if _restores_cache(document, action, uses, step, tags_only):
                yield Hit(uses.line, uses.column, f"job {name}: {action} restores a cache in a workflow that publishes")


def _release_triggers(document: Document) -> set[str]:
    """Which of the triggers used to publish the workflow has: a release, a tag push, a push to release branches."""
    root = document.yaml
    on = root.get("on") if root is not None else None
    if on is None:
        return set()
    if on.text is not None:
        return {"release"} if on.text == "release" else set()
    if on.is_sequence:
        return {"release"} if any(item.text == "release" for item in on.elements()) else set()
    found = {"release"} if on.key("release") is not None else set()
    push = on.get("push")
    tags = push.get("tags") if push is not None else None
    if tags is not None and (tags.is_sequence or bool((tags.text or "").strip())):  # `tags:` left empty is no filter
        found.add("tag")
    branches = push.get("branches") if push is not None else None
    listed = [branches] if branches is not None and branches.text is not None else []
    listed += branches.elements() if branches is not None else []
    if any(_release_family(item.text or "") for item in listed):
        found.add("release-branch")
    return found


def _release_family(pattern: str) -> bool:
    """A branch filter for a family of release branches (``release/*``, ``releases/**``, ``release-*``): a glob
    naming releases. One literal branch, even one named ``release``, may be the repository's main line."""
    return "release" in pattern.lower() and any(char in pattern for char in "*?[")


def _publishes(step: YNode) -> bool:
    uses = step.get("uses")
    action = action_name(uses.text) if uses is not None and uses.text is not None else ""
    if action == "docker/build-push-action":
        push = step_input(step, "push")
        return push is not None and (push.text or "").lower() not in _OFF
    return action.startswith(PUBLISHERS)


def _restores_cache(document: Document, action: str, uses: YNode, step: YNode, tags_only: bool) -> bool:
    if action in ("docker/build-push-action", "docker/bake-action"):
        return _gha_cache_from(step)
    if action == "docker/setup-buildx-action":  # caches the buildx binary it downloads for a given version
        version = step_input(step, "version")
        binary = _state(step, _Toggle("cache-binary", opt_in=True, default=True), tags_only)
        return binary and version is not None and bool((version.text or "").strip())
    if action not in _CACHE_AWARE:
        return False
    toggles = _CACHE_AWARE[action]
    major = _major(document, uses)
    if action == "actions/setup-node" and major is not None and major < _SETUP_NODE_IMPLICIT_FROM:
        toggles = toggles[:1]
    if action == "astral-sh/setup-uv" and (major is None or major >= _SETUP_UV_DEFAULT_OFF_FROM):
        toggles = (_Toggle("enable-cache", opt_in=True, default=False, words=("true",)),)
    return not toggles or any(_state(step, toggle, tags_only) for toggle in toggles)


def _state(step: YNode, toggle: _Toggle, tags_only: bool) -> bool:
    """Whether the cache is on by this toggle: its default when the input is absent, else what its value says."""
    node = step_input(step, toggle.field)
    if node is None or node.text is None:
        return toggle.default
    value = node.text.strip()
    expression = _EXPRESSION.match(value)
    if expression is not None:
        on_for_tags = _for_tag_push(expression.group(1))
        if on_for_tags is None or not tags_only:
            return True  # an input set at run time may turn the cache on
        return on_for_tags if toggle.opt_in else not on_for_tags
    if toggle.words:
        hit = value.lower() in toggle.words
        return hit if toggle.opt_in else not hit
    if toggle.opt_in:
        return value.lower() not in ("", *_OFF)
    return value.lower() not in _ON


def _for_tag_push(expression: str) -> bool | None:
    """The value of an input expression on a tag push or release, for the few forms that say it; None otherwise."""
    text = expression.strip().lower()
    negated = text.startswith("!")
    if negated:
        text = text[1:].strip()
        if text.startswith("(") and text.endswith(")"):
            text = text[1:-1].strip()
    if text in ("true", "false"):
        value = text == "true"
    elif _tag_push().fullmatch(text):
        value = True
    else:
        return None
    return not value if negated else value


@functools.cache
def _tag_push() -> re.Pattern[str]:
    """An expression true exactly on a tag push: ``startsWith(github.ref, 'refs/tags/')``, or the event is a push
    and the ref a tag (lower-cased; compiled when an input first sets a cache by an expression)."""
    return re.compile(
        r"startswith\(\s*github\.ref\s*,\s*'refs/tags/'\s*\)"
        r"|github\.event_name\s*==\s*'push'\s*&&\s*github\.ref_type\s*==\s*'tag'"
        r"|github\.ref_type\s*==\s*'tag'\s*&&\s*github\.event_name\s*==\s*'push'"
    )


def _gha_cache_from(step: YNode) -> bool:
    cache_from = step_input(step, "cache-from")
    return cache_from is not None and "type=gha" in (cache_from.text or "").replace(" ", "")


def _major(document: Document, uses: YNode) -> int | None:
    """The action's major version: from a tag ref (`@v5`, `@v5.1.0`), else from a version comment after a SHA."""
    ref = (uses.text or "").rpartition("@")[2]
    found = _MAJOR.match(ref)
    if found is not None:
        return int(found.group(1))
    line = document.lines[uses.line - 1] if 0 < uses.line <= len(document.lines) else ""
    comment = _COMMENT_VERSION.search(line)
    return int(comment.group(1)) if comment is not None else None
