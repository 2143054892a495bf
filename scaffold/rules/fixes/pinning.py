"""What the pin fixes share: checking what the pin source gave, and the words of their messages.

Every fix that pins something asks ``scaffold.resolve.source.current()`` and never looks a SHA or digest up itself.
A ``Pinned`` becomes a safe fix whose message ends with ``(<version>; <provenance>)`` and the source's note; a
``Refused`` becomes a note ``<what>: <reason>; pin it by hand``. What the source says (a tag name, a reason) may
come from a remote server, so it is checked before it is written into a file and escaped before it is shown.
"""

from __future__ import annotations

import re

from yaml.nodes import ScalarNode

from scaffold.resolve.model import Pinned, Refused, Resolution
from scaffold.rules.document import Document
from scaffold.rules.fixes import yaml_edit
from scaffold.rules.fixes.model import Fix, Safety, TextEdit, Unfixable
from scaffold.rules.yaml_view import YNode
from scaffold.untrusted.text import printable

COMMIT = re.compile(r"[0-9a-f]{40}")
IMAGE_DIGEST = re.compile(r"sha256:[0-9a-f]{64}")
_COMMENT_SAFE = re.compile(r"[0-9A-Za-z][0-9A-Za-z._+/@-]{0,127}")
_REMOTE = re.compile(r"(?:https?|ssh|git)://[A-Za-z0-9_.~%:@\[\]-]*[A-Za-z0-9\]](?:[:/][^\s\\\x00-\x1f\x7f]*)?")
_LONGEST_URL = 2048  # before the patterns, which backtrack on long hostile input
_SCP_LIKE = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]*@[A-Za-z0-9][A-Za-z0-9.-]*:[A-Za-z0-9_.~/-]+")


def checked(resolution: Resolution, shape: re.Pattern[str], what: str) -> Pinned | Refused:
    """The resolution, with a ``Pinned`` whose value is not of ``shape`` (a 40-hex commit, a ``sha256:`` digest)
    turned into a ``Refused``: nothing malformed is ever written into a file."""
    if isinstance(resolution, Pinned) and not shape.fullmatch(resolution.value):
        return Refused(f"the pin source gave a malformed {what} ({printable(resolution.value, 80)})")
    return resolution


def outcome(pinned: Pinned) -> str:
    """`` (v1.2.3; live: git ls-remote ... at ...)`` and the source's note, for the end of a fix's message."""
    said = f" ({printable(pinned.version, 80)}; {printable(pinned.provenance, 300)})"
    return f"{said}; {printable(pinned.note, 300)}" if pinned.note else said


def pin_fix(line: int, what: str, pinned: Pinned, edits: tuple[TextEdit, ...], done: str) -> Fix:
    """The fix that writes a pin: ``<what>: <done>`` and where the pin came from.

    Writing the commit or digest a reference points to now does not change what runs, so the fix is safe; when the
    source stepped back to an earlier release (its ``note`` says why: the cooldown, the advisory list) it does, so
    the fix is unsafe and says so.
    """
    message = f"{what}: {done}{outcome(pinned)}"
    if pinned.note:
        risk = f"it pins {printable(pinned.version, 80)}, an earlier release than the one named now"
        return Fix(line, message, Safety.UNSAFE, edits, risk)
    return Fix(line, message, Safety.SAFE, edits)


def refused(line: int, what: str, refusal: Refused) -> Unfixable:
    """The note for a reference the source would not pin: ``<what>: <reason>; pin it by hand``."""
    return Unfixable(line, f"{what}: {printable(refusal.reason, 300)}; pin it by hand")


def comment_version(version: str) -> str | None:
    """The version as it may go into a comment beside the pin (``v1.2.3``), or None when it holds anything but
    plain version characters (a tag name from a remote server may hold a ``#``, quotes or a line break)."""
    return version if _COMMENT_SAFE.fullmatch(version) else None


def remote_problem(url: str) -> str | None:
    """Why a repository URL read from a file is not asked about, or None: only ``https``, ``http``, ``ssh`` and
    ``git`` URLs and scp-like ``user@host:path`` are; never ``ext::``, ``file://``, a local path or an option."""
    if len(url) <= _LONGEST_URL and (_REMOTE.fullmatch(url) or _SCP_LIKE.fullmatch(url)):
        return None
    return f"the repository {printable(url, 80)} is not an https, ssh or git URL"


def yaml_pin_edits(document: Document, node: YNode, value: str, comment: str | None) -> tuple[TextEdit, ...] | None:
    """Edits that write ``value`` in place of a one-line YAML scalar, in its own quotes (a plain scalar stays
    plain unless the value would read as a number), and ``comment`` after it when the rest of the line is empty or
    a comment (a ``# frozen:`` comment is replaced; another is kept after the new one). None for a block scalar."""
    style = node.node.style if isinstance(node.node, ScalarNode) else None
    if style in ("|", ">"):
        return None
    quote = style if style in ("'", '"') else ('"' if value.isdigit() else "")
    edit = yaml_edit.replace_scalar(document, node, f"{quote}{value}{quote}")
    if edit is None:
        return None
    rest = yaml_edit.trailing_text(document, node)
    if comment is None or (rest.strip() and not rest.lstrip().startswith("#")):
        return (edit,)
    end = node.node.end_mark.index
    if not rest.strip() or rest.lstrip().startswith("# frozen:"):
        return edit, TextEdit(end, end + len(rest), f"  # {comment}")
    return edit, TextEdit(end, end, f"  # {comment}")
