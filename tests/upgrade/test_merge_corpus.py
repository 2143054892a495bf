"""The structural merge on real CI files nobody here wrote: a user edit and a kit edit in different places of one
file merge without conflict, the result parses to both edits, and every comment of the user's file survives."""

from __future__ import annotations

import pytest
import yaml

from scaffold.upgrade.merge import merge_file
from scaffold.upgrade.yaml_tree import Block, parse
from tests.support.corpus import corpus_dir, corpus_files

CASES = [(kind, name) for kind in ("github", "gitlab", "precommit") for name in corpus_files(kind)]


class _Loader(yaml.SafeLoader):
    pass


_Loader.add_multi_constructor("!", lambda loader, suffix, node: None)


def _insert_key(text: str, block: Block, key: str) -> str:
    """Add ``key: scaffold-test`` as the last entry of a mapping block, at its indentation."""
    last = block.parts[-1]
    end = text.index(last.text) + len(last.text) if last.text in text else len(text)
    body = last.text.rstrip("\n")
    at = text.index(body, 0, end) + len(body) if body else end
    return text[:at] + "\n" + " " * block.column + f"{key}: scaffold-test" + text[at:]


def _first_nested_mapping(block: Block) -> Block | None:
    for part in block.parts:
        if part.child is not None and part.child.kind == "map":
            for inner in part.child.parts:
                if inner.child is not None and inner.child.kind == "map":
                    return inner.child
    return None


def _comments(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.strip().startswith("#")]


@pytest.mark.parametrize(("kind", "name"), CASES or [("github", "absent")])
def test_real_files_merge_a_user_and_a_kit_edit(kind: str, name: str) -> None:
    base = (corpus_dir() / kind / name).read_text()
    base = base.removesuffix("...\n")  # a document end marker would put the appended keys in a second document
    tree = parse(base)
    if tree is None:
        pytest.skip("no structure the splitter can place exactly (here: a duplicate key): merged by lines")
    nested = _first_nested_mapping(tree) or tree
    theirs = _insert_key(base, nested, "scaffold-kit-key")
    ours = "# a comment the user added\n" + _insert_key(base, tree, "scaffold-user-key")
    merged = merge_file(f"x/{name}.yml", base=base, ours=ours, theirs=theirs)
    assert merged.conflicts == 0
    text = merged.text_without_conflicts()
    expected = yaml.load(ours, Loader=_Loader)  # noqa: S506 - a SafeLoader subclass
    kit = yaml.load(theirs, Loader=_Loader)  # noqa: S506
    result = yaml.load(text, Loader=_Loader)  # noqa: S506
    assert result["scaffold-user-key"] == "scaffold-test"
    assert result == _with_kit_key(expected, kit)
    assert _comments(text) == _comments(ours)


def _with_kit_key(ours: object, theirs: object) -> object:
    """``ours`` plus wherever ``theirs`` holds scaffold-kit-key."""
    if isinstance(ours, dict) and isinstance(theirs, dict):
        merged = {key: _with_kit_key(value, theirs.get(key)) for key, value in ours.items()}
        if "scaffold-kit-key" in theirs:
            merged["scaffold-kit-key"] = theirs["scaffold-kit-key"]
        return merged
    return ours
