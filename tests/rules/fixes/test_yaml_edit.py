"""scaffold.rules.fixes.yaml_edit: adding keys to block mappings and replacing scalars in YAML text, located by the
parsed node positions, without re-dumping anything."""

from __future__ import annotations

import pytest
import yaml

from scaffold.rules.document import Document
from scaffold.rules.fixes import yaml_edit
from scaffold.rules.fixes.edits import apply
from scaffold.rules.kinds import classify
from scaffold.rules.yaml_view import YNode

WORKFLOW = ".github/workflows/ci.yml"


def _document(text: str, path: str = WORKFLOW) -> Document:
    kind = classify(path)
    assert kind is not None
    return Document(path, kind, text)


def _node(document: Document, *path: str | int) -> YNode:
    node = document.yaml
    assert node is not None
    for part in path:
        found = node.elements()[part] if isinstance(part, int) else node.get(part)
        assert found is not None, f"no {part!r} in the document"
        node = found
    return node


def _append(text: str, path: tuple[str | int, ...], lines: list[str]) -> str:
    document = _document(text)
    edit = yaml_edit.append_entry(document, _node(document, *path), lines)
    assert edit is not None
    return apply(text, [edit])


# append_entry -------------------------------------------------------------------------------------------------


def test_append_entry_adds_the_last_key_of_a_block_mapping_before_the_next_sibling() -> None:
    text = "a:\n  b: 1\n  c: 2\nd: 3\n"
    assert _append(text, ("a",), ["x: 1"]) == "a:\n  b: 1\n  c: 2\n  x: 1\nd: 3\n"


def test_append_entry_to_the_last_mapping_of_the_file() -> None:
    text = "a: 0\nb:\n  c: 2\n"
    assert _append(text, ("b",), ["x: 1"]) == "a: 0\nb:\n  c: 2\n  x: 1\n"


def test_append_entry_keeps_relative_indentation_of_nested_lines() -> None:
    text = "a:\n  b: 1\nd: 3\n"
    assert _append(text, ("a",), ["x:", "  y: 1", "  z: 2"]) == "a:\n  b: 1\n  x:\n    y: 1\n    z: 2\nd: 3\n"


def test_append_entry_to_a_list_item_mapping_followed_by_a_sibling_item() -> None:
    text = "steps:\n  - uses: a\n    name: first\n  - run: b\n"
    expected = "steps:\n  - uses: a\n    name: first\n    with: {}\n  - run: b\n"
    assert _append(text, ("steps", 0), ["with: {}"]) == expected


def test_append_entry_to_a_list_item_of_an_unindented_list() -> None:
    text = "steps:\n- uses: a\n  name: first\n- run: b\n"
    expected = "steps:\n- uses: a\n  name: first\n  x: 1\n- run: b\n"
    assert _append(text, ("steps", 0), ["x: 1"]) == expected


def test_append_entry_to_a_list_item_whose_first_key_is_the_only_one() -> None:
    text = "steps:\n  - uses: a\n  - run: b\n"
    expected = "steps:\n  - uses: a\n    with:\n      k: v\n  - run: b\n"
    assert _append(text, ("steps", 0), ["with:", "  k: v"]) == expected


def test_append_entry_goes_before_blank_lines_and_comments_that_precede_the_next_item() -> None:
    text = "steps:\n  - uses: a\n    name: first\n\n  # the second step\n  - run: b\n"
    expected = "steps:\n  - uses: a\n    name: first\n    x: 1\n\n  # the second step\n  - run: b\n"
    assert _append(text, ("steps", 0), ["x: 1"]) == expected


def test_append_entry_goes_before_a_comment_at_a_lower_indent_after_the_mapping() -> None:
    text = "a:\n  b: 1\n  c: 2\n# about d\n\nd: 3\n"
    assert _append(text, ("a",), ["x: 1"]) == "a:\n  b: 1\n  c: 2\n  x: 1\n# about d\n\nd: 3\n"


