"""Check that a Jenkinsfile keeps the shape of a declarative pipeline, by parsing it.

Jenkins itself validates this when it loads the file; this check lets the test suite catch the same mistakes on a
rendered kit without a Jenkins controller. It follows the documented declarative syntax
(https://www.jenkins.io/doc/book/pipeline/syntax/) for the sections and directives a generated kit may use.
"""

from __future__ import annotations

import re

from scaffold.parsers.jenkinsfile import JenkinsfileSyntaxError, Node, parse

PIPELINE_SECTIONS = frozenset(
    {
        "agent",
        "stages",
        "post",
        "environment",
        "options",
        "parameters",
        "triggers",
        "tools",
        "input",
        "when",
        "libraries",
    }
)
STAGE_DIRECTIVES = frozenset(
    {
        "agent",
        "environment",
        "input",
        "options",
        "post",
        "steps",
        "parallel",
        "stages",
        "tools",
        "when",
        "failFast",
        "matrix",
    }
)
STAGE_BODIES = ("steps", "parallel", "stages", "matrix")
POST_CONDITIONS = frozenset(
    {"always", "changed", "fixed", "regression", "aborted", "failure", "success", "unstable", "unsuccessful", "cleanup"}
)
WHEN_CONDITIONS = frozenset(
    {
        "branch",
        "buildingTag",
        "tag",
        "changeRequest",
        "environment",
        "expression",
        "not",
        "allOf",
        "anyOf",
        "beforeAgent",
        "beforeInput",
        "beforeOptions",
        "triggeredBy",
        "changeset",
        "equals",
    }
)
WHEN_NESTING = frozenset({"not", "allOf", "anyOf"})

_STAGE_HEAD = re.compile(r"stage\s*\(\s*'((?:[^'\\]|\\.)*)'\s*\)")
_CALL = re.compile(r"[A-Za-z_$][\w$]*\s*\(")


def declarative_problems(text: str) -> list[str]:
    """Human-readable problems with the declarative structure of a Jenkinsfile; an empty list means none."""
    try:
        root = parse(text)
    except JenkinsfileSyntaxError as error:
        return [f"syntax error: {error}"]
    problems: list[str] = []
    if len(root.children) != 1:
        problems.append(f"expected exactly one top-level statement, found {len(root.children)}")
    for node in root.children:
        if node.head == "pipeline" and node.has_block:
            _pipeline(node, problems)
        else:
            problems.append(f"line {node.line}: top-level statement is not 'pipeline {{ ... }}': {node.head}")
    return problems


def _pipeline(pipeline: Node, problems: list[str]) -> None:
    _directives(pipeline, PIPELINE_SECTIONS, "pipeline", problems)
    if not pipeline.find("agent"):
        problems.append(f"line {pipeline.line}: pipeline has no 'agent' directive")
    if not pipeline.find("stages"):
        problems.append(f"line {pipeline.line}: pipeline has no 'stages' section")
    _sections(pipeline, problems)


def _directives(container: Node, allowed: frozenset[str], where: str, problems: list[str]) -> None:
    """Every child is an allowed directive that appears once."""
    seen: set[str] = set()
    for child in container.children:
        if child.name not in allowed:
            problems.append(f"line {child.line}: '{child.name or child.head}' is not allowed in {where}")
        elif child.name in seen:
            problems.append(f"line {child.line}: '{child.name}' appears more than once in {where}")
        seen.add(child.name)


def _sections(container: Node, problems: list[str]) -> None:
    """Check the stages, post, options and when sections of a pipeline or a stage."""
    for stages in container.find("stages") + container.find("parallel"):
        _stages(stages, problems)
    for post in container.find("post"):
        for condition in post.children:
            if condition.name not in POST_CONDITIONS:
                problems.append(f"line {condition.line}: unknown post condition '{condition.name or condition.head}'")
    for options in container.find("options"):
        for entry in options.children:
            if not _CALL.match(entry.head):
                problems.append(f"line {entry.line}: options entry is not a call: {entry.head}")
    for when in container.find("when"):
        _when(when, problems)


def _stages(container: Node, problems: list[str]) -> None:
    """A stages or parallel block: one or more stage('name') { ... } blocks."""
    if not container.children:
        problems.append(f"line {container.line}: '{container.name}' has no stages")
    for child in container.children:
        if child.name == "stage" and child.has_block:
            _stage(child, problems)
        else:
            found = child.head
            problems.append(f"line {child.line}: '{container.name}' may only hold stage(...) blocks, found: {found}")


def _stage(stage: Node, problems: list[str]) -> None:
    match = _STAGE_HEAD.fullmatch(stage.head)
    if match:
        where = f"stage '{match.group(1)}'"
    else:
        where = stage.head
        problems.append(f"line {stage.line}: stage name is not a single-quoted string literal: {stage.head}")
    _directives(stage, STAGE_DIRECTIVES, where, problems)
    bodies = [child.name for child in stage.children if child.name in STAGE_BODIES]
    if len(bodies) != 1:
        found = ", ".join(bodies) or "none"
        problems.append(
            f"line {stage.line}: {where} must hold exactly one of steps, parallel, stages, matrix; found {found}"
        )
    _sections(stage, problems)


def _when(when: Node, problems: list[str]) -> None:
    for condition in when.children:
        if condition.name not in WHEN_CONDITIONS:
            problems.append(f"line {condition.line}: unknown when condition '{condition.name or condition.head}'")
        elif condition.name in WHEN_NESTING:
            _when(condition, problems)
