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
unsafe: give that step its own token instead. The fix is unsafe too when a later step runs a tool that drives git
(`gh repo clone`, lerna, semantic-release, ...), a local (`./...`) or Docker action, or an action scaffold's
permissions table does not list, since any of those may push. An explicit `persist-credentials: true` is left
alone.

## References
- Palo Alto Unit 42, "ArtiPACKED: hacking giants through a race condition in GitHub Actions artifacts"
- zizmor `artipacked`
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator

from scaffold.rules.document import Document
from scaffold.rules.fixes.model import Fix, Proposal, Safety, Unfixable
from scaffold.rules.github.workflow import action_name, action_steps, jobs, step_input, steps
from scaffold.rules.model import Confidence, Hit, Kind, Severity
from scaffold.rules.yaml_view import YNode

ID = "artipacked"
SEVERITY = Severity.MEDIUM
CONFIDENCE = Confidence.HIGH
KINDS = (Kind.WORKFLOW, Kind.ACTION)
FIX_SAFETY = "safe; unsafe when a later step uses git with the remote or runs an action not known to leave git alone"


def check(document: Document) -> Iterator[Hit]:
    for name, step in action_steps(document, "actions/checkout"):
        persist = step_input(step, "persist-credentials")
        if persist is None or persist.text not in ("false", "False", "FALSE"):
            yield Hit(step.line, step.column, f"job {name}: checkout keeps the token in .git/config")


def fix(document: Document) -> Iterator[Proposal]:
    from scaffold.rules.fixes import yaml_edit

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


@functools.cache
def _remote_git() -> tuple[re.Pattern[str], re.Pattern[str]]:
    """git commands that talk to the remote, and the tools that drive git against it, with the credentials checkout
    stored (compiled when a fix first asks)."""
    return (
        re.compile(r"\bgit\b[^\n|;&]*\b(?:push|pull|fetch|submodule|ls-remote|clone|remote|archive)\b"),
        re.compile(
            r"\b(?:gh\s+(?:repo\s+(?:clone|sync|fork)|pr\s+checkout)|hub|lerna\s+(?:publish|version)|semantic-release|"
            r"release-it|mvn\b[^\n]*\brelease:|gradle\w*\b[^\n]*\brelease|cargo\s+release|git-[\w-]+)\b"
        ),
    )


# Actions that run git against the remote themselves, whatever scaffold's permissions table says of their token.
_GIT_ACTIONS = ("peter-evans/create-pull-request", "stefanzweifel/git-auto-commit-action", "ad-m/github-push-action")


def _later_remote_git(later: list[YNode]) -> str:
    """Why a later step may rely on the credentials checkout stored, or "" when none can."""
    from scaffold.rules.fixes.permissions import known, pushes

    for step in later:
        script, uses = step.get("run"), step.get("uses")
        if script is not None and script.text is not None:
            git, tools = _remote_git()
            found = git.search(script.text) or tools.search(script.text)
            if found:
                return f"a later step runs '{' '.join(found.group(0).split())}' with the stored credentials"
        if uses is not None and uses.text is not None:
            name = uses.text.split("@", 1)[0]
            if name.startswith(("./", "../")) or name.startswith("docker://"):
                return f"a later step runs {uses.text}, whose use of git scaffold cannot see"
            if pushes(uses.text) or action_name(uses.text).lower() in _GIT_ACTIONS:
                return f"a later step, {uses.text}, may push with the stored credentials"
            if not known(uses.text):
                return f"a later step runs {uses.text}, which scaffold does not know not to push"
        elif script is None:
            return "a later step scaffold cannot read"
    return ""
