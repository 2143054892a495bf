"""## What it does
Finds `run:` scripts that write to `$GITHUB_ENV` or `$GITHUB_PATH` in workflows started by untrusted activity.

The triggers read as privileged are `pull_request_target`, `workflow_run`, `issue_comment`, `issues`,
`discussion` and `discussion_comment`: they run with secrets and a token that can write, on events that anyone
who can open a pull request, an issue or a comment sets off. In other workflows only a write of a value the event's
author chooses (`echo "REF=${{ github.head_ref }}" >> "$GITHUB_ENV"`) is reported.

## Why is this bad?
Every later step of the job reads the variables and the path entries written to these files. When the written
value comes from the event (a branch name, a title, a comment, an artifact of the pull request's build), its
author can add a line of their own, such as `LD_PRELOAD=...`, `NODE_OPTIONS=--require ...`, `BASH_ENV=...`, or a
directory of their own at the front of `PATH`, and run code with the workflow's privileges.

## Example
```yaml
on: workflow_run
jobs:
  deploy:
    steps:
      - run: echo "PR_NUMBER=$(cat pr/number)" >> "$GITHUB_ENV"
```

## Use instead
```yaml
on: workflow_run
jobs:
  deploy:
    steps:
      - id: pr
        run: echo "number=$(jq -r '.number | tonumber' pr/event.json)" >> "$GITHUB_OUTPUT"
      - env:
          PR_NUMBER: ${{ steps.pr.outputs.number }}
        run: ./deploy.sh "$PR_NUMBER"
```
Pass values through step outputs into the `env:` of the steps that need them, after checking their format, and
keep privileged workflows from acting on untrusted data at all where you can.

## References
- GitHub, "Workflow commands for GitHub Actions: environment files"
- GitHub Security Lab, "Keeping your GitHub Actions and workflows secure, part 2: untrusted input"
- zizmor `github-env`
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator

from scaffold.rules.document import Document
from scaffold.rules.github.scripts import located_lines, run_scripts
from scaffold.rules.github.template_injection import unsafe_expressions
from scaffold.rules.github.workflow import triggers
from scaffold.rules.model import Confidence, Hit, Kind, Severity

ID = "github-env-write"
SEVERITY = Severity.HIGH
CONFIDENCE = Confidence.MEDIUM
KINDS = (Kind.WORKFLOW, Kind.ACTION)

PRIVILEGED = ("pull_request_target", "workflow_run", "issue_comment", "issues", "discussion", "discussion_comment")
_FILE = r"[\"']?\$(?:\{(GITHUB_ENV|GITHUB_PATH)\}|env:(GITHUB_ENV|GITHUB_PATH)\b|(GITHUB_ENV|GITHUB_PATH)\b)"


@functools.cache
def _write() -> re.Pattern[str]:
    """A write to the env or path file (compiled when a script first may write one that matters)."""
    return re.compile(
        r"(?:>>?\s*|\btee\s+(?:-\w+\s+|--\w[\w-]*\s+)*|\b(?:Out-File|Add-Content|Set-Content)\b[^|;]*?)" + _FILE,
        re.IGNORECASE,
    )


def check(document: Document) -> Iterator[Hit]:
    events = [event for event in triggers(document) if event in PRIVILEGED]
    for job, script in run_scripts(document):
        if not _may_write(script.text or ""):
            continue
        for line in located_lines(document, script):
            if line.text.startswith("#"):
                continue
            chosen = unsafe_expressions(line.text) if not events and "${{" in line.text else []
            for match in _write().finditer(line.text) if events or chosen else ():
                target = f"${next(group for group in match.groups() if group).upper()}"
                if events:
                    message = f"job {job}: the script writes to {target} in a workflow triggered by {events[0]}"
                else:
                    value = "${{" + chosen[0] + "}}"
                    message = f"job {job}: the script writes {value} to {target}, so whoever sets it sets the job's env"
                yield Hit(line.line, line.column + match.start(), message)


def _may_write(script: str) -> bool:
    """Whether a line of the script may write to ``$GITHUB_ENV`` or ``$GITHUB_PATH`` (each line is a piece of the
    script): an ASCII script that does holds ``github_`` once lower-cased; other text may pair ``i`` with a dotless
    or dotted I in a case-blind match, so it is searched line by line."""
    return "github_" in script.lower() if script.isascii() else True
