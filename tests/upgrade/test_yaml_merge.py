"""The structural YAML merge: jobs, steps and keys by identity, the user's text kept byte for byte."""

from __future__ import annotations

import textwrap

import pytest
import yaml

from scaffold.upgrade.line_merge import Labels
from scaffold.upgrade.merge import merge_file
from scaffold.upgrade.yaml_merge import merge_yaml


def _d(text: str) -> str:
    return textwrap.dedent(text).lstrip("\n")


BASE = _d(
    """
    ---
    # The kit's workflow.
    name: ci
    on:
      push:
        branches: [main]
    permissions: {}
    jobs:
      lint:
        runs-on: ubuntu-24.04
        timeout-minutes: 15
        steps:
          - name: Check out
            uses: actions/checkout@11bd71901bbe5b1630ceea73d27597364c9af683 # v4.2.2
          - name: Lint
            run: make lint

      test:
        runs-on: ubuntu-24.04
        timeout-minutes: 30
        steps:
          - name: Check out
            uses: actions/checkout@11bd71901bbe5b1630ceea73d27597364c9af683 # v4.2.2
          - name: Test
            run: make test
    """
)


def merged(base: str, ours: str, theirs: str) -> tuple[str, int]:
    result = merge_file("ci.yml", base=base, ours=ours, theirs=theirs)
    return result.text(Labels()), result.conflicts


def test_a_user_job_and_a_kit_job_at_the_end_both_survive() -> None:
    user_job = "\n  e2e:  # the user's own\n    runs-on: ubuntu-24.04\n    steps:\n      - run: make e2e\n"
    kit_job = "\n  scan:\n    runs-on: ubuntu-24.04\n    steps:\n      - run: make scan\n"
    text, conflicts = merged(BASE, BASE + user_job, BASE + kit_job)
    assert conflicts == 0
    assert text == BASE + kit_job + user_job


def test_edits_to_different_steps_of_one_job_merge() -> None:
    ours = BASE.replace("        run: make lint\n", "        run: make lint-strict  # stricter\n")
    theirs = BASE.replace(  # real tags of actions/checkout: v4.2.2 -> v7.0.1
        "11bd71901bbe5b1630ceea73d27597364c9af683 # v4.2.2", "3d3c42e5aac5ba805825da76410c181273ba90b1 # v7.0.1"
    )
    text, conflicts = merged(BASE, ours, theirs)
    assert conflicts == 0
    assert text == theirs.replace("        run: make lint\n", "        run: make lint-strict  # stricter\n")


def test_edits_to_different_keys_on_neighbouring_lines_merge() -> None:
    ours = BASE.replace(
        "    runs-on: ubuntu-24.04\n    timeout-minutes: 15", "    runs-on: my-runner\n    timeout-minutes: 15"
    )
    theirs = BASE.replace("timeout-minutes: 15", "timeout-minutes: 10")
    text, conflicts = merged(BASE, ours, theirs)
    assert conflicts == 0
    assert "    runs-on: my-runner\n    timeout-minutes: 10\n" in text


def test_the_same_key_changed_both_ways_is_one_small_conflict() -> None:
    ours = BASE.replace("timeout-minutes: 15", "timeout-minutes: 12")
    theirs = BASE.replace("timeout-minutes: 15", "timeout-minutes: 10")
    text, conflicts = merged(BASE, ours, theirs)
    assert conflicts == 1
    block = "<<<<<<< yours\n    timeout-minutes: 12\n=======\n    timeout-minutes: 10\n>>>>>>> kit\n"
    assert text == BASE.replace("    timeout-minutes: 15\n", block)


def test_comments_key_order_and_quoting_of_the_user_survive() -> None:
    ours = BASE.replace("name: ci\non:", "on:").replace("permissions: {}\n", "permissions: {}\nname: 'ci'  # moved\n")
    ours = ours.replace("      lint:\n", "      # why we lint\n      lint:\n")
    theirs = BASE.replace("timeout-minutes: 30", "timeout-minutes: 20")
    text, conflicts = merged(BASE, ours, theirs)
    assert conflicts == 0
    assert text == ours.replace("timeout-minutes: 30", "timeout-minutes: 20")


def test_a_step_the_kit_adds_goes_after_its_predecessor() -> None:
    ours = BASE.replace(
        "        run: make test\n", "        run: make test\n      - name: Mine\n        run: echo mine\n"
    )
    theirs = BASE.replace(
        "      - name: Lint\n        run: make lint\n",
        "      - name: Lint\n        run: make lint\n      - name: Types\n        run: make types\n",
    )
    text, conflicts = merged(BASE, ours, theirs)
    assert conflicts == 0
    loaded = yaml.safe_load(text)
    assert [step["name"] for step in loaded["jobs"]["lint"]["steps"]] == ["Check out", "Lint", "Types"]
    assert [step["name"] for step in loaded["jobs"]["test"]["steps"]] == ["Check out", "Test", "Mine"]


