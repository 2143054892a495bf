"""## What it does
Finds pipelines that run both as a branch pipeline and as a merge request pipeline for the same push, because jobs
ask for merge request pipelines (`rules: - if: $CI_PIPELINE_SOURCE == "merge_request_event"`) while other jobs run
on branch pushes, and there is no top-level `workflow: rules:` to choose one of the two.

A job asks for merge request pipelines when one of its `rules` that can run it (not `when: never`) has an `if:`
that names `merge_request_event` (not as `!=` or `!~`). A job runs on branch pushes when it has no `rules`,
`only` or `except` at all, when one of its `rules` has no `if:` (a catch-all, also with `changes:` or `exists:`)
and is not `when: never`, or when its `if:` only tests `$CI_COMMIT_BRANCH`, `$CI_COMMIT_REF_NAME` or
`$CI_PIPELINE_SOURCE == "push"`. Jobs inherit `rules`, `only` and `except` through `extends:`. The rule stays
quiet when the file has an `include:` (the `workflow:` may come from there), and a job whose rules may come from a
template outside this file counts as neither kind. The finding is on the `rules:` of the first job that asks for
merge request pipelines.

## Why is this bad?
Each push to a branch with an open merge request starts two pipelines: a branch pipeline and a merge request
pipeline. Every job runs twice, with the same secrets, which doubles runner use and the places where a
compromised dependency or script can read credentials. The two pipelines can also disagree, and which one the
merge request shows as its status depends on timing.

## Example
```yaml
test:
  script:
    - make test
review:
  rules:
    - if: $CI_PIPELINE_SOURCE == "merge_request_event"
  script:
    - make review
```

## Use instead
```yaml
workflow:
  rules:
    - if: $CI_PIPELINE_SOURCE == "merge_request_event"
    - if: $CI_COMMIT_BRANCH && $CI_OPEN_MERGE_REQUESTS
      when: never
    - if: $CI_COMMIT_BRANCH
    - if: $CI_COMMIT_TAG
```

## References
- GitLab documentation, "Switch between branch pipelines and merge request pipelines" (`workflow:rules`)
- checkov `CKV_GITLABCI_2`
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from scaffold.rules.document import Document
from scaffold.rules.gitlab.gates import rule_entries
from scaffold.rules.gitlab.pipeline import Job, Pipeline, get, key_of, only_refs, text
from scaffold.rules.model import Confidence, Hit, Kind, Severity
from scaffold.rules.yaml_view import YNode

ID = "gitlab-duplicate-pipelines"
SEVERITY = Severity.LOW
CONFIDENCE = Confidence.MEDIUM
KINDS = (Kind.GITLAB_CI,)
CONTROLS = ("no-duplicate-runs",)

_MERGE_REQUEST = re.compile(r"merge_request_event")
_NOT_MERGE_REQUEST = re.compile(r"(?:!=|!~)\s*[\"'/]?[^\"'/]*merge_request_event|merge_request_event[\"'/]?\s*!=")
_BRANCH_ONLY = re.compile(
    r"\s*(?:\$\{?(?:CI_COMMIT_BRANCH|CI_COMMIT_REF_NAME)\}?"
    r"|\$\{?CI_PIPELINE_SOURCE\}?\s*==\s*(?:\"push\"|'push'))\s*"
)
_BRANCH_REFS = frozenset({"branches", "pushes"})


def check(document: Document) -> Iterator[Hit]:
    pipeline = Pipeline(document)
    top = pipeline.top
    if top is None or get(top, "include") is not None:
        return
    if get(get(top, "workflow"), "rules") is not None:
        return
    first: tuple[Job, YNode] | None = None
    branch_job: Job | None = None
    for job in pipeline.jobs:
        if job.hidden:
            continue
        rules, known = pipeline.lookup(job, "rules")
        rule_list = _rules(top, rules)
        if not known or rule_list is None:
            continue  # the job's rules may come from a template or a !reference elsewhere
        if first is None and any(_asks_for_merge_requests(rule) for rule in rule_list):
            first = job, rules if rules is not None else job.key
        if branch_job is None and _runs_on_branches(pipeline, job, rules, rule_list):
            branch_job = job
    if first is None or branch_job is None:
        return
    job, rules = first
    place = _rules_key(pipeline, job, rules) or rules
    other = "it also" if branch_job is job else f"job {branch_job.name}"
    yield Hit(
        place.line,
        place.column,
        f"{job.label}: runs in merge request pipelines while {other} runs on branch pushes, and there are no "
        "workflow:rules, so each push to an open merge request starts two pipelines",
    )


def _rules(top: YNode | None, rules: YNode | None) -> list[YNode] | None:
    """The rule entries (``!reference`` items followed); empty when there are none, None when one is elsewhere."""
    return [] if rules is None else rule_entries(top, rules)


def _can_run(rule: YNode) -> bool:
    return text(get(rule, "when")) != "never"


def _asks_for_merge_requests(rule: YNode) -> bool:
    condition = text(get(rule, "if"))
    return (
        _can_run(rule)
        and condition is not None
        and bool(_MERGE_REQUEST.search(condition))
        and not _NOT_MERGE_REQUEST.search(condition)
    )


def _runs_on_branches(pipeline: Pipeline, job: Job, rules: YNode | None, rule_list: list[YNode]) -> bool:
    if rules is not None:
        for rule in rule_list:
            if not _can_run(rule):
                continue
            condition = get(rule, "if")
            if condition is None or (condition.text is not None and _BRANCH_ONLY.fullmatch(condition.text)):
                return True
        return False
    only, only_known = pipeline.lookup(job, "only")
    except_, except_known = pipeline.lookup(job, "except")
    if not (only_known and except_known):
        return False
    if only is None and except_ is None:
        return True
    refs = only_refs(only) if only is not None else ["branches", "tags"]
    excluded = only_refs(except_) or []
    return refs is not None and any(ref in _BRANCH_REFS for ref in refs) and "branches" not in excluded


def _rules_key(pipeline: Pipeline, job: Job, rules: YNode) -> YNode | None:
    """The ``rules:`` key that holds ``rules``: the job's own, or that of the template it extends."""
    lineage, _ = pipeline.lineage(job)
    for member in lineage:
        found = key_of(member.node, "rules")
        if found is not None and found[1].node is rules.node:
            return found[0]
    return None
