"""``update_text``: a pins file brought to newer releases span by span, comments and layout kept."""

from __future__ import annotations

import re

import pytest
import yaml

from scaffold.errors import UsageError
from scaffold.kit.pins import parse_pins
from scaffold.resolve.model import Origin, Pinned, Refused, Resolution
from scaffold.resolve.update import major_line, update_text

OLD_SHA = "a" * 40
NEW_SHA = "b" * 40
OLD_DIGEST = "sha256:" + "1" * 64
NEW_DIGEST = "sha256:" + "2" * 64

PINS = f"""\
# top comment, kept
actions:
  checkout:
    repo: actions/checkout  # the action
    version: v7.0.1
    sha: {OLD_SHA}
    runtime: node24
    verified: git rev-parse v7.0.1^{{commit}} in a mirror
hooks:
  gitleaks:
    repo: https://github.com/gitleaks/gitleaks
    version: v0.24.0
    sha: {OLD_SHA}
    verified: "old line"
images:
  python:
    image: docker.io/library/python
    tag: "3.13-slim"
    digest: {OLD_DIGEST}
    verified: old
tools:
  trivy: {{version: 0.60.0, verified: release page}}
"""


class Releases:
    """Answers for the update, keyed by (url, prefix) and image reference; records what was asked."""

    def __init__(self, releases: dict[tuple[str, str], Resolution], images: dict[str, Resolution]) -> None:
        self.releases, self.images = releases, images
        self.asked: list[str] = []

    def newest_release(self, url: str, prefix: str) -> Resolution:
        self.asked.append(f"{url} {prefix}")
        return self.releases.get((url, prefix), Refused(f"no release under {prefix}"))

    def image(self, reference: str) -> Resolution:
        self.asked.append(reference)
        return self.images.get(reference, Refused("unknown image"))


def _pinned(value: str, version: str) -> Pinned:
    return Pinned(value, version, Origin.LIVE, f"git ls-remote for {version}")


def test_moves_each_entry_within_its_line_and_keeps_everything_else_byte_for_byte() -> None:
    source = Releases(
        {
            ("https://forge.test/actions/checkout", "v7"): _pinned(NEW_SHA, "v7.2.0"),
            ("https://github.com/gitleaks/gitleaks", "v0.24"): _pinned(NEW_SHA, "v0.24.3"),
        },
        {"docker.io/library/python:3.13-slim": Pinned(NEW_DIGEST, "3.13-slim", Origin.LIVE, "HEAD manifest")},
    )
    result = update_text(PINS, source, action_forge="https://forge.test", advisory=lambda sha: None, when="2026-12-07")
    assert sorted(change.entry for change in result.changes) == ["actions.checkout", "hooks.gitleaks", "images.python"]
    pins = parse_pins(yaml.safe_load(result.text))
    assert (pins.actions["checkout"].version, pins.actions["checkout"].sha) == ("v7.2.0", NEW_SHA)
    assert pins.hooks["gitleaks"].version == "v0.24.3"
    assert pins.images["python"].digest == NEW_DIGEST
    assert pins.images["python"].tag == "3.13-slim"
    assert "scaffold pins update on 2026-12-07: git ls-remote for v7.2.0" in pins.actions["checkout"].verified
    for kept in ("# top comment, kept", "repo: actions/checkout  # the action", "runtime: node24", 'tag: "3.13-slim"'):
        assert kept in result.text
    assert "trivy: {version: 0.60.0, verified: release page}" in result.text


def test_a_current_file_is_left_unchanged_and_a_refusal_is_reported() -> None:
    source = Releases({("https://forge.test/actions/checkout", "v7"): _pinned(OLD_SHA, "v7.0.1")}, {})
    result = update_text(PINS, source, action_forge="https://forge.test", advisory=lambda sha: None, when="x")
    assert result.text == PINS
    assert result.changes == []
    assert dict(result.refused) == {"hooks.gitleaks": "no release under v0.24", "images.python": "unknown image"}


def test_a_pinned_commit_on_the_advisory_list_is_warned_about() -> None:
    source = Releases({}, {})
    result = update_text(
        PINS,
        source,
        action_forge="https://forge.test",
        advisory=lambda sha: "GHSA-test" if sha == OLD_SHA else None,
        when="x",
    )
    assert ("actions.checkout", "GHSA-test") in result.advised
    assert ("hooks.gitleaks", "GHSA-test") in result.advised


