"""Which paths a kit may name: the shape every recorded or journaled path must have, and the paths a pack renders.

A path in ``.scaffold.yml`` or the upgrade journal is untrusted text. It is only ever used when it is a plain,
normalised, relative POSIX path with no ``.git`` component (in any case or spelling a case-insensitive or Windows
file system would take for ``.git``), and, before scaffold deletes a file that left the kit, when the pack's
manifest can render it.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # only named in annotations: the file writer (and so audit and harden) need not load pydantic
    from scaffold.kit.packs import Pack

MAX_PATH = 1024
"""Longest accepted path, in UTF-8 bytes."""
MAX_COMPONENT = 255
"""Longest accepted file or folder name, in UTF-8 bytes (the common file-system limit)."""
STAGING = ".scaffold-upgrade"


def problem(path: object) -> str | None:
    """Why ``path`` is not a plain relative path inside a kit, or None when it is one."""
    if not isinstance(path, str):
        return f"must be a text path, not a {type(path).__name__}"
    if not path:
        return "must not be empty"
    if len(path.encode("utf-8", "surrogatepass")) > MAX_PATH:
        return f"must be at most {MAX_PATH} bytes long"
    if any(unicodedata.category(char) in ("Cc", "Cs", "Zl", "Zp") for char in path):
        return "must not contain control characters or line breaks"
    if "\\" in path:
        return "must use '/' and contain no backslash"
    if path.startswith("/"):
        return "must be relative"
    for part in path.split("/"):
        reason = _component_problem(part)
        if reason:
            return reason
    return None


def _component_problem(part: str) -> str | None:
    if part in ("", "."):
        return "must be normalised (no empty or '.' component)"
    if part == "..":
        return "must not contain '..'"
    if len(part.encode("utf-8", "surrogatepass")) > MAX_COMPONENT:
        return f"must have names of at most {MAX_COMPONENT} bytes"
    if is_git_name(part):
        return "must not be or be under .git"
    if part.casefold() in (STAGING, STAGING + ".json"):
        return f"must not be {STAGING} or its journal"
    return None


def is_git_name(part: str) -> bool:
    """True for ``.git`` in any case, and the spellings Windows and macOS file systems also resolve to it."""
    folded = unicodedata.normalize("NFKC", part).casefold()
    folded = "".join(char for char in folded if unicodedata.category(char) != "Cf")  # HFS+ ignores these
    return folded.rstrip(". ") == ".git" or folded == "git~1"


@dataclass(frozen=True)
class KitPaths:
    """The output paths a pack can render, from its manifest: literal paths, and patterns for templated ones."""

    literal: frozenset[str]
    patterns: tuple[re.Pattern[str], ...]

    def renders(self, path: str) -> bool:
        return path in self.literal or any(pattern.fullmatch(path) for pattern in self.patterns)


_SEGMENT = r"[A-Za-z0-9_][A-Za-z0-9._-]{0,99}"  # what the 'path' filter lets through (render/quoting.py)


def kit_paths(pack: Pack) -> KitPaths:
    """Every path the pack's manifest can render, whatever the answers: ``when:`` is ignored, and each template
    expression in a path stands for one name (or, without the ``path`` filter, any text within one folder)."""
    delimiters = pack.manifest.delimiters
    pairs = [delimiters.variable, delimiters.block, delimiters.comment]
    opening = "|".join(re.escape(start) for start, _ in pairs)
    literal: set[str] = set()
    patterns: list[re.Pattern[str]] = []
    for entry in pack.manifest.files:
        if not re.search(opening, entry.path):
            literal.add(entry.path.strip("/").removeprefix("./"))
            continue
        patterns.append(re.compile(_pattern(entry.path, pairs)))
    return KitPaths(frozenset(literal), tuple(patterns))


def _pattern(template: str, pairs: list[tuple[str, str]]) -> str:
    out: list[str] = []
    position = 0
    while position < len(template):
        found = [(template.find(start, position), start, end) for start, end in pairs]
        found = [item for item in found if item[0] >= 0]
        if not found:
            out.append(re.escape(template[position:]))
            break
        index, start, end = min(found)
        out.append(re.escape(template[position:index]))
        close = template.find(end, index + len(start))
        if close < 0:
            out.append("[^/]*")
            break
        expression = template[index + len(start) : close]
        if (start, end) == pairs[0]:
            out.append(_SEGMENT if re.search(r"\|\s*path\s*$", expression.strip()) else "[^/]+")
        elif (start, end) == pairs[1]:
            out.append("[^/]*")
        position = close + len(end)
    return "".join(out)
