"""Choose how to merge one file: by structure for YAML, by lines for everything else."""

from __future__ import annotations

from scaffold.upgrade.line_merge import Merged, merge_lines
from scaffold.upgrade.yaml_merge import merge_yaml

_YAML_SUFFIXES = (".yml", ".yaml")


def merge_file(path: str, *, base: str, ours: str, theirs: str) -> Merged:
    """Three-way merge of one file's text: ``ours`` is the repository's, ``theirs`` the new render's."""
    if ours == theirs or base == theirs:
        return Merged((ours,))
    if base == ours:
        return Merged((theirs,))
    if path.endswith(_YAML_SUFFIXES):
        structured = merge_yaml(base, ours, theirs)
        if structured is not None:
            return structured
    return merge_lines(base, ours, theirs)