def test_append_entry_goes_before_a_comment_at_the_key_column_after_the_mapping() -> None:
    text = "a:\n  b: 1\n  # trailing note\nd: 3\n"
    assert _append(text, ("a",), ["x: 1"]) == "a:\n  b: 1\n  x: 1\n  # trailing note\nd: 3\n"


def test_append_entry_goes_before_blank_lines_after_the_mapping() -> None:
    text = "a:\n  b: 1\n\n\nc: 2\n"
    assert _append(text, ("a",), ["x: 1"]) == "a:\n  b: 1\n  x: 1\n\n\nc: 2\n"


def test_append_entry_keeps_a_hash_line_of_a_block_scalar_inside_the_scalar() -> None:
    text = "a:\n  b: |\n    text\n    # part of the text\nc: 1\n"
    after = _append(text, ("a",), ["x: 1"])
    assert after == "a:\n  b: |\n    text\n    # part of the text\n  x: 1\nc: 1\n"
    assert yaml.safe_load(after) == {"a": {"b": "text\n# part of the text\n", "x": 1}, "c": 1}


def test_append_entry_after_a_block_scalar_followed_by_a_blank_line() -> None:
    text = "a:\n  b: |\n    text\n\nc: 1\n"
    after = _append(text, ("a",), ["x: 1"])
    assert after == "a:\n  b: |\n    text\n  x: 1\n\nc: 1\n"
    assert yaml.safe_load(after)["a"] == {"b": "text\n", "x": 1}


def test_append_entry_after_a_keep_chomped_block_scalar_keeps_its_value() -> None:
    text = "a:\n  b: |+\n    text\n\nc: 1\n"
    after = _append(text, ("a",), ["x: 1"])
    assert yaml.safe_load(after) == {"a": {"b": "text\n\n", "x": 1}, "c": 1}


def test_append_entry_in_a_file_without_a_trailing_newline_starts_a_new_line() -> None:
    text = "a:\n  b: 1\n  c: 2"
    assert _append(text, ("a",), ["x: 1"]) == "a:\n  b: 1\n  c: 2\n  x: 1\n"


def test_append_entry_to_a_list_item_in_a_file_without_a_trailing_newline() -> None:
    text = "steps:\n  - uses: a\n    name: n"
    assert _append(text, ("steps", 0), ["x: 1"]) == "steps:\n  - uses: a\n    name: n\n    x: 1\n"


def test_append_entry_in_a_crlf_file_without_a_trailing_newline_uses_crlf() -> None:
    text = "a:\r\n  b: 1"
    assert _append(text, ("a",), ["x: 1"]) == "a:\r\n  b: 1\r\n  x: 1\r\n"


def test_append_entry_uses_the_files_crlf_line_endings() -> None:
    text = "a:\r\n  b: 1\r\nc: 2\r\n"
    assert _append(text, ("a",), ["x: 1", "y: 2"]) == "a:\r\n  b: 1\r\n  x: 1\r\n  y: 2\r\nc: 2\r\n"


def test_append_entry_keeps_a_comment_after_the_file_end_without_newline() -> None:
    text = "a:\n  b: 1\n# end"
    assert _append(text, ("a",), ["x: 1"]) == "a:\n  b: 1\n  x: 1\n# end"


@pytest.mark.parametrize(
    "text", ["a: {b: 1}\n", "a: {}\n", "a:\n  {b: 1, c: 2}\n"], ids=["flow", "empty-flow", "flow-on-next-line"]
)
def test_append_entry_to_a_flow_mapping_is_none(text: str) -> None:
    document = _document(text)
    assert yaml_edit.append_entry(document, _node(document, "a"), ["x: 1"]) is None


