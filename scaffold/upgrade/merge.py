"""Choose how to merge one file: by structure for YAML, by lines for everything else.

The user's line endings win: when every line of the user's file ends in CRLF, the three versions are merged with
LF endings and the result (clean text and both sides of each conflict) is written back with CRLF, so a kit change
merges into a CRLF file without a whole-file conflict and without turning it into LF.
"""

from __future__ import annotations

from scaffold.upgrade.line_merge import Conflict, Merged, Segment, merge_lines
from scaffold.upgrade.yaml_merge import merge_yaml

_YAML_SUFFIXES = (".yml", ".yaml")


def merge_file(path: str, *, base: str, ours: str, theirs: str) -> Merged:
    """Three-way merge of one file's text: ``ours`` is the repository's, ``theirs`` the new render's."""
    if uses_crlf(ours) and not uses_crlf(theirs):
        lf = _merge(path, base=to_lf(base), ours=to_lf(ours), theirs=to_lf(theirs))
        return Merged(tuple(_crlf_segment(segment) for segment in lf.segments))
    return _merge(path, base=base, ours=ours, theirs=theirs)


def _merge(path: str, *, base: str, ours: str, theirs: str) -> Merged:
    if ours == theirs or base == theirs:
        return Merged((ours,))
    if base == ours:
        return Merged((theirs,))
    if path.endswith(_YAML_SUFFIXES):
        structured = merge_yaml(base, ours, theirs)
        if structured is not None:
            return structured
    return merge_lines(base, ours, theirs)


def uses_crlf(text: str) -> bool:
    """True when the text has line breaks and every one of them is CRLF."""
    breaks = text.count("\n")
    return breaks > 0 and text.count("\r\n") == breaks


def to_lf(text: str) -> str:
    return text.replace("\r\n", "\n")


def to_crlf(text: str) -> str:
    return to_lf(text).replace("\n", "\r\n")


def _crlf_segment(segment: Segment) -> Segment:
    if isinstance(segment, str):
        return to_crlf(segment)
    return Conflict(to_crlf(segment.ours), to_crlf(segment.base), to_crlf(segment.theirs))
