"""Three-way merge of YAML files as mappings of keys and lists of items, spliced as text.

Jobs, steps and keys are matched by identity (a key, a step's id, name or action), not by line position. A job
the user added and a job the kit added never conflict, and edits to different steps of one job merge cleanly. Text
comes from the user's file wherever the user's version wins, so comments, key order and formatting survive; text
that comes from the kit is re-indented to the user's indentation at that level. Only a part both sides changed
differently is merged line by line, and only a real overlap there is a conflict.
"""

from __future__ import annotations

from collections.abc import Hashable

import yaml

from scaffold.upgrade import yaml_tree
from scaffold.upgrade.line_merge import Conflict, Merged, Segment, merge_lines
from scaffold.upgrade.yaml_tree import Block, Part


def merge_yaml(base: str, ours: str, theirs: str) -> Merged | None:
    """The structural merge, or None when one of the versions has no structure to merge on."""
    newline = ours.endswith("\n") or not ours
    trees = [yaml_tree.parse(text) for text in (base, ours, theirs)]
    if trees[0] is None or trees[1] is None or trees[2] is None:
        return None
    segments = _merge_block(trees[0], trees[1], trees[2])
    merged = Merged(tuple(_coalesce(segments)))
    if not merged.conflicts:
        text = merged.text_without_conflicts()
        try:
            yaml_tree.check_parses(text)
        except yaml.YAMLError:
            return None
        if not newline and text.endswith("\n"):
            return Merged((text[:-1],))
    return merged


def _shift(text: str, delta: int) -> str:
    """Re-indent every line of a block by ``delta`` columns."""
    if delta == 0:
        return text
    lines = text.splitlines(keepends=True)
    if delta > 0:
        return "".join(" " * delta + line if line.strip() else line for line in lines)
    return "".join(line[min(-delta, len(line) - len(line.lstrip(" "))) :] for line in lines)


def _pick(base: str | None, ours: str | None, theirs: str | None) -> list[Segment]:
    """The classic three-way rule for one piece of text; a missing side is None."""
    if ours == theirs:
        return [ours or ""]
    if base == ours:
        return [theirs or ""]
    if base == theirs:
        return [ours or ""]
    if base is None or ours is None or theirs is None:
        if base is None and ours is not None and theirs is not None:
            return list(merge_lines("", ours, theirs).segments)
        return [Conflict(ours or "", base or "", theirs or "")]
    return list(merge_lines(base, ours, theirs).segments)


def _merge_part(base: Part, ours: Part, theirs: Part, base_delta: int, theirs_delta: int) -> list[Segment]:
    base_text, theirs_text = _shift(base.text, base_delta), _shift(theirs.text, theirs_delta)
    if ours.text == theirs_text or base_text in (ours.text, theirs_text):
        return _pick(base_text, ours.text, theirs_text)
    if (
        base.child is not None
        and ours.child is not None
        and theirs.child is not None
        and len({child.kind for child in (base.child, ours.child, theirs.child)}) == 1
        and len({part.first_key for part in (base, ours, theirs)}) == 1
    ):
        head = _pick(_shift(base.head, base_delta), ours.head, _shift(theirs.head, theirs_delta))
        return head + _merge_block(base.child, ours.child, theirs.child)
    return list(merge_lines(base_text, ours.text, theirs_text).segments)


def _merge_block(base: Block, ours: Block, theirs: Block) -> list[Segment]:
    if base.kind != ours.kind or ours.kind != theirs.kind:
        return _pick(_block_text(base), _block_text(ours), _block_text(theirs))
    base_delta, theirs_delta = ours.column - base.column, ours.column - theirs.column
    in_base = {part.key: part for part in base.parts}
    in_ours = {part.key: part for part in ours.parts}
    in_theirs = {part.key: part for part in theirs.parts}
    out: list[Segment] = _pick(base.header, ours.header, theirs.header)
    anchored = _anchor_new_parts(theirs, in_ours)

    def emit_new(anchor: Hashable | None) -> None:
        for key in anchored.get(anchor, []):
            kit_text = _shift(in_theirs[key].text, theirs_delta)
            if key not in in_base:
                out.append(kit_text)
                continue
            base_text = _shift(in_base[key].text, base_delta)
            if not _same(base_text, kit_text):  # the user deleted what the kit changed
                out.append(Conflict("", base_text, kit_text))

    emit_new(None)
    for part in ours.parts:
        key = part.key
        if key in in_theirs and key in in_base:
            out += _merge_part(in_base[key], part, in_theirs[key], base_delta, theirs_delta)
        elif key in in_theirs:
            out += _pick(None, part.text, _shift(in_theirs[key].text, theirs_delta))
        elif key in in_base:
            base_text = _shift(in_base[key].text, base_delta)
            if not _same(base_text, part.text):  # the kit removed what the user changed
                out.append(Conflict(part.text, base_text, ""))
        else:
            out.append(part.text)
        emit_new(key)
    return out + _pick(base.trailer, ours.trailer, theirs.trailer)


def _anchor_new_parts(theirs: Block, in_ours: dict[Hashable, Part]) -> dict[Hashable | None, list[Hashable]]:
    """Parts of the kit's block missing from the user's, grouped by the nearest earlier part both have."""
    anchored: dict[Hashable | None, list[Hashable]] = {}
    anchor: Hashable | None = None
    for part in theirs.parts:
        if part.key in in_ours:
            anchor = part.key
        else:
            anchored.setdefault(anchor, []).append(part.key)
    return anchored


def _same(left: str, right: str) -> bool:
    """Equal but for blank lines: a part one side deleted is not "changed" by the other's spacing."""
    return left == right or [line for line in left.splitlines() if line.strip()] == [
        line for line in right.splitlines() if line.strip()
    ]


def _block_text(block: Block) -> str:
    return block.header + "".join(part.text for part in block.parts) + block.trailer


def _coalesce(segments: list[Segment]) -> list[Segment]:
    """Join adjacent clean text so the result reads as alternating text and conflicts."""
    joined: list[Segment] = []
    for segment in segments:
        if isinstance(segment, str) and joined and isinstance(joined[-1], str):
            joined[-1] += segment
        elif segment != "":
            joined.append(segment)
    return joined
