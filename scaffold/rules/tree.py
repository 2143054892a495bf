"""What a kit rule reads: every audited document of the repository, and the controls it must keep."""

from __future__ import annotations

from dataclasses import dataclass

from scaffold.rules.document import Document
from scaffold.rules.model import Hit, Kind
from scaffold.rules.requirements import NONE, Requirements


@dataclass(frozen=True)
class Tree:
    documents: tuple[Document, ...]
    required: Requirements = NONE

    def of(self, kind: Kind) -> list[Document]:
        """The documents of one kind, in path order."""
        return [document for document in self.documents if document.kind is kind]


@dataclass(frozen=True)
class Located:
    """A kit rule's hit and the document it is in. ``path`` names a file that does not exist when the control has
    no file to live in (no workflow at all); the hit is then on line 1."""

    path: str
    hit: Hit
