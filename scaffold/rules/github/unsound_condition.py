"""## What it does
Finds `if:` conditions that do not test what they seem to: text around a `${{ }}`, bot checks on `github.actor`,
and `contains()` over a string literal.

Three mistakes are reported, each with its own message:
- text outside the `${{ }}` (`if: ${{ a }} && b`), or a block scalar (`if: |`) that keeps its final newline: the
  condition becomes a non-empty string, which is always true;
- `github.actor == 'dependabot[bot]'` (or `github.triggering_actor`, or any other `[bot]` account);
- `contains('main,develop', github.ref_name)`, whose first argument is a string literal.

## Why is this bad?
An always-true condition silently removes the guard it was meant to be, for example on a deploy or an
auto-merge job. `github.actor` is whoever caused the latest event, not who wrote the change: an attacker's pull
request becomes "from Dependabot" as soon as Dependabot touches it (a rebase or a `@dependabot recreate`), and an
auto-approve or auto-merge job then trusts it. `contains()` on a string looks for a substring, so
`contains('main,develop', github.ref_name)` is also true for branches called `main,d`, `a` or `dev`, which anyone
who can push a branch can create.

## Example
```yaml
- if: ${{ github.event_name == 'push' }} && github.ref == 'refs/heads/main'
- if: github.actor == 'dependabot[bot]'
- if: contains('refs/heads/main refs/heads/release', github.ref)
```

## Use instead
```yaml
- if: ${{ github.event_name == 'push' && github.ref == 'refs/heads/main' }}
- if: github.event.pull_request.user.login == 'dependabot[bot]'
- if: contains(fromJSON('["refs/heads/main", "refs/heads/release"]'), github.ref)
```
Put the whole condition inside one `${{ }}` (or leave the braces out), use `|-` for a multi-line condition, check
who opened the pull request, and compare against a list so that only whole values match.

## References
- GitHub, "Evaluate expressions in workflows and actions" (`if` conditionals, `contains`)
- zizmor `unsound-condition`, `bot-conditions` and `unsound-contains`; actionlint `if-cond`; poutine
  `if_always_true` and `confused_deputy_auto_merge`
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from scaffold.rules.document import Document
from scaffold.rules.github.expressions import expressions
from scaffold.rules.github.scripts import locate
from scaffold.rules.github.workflow import jobs, steps
from scaffold.rules.model import Confidence, Hit, Kind, Severity
from scaffold.rules.yaml_view import YNode

ID = "unsound-condition"
SEVERITY = Severity.HIGH
CONFIDENCE = Confidence.HIGH
KINDS = (Kind.WORKFLOW, Kind.ACTION)

_BOT = re.compile(
    r"\bgithub\s*\.\s*(actor|triggering_actor)\s*==\s*'[^']*\[bot\]'"
    r"|'[^']*\[bot\]'\s*==\s*github\s*\.\s*(actor|triggering_actor)\b",
    re.IGNORECASE,
)
_CONTAINS = re.compile(r"\bcontains\s*\(\s*'(?:[^']|'')*'\s*,", re.IGNORECASE)


def check(document: Document) -> Iterator[Hit]:
    for label, condition in _conditions(document):
        text = condition.text
        if text is None:
            continue
        problem = _always_true(text)
        if problem:
            yield Hit(condition.line, condition.column, f"{label}: {problem}")
        seen: dict[str, int] = {}
        for pattern in (_BOT, _CONTAINS):
            for match in pattern.finditer(text):
                seen[match.group(0)] = seen.get(match.group(0), 0) + 1
                line, column = locate(document, condition, match.group(0), seen[match.group(0)])
                if pattern is _BOT:
                    field = (match.group(1) or match.group(2)).lower()
                    message = (
                        f"{label}: if: trusts github.{field} to be a bot, which anyone can arrange;"
                        " check github.event.pull_request.user.login instead"
                    )
                else:
                    message = f"{label}: if: contains() with a string literal first matches any substring of it"
                yield Hit(line, column, message)


def _always_true(text: str) -> str:
    """Why a condition with ``${{ }}`` that is not exactly one expression is always true ("" when it is not)."""
    if "${{" not in text:
        return ""
    spans = expressions(text)
    bare = text.strip(" \t")
    if len(spans) == 1 and spans[0].group(0) == bare:
        return ""
    if len(spans) == 1 and spans[0].group(0) == bare.rstrip("\n").rstrip(" \t"):
        return "if: is a block scalar that keeps its final newline, so it is a non-empty string and always true"
    return "if: has text outside its ${{ }}, so it is a non-empty string and always true"


def _conditions(document: Document) -> Iterator[tuple[str, YNode]]:
    for name, job in jobs(document):
        condition = job.get("if")
        if condition is not None:
            yield f"job {name}", condition
        for number, step in enumerate(steps(job), start=1):
            condition = step.get("if")
            if condition is not None:
                yield f"job {name} step {number}", condition
