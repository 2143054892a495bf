"""Shared reading of GitHub Actions workflows and actions for the rules: jobs, steps and what they use.

An action's ``action.yml`` (``Kind.ACTION``) reads as one pseudo-job named ``runs``, its ``runs:`` mapping: the
steps of a composite action are that job's steps, so every rule that judges steps judges them with the same code.
A Docker action's ``runs.image`` is read by ``action_image``; a JavaScript action has no steps to read.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from scaffold.rules.document import Document
from scaffold.rules.github.memo import per_document, per_node
from scaffold.rules.model import Kind
from scaffold.rules.yaml_view import YNode

# Events that run with the base repository's token and secrets on what a fork can cause (zizmor dangerous-triggers).
DANGEROUS_TRIGGERS = ("pull_request_target", "workflow_run")
# Events any GitHub user can cause by writing a comment or review; the workflow runs from the default branch with the
# base repository's token and secrets (comment-triggers).
COMMENT_TRIGGERS = (
    "issue_comment",
    "pull_request_review_comment",
    "pull_request_review",
    "discussion_comment",
    "commit_comment",
)
_SHA = re.compile(r"@[0-9a-f]{40}$")
ACTION_JOB = "runs"  # the name an action's ``runs:`` goes by as a pseudo-job, in messages and subjects


def jobs(document: Document) -> Iterator[tuple[str, YNode]]:
    """(name, job) for each job of a workflow; for an action, its ``runs:`` as the one job ``runs``."""
    return iter(per_document(document, "jobs", lambda: _jobs(document)))


def _jobs(document: Document) -> tuple[tuple[str, YNode], ...]:
    root = document.yaml
    if document.kind is Kind.ACTION:
        runs = root.get("runs") if root is not None else None
        return ((ACTION_JOB, runs),) if runs is not None and runs.is_mapping else ()
    section = root.get("jobs") if root is not None else None
    return tuple((name, job) for name, job in (section.items() if section is not None else []) if job.is_mapping)


def steps(job: YNode) -> Iterator[YNode]:
    """A job's steps in order, each step of a ``parallel:`` group in its place (the group itself is not a step).

    ``parallel:`` is GitHub's syntax for a group of ``run:``/``uses:`` steps run at once (workflow syntax,
    ``jobs.<job_id>.steps[*].parallel``); its steps run with the job's token and secrets like any other.
    """
    return iter(per_node(job, "_scaffold_github_steps", lambda: _steps(job)))


def _steps(job: YNode) -> tuple[YNode, ...]:
    found: list[YNode] = []
    section = job.get("steps")
    for step in section.elements() if section is not None else []:
        group = step.get("parallel") if step.is_mapping else None
        if group is not None and group.is_sequence:
            found += (inner for inner in group.elements() if inner.is_mapping)
        elif step.is_mapping:
            found.append(step)
    return tuple(found)


def is_action_runs(job: YNode) -> bool:
    """Whether a job from ``jobs`` is an action's ``runs:`` (it says which runtime it ``using:``; no job does)."""
    return job.get("using") is not None


def action_image(document: Document) -> tuple[YNode, str] | None:
    """A Docker action's registry image: the ``runs.image`` scalar and its reference without ``docker://``; None for
    an image built from the action's own Dockerfile and for anything but an action."""
    for _, runs in jobs(document) if document.kind is Kind.ACTION else ():
        image = runs.get("image")
        text = (image.text or "").strip() if image is not None else ""
        if image is not None and text.startswith("docker://") and text != "docker://":
            return image, text.removeprefix("docker://")
    return None


def triggers(document: Document) -> dict[str, YNode]:
    """The workflow's events by name, each with the node to report on."""
    root = document.yaml
    on = root.get("on") if root is not None else None
    if on is None:
        return {}
    if on.text is not None:
        return {on.text: on}
    if on.is_sequence:
        return {item.text: item for item in on.elements() if item.text is not None}
    return {name: key for key, _ in on.entries() if (name := key.text) is not None}


def action_name(uses: str) -> str:
    """``owner/repo[/path]`` without the ref, lowercased."""
    return uses.split("@", 1)[0].lower()


def action_steps(document: Document, action: str) -> Iterator[tuple[str, YNode]]:
    """(job name, step) for every step that uses ``action`` (``owner/repo[/path]``), at any ref."""
    for name, job in jobs(document):
        for step in steps(job):
            uses = step.get("uses")
            if uses is not None and uses.text is not None and action_name(uses.text) == action:
                yield name, step


def step_input(step: YNode, name: str) -> YNode | None:
    """The value of one ``with:`` input of a step."""
    options = step.get("with")
    return options.get(name) if options is not None else None


def pinned_ref(ref: str) -> bool:
    """Whether a ``uses:`` value is immutable: a local path (``./`` in the checkout, ``$/`` in the workflow's own
    repository at its own commit), a full commit SHA, or a docker image by digest."""
    if ref.startswith(("./", "$/")):
        return True
    return "@sha256:" in ref if ref.startswith("docker://") else bool(_SHA.search(ref))
