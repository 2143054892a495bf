"""Check that a Jenkinsfile keeps the shape of a declarative pipeline, on the statements of the one Groovy reader.

Jenkins itself validates this when it loads the file; this check lets the test suite catch the same mistakes on a
rendered kit without a Jenkins controller. It follows the documented declarative syntax
(https://www.jenkins.io/doc/book/pipeline/syntax/) for the sections and directives a generated kit may use.
"""

from __future__ import annotations

import re

from scaffold.rules.jenkins.groovy import GroovyNestingError, Source, Statement

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
        source = Source(text)
    except GroovyNestingError as error:
        return [f"syntax error: {error}"]
    if source.problems:
        return [f"syntax error: line {source.position(offset)[0]}: {what}" for offset, what in source.problems]
    return _Checker(source).problems()


class _Checker:
    """The declarative rules over the reader's statements, collecting problems with their lines."""

    def __init__(self, source: Source) -> None:
        self.source = source
        self.found: list[str] = []

    def problems(self) -> list[str]:
        top = self.source.top
        if len(top) != 1:
            self.found.append(f"expected exactly one top-level statement, found {len(top)}")
        for statement in top:
            if statement.head == "pipeline" and statement.block is not None:
                self._pipeline(statement)
            else:
                self._add(statement, f"top-level statement is not 'pipeline {{ ... }}': {self._spelled(statement)}")
        return self.found

    def _add(self, statement: Statement, what: str) -> None:
        self.found.append(f"line {self.source.position(statement.start)[0]}: {what}")

    def _spelled(self, statement: Statement) -> str:
        return self.source.spelled(statement)

    def _children(self, statement: Statement) -> list[Statement]:
        return statement.block.statements if statement.block is not None else []

    def _find(self, statement: Statement, name: str) -> list[Statement]:
        return [child for child in self._children(statement) if child.name == name]

    def _pipeline(self, pipeline: Statement) -> None:
        self._directives(pipeline, PIPELINE_SECTIONS, "pipeline")
        if not self._find(pipeline, "agent"):
            self._add(pipeline, "pipeline has no 'agent' directive")
        if not self._find(pipeline, "stages"):
            self._add(pipeline, "pipeline has no 'stages' section")
        self._sections(pipeline)

    def _directives(self, container: Statement, allowed: frozenset[str], where: str) -> None:
        """Every child is an allowed directive that appears once."""
        seen: set[str] = set()
        for child in self._children(container):
            if child.name not in allowed:
                self._add(child, f"'{child.name or self._spelled(child)}' is not allowed in {where}")
            elif child.name in seen:
                self._add(child, f"'{child.name}' appears more than once in {where}")
            seen.add(child.name)

    def _sections(self, container: Statement) -> None:
        """Check the stages, post, options and when sections of a pipeline or a stage."""
        for stages in self._find(container, "stages") + self._find(container, "parallel"):
            self._stages(stages)
        for post in self._find(container, "post"):
            for condition in self._children(post):
                if condition.name not in POST_CONDITIONS:
                    self._add(condition, f"unknown post condition '{condition.name or self._spelled(condition)}'")
        for options in self._find(container, "options"):
            for entry in self._children(options):
                if not _CALL.match(entry.head):
                    self._add(entry, f"options entry is not a call: {self._spelled(entry)}")
        for when in self._find(container, "when"):
            self._when(when)

    def _stages(self, container: Statement) -> None:
        """A stages or parallel block: one or more stage('name') { ... } blocks."""
        if not self._children(container):
            self._add(container, f"'{container.name}' has no stages")
        for child in self._children(container):
            if child.name == "stage" and child.block is not None:
                self._stage(child)
            else:
                found = self._spelled(child)
                self._add(child, f"'{container.name}' may only hold stage(...) blocks, found: {found}")

    def _stage(self, stage: Statement) -> None:
        match = _STAGE_HEAD.fullmatch(self._spelled(stage))
        if match:
            where = f"stage '{match.group(1)}'"
        else:
            where = self._spelled(stage)
            self._add(stage, f"stage name is not a single-quoted string literal: {where}")
        self._directives(stage, STAGE_DIRECTIVES, where)
        bodies = [child.name for child in self._children(stage) if child.name in STAGE_BODIES]
        if len(bodies) != 1:
            found = ", ".join(bodies) or "none"
            self._add(stage, f"{where} must hold exactly one of steps, parallel, stages, matrix; found {found}")
        self._sections(stage)

    def _when(self, when: Statement) -> None:
        pending = [when]
        while pending:
            for condition in self._children(pending.pop()):
                if condition.name not in WHEN_CONDITIONS:
                    self._add(condition, f"unknown when condition '{condition.name or self._spelled(condition)}'")
                elif condition.name in WHEN_NESTING:
                    pending.append(condition)
