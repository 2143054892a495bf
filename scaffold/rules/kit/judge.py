"""The shape of a kit judge and the helpers every platform's judges share.

A judge reads the documents of one platform (all workflows, the ``.gitlab-ci.yml``, the Jenkinsfiles) and yields
where a required control is absent or switched off. When the platform has no file at all, the control is absent
from the file the kit keeps it in (``KIT_FILES``), reported on line 1.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

from scaffold.rules.document import Document
from scaffold.rules.model import Hit, Kind
from scaffold.rules.tree import Located

JudgeCheck = Callable[[list[Document]], Iterable[Located]]

KIT_FILES: dict[Kind, str] = {
    Kind.WORKFLOW: ".github/workflows/ci.yml",
    Kind.GITLAB_CI: ".gitlab-ci.yml",
    Kind.JENKINSFILE: "Jenkinsfile",
}


@dataclass(frozen=True)
class Judge:
    """How one platform's files show one control: ``check`` finds where it is missing or weakened; ``bad`` and
    ``good`` are short examples for the rule's documentation."""

    check: JudgeCheck
    bad: str
    good: str


def at(document: Document, line: int, column: int, message: str, subject: str = "") -> Located:
    return Located(document.path, Hit(line, column, message, subject))


def absent(documents: list[Document], kind: Kind, message: str, subject: str = "") -> Iterator[Located]:
    """The control is nowhere in the platform's files: report it on line 1 of the first (or the kit's) file."""
    path = documents[0].path if documents else KIT_FILES[kind]
    yield Located(path, Hit(1, 1, message, subject or message))
