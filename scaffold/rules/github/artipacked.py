"""## What it does
Finds `actions/checkout` steps that keep the job's token in the checked-out repository's git configuration, because
`persist-credentials: false` is not set.

## Why is this bad?
By default checkout writes the token into `.git/config` so later steps can push. Every later step can read it, and a
step that uploads the workspace as an artifact publishes it: anyone who can download the artifact gets a live
token ("artipacked").

## Example
```yaml
- uses: actions/checkout@3d3c42e5aac5ba805825da76410c181273ba90b1 # v7.0.1
```

## Use instead
```yaml
- uses: actions/checkout@3d3c42e5aac5ba805825da76410c181273ba90b1 # v7.0.1
  with:
    persist-credentials: false
```
A job that really pushes can pass the token to that one `git push`.

## Fix
`scaffold harden` adds `persist-credentials: false` to the checkout's `with:`. When a later step of the job pushes,
pulls or fetches with git, or runs an action known to push, that step relied on the stored token, so the fix is
unsafe: give that step its own token instead. An explicit `persist-credentials: true` is left alone.

## References
- Palo Alto Unit 42, "ArtiPACKED: hacking giants through a race condition in GitHub Actions artifacts"
- zizmor `artipacked`
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from scaffold.audit.document import Document
from scaffold.audit.model import Confidence, Hit, Kind, Severity
from scaffold.audit.yaml_view import YNode
from scaffold.harden.model import Fix, Proposal, Safety, Unfixable
from scaffold.rules.github.workflow import action_name, action_steps, jobs, step_input, steps

ID = "artipacked"
SEVERITY = Severity.MEDIUM
CONFIDENCE = Confidence.HIGH
KINDS = (Kind.WORKFLOW,)
FIX_SAFETY = "safe; unsafe when a later step uses git with the remote"
# git commands that talk to the remote, and so use the credentials checkout stored.
_REMOTE_GIT = re.compile(r"\bgit\b[^\n|;&]*\b(?:push|pull|fetch|submodule|ls-remote|clone)\b")


def check(document: Document) -> Iterator[Hit]:
    for name, step in action_steps(document, "actions/checkout"):
        persist = step_input(step, "persist-credentials")
        if persist is None or persist.text not in ("false", "False", "FALSE"):
            yield Hit(step.line, step.column, f"job {name}: checkout keeps the token in .git/config")


def fix(document: Document) -> Iterator[Proposal]:
    from scaffold.harden import yaml_edit

    for name, job in jobs(document):
        listed = list(steps(job))
        for index, step in enumerate(listed):
            uses = step.get("uses")
            if uses is None or uses.text is None or action_name(uses.text) != "actions/checkout":
                continue
            persist = step_input(step, "persist-credentials")
            if persist is not None:
                if persist.text not in ("false", "False", "FALSE"):
                    yield Unfixable(
                        persist.line, f"job {name}: persist-credentials is set to {persist.text}; left as is"
                    )
                continue
            options = step.get("with")
            if options is None:
                edit = yaml_edit.append_entry(document, step, ["with:", "  persist-credentials: false"])
            else:
                edit = yaml_edit.append_entry(document, options, ["persist-credentials: false"])
            if edit is None:
                yield Unfixable(step.line, f"job {name}: the checkout's with: is a flow mapping; add it by hand")
                continue
            risk = _later_remote_git(listed[index + 1 :])
            safety = Safety.UNSAFE if risk else Safety.SAFE
            yield Fix(step.line, f"job {name}: checkout with persist-credentials: false", safety, (edit,), risk)


def _later_remote_git(later: list[YNode]) -> str:
    from scaffold.harden.permissions import pushes

    for step in later:
        script, uses = step.get("run"), step.get("uses")
        if script is not None and script.text is not None and (found := _REMOTE_GIT.search(script.text)):
            return f"a later step runs '{found.group(0)}' with the stored credentials"
        if uses is not None and uses.text is not None and pushes(uses.text):
            return f"a later step, {uses.text}, pushes with the stored credentials"
    return ""