def test_a_source_that_answers_something_other_than_a_sha_changes_nothing() -> None:
    source = Releases({("https://forge.test/actions/checkout", "v7"): _pinned("v7.2.0", "v7.2.0")}, {})
    result = update_text(PINS, source, action_forge="https://forge.test", advisory=lambda sha: None, when="x")
    assert "actions.checkout" in dict(result.refused)
    assert OLD_SHA in result.text and "v7.2.0" not in result.text


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("- a list\n", "must be a mapping of sections"),
        ("surprise: {}\n", "surprise: is not a section"),
        ("actions: [x]\n", "actions: must map names to entries"),
        ("actions:\n  x: 1\n", r"actions\.x: must be a mapping"),
        ("actions:\n  x: {repo: a/b, version: v1, sha: nope, verified: v}\n", r"actions\.x\.sha"),
        ("actions:\n  x: {repo: a/b, sha: " + OLD_SHA + ", verified: v}\n", r"actions\.x\.version: is missing"),
        ("actions:\n  x: {repo: a/b, version: latest, sha: " + OLD_SHA + ", verified: v}\n", "release number"),
        ("actions: [\n", "is not valid YAML"),
        ("a: &a [*a]\n", "pins file"),
    ],
)
def test_a_malformed_file_is_one_line_naming_the_field(text: str, message: str) -> None:
    with pytest.raises(UsageError, match=message) as caught:
        update_text(text, Releases({}, {}), action_forge="https://f.test", advisory=lambda sha: None, when="x")
    assert "\n" not in str(caught.value)


@pytest.mark.parametrize(
    ("version", "line"), [("v7.0.1", "v7"), ("7.1", "7"), ("v0.24.0", "v0.24"), ("v10", "v10"), ("0.9", "0.9")]
)
def test_a_release_stays_on_its_major_line(version: str, line: str) -> None:
    assert major_line(version) == line


ENTRY = "{{repo: a/b, version: v1.0.0, sha: {sha}, verified: v}}"


@pytest.mark.parametrize(
    ("text", "named"),
    [
        (f"actions:\n  x: &x {ENTRY.format(sha=OLD_SHA)}\n  y: *x\n", "actions.y"),
        (
            f"actions:\n  x: {{repo: a/b, version: &v v1.0.0, sha: {OLD_SHA}, verified: v}}\n"
            f"  y: {{repo: a/c, version: *v, sha: {OLD_SHA}, verified: v}}\n",
            "actions.y",
        ),
        (f"actions:\n  x: {{repo: a/b, version: &v v1.0.0, sha: {OLD_SHA}, verified: *v}}\n", "actions.x"),
        (f"actions: &a\n  x: {ENTRY.format(sha=OLD_SHA)}\nhooks: *a\n", "hooks"),
        (f"hooks:\n  x: &x {ENTRY.format(sha=OLD_SHA)}\nactions:\n  y: {{<<: *x}}\n", "actions.y"),
    ],
    ids=["entry", "value-across-entries", "value-within-an-entry", "section", "merge-key"],
)
def test_a_yaml_alias_anywhere_in_the_entries_is_refused_before_anything_is_asked(text: str, named: str) -> None:
    """An alias is the very node its anchor names: editing it in place would edit the anchor once per use."""
    source = Releases({}, {})
    with pytest.raises(UsageError) as caught:
        update_text(text, source, action_forge="https://f.test", advisory=lambda sha: None, when="x")
    assert str(caught.value).startswith(f"pins file: {named}: is or holds a YAML alias")
    assert source.asked == []


@pytest.mark.parametrize(
    ("text", "named"),
    [
        (
            f"actions:\n  x: {{repo: a/b, version: v1.0.0, sha: {OLD_SHA}, sha: {NEW_SHA}, verified: v}}\n",
            "actions.x.sha",
        ),
        (f"actions:\n  x: {ENTRY.format(sha=OLD_SHA)}\n  x: {ENTRY.format(sha=NEW_SHA)}\n", "actions.x"),
        (f"actions:\n  x: {ENTRY.format(sha=OLD_SHA)}\nactions: {{}}\n", "actions"),
        (f"images:\n  p: {{image: python, tag: '3', tag: '4', digest: {OLD_DIGEST}, verified: v}}\n", "images.p.tag"),
    ],
    ids=["key-in-an-entry", "entry", "section", "image-tag"],
)
def test_a_key_written_twice_is_refused_naming_it(text: str, named: str) -> None:
    """Every loader keeps the last spelling, the update would edit the first: the file would say one thing and the
    report another."""
    source = Releases({}, {})
    with pytest.raises(UsageError, match=rf"^pins file: {re.escape(named)}: is written twice; keep one$"):
        update_text(text, source, action_forge="https://f.test", advisory=lambda sha: None, when="x")
    assert source.asked == []


def test_the_entries_looked_up_are_counted() -> None:
    result = update_text(PINS, Releases({}, {}), action_forge="https://f.test", advisory=lambda sha: None, when="x")
    assert result.checked == 3  # actions, hooks and images; tools are not looked up
    assert len(result.refused) == 3


def test_an_anchor_nobody_aliases_changes_nothing_and_is_accepted() -> None:
    text = f"actions:\n  x: &x {ENTRY.format(sha=OLD_SHA)}\n"
    source = Releases({("https://f.test/a/b", "v1"): _pinned(NEW_SHA, "v1.1.0")}, {})
    result = update_text(text, source, action_forge="https://f.test", advisory=lambda sha: None, when="x")
    assert [change.entry for change in result.changes] == ["actions.x"]
    assert NEW_SHA in result.text and "&x" in result.text
