"""What the pin fixes share: the checks on what a pin source says, the message words, and the YAML edit of a pin."""

from __future__ import annotations

import pytest

from scaffold.resolve.model import Origin, Pinned, Refused
from scaffold.rules.document import Document
from scaffold.rules.fixes import pinning
from scaffold.rules.fixes.edits import apply
from scaffold.rules.fixes.model import Safety
from scaffold.rules.model import Kind
from scaffold.rules.yaml_view import YNode

SHA = "83d9cd684c87d95d656c1458ef04895a7f1cbd8e"


@pytest.mark.parametrize(
    "url",
    [
        "https://github.com/gitleaks/gitleaks",
        "https://github.com/gitleaks/gitleaks.git",
        "http://git.internal:8080/team/hooks.git",
        "ssh://git@git.example.com:2222/team/hooks.git",
        "git://127.0.0.1/hooks",
        "git@github.com:gitleaks/gitleaks.git",
        "https://[::1]:9418/hooks",
    ],
)
def test_network_urls_may_be_asked_about(url: str) -> None:
    assert pinning.remote_problem(url) is None


@pytest.mark.parametrize(
    "url",
    [
        "ext::sh -c touch% /tmp/owned",
        "fd::17",
        "file:///srv/hooks",
        "/srv/hooks",
        "../hooks",
        "-uhttps://x",
        "--upload-pack=touch /tmp/x",
        "https://github.com/a b",
        "https://github.com/a\nb",
        "https://",
        "git@-oProxyCommand=x:repo",
        "-x@host:repo",
        "https://host/a\x1b[2Jb",
        "https://" + "a:" * 50_000 + " ",
        "",
    ],
)
def test_anything_else_is_refused_with_the_url_escaped(url: str) -> None:
    problem = pinning.remote_problem(url)
    assert problem is not None and "not an https, ssh or git URL" in problem
    assert "\n" not in problem


@pytest.mark.parametrize("version", ["v1.2.3", "25.1.0", "release-1.4", "feature/faster", "v1.0.0+build.7"])
def test_plain_versions_go_into_comments(version: str) -> None:
    assert pinning.comment_version(version) == version


@pytest.mark.parametrize("version", ["", "v1 # x", "v1\nrepos: []", "'v1'", "-v1", "v" * 200, "v1\u202e"])
def test_versions_that_could_change_the_line_stay_out_of_comments(version: str) -> None:
    assert pinning.comment_version(version) is None


def test_checked_turns_a_malformed_value_into_a_refusal() -> None:
    good = Pinned(SHA, "v1", Origin.LIVE, "git ls-remote")
    assert pinning.checked(good, pinning.COMMIT, "commit") is good
    bad = pinning.checked(Pinned(SHA.upper(), "v1", Origin.LIVE, "x"), pinning.COMMIT, "commit")
    assert isinstance(bad, Refused) and "malformed commit" in bad.reason
    refused = Refused("no such tag")
    assert pinning.checked(refused, pinning.IMAGE_DIGEST, "digest") is refused


def test_pin_fix_is_safe_unless_the_source_stepped_back() -> None:
    pinned = Pinned(SHA, "v8.30.1", Origin.TABLE, "git rev-parse in a mirror")
    fix = pinning.pin_fix(3, "repo x: rev v8.30.1", pinned, (), f"freeze to {SHA}")
    assert fix.safety is Safety.SAFE and fix.risk == ""
    assert fix.message == f"repo x: rev v8.30.1: freeze to {SHA} (v8.30.1; table: git rev-parse in a mirror)"
    older = Pinned(SHA, "v8.30.0", Origin.LIVE, "git ls-remote", note="v8.30.1 is inside the cooldown")
    stepped = pinning.pin_fix(3, "repo x: rev v8.30.1", older, (), "freeze")
    assert stepped.safety is Safety.UNSAFE and "v8.30.0" in stepped.risk
    assert stepped.message.endswith("(v8.30.0; live: git ls-remote); v8.30.1 is inside the cooldown")


def test_refused_reasons_are_one_escaped_line() -> None:
    note = pinning.refused(4, "FROM x:1", Refused("bad\nanswer\x1b[2J"))
    assert note.line == 4
    assert note.message.startswith("FROM x:1: bad") and note.message.endswith("; pin it by hand")
    assert "\n" not in note.message and "\x1b" not in note.message


def _rev_node(text: str) -> tuple[Document, YNode]:
    document = Document(".pre-commit-config.yaml", Kind.PRE_COMMIT, text)
    root = document.yaml
    assert root is not None
    repos = root.get("repos")
    assert repos is not None
    node = repos.elements()[0].get("rev")
    assert node is not None
    return document, node


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("rev: v1", f"rev: {SHA}  # frozen: v1"),
        ("rev: 'v1'", f"rev: '{SHA}'  # frozen: v1"),
        ('rev: "v1"   ', f'rev: "{SHA}"  # frozen: v1'),
        ("rev: v1  # frozen: v0", f"rev: {SHA}  # frozen: v1"),
        ("rev: v1 # mine", f"rev: {SHA}  # frozen: v1 # mine"),
    ],
)
def test_yaml_pin_edits_keep_quotes_and_comments(line: str, expected: str) -> None:
    text = f"repos:\n  - repo: https://x/y\n    {line}\n"
    document, node = _rev_node(text)
    edits = pinning.yaml_pin_edits(document, node, SHA, "frozen: v1")
    assert edits is not None
    assert apply(text, edits) == f"repos:\n  - repo: https://x/y\n    {expected}\n"


def test_yaml_pin_edits_add_no_comment_inside_a_flow_mapping_and_refuse_a_block_scalar() -> None:
    text = "repos: [{repo: https://x/y, rev: v1, hooks: []}]\n"
    document, node = _rev_node(text)
    edits = pinning.yaml_pin_edits(document, node, SHA, "frozen: v1")
    assert edits is not None
    assert apply(text, edits) == f"repos: [{{repo: https://x/y, rev: {SHA}, hooks: []}}]\n"
    block = "repos:\n  - repo: https://x/y\n    rev: |\n      v1\n"
    document, node = _rev_node(block)
    assert pinning.yaml_pin_edits(document, node, SHA, "frozen: v1") is None
