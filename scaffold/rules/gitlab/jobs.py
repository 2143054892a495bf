"""Shared reading of job settings for the rules: a job's value for a key, with ``extends:`` and ``default:``
(honouring ``inherit:default``) taken into account.

Nothing here raises on odd shapes: a key that holds the wrong kind of node reads as absent.
"""

from __future__ import annotations

from dataclasses import dataclass

from scaffold.rules.gitlab.pipeline import Job, Pipeline, get, resolve, text
from scaffold.rules.yaml_view import YNode


def external_includes(top: YNode | None) -> bool:
    """Whether the file includes other configuration that could hold ``default:`` or templates: any ``include:``
    entry other than a GitLab ``template:`` (those define jobs and variables only). Read once per file and kept
    on its top node: every job's every setting asks, and a file may have thousands of both."""
    if top is None:
        return False
    cached: bool | None = top.node.__dict__.get(_EXTERNAL)
    if cached is None:
        cached = _any_external_include(top)
        top.node.__dict__[_EXTERNAL] = cached
    return cached


_EXTERNAL = "_scaffold_gitlab_external_includes"


def _any_external_include(top: YNode) -> bool:
    section = resolve(top, get(top, "include"))
    if section is None:
        return False
    entries = section.elements() if section.is_sequence else [section]
    return any(not (entry.is_mapping and get(entry, "template") is not None) for entry in entries)


@dataclass(frozen=True)
class Setting:
    """A job's value for a key: ``value`` (None when unset), where it came from (``own``, ``extends`` or
    ``default``), and whether every place that could set it is in this file."""

    value: YNode | None
    origin: str
    known: bool


def setting(pipeline: Pipeline, job: Job, key: str) -> Setting:
    """The job's value for a ``default:``-able key: its own, through ``extends:``, then from ``default:`` unless
    ``inherit:default`` turns that off for the key."""
    value, known = pipeline.lookup(job, key)
    if value is not None:
        return Setting(value, "own" if get(job.node, key) is not None else "extends", known)
    if not inherits_default(pipeline, job, key):
        return Setting(None, "", known)
    default = resolve(pipeline.top, get(pipeline.top, "default"))
    found = resolve(pipeline.top, get(default, key))
    if found is not None:
        return Setting(found, "default", True)
    return Setting(None, "", known and not external_includes(pipeline.top))


def inherits_default(pipeline: Pipeline, job: Job, key: str) -> bool:
    inherit, _ = pipeline.lookup(job, "inherit")
    choice = get(resolve(pipeline.top, inherit), "default")
    if choice is None:
        return True
    if choice.text is not None:
        return choice.text.strip().lower() != "false"
    return any(text(item) == key for item in choice.elements())


def variable(pipeline: Pipeline, job: Job, name: str) -> YNode | None:
    """The value the file gives CI variable ``name`` for the job: from the ``variables:`` of the job and its
    templates (nearest first), then of the top level; None when this file does not set it."""
    members, _ = pipeline.lineage(job)
    for holder in [*(member.node for member in members), pipeline.top]:
        block = resolve(pipeline.top, get(holder, "variables"))
        value = _variable_value(block.get(name)) if block is not None and block.is_mapping and name != "<<" else None
        if value is not None:
            return value
    return None


def _variable_value(value: YNode | None) -> YNode | None:
    """What ``variables`` gives for an entry's value, looked up by name (the top-level block may be long, and every
    job asks): a scalar, or the ``value:`` of ``NAME: {value: ...}``; None for anything else."""
    if value is None:
        return None
    if value.is_mapping:
        inner = value.get("value")
        return inner if inner is not None and inner.text is not None else None
    return value if value.text is not None else None
