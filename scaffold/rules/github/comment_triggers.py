"""## What it does
Finds workflows triggered by a comment or a review: `issue_comment`, `pull_request_review_comment`,
`pull_request_review`, `discussion_comment` and `commit_comment`.

## Why is this bad?
On a public repository anyone with a GitHub account can write a comment, and each comment starts the workflow from
the default branch with the base repository's token and secrets. The comment's text, the pull request it is on and
the commenter are all chosen by that person: a workflow that checks out the pull request (`gh pr checkout`, the
head ref), interpolates the comment into a script, or trusts a `/command` without checking who wrote it, runs
attacker-chosen code with privileges. This is how "ChatOps" commands are most often abused.

## Example
```yaml
on:
  issue_comment:
    types: [created]
```

## Use instead
Keep comment-triggered jobs small and read-only; check the commenter's permission
(`github.event.comment.author_association` is `OWNER`, `MEMBER` or `COLLABORATOR`) before acting; never check out
or build the pull request's code in them; pass the comment's text through an environment variable, not `${{ }}`.
Where a privileged follow-up is needed, hand over through a separate workflow that treats its input as untrusted.

## References
- GitHub Security Lab, "Keeping your GitHub Actions and workflows secure Part 4: New vulnerability patterns"
- GitHub, "Events that trigger workflows" (`issue_comment`, `pull_request_review_comment`)
- zizmor has no audit for these triggers (its `dangerous-triggers` covers `pull_request_target` and
  `workflow_run`); OpenSSF Scorecard Dangerous-Workflow
"""

from __future__ import annotations

from collections.abc import Iterator

from scaffold.rules.document import Document
from scaffold.rules.github.workflow import COMMENT_TRIGGERS, triggers
from scaffold.rules.model import Confidence, Hit, Kind, Severity

ID = "comment-triggers"
SEVERITY = Severity.LOW
CONFIDENCE = Confidence.MEDIUM
KINDS = (Kind.WORKFLOW,)


def check(document: Document) -> Iterator[Hit]:
    for event, node in triggers(document).items():
        if event in COMMENT_TRIGGERS:
            yield Hit(
                node.line,
                node.column,
                f"triggered by {event}, which any GitHub user can cause; the job runs with the repository's token",
            )
