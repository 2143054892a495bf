"""Digests for container images that ``harden`` pins, asked of the run's pin source (``scaffold.resolve.source``):
the shipped ``scaffold/pins.yml`` by default, a registry when the user allows it. References are matched by name
and tag however they spell the registry (``python:3.13`` is ``docker.io/library/python:3.13``)."""

from __future__ import annotations

import re

from scaffold.kit.pins import ImagePin, load_pins
from scaffold.resolve.model import Pinned, Refused
from scaffold.rules.document import Document
from scaffold.rules.fixes.model import Fix, Proposal, TextEdit, Unfixable
from scaffold.rules.fixes.pinning import IMAGE_DIGEST, checked, pin_fix, refused
from scaffold.rules.yaml_view import YNode
from scaffold.untrusted.text import printable

_PATH_PART = r"[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*"
_REFERENCE = re.compile(
    rf"(?:[A-Za-z0-9](?:[A-Za-z0-9.-]{{0,253}}[A-Za-z0-9])?(?::[0-9]{{1,5}})?/)?{_PATH_PART}(?:/{_PATH_PART})*"
    r"(?::[A-Za-z0-9_][A-Za-z0-9_.-]{0,127})?"
)
_LONGEST = 512


def normalise(reference: str) -> str:
    """``registry/path:tag`` with Docker Hub's implicit registry and ``library/`` namespace written out."""
    first, _, rest = reference.partition("/")
    if not rest:
        return f"docker.io/library/{reference}"
    if "." not in first and ":" not in first and first != "localhost":
        return f"docker.io/{reference}"
    return reference


def lookup(reference: str) -> ImagePin | None:
    """The shipped pin for an exact ``image:tag`` reference without a digest, or None (no tag means no match)."""
    if "@" in reference or "$" in reference:
        return None
    wanted = normalise(reference.strip().strip("'\"")).lower()
    for pin in load_pins().images.values():
        if f"{pin.image}:{pin.tag}".lower() == wanted:
            return pin
    return None


def unpinnable(reference: str) -> str | None:
    """Why a reference is not asked about (built from variables, a digest in another form, not an image name),
    or None when the pin source may be asked for its digest."""
    if "${{" in reference:
        return "chosen by an expression, known only when the workflow runs"
    if "$" in reference:
        return "built from variables, known only when the pipeline runs"
    if "@" in reference:
        return "a digest in a form scaffold does not read (it expects @sha256: and 64 hex digits)"
    if len(reference) > _LONGEST or not _REFERENCE.fullmatch(reference):
        return "not an image reference scaffold can read"
    return None


def resolve(reference: str) -> Pinned | Refused:
    """The digest the run's pin source gives for ``reference``, checked to be a ``sha256:`` digest."""
    from scaffold.resolve.source import current

    why = unpinnable(reference)
    if why is not None:
        return Refused(why)
    return checked(current().image(reference), IMAGE_DIGEST, "digest")


def digest_fix(line: int, what: str, offset: int, pinned: Pinned) -> Fix:
    """The fix that writes ``@<digest>`` at ``offset`` (just after the tag, which stays for readers)."""
    edit = TextEdit(offset, offset, "@" + pinned.value)
    return pin_fix(line, what, pinned, (edit,), f"add the digest {pinned.value}")


def pin_scalar(document: Document, node: YNode, reference: str, owner: str) -> Proposal:
    """The fix that adds the digest after an image reference held by a YAML scalar, or the note saying why not.

    ``owner`` starts the messages (``job test: service db image``).
    """
    what = f"{owner} {printable(reference, 120)}"
    raw = document.text[node.node.start_mark.index : node.node.end_mark.index]
    if unpinnable(reference) is None and raw.count(reference) != 1:
        return Unfixable(node.line, f"{what}: written with escapes or more than once in its value; pin it by hand")
    resolution = resolve(reference)
    if isinstance(resolution, Refused):
        return refused(node.line, what, resolution)
    end = node.node.start_mark.index + raw.index(reference) + len(reference)
    return digest_fix(node.line, what, end, resolution)