@pytest.mark.parametrize("text", ["a: [1, 2]\n", "a: scalar\n", "a:\n  - 1\n"])
def test_append_entry_to_something_not_a_mapping_is_none(text: str) -> None:
    document = _document(text)
    assert yaml_edit.append_entry(document, _node(document, "a"), ["x: 1"]) is None


def test_is_block_mapping() -> None:
    document = _document("a:\n  b: 1\nc: {d: 1}\ne: {}\nf: [1]\n")
    assert yaml_edit.is_block_mapping(_node(document, "a"))
    assert not yaml_edit.is_block_mapping(_node(document, "c"))
    assert not yaml_edit.is_block_mapping(_node(document, "e"))
    assert not yaml_edit.is_block_mapping(_node(document, "f"))


def test_key_column_of_a_list_item_mapping() -> None:
    document = _document("steps:\n  - uses: a\n    name: b\n")
    assert yaml_edit.key_column(_node(document, "steps", 0)) == 4


# insert_before_key --------------------------------------------------------------------------------------------


def test_insert_before_key_goes_above_the_key_at_its_column() -> None:
    text = "on: push\njobs:\n  test:\n    runs-on: x\n    steps:\n      - run: make\n"
    document = _document(text)
    key = _node(document, "jobs", "test").key("steps")
    assert key is not None
    edit = yaml_edit.insert_before_key(document, key, ["timeout-minutes: 60", "env:", "  A: b"])
    assert edit is not None
    assert apply(text, [edit]) == (
        "on: push\njobs:\n  test:\n    runs-on: x\n"
        "    timeout-minutes: 60\n    env:\n      A: b\n"
        "    steps:\n      - run: make\n"
    )


def test_insert_before_a_key_goes_above_the_blank_lines_and_comments_that_lead_up_to_it() -> None:
    text = "on: push\n\n# the work\njobs:\n  test:\n    runs-on: x\n"
    document = _document(text)
    root = document.yaml
    assert root is not None
    key = root.key("jobs")
    assert key is not None
    edit = yaml_edit.insert_before_key(document, key, ["permissions: {}"])
    assert edit is not None
    assert apply(text, [edit]) == "on: push\n\npermissions: {}\n\n# the work\njobs:\n  test:\n    runs-on: x\n"


def test_insert_before_a_key_leaves_the_trailing_blank_lines_of_a_keep_chomped_scalar_in_it() -> None:
    text = "job:\n  script: |+\n    make\n\n  steps: []\n"
    document = _document(text)
    job = _node(document, "job")
    key = job.key("steps")
    assert key is not None
    edit = yaml_edit.insert_before_key(document, key, ["timeout: 5"])
    assert edit is not None
    after = apply(text, [edit])
    assert after == "job:\n  script: |+\n    make\n\n  timeout: 5\n  steps: []\n"
    assert yaml.safe_load(after)["job"]["script"] == "make\n\n"


def test_insert_before_key_in_a_crlf_file() -> None:
    text = "on: push\r\njobs:\r\n  t:\r\n    runs-on: x\r\n"
    document = _document(text)
    root = document.yaml
    assert root is not None
    key = root.key("jobs")
    assert key is not None
    edit = yaml_edit.insert_before_key(document, key, ["a:", "  b: c"])
    assert edit is not None
    assert apply(text, [edit]) == "on: push\r\na:\r\n  b: c\r\njobs:\r\n  t:\r\n    runs-on: x\r\n"


def test_insert_before_a_key_that_shares_its_line_with_a_dash_is_none() -> None:
    document = _document("steps:\n  - run: make\n    name: n\n")
    step = _node(document, "steps", 0)
    run = step.key("run")
    name = step.key("name")
    assert run is not None
    assert name is not None
    assert yaml_edit.insert_before_key(document, run, ["x: 1"]) is None
    edit = yaml_edit.insert_before_key(document, name, ["x: 1"])
    assert edit is not None
    assert apply(document.text, [edit]) == "steps:\n  - run: make\n    x: 1\n    name: n\n"


