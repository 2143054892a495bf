"""Digests for container images that ``harden`` may pin: the images in scaffold's pins file, matched by name and
tag however the reference spells the registry (``python:3.13`` is ``docker.io/library/python:3.13``)."""

from __future__ import annotations

from scaffold.pins import ImagePin, load_pins


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