def test_a_job_the_kit_removed_goes_unless_the_user_changed_it() -> None:
    test_job = BASE[BASE.index("\n  test:") :]
    theirs = BASE.replace(test_job, "\n")[:-1]
    text, conflicts = merged(BASE, BASE.replace("name: ci", "name: CI"), theirs)
    assert (text, conflicts) == (theirs.replace("name: ci", "name: CI"), 0)
    _, conflicts = merged(BASE, BASE.replace("run: make test", "run: make test-all"), theirs)
    assert conflicts == 1


def test_kit_text_is_re_indented_to_the_users_indentation() -> None:
    ours = yaml.safe_dump(yaml.safe_load(BASE), indent=4)  # a user who re-dumped the file with 4 spaces
    kit_job = "\n  scan:\n    runs-on: ubuntu-24.04\n"
    text = merge_yaml(BASE, ours, BASE + kit_job)
    assert text is not None
    loaded = yaml.safe_load(text.text(Labels()))
    assert loaded["jobs"]["scan"] == {"runs-on": "ubuntu-24.04"}
    assert set(loaded["jobs"]) == {"lint", "test", "scan"}


def test_gitlab_script_lines_merge_as_items() -> None:
    base = _d(
        """
        stages: [test]
        unit:
          stage: test
          script:
            - make deps
            - make test
        """
    )
    ours = base.replace("    - make test\n", "    - make test\n    - make report  # mine\n")
    theirs = base.replace("    - make deps\n", "    - make deps-locked\n")
    text, conflicts = merged(base, ours, theirs)
    assert conflicts == 0
    assert text == ours.replace("    - make deps\n", "    - make deps-locked\n")


@pytest.mark.parametrize(
    "ours",
    [
        "jobs: {a: 1}\n",  # flow style at the root's child: one leaf
        "--- \nfirst: 1\n---\nsecond: 2\n",  # two documents: no structure
        "defaults: &d\n  image: x\njob:\n  <<: *d\n  script: [a]\n",  # anchors and merge keys stay leaves
    ],
)
def test_files_without_a_placeable_structure_still_merge(ours: str) -> None:
    result = merge_file("x.yml", base="", ours=ours, theirs="other: 1\n")
    assert result.conflicts in (0, 1)
    assert ours.splitlines()[0] in result.text(Labels())


def test_a_merge_that_would_not_parse_falls_back_to_lines() -> None:
    base = "a:\n  b: 1\n"
    ours = "a:\n  b: 1\n  c: 2\n"
    theirs = "a:\n  b: 3\n"
    text, conflicts = merged(base, ours, theirs)
    assert (text, conflicts) == ("a:\n  b: 3\n  c: 2\n", 0)


def test_no_trailing_newline_is_kept() -> None:
    text, conflicts = merged("a: 1\nb: 2\n", "a: 1\nb: 2\nc: 3", "a: 0\nb: 2\n")
    assert (text, conflicts) == ("a: 0\nb: 2\nc: 3", 0)


def test_a_closing_comment_indented_less_than_the_jobs_stays_after_the_kits_new_job() -> None:
    ours = BASE + "# end of the jobs\n"
    kit_job = "\n  scan:\n    runs-on: ubuntu-24.04\n"
    text, conflicts = merged(BASE, ours, BASE + kit_job)
    assert (text, conflicts) == (BASE + kit_job + "# end of the jobs\n", 0)


def test_a_root_list_merges_by_item_identity() -> None:
    base = "- rule: shell\n  priority: WARNING\n- macro: spawned\n  condition: x\n"
    ours = base.replace("WARNING", "ERROR  # we page on this")
    theirs = base + "- list: allowed\n  items: [a]\n"
    text, conflicts = merged(base, ours, theirs)
    assert (text, conflicts) == (ours + "- list: allowed\n  items: [a]\n", 0)


def test_form_feeds_and_crlf_keep_lines_aligned() -> None:
    base = "a:\r\n  b: 1\r\n# page\x0c break\r\nc: 2\r\n"
    ours = base.replace("b: 1", "b: 10")
    theirs = base.replace("c: 2", "c: 3")
    text, conflicts = merged(base, ours, theirs)
    assert (text, conflicts) == (ours.replace("c: 2", "c: 3"), 0)


def test_old_mac_line_breaks_are_merged_by_lines() -> None:
    assert merge_yaml("a: 1\rb: 2\r", "a: 1\rb: 3\r", "a: 0\rb: 2\r") is None


def test_spacing_left_by_a_deletion_does_not_make_a_neighbour_changed() -> None:
    test_job = BASE[BASE.index("  test:") :]
    ours = BASE.replace(test_job, "")  # the user deleted the job but left its blank line before it
    theirs = BASE.replace("timeout-minutes: 15", "timeout-minutes: 10")
    text, conflicts = merged(BASE, ours, theirs)
    assert conflicts == 0
    assert yaml.safe_load(text)["jobs"] == {"lint": yaml.safe_load(theirs)["jobs"]["lint"]}
    base = "a: 1\n\nb: 2\n\nc: 3\n"
    text, conflicts = merged(base, "a: 1\n\n\nc: 3\n", "a: 1\n\nb: 2\n")  # user drops b sloppily, kit drops c
    assert (text, conflicts) == ("a: 1\n", 0)
