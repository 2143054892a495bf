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

import bisect
import re
from array import array
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
    return _Expression(_BRACED.sub(r"$\1", expression)).disjunction(0, -1, 0)


class _Expression:
    """An ``if:`` expression read once, then judged part by part.

    It is ``||`` alternatives of ``&&`` terms, each an atom or a parenthesised expression, split outside quotes,
    ``/regex/`` literals (a ``/`` after ``=~`` or ``!~``) and parentheses; a term that is wholly in parentheses
    (counted without regard to quotes) is read as the expression inside them. One pass over the text finds where
    quotes and regexes are, the depth of every operator and which ``)`` closes each ``(``; every level of nesting
    is then split by looking its operators up, so deep nesting costs no more than the text's length (reading each
    level's text again would cost depth times length).
    """

    def __init__(self, text: str) -> None:
        self.text = text
        self.operators: dict[tuple[str, int], array[int]] = {}  # (operator, depth) -> its offsets, in order
        self.closing = array("i", [-1]) * len(text)  # offset of a "(" -> offset of the ")" closing it, or -1
        self._read_quotes_and_depths()
        self._match_parentheses()

    def disjunction(self, start: int, end: int, depth: int) -> bool:
        end = len(self.text) if end < 0 else end
        return all(self._conjunction(a, b, depth) for a, b in self._split(start, end, depth, "||"))

    def _conjunction(self, start: int, end: int, depth: int) -> bool:
        return any(self._atom(a, b, depth) for a, b in self._split(start, end, depth, "&&"))

    def _atom(self, start: int, end: int, depth: int) -> bool:
        text = self.text
        while start < end and text[start].isspace():
            start += 1
        while end > start and text[end - 1].isspace():
            end -= 1
        if end - start >= 2 and text[start] == "(" and self.closing[start] == end - 1:
            return self.disjunction(start + 1, end - 1, depth + 1)
        return bool(_ATOM.fullmatch(text[start:end]))

    def _split(self, start: int, end: int, depth: int, operator: str) -> list[tuple[int, int]]:
        """The parts of ``text[start:end]`` between the ``operator``s at ``depth``; an operator overlapping the one
        just split on (``|||``) is not one."""
        offsets = self.operators.get((operator, depth), array("i"))
        parts: list[tuple[int, int]] = []
        for index in range(bisect.bisect_left(offsets, start), len(offsets)):
            offset = offsets[index]
            if offset + len(operator) > end:
                break
            if offset >= start:
                parts.append((start, offset))
                start = offset + len(operator)
        parts.append((start, end))
        return parts

    def _read_quotes_and_depths(self) -> None:
        text = self.text
        depth = 0
        index = 0
        while (found := _SPECIAL.search(text, index)) is not None:
            index = found.start()
            char = text[index]
            if char in "\"'" or (char == "/" and self._after_match_operator(index)):
                index = _quote_end(text, index + 1, char)
                continue
            if char == "(":
                depth += 1
            elif char == ")":
                depth -= 1
            elif char in "|&" and text.startswith(char * 2, index):
                self.operators.setdefault((char * 2, depth), array("i")).append(index)
            index += 1

    def _after_match_operator(self, index: int) -> bool:
        """Whether the text before ``index`` ends with ``=~`` or ``!~`` and blanks: a ``/`` there opens a regex.
        Only blanks are read back over, so many slashes are read in linear time."""
        end = index
        while end > 0 and self.text[end - 1].isspace():
            end -= 1
        return end >= 2 and self.text[end - 1] == "~" and self.text[end - 2] in "=!"

    def _match_parentheses(self) -> None:
        opened: list[int] = []
        for found in _PARENTHESIS.finditer(self.text):
            if found.group() == "(":
                opened.append(found.start())
            elif opened:
                self.closing[opened.pop()] = found.start()


_SPECIAL = re.compile(r"[\"'/()|&]")
_PARENTHESIS = re.compile(r"[()]")


def _quote_end(text: str, index: int, quote: str) -> int:
    """The offset after the quote that closes a string (or regex) whose inside starts at ``index``; a backslash
    escapes the character after it. The text's length when it is never closed."""
    for found in _QUOTED[quote].finditer(text, index):
        if found.group() == quote:
            return found.end()
    return len(text)


_QUOTED = {quote: re.compile(r"\\[\s\S]|" + re.escape(quote)) for quote in "\"'/"}


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
