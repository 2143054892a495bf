"""## What it does
Finds jobs that deploy or publish (they have an `environment:`, or their name or stage contains `deploy`, `release` or
`publish`) and can run on refs that are not protected.

## Why is this bad?
Deploy and publish jobs hold the strongest credentials a pipeline has: cloud roles, registry and package tokens,
SSH keys. If such a job runs on any branch, anyone who can push a branch (or whose merge request pipeline runs in
this project) can change the job's script in that branch and use those credentials. Protected variables only reach
protected refs, and restricting the job to protected refs is what makes the protection mean something.

What counts as restricted:
- `rules:` where every rule that can run the job (any `when:` other than `never`) has an `if:` that, in each of its
  `||` alternatives, requires one of: `$CI_COMMIT_REF_PROTECTED == "true"`, a tag (`$CI_COMMIT_TAG`, also
  `$CI_COMMIT_TAG =~ /.../` or `!= null`), or the default branch (`$CI_COMMIT_BRANCH` or `$CI_COMMIT_REF_NAME`
  `== $CI_DEFAULT_BRANCH`, `== "main"` or `== "master"`, the names GitLab protects by default).
- `only:`/`except:` whose refs leave only `tags`, `main` or `master` (`only: [main]`, `only: [tags]`,
  `except: [branches]`), or whose `only: variables:` expressions are all restricted as above.
- `workflow: rules:` that are restricted in the same way restrict every job.
An environment with `action: stop`, `prepare`, `verify` or `access` does not deploy. Jobs inherit `rules`,
`only`, `stage` and `environment` through `extends:`; a template is checked on its own only when no job in the file
extends it. When the restriction may come from a template outside this file, the job is not reported.

## Example
```yaml
deploy:
  stage: deploy
  environment: production
  script:
    - ./deploy.sh
```

## Use instead
```yaml
deploy:
  stage: deploy
  environment: production
  rules:
    - if: $CI_COMMIT_REF_PROTECTED == "true"
  script:
    - ./deploy.sh
```
Also protect the environment and require an approval for production.

## References
- GitLab documentation, "Pipeline security" and "Protected environments"
- OWASP Top 10 CI/CD Security Risks: CICD-SEC-1 (insufficient flow control) and CICD-SEC-5 (PBAC)
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from scaffold.rules.document import Document
from scaffold.rules.gitlab.pipeline import Job, Pipeline, get, is_reference, only_refs, resolve, text
from scaffold.rules.model import Confidence, Hit, Kind, Severity
from scaffold.rules.yaml_view import YNode

ID = "gitlab-unprotected-deploy"
SEVERITY = Severity.HIGH
CONFIDENCE = Confidence.MEDIUM
KINDS = (Kind.GITLAB_CI,)
CONTROLS = ("protected-release",)

_DEPLOY_WORD = re.compile(r"deploy|release|publish", re.IGNORECASE)
_NOT_DEPLOYING = ("stop", "prepare", "verify", "access")
_PROTECTED_REFS = frozenset({"tags", "main", "master"})
_BRACED = re.compile(r"\$\{(\w+)\}")
_NULL = r"(?:null|\"\"|'')"
_BRANCH = r"\$(?:CI_COMMIT_BRANCH|CI_COMMIT_REF_NAME)"
_DEFAULT = r"(?:\$CI_DEFAULT_BRANCH|\"(?:main|master)\"|'(?:main|master)')"
_ATOM = re.compile(
    r"\$CI_COMMIT_REF_PROTECTED\s*==\s*(?:\"true\"|'true')"
    r"|(?:\"true\"|'true')\s*==\s*\$CI_COMMIT_REF_PROTECTED"
    rf"|\$CI_COMMIT_TAG(?:\s*==\s*(?!{_NULL})\S+|\s*!=\s*{_NULL}|\s*=~\s*\S.*)?"
    rf"|{_BRANCH}\s*==\s*{_DEFAULT}|{_DEFAULT}\s*==\s*{_BRANCH}"
)


def check(document: Document) -> Iterator[Hit]:
    pipeline = Pipeline(document)
    workflow_rules = resolve(pipeline.top, get(get(pipeline.top, "workflow"), "rules"))
    if workflow_rules is not None and unrestricted_rule(pipeline.top, workflow_rules, unknown=workflow_rules) is None:
        return
    extended = pipeline.extended()
    for job in pipeline.jobs:
        if job.hidden and job.name in extended:
            continue  # checked through the jobs that extend it
        reason = _deploys(pipeline, job)
        if reason is not None:
            yield from _unprotected(pipeline, job, reason)


def _deploys(pipeline: Pipeline, job: Job) -> str | None:
    environment, _ = pipeline.lookup(job, "environment")
    environment = resolve(pipeline.top, environment)
    if environment is not None and text(get(environment, "action")) not in _NOT_DEPLOYING:
        name = environment.text if environment.text is not None else text(get(environment, "name"))
        return f"deploys to environment {name}" if name else "deploys to an environment"
    if _DEPLOY_WORD.search(job.name):
        return "deploys or publishes (by its name)"
    stage, _ = pipeline.lookup(job, "stage")
    if stage is not None and stage.text is not None and _DEPLOY_WORD.search(stage.text):
        return f"deploys or publishes (stage {stage.text})"
    return None


def _unprotected(pipeline: Pipeline, job: Job, reason: str) -> Iterator[Hit]:
    rules, rules_known = pipeline.lookup(job, "rules")
    if rules is not None:
        rules = resolve(pipeline.top, rules)
        if rules is None:
            return
        offending = unrestricted_rule(pipeline.top, rules)
        if offending is not None:
            condition = text(get(offending, "if"))
            shown = f"if: {condition}" if condition is not None else "a rule without if:"
            yield Hit(offending.line, offending.column, f"{job.label}: {reason} on unprotected refs ({shown})")
        return
    only, only_known = pipeline.lookup(job, "only")
    except_, except_known = pipeline.lookup(job, "except")
    if only is None and except_ is None:
        if rules_known and only_known and except_known:
            yield Hit(job.key.line, job.key.column, f"{job.label}: {reason} with no rules, so on every branch")
        return
    if not _only_restricted(only, except_):
        where, key = (only, "only:") if only is not None else (except_, "except:")
        if where is not None:
            yield Hit(where.line, where.column, f"{job.label}: {reason} on unprotected refs ({key} allows them)")


def unrestricted_rule(top: YNode | None, rules: YNode, unknown: YNode | None = None) -> YNode | None:
    """The first rule that can run the job on an unprotected ref, or None when every rule is restricted. A
    ``!reference`` to rules outside this file gives ``unknown`` (None: taken as restricted, nothing reported)."""
    for rule in rules.elements():
        if is_reference(rule):
            target = resolve(top, rule)
            if target is None:
                if unknown is not None:
                    return unknown
                continue
            candidates = target.elements() if target.is_sequence else [target]
        else:
            candidates = [rule]
        for candidate in candidates:
            if not candidate.is_mapping or text(get(candidate, "when")) == "never":
                continue
            condition = text(get(candidate, "if"))
            if condition is None or not protected(condition):
                return candidate
    return None


def protected(expression: str) -> bool:
    """Whether a rules ``if:`` expression is only true on protected refs (see the module documentation)."""
    return _disjunction(_BRACED.sub(r"$\1", expression))


def _disjunction(expression: str) -> bool:
    return all(_conjunction(part) for part in _split(expression, "||"))


def _conjunction(expression: str) -> bool:
    return any(_atom(part) for part in _split(expression, "&&"))


def _atom(expression: str) -> bool:
    expression = expression.strip()
    if expression.startswith("(") and expression.endswith(")") and _balanced(expression[1:-1]):
        return _disjunction(expression[1:-1])
    return bool(_ATOM.fullmatch(expression))


def _split(expression: str, operator: str) -> list[str]:
    """Split on ``operator`` outside parentheses, quotes and ``/regex/`` literals."""
    parts: list[str] = []
    depth = 0
    start = 0
    index = 0
    quote = ""
    while index < len(expression):
        char = expression[index]
        if quote:
            if char == "\\":
                index += 1
            elif char == quote:
                quote = ""
        elif char in "\"'":
            quote = char
        elif char == "/" and re.search(r"[=!]~\s*$", expression[start:index]):
            quote = "/"
        elif char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
        elif depth == 0 and expression.startswith(operator, index):
            parts.append(expression[start:index])
            index += len(operator)
            start = index
            continue
        index += 1
    parts.append(expression[start:])
    return parts


def _balanced(expression: str) -> bool:
    depth = 0
    for char in expression:
        depth += {"(": 1, ")": -1}.get(char, 0)
        if depth < 0:
            return False
    return depth == 0


def _only_restricted(only: YNode | None, except_: YNode | None) -> bool:
    named = only_refs(only)
    excluded = set(only_refs(except_) or [])
    remaining = [ref for ref in (named if named is not None else ["branches", "tags"]) if ref not in excluded]
    if "branches" in excluded:
        remaining = [ref for ref in remaining if ref == "tags" or ref.startswith("/")]
    if not remaining or all(ref in _PROTECTED_REFS for ref in remaining):
        return True
    expressions = get(only, "variables") if only is not None else None
    conditions = [item.text for item in expressions.elements() if item.text is not None] if expressions else []
    return bool(conditions) and all(protected(condition) for condition in conditions)