def test_insert_before_a_key_inside_a_flow_mapping_is_none() -> None:
    document = _document("a: {b: 1, c: 2}\n")
    key = _node(document, "a").key("c")
    assert key is not None
    assert yaml_edit.insert_before_key(document, key, ["x: 1"]) is None


# replace_scalar, trailing_text --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("p: write-all # note\n", "p: {contents: read} # note\n"),
        ("p: 'write-all'\n", "p: {contents: read}\n"),
        ('p: "write-all"\n', "p: {contents: read}\n"),
    ],
)
def test_replace_scalar_replaces_the_source_text_with_its_quotes(source: str, expected: str) -> None:
    document = _document(source)
    edit = yaml_edit.replace_scalar(document, _node(document, "p"), "{contents: read}")
    assert edit is not None
    assert apply(source, [edit]) == expected


def test_replace_scalar_of_a_collection_is_none() -> None:
    document = _document("p:\n  contents: read\nq: [1]\n")
    assert yaml_edit.replace_scalar(document, _node(document, "p"), "{}") is None
    assert yaml_edit.replace_scalar(document, _node(document, "q"), "{}") is None


@pytest.mark.parametrize("text", ["p: |\n  one\n  two\n", "p: one\n  two\n", "p: 'one\n  two'\n"])
def test_replace_scalar_of_a_multi_line_scalar_is_none(text: str) -> None:
    document = _document(text)
    assert yaml_edit.replace_scalar(document, _node(document, "p"), "x") is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("u: a@v1 # keep\nb: 1\n", " # keep"),
        ("u: a@v1\nb: 1\n", ""),
        ("u: a@v1", ""),
        ("u: 'a@v1'   # quoted\r\nb: 1\r\n", "   # quoted"),
        ("x: {u: a@v1, w: 2}\n", ", w: 2}"),
    ],
)
def test_trailing_text_is_what_follows_a_scalar_on_its_line(text: str, expected: str) -> None:
    document = _document(text)
    root = document.yaml
    assert root is not None
    node = root.get("u") or _node(document, "x", "u")
    assert yaml_edit.trailing_text(document, node) == expected


# indent_unit, block -------------------------------------------------------------------------------------------


def test_indent_unit_of_a_two_space_workflow() -> None:
    text = "on: push\njobs:\n  test:\n    runs-on: x\n"
    assert yaml_edit.indent_unit(_document(text)) == 2


def test_indent_unit_of_a_four_space_workflow() -> None:
    text = "on: push\njobs:\n    test:\n        runs-on: x\n        steps:\n            - run: make\n"
    assert yaml_edit.indent_unit(_document(text)) == 4


def test_indent_unit_reads_the_first_job_that_has_keys() -> None:
    text = "on: push\njobs:\n    a: {}\n    b:\n        runs-on: x\n"
    assert yaml_edit.indent_unit(_document(text)) == 4


@pytest.mark.parametrize("text", ["on: push\n", "on: push\njobs: {}\n", "on: push\njobs:\n  a: {}\n"])
def test_indent_unit_is_two_when_it_cannot_be_read(text: str) -> None:
    assert yaml_edit.indent_unit(_document(text)) == 2


def test_indent_unit_ignores_jobs_written_as_flow_mappings() -> None:
    assert yaml_edit.indent_unit(_document("on: push\njobs:\n  a: {runs-on: x}\n")) == 2
    text = "on: push\njobs:\n  a: {runs-on: x}\n  b:\n    runs-on: x\n"
    assert yaml_edit.indent_unit(_document(text)) == 2


def test_block_indents_every_line_and_uses_the_files_newline() -> None:
    assert yaml_edit.block(["a:", "  b: 1"], 4, _document("x: 1\r\n")) == "    a:\r\n      b: 1\r\n"
    assert yaml_edit.block(["a: 1"], 0, _document("x: 1\n")) == "a: 1\n"
