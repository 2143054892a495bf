"""Digests for container images that ``harden`` may pin: the images in scaffold's pins file, matched by name and
tag however the reference spells the registry (``python:3.13`` is ``docker.io/library/python:3.13``)."""

from __future__ import annotations

from scaffold.kit.pins import ImagePin, load_pins
from scaffold.rules.document import Document
from scaffold.rules.fixes.model import Fix, Proposal, Safety, TextEdit, Unfixable
from scaffold.rules.yaml_view import YNode


def normalise(reference: str) -> str:
    """``registry/path:tag`` with Docker Hub's implicit registry and ``library/`` namespace written out."""
    first, _, rest = reference.partition("/")
    if not rest:
        return f"docker.io/library/{reference}"
    if "." not in first and ":" not in first and first != "localhost":
        return f"docker.io/{reference}"
    return reference


def lookup(reference: str) -> ImagePin | None:
    """The pin for an exact ``image:tag`` reference without a digest, or None (no tag means no match)."""
    if "@" in reference or "$" in reference:
        return None
    wanted = normalise(reference.strip().strip("'\"")).lower()
    for pin in load_pins().images.values():
        if f"{pin.image}:{pin.tag}".lower() == wanted:
            return pin
    return None


def pin_scalar(document: Document, node: YNode, reference: str, owner: str) -> Proposal:
    """The fix that adds the verified digest after an image reference held by a YAML scalar, or why it cannot.

    ``owner`` starts the messages (``job test: service db image``).
    """
    pin = lookup(reference)
    raw = document.text[node.node.start_mark.index : node.node.end_mark.index]
    if pin is None or raw.count(reference) != 1:
        why = (
            "is built from variables or expressions"
            if "$" in reference
            else "has no verified digest in scaffold's pins"
        )
        return Unfixable(node.line, f"{owner} {reference} {why}; pin it by digest by hand")
    end = node.node.start_mark.index + raw.index(reference) + len(reference)
    edit = TextEdit(end, end, "@" + pin.digest)
    return Fix(node.line, f"{owner} {reference}: add the digest {pin.digest}", Safety.SAFE, (edit,))
