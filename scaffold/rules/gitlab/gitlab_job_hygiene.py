"""## What it does
Finds jobs without a `timeout:`, jobs that are not deploy or release jobs without `interruptible:`, `artifacts:`
without `expire_in`, and artifacts that upload the whole working tree (`paths:` of `.`, `./`, `*`, `**` or
`$CI_PROJECT_DIR`) without an `exclude:` that keeps out `*.pem`, `*.key` and `.env*` files at any depth.

Each missing item is its own finding. Values inherited through `extends:` and from `default:` count (unless the
job turns `default:` off with `inherit: default:`). Templates (hidden jobs starting with `.`), trigger jobs and
jobs without a `script:` (usually overrides of jobs from an `include:`) are not checked, and neither is a setting
that may come from a template or a `default:` in another file. A job with an `environment:`, or whose name or stage
contains `deploy`, `release`, `publish`, `push`, `upload` or `apply` (`terraform apply`), is not asked to be
interruptible: cancelling a deployment, an upload or an apply halfway leaves the target in an unknown state. An
explicit `interruptible: false` is a decision and is not reported.

## Why is this bad?
- Without `timeout:` a job runs until the project's limit (one hour by default, often raised much higher), so a
  hung or hijacked job keeps its runner, its token and its secrets for all that time.
- Without `interruptible: true` a newer pipeline on the same branch cannot cancel the older one, so outdated
  commits keep running with the project's credentials and hold runners.
- Artifacts without `expire_in` stay for the instance default or forever (the latest ones are kept), and anyone
  who can read the project's jobs can download them.
- An artifact of the whole tree also packs what the job left beside the sources: private keys, certificates and
  `.env` files written by earlier steps or restored from caches.

## Example
```yaml
build:
  script:
    - make
  artifacts:
    paths:
      - .
```

## Use instead
```yaml
build:
  timeout: 30m
  interruptible: true
  script:
    - make
  artifacts:
    paths:
      - dist/
    exclude:
      - "**/*.pem"
      - "**/*.key"
      - "**/.env*"
    expire_in: 1 week
```

## Fix
`scaffold harden --fix=all` gives each job without a timeout `timeout: 60m`, the same hour GitHub jobs get from
`missing-timeout`, above the job's `script:`. It is unsafe: a job that really takes longer would now fail, and a
project whose own limit is shorter would let the job run longer; adjust the value to the job. The other findings
(`interruptible`, `expire_in`, `exclude`) need a decision about the job and are reported for a fix by hand.

## References
- GitLab documentation, CI/CD YAML syntax reference: `timeout`, `interruptible`, `artifacts:expire_in`,
  `artifacts:exclude`, `default` and `inherit`
- OWASP Top 10 CI/CD Security Risks: CICD-SEC-7 (insecure system configuration) and CICD-SEC-10 (insufficient
  logging and visibility)
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import TYPE_CHECKING

from scaffold.rules.document import Document
from scaffold.rules.gitlab.jobs import Setting, setting
from scaffold.rules.gitlab.pipeline import Job, Pipeline, get, key_of, resolve, scalars
from scaffold.rules.model import Confidence, Hit, Kind, Severity
from scaffold.rules.yaml_view import YNode

if TYPE_CHECKING:
    from scaffold.rules.fixes.model import Proposal

ID = "gitlab-job-hygiene"
SEVERITY = Severity.LOW
CONFIDENCE = Confidence.HIGH
KINDS = (Kind.GITLAB_CI,)
CONTROLS = ("timeouts", "artifact-hygiene", "no-duplicate-runs")
FIX_SAFETY = "unsafe"

_DEPLOY_WORD = re.compile(r"deploy|release|publish|push|upload|apply", re.IGNORECASE)
_WHOLE_TREE = re.compile(r"(?=[^/])(?:\.|\$\{?CI_PROJECT_DIR\}?)?/?(?:\*(?:\*(?:/\*)?)?)?")
_SECRET_FILES = {
    "*.pem": ("server.pem", "config/tls/server.pem"),
    "*.key": ("server.key", "config/tls/server.key"),
    ".env*": (".env", ".env.local", "app/.env", "app/.env.production"),
}


def check(document: Document) -> Iterator[Hit]:
    pipeline = Pipeline(document)
    for job in pipeline.jobs:
        if job.hidden or not runs_a_script(pipeline, job):
            continue
        timeout = setting(pipeline, job, "timeout")
        if timeout.value is None and timeout.known:
            message = f"{job.label}: no timeout (it runs until the project's limit)"
            yield Hit(job.key.line, job.key.column, message, f"{job.label}: timeout", "timeouts")
        interruptible = setting(pipeline, job, "interruptible")
        if interruptible.value is None and interruptible.known and not deploys(pipeline, job):
            yield Hit(
                job.key.line,
                job.key.column,
                f"{job.label}: no interruptible (a newer pipeline on the branch cannot cancel it)",
                f"{job.label}: interruptible",
                "no-duplicate-runs",
            )
        yield from _artifacts(pipeline, job, setting(pipeline, job, "artifacts"))


_BY_HAND = {
    "no-duplicate-runs": "add interruptible: true by hand if a newer pipeline may cancel the job",
    "artifact-hygiene": "decide how long and which files the artifacts keep, and write it by hand",
}


def fix(document: Document) -> Iterator[Proposal]:
    from scaffold.rules.fixes import yaml_edit
    from scaffold.rules.fixes.model import Fix, Safety, Unfixable
    from scaffold.rules.github.missing_timeout import TIMEOUT

    pipeline = Pipeline(document)
    by_label = {job.label: job for job in pipeline.jobs}
    for hit in check(document):
        job = by_label.get(hit.subject.removesuffix(": timeout"))
        if hit.control != "timeouts" or job is None:
            yield Unfixable(hit.line, f"{hit.message}: {_BY_HAND.get(hit.control, 'fix it by hand')}")
            continue
        entry = [f"timeout: {TIMEOUT}m"]
        script = job.node.key("script")
        edit = yaml_edit.insert_before_key(document, script, entry) if script is not None else None
        edit = edit or yaml_edit.append_entry(document, job.node, entry)
        if edit is None:
            yield Unfixable(hit.line, f"{hit.message}: a flow mapping; add timeout: by hand")
            continue
        risk = "a job that needs longer will fail"
        message = f"{job.label}: timeout: {TIMEOUT}m"
        yield Fix(hit.line, message, Safety.UNSAFE, (edit,), risk, resolves=(hit.message,))


def runs_a_script(pipeline: Pipeline, job: Job) -> bool:
    """A job of its own: not a trigger job, and with a ``script:`` (or ``run:``) here or in its templates."""
    if pipeline.lookup(job, "trigger")[0] is not None:
        return False
    return any(pipeline.lookup(job, key)[0] is not None for key in ("script", "run"))


def deploys(pipeline: Pipeline, job: Job) -> bool:
    if pipeline.lookup(job, "environment")[0] is not None or _DEPLOY_WORD.search(job.name):
        return True
    stage, _ = pipeline.lookup(job, "stage")
    return stage is not None and stage.text is not None and bool(_DEPLOY_WORD.search(stage.text))


def _artifacts(pipeline: Pipeline, job: Job, artifacts: Setting) -> Iterator[Hit]:
    value = resolve(pipeline.top, artifacts.value)
    if value is None or not value.is_mapping:
        return
    paths = list(scalars(pipeline.top, get(value, "paths")))
    if not paths and get(value, "reports") is None and get(value, "untracked") is None:
        return  # nothing is uploaded
    own = key_of(job.node, "artifacts") if artifacts.origin == "own" else None
    where = "" if own is not None else f" (from {artifacts.origin})"
    if get(value, "expire_in") is None:
        place = own[0] if own is not None else job.key
        message = f"{job.label}: artifacts{where} without expire_in"
        yield Hit(place.line, place.column, message, f"{job.label}: artifacts expire_in", "artifact-hygiene")
    whole = next((path for path in paths if _WHOLE_TREE.fullmatch((path.text or "").strip())), None)
    if whole is None:
        return
    missing = unexcluded(pipeline, value)
    if missing:
        place = whole if own is not None else job.key
        yield Hit(
            place.line,
            place.column,
            f"{job.label}: artifacts{where} upload the whole tree ({(whole.text or '').strip()}) "
            f"without excluding {', '.join(missing)} at any depth",
            f"{job.label}: artifacts exclude",
            "artifact-hygiene",
        )


def unexcluded(pipeline: Pipeline, artifacts: YNode) -> list[str]:
    """The secret file patterns (``*.pem``, ``*.key``, ``.env*``) that ``artifacts:exclude`` leaves in at some depth."""
    excluded = [_pattern(item.text or "") for item in scalars(pipeline.top, get(artifacts, "exclude"))]
    return [name for name, samples in _SECRET_FILES.items() if not _covered(samples, excluded)]


def _covered(samples: tuple[str, ...], excluded: list[re.Pattern[str]]) -> bool:
    return all(any(pattern.fullmatch(sample) for pattern in excluded) for sample in samples)


def _pattern(glob: str) -> re.Pattern[str]:
    """A doublestar glob (as ``artifacts:exclude`` takes it, relative to the project folder) as a regex."""
    glob = re.sub(r"^(?:\$\{?CI_PROJECT_DIR\}?/|\./)+", "", glob.strip())
    parts: list[str] = []
    index = 0
    while index < len(glob):
        if glob.startswith("**/", index):
            parts.append("(?:.*/)?")
            index += 3
        elif glob.startswith("**", index):
            parts.append(".*")
            index += 2
        elif glob[index] == "*":
            parts.append("[^/]*")
            index += 1
        elif glob[index] == "?":
            parts.append("[^/]")
            index += 1
        else:
            parts.append(re.escape(glob[index]))
            index += 1
    return re.compile("".join(parts))
