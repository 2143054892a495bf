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
    shared_nodes = [get(pipeline.top, "variables"), *_default_parts(pipeline)]
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
    texts = _Texts(pipeline, shared_nodes)
    for key, (tokens, users) in groups.items():
        if key in undecided:
            continue
        owner = next((job for job in users if job.node.key("id_tokens") is not None), users[0])
        where = owner.node.key("id_tokens") or tokens
        unused = texts.unused(tokens, users)
        if unused:
            users_text = "it or the jobs that extend it" if owner.hidden else "the job"
            yield Hit(where.line, where.column, f"{owner.label}: {_describe(unused)} not used by {users_text}")
    default_tokens = get(get(pipeline.top, "default"), "id_tokens")
    if default_tokens is not None and pipeline.top is not None:
        unused = texts.unused(default_tokens, without)
        default = pipeline.top.get("default")
        place = default.key("id_tokens") if default is not None else None
        if unused and place is not None:
            yield Hit(place.line, place.column, f"default: {_describe(unused)} not used by any job")


class _Texts:
    """Where token names are read: the scalars of the shared places (top-level ``variables:``, ``default:``) and of
    each job's lineage, each node walked once for the whole file.

    A name is read by a job when it appears, between characters that cannot be part of a variable name, in the
    job's pool: the shared texts and the job's lineage texts joined by newlines (``_uses``). For a name of variable
    characters only (``[A-Za-z0-9_]``, the only names GitLab accepts) that is exactly "the name is one of the
    maximal runs of such characters of some scalar", so each node's runs are collected once as a set and every
    token is looked up in the sets of the nodes its jobs see, never by searching a pool that repeats the shared
    texts and the templates' texts for every job. Other names are searched in the pools themselves.
    """

    def __init__(self, pipeline: Pipeline, shared: list[YNode | None]) -> None:
        self.pipeline = pipeline
        self.shared = [node for node in shared if node is not None]
        self.words: dict[int, frozenset[str]] = {}
        self.cosign: dict[int, bool] = {}

    def unused(self, tokens: YNode, users: list[Job]) -> list[str]:
        """The token names of ``tokens`` that no job of ``users`` reads (all of them when there are no users)."""
        names = [name for key, _ in tokens.entries() if (name := key.text) is not None and name != "<<"]
        if not users:
            return names
        nodes = self._nodes(users)
        pending = {name for name in names if _WORD.fullmatch(name)}
        for node in nodes:
            if not pending:
                break
            words = self._words(node)
            pending -= pending & words  # the intersection walks the smaller set
            if "SIGSTORE_ID_TOKEN" in pending and self._runs_cosign(node):
                pending.discard("SIGSTORE_ID_TOKEN")
        others = [name for name in names if not _WORD.fullmatch(name)]
        if others:
            shared = _texts(self.pipeline, list(self.shared))
            pools = [shared + "\n" + _job_texts(self.pipeline, job) for job in users]
            pending |= {name for name in others if not any(_uses(pool, name) for pool in pools)}
        return [name for name in names if name in pending]

    def _nodes(self, users: list[Job]) -> list[YNode]:
        """The shared nodes and every node of the users' lineages, each once."""
        found: dict[int, YNode] = {id(node.node): node for node in self.shared}
        for job in users:
            for member in self.pipeline.lineage(job)[0]:
                found.setdefault(id(member.node.node), member.node)
        return list(found.values())

    def _words(self, node: YNode) -> frozenset[str]:
        key = id(node.node)
        words = self.words.get(key)
        if words is None:
            words = frozenset(word for text in self._scalars(node) for word in _WORD.findall(text))
            self.words[key] = words
        return words

    def _runs_cosign(self, node: YNode) -> bool:
        key = id(node.node)
        found = self.cosign.get(key)
        if found is None:
            found = any(_IMPLICIT["SIGSTORE_ID_TOKEN"].search(text) for text in self._scalars(node))
            self.cosign[key] = found
        return found

    def _scalars(self, node: YNode) -> list[str]:
        return [item.text for item in walk(self.pipeline.top, node, skip="id_tokens") if item.text is not None]


_WORD = re.compile(r"[A-Za-z0-9_]+")  # the characters of a variable name, as ``_uses`` bounds a name


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
