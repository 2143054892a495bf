"""## What it does
Finds `id_tokens:` that the jobs receiving them never read.

A token counts as read when its variable name appears in the job (its scripts, `variables:`, `secrets:`), in the
templates it extends (also through `!reference`), in `default:` or in the top-level `variables:`.

## Why is this bad?
An ID token is a signed OIDC credential: a cloud or Vault trust policy exchanges it for real access. GitLab hands
it to every command of the job, including third-party tools and scripts from dependencies, and it is valid for as
long as the job's timeout allows. A job that does not need it should not get it; one that does should be the only
one.

`SIGSTORE_ID_TOKEN` counts as used when the job runs `cosign`, which reads that variable by itself. Tokens in
`default:` are reported when no job reads them. A token inherited through `extends:` from a template outside this
file is not judged.

## Example
```yaml
test:
  id_tokens:
    AWS_ID_TOKEN:
      aud: sts.amazonaws.com
  script:
    - pytest
```

## Use instead
```yaml
test:
  script:
    - pytest
deploy:
  id_tokens:
    AWS_ID_TOKEN:
      aud: sts.amazonaws.com
  script:
    - printf '%s' "$AWS_ID_TOKEN" > "$CI_BUILDS_DIR/web-identity-token"
```

## References
- GitLab documentation, "OpenID Connect (OIDC) Authentication Using ID Tokens" and "id_tokens"
- OWASP Top 10 CI/CD Security Risks: CICD-SEC-2 (inadequate identity and access management)
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from scaffold.rules.document import Document
from scaffold.rules.gitlab.pipeline import Job, Pipeline, get, walk
from scaffold.rules.model import Confidence, Hit, Kind, Severity
from scaffold.rules.yaml_view import YNode

ID = "gitlab-unneeded-id-token"
SEVERITY = Severity.MEDIUM
CONFIDENCE = Confidence.MEDIUM
KINDS = (Kind.GITLAB_CI,)
CONTROLS = ("cloud-oidc",)

_IMPLICIT = {"SIGSTORE_ID_TOKEN": re.compile(r"\bcosign\b")}  # cosign reads this variable by itself


def check(document: Document) -> Iterator[Hit]:
    pipeline = Pipeline(document)
    shared = _texts(pipeline, [get(pipeline.top, "variables"), *_default_parts(pipeline)])
    groups: dict[int, tuple[YNode, list[Job]]] = {}
    undecided: set[int] = set()
    without: list[Job] = []
    for job in pipeline.jobs:
        tokens, known = pipeline.lookup(job, "id_tokens")
        if tokens is None:
            if known:
                without.append(job)
            continue
        groups.setdefault(id(tokens.node), (tokens, []))[1].append(job)
        if not pipeline.lineage(job)[1]:
            undecided.add(id(tokens.node))
    for key, (tokens, users) in groups.items():
        if key in undecided:
            continue
        owner = next((job for job in users if job.node.key("id_tokens") is not None), users[0])
        where = owner.node.key("id_tokens") or tokens
        unused = _unused(tokens, [shared + "\n" + _job_texts(pipeline, job) for job in users])
        if unused:
            users_text = "it or the jobs that extend it" if owner.hidden else "the job"
            yield Hit(where.line, where.column, f"{owner.label}: {_describe(unused)} not used by {users_text}")
    default_tokens = get(get(pipeline.top, "default"), "id_tokens")
    if default_tokens is not None and pipeline.top is not None:
        unused = _unused(default_tokens, [shared + "\n" + _job_texts(pipeline, job) for job in without])
        default = pipeline.top.get("default")
        place = default.key("id_tokens") if default is not None else None
        if unused and place is not None:
            yield Hit(place.line, place.column, f"default: {_describe(unused)} not used by any job")


def _unused(tokens: YNode, pools: list[str]) -> list[str]:
    names = [name for key, _ in tokens.entries() if (name := key.text) is not None and name != "<<"]
    return [name for name in names if not any(_uses(pool, name) for pool in pools)]


def _uses(pool: str, name: str) -> bool:
    implicit = _IMPLICIT.get(name)
    if implicit is not None and implicit.search(pool):
        return True
    return re.search(rf"(?<![A-Za-z0-9_]){re.escape(name)}(?![A-Za-z0-9_])", pool) is not None


def _describe(unused: list[str]) -> str:
    if len(unused) == 1:
        return f"id token {unused[0]} is"
    return "id tokens " + ", ".join(unused) + " are"


def _default_parts(pipeline: Pipeline) -> list[YNode | None]:
    default = get(pipeline.top, "default")
    return [get(default, key) for key in ("before_script", "after_script", "hooks")]


def _job_texts(pipeline: Pipeline, job: Job) -> str:
    """Every scalar of the job and the templates it extends, except their id_tokens sections."""
    return _texts(pipeline, [member.node for member in pipeline.lineage(job)[0]])


def _texts(pipeline: Pipeline, nodes: list[YNode | None]) -> str:
    found = [
        item.text
        for node in nodes
        if node is not None
        for item in walk(pipeline.top, node, skip="id_tokens")
        if item.text is not None
    ]
    return "\n".join(found)
