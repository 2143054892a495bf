"""Choosing a release from a tag list: versions, the cooldown, the advisory list, stepping back, moved tags."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from scaffold.resolve import releases
from scaffold.resolve.model import Refused
from scaffold.resolve.releases import Chosen, Policy, Recorded, Release

NOW = datetime(2026, 12, 7, 12, 0, tzinfo=UTC)
WEEK = timedelta(days=7)


def sha(name: str) -> str:
    return (name.encode().hex() * 40)[:40]


def tag(name: str, commit: str, days: float | None) -> Release:
    return Release(name, commit, None if days is None else NOW - timedelta(days=days))


def tags(*items: Release) -> dict[str, Release]:
    return {item.name: item for item in items}


def policy(
    *, advisories: dict[str, str] | None = None, recorded: dict[str, Recorded] | None = None, cooldown: timedelta = WEEK
) -> Policy:
    return Policy(NOW, cooldown, advisories or {}, recorded or {})


# A repository: v1.0.0 (60 days), v1.1.0 (30 days), v1.2.0 (2 days) with the floating v1 on it; v2.0.0 (40 days).
A, B, C, D = sha("a"), sha("b"), sha("c"), sha("d")
REPO = tags(
    tag("v1.0.0", A, 60),
    tag("v1.1.0", B, 30),
    tag("v1.2.0", C, 2),
    tag("v1", C, 2),
    tag("v2.0.0", D, 40),
    tag("v2", D, 40),
    tag("nightly", C, 2),
    tag("release-1", A, 60),
)


@pytest.mark.parametrize(
    ("name", "version"),
    [
        ("v4", (4,)),
        ("4", (4,)),
        ("v4.2", (4, 2)),
        ("v4.2.1", (4, 2, 1)),
        ("10.20.30", (10, 20, 30)),
        ("v4.2.1-rc.1", None),
        ("v4.2.1.7", None),
        ("release-1", None),
        ("main", None),
        ("", None),
        ("V4", None),
        ("v", None),
    ],
)
def test_parse_version(name: str, version: tuple[int, ...] | None) -> None:
    assert releases.parse_version(name) == version


def test_prefixes_and_full_versions() -> None:
    assert [releases.is_version_prefix(name) for name in ("v4", "4", "v4.2", "v4.2.1", "release-1")] == [
        True,
        True,
        True,
        False,
        False,
    ]
    assert [releases.is_full_version(name) for name in ("v4", "v4.2.1", "4.2.1", "x4.2.1")] == [
        False,
        True,
        True,
        False,
    ]
    lower = "0123456789abcdef" * 2 + "01234567"
    assert releases.is_full_sha(lower)
    assert not releases.is_full_sha(lower[:39])
    assert not releases.is_full_sha(lower.upper())


@pytest.mark.parametrize(
    ("prefix", "name", "inside"),
    [
        ("v4", "v4.2.1", True),
        ("v4.2", "v4.2.1", True),
        ("v4.2", "v4.3.0", False),
        ("v4", "v40.0.0", False),
        ("v4", "4.2.1", False),
        ("4", "4.2.1", True),
        ("v4", "v4", False),
        ("", "v9.9.9", True),
        ("", "release-1", False),
        ("main", "v4.2.1", False),
    ],
)
def test_under(prefix: str, name: str, inside: bool) -> None:
    assert releases.under(prefix, name) is inside


def test_most_specific_prefers_more_parts_then_the_highest() -> None:
    found = [tag("v1", C, 1), tag("v1.2", C, 1), tag("v1.2.0", C, 1), tag("v1.1.9", B, 1), tag("nightly", C, 1)]
    assert releases.most_specific(C, found) == "v1.2.0"
    assert releases.most_specific(C, [tag("v1", C, 1), tag("v1.2", C, 1)]) == "v1.2"
    assert releases.most_specific(C, [tag("nightly", C, 1)]) is None
    assert releases.most_specific(sha("z"), found) is None


def test_a_floating_tag_on_an_old_enough_release_is_taken_with_its_full_version() -> None:
    assert releases.choose("v2", REPO, policy()) == Chosen(D, "v2.0.0")
    assert releases.choose("v1.1.0", REPO, policy()) == Chosen(B, "v1.1.0")
    assert releases.choose("release-1", REPO, policy()) == Chosen(A, "v1.0.0")


def test_a_floating_tag_inside_the_cooldown_steps_back_to_the_previous_release() -> None:
    chosen = releases.choose("v1", REPO, policy())
    assert chosen == Chosen(B, "v1.1.0", "v1.2.0 is 2 days old (cooldown 7 days); took v1.1.0")


def test_an_exact_tag_inside_the_cooldown_is_refused() -> None:
    refused = releases.choose("v1.2.0", REPO, policy())
    assert isinstance(refused, Refused)
    assert refused.reason.startswith("v1.2.0 is 2 days old (cooldown 7 days); not pinned")
    assert isinstance(releases.choose("nightly", REPO, policy()), Refused)


def test_no_cooldown_takes_the_newest() -> None:
    assert releases.choose("v1", REPO, policy(cooldown=timedelta(0))) == Chosen(C, "v1.2.0")
    undated = tags(tag("v3.0.0", sha("e"), None), tag("v3", sha("e"), None))
    assert releases.choose("v3", undated, policy(cooldown=timedelta(0))) == Chosen(sha("e"), "v3.0.0")


def test_a_release_of_unknown_age_is_not_taken_under_a_cooldown() -> None:
    undated = tags(tag("v3.0.0", sha("e"), None), tag("v3", sha("e"), None))
    refused = releases.choose("v3", undated, policy())
    assert isinstance(refused, Refused)
    assert "the date of v3.0.0 could not be read" in refused.reason


def test_a_release_dated_in_the_future_is_not_taken() -> None:
    future = tags(tag("v5.0.0", sha("f"), -3), tag("v5", sha("f"), -3), tag("v4.9.0", sha("g"), 90))
    refused = releases.choose("v5.0.0", future, policy())
    assert isinstance(refused, Refused)
    assert "dated in the future" in refused.reason
    assert isinstance(releases.choose("v5", future, policy()), Refused)  # no earlier v5 release


def test_a_compromised_floating_tag_steps_back_and_an_exact_one_is_refused() -> None:
    advised = policy(advisories={B: "GHSA-test-0001"}, cooldown=timedelta(0))
    repo = {**REPO, "v1": tag("v1", B, 30)}
    chosen = releases.choose("v1", repo, advised)
    assert chosen == Chosen(A, "v1.0.0", f"v1.1.0 ({B[:7]}) is on the advisory list (GHSA-test-0001); took v1.0.0")
    refused = releases.choose("v1.1.0", repo, advised)
    assert isinstance(refused, Refused)
    assert "is on the advisory list (GHSA-test-0001)" in refused.reason


def test_stepping_back_skips_advised_and_young_releases_and_refuses_when_none_is_left() -> None:
    chosen = releases.choose("v1", REPO, policy(advisories={B: "GHSA-x"}))
    assert chosen == Chosen(A, "v1.0.0", "v1.2.0 is 2 days old (cooldown 7 days); took v1.0.0")
    refused = releases.choose("v1", REPO, policy(advisories={A: "GHSA-x", B: "GHSA-y"}))
    assert isinstance(refused, Refused)
    assert refused.reason == (
        "v1.2.0 is 2 days old (cooldown 7 days), and no earlier v1 release passes the cooldown and the advisory list"
    )


def test_stepping_back_never_goes_up_or_to_another_series() -> None:
    repo = tags(tag("v1", B, 3), tag("v1.1.0", B, 3), tag("v1.3.0", sha("n"), 20), tag("v2.0.0", D, 40))
    refused = releases.choose("v1", repo, policy())
    assert isinstance(refused, Refused)  # v1.3.0 is newer than what v1 names; v2.0.0 is another series


def test_a_floating_tag_with_no_version_on_its_commit_is_judged_by_its_own_date() -> None:
    repo = tags(tag("v3", sha("h"), 1), tag("v3.0.0", sha("i"), 50))
    assert releases.choose("v3", repo, policy()) == Chosen(
        sha("i"), "v3.0.0", "v3 is 1 day old (cooldown 7 days); took v3.0.0"
    )
    assert releases.choose("v3", repo, policy(cooldown=timedelta(0))) == Chosen(sha("h"), "v3")


def test_a_moved_exact_tag_is_refused_naming_both_commits_and_where_it_was_recorded() -> None:
    recorded = {"v1.1.0": Recorded(A, "it was cached at 2026-12-01T10:00Z")}
    refused = releases.choose("v1.1.0", REPO, policy(recorded=recorded))
    assert refused == Refused(
        f"tag v1.1.0 moved from {A[:7]} to {B[:7]} since it was cached at 2026-12-01T10:00Z; "
        "not pinned: check the upstream"
    )


def test_a_moved_release_behind_a_floating_tag_makes_it_step_back() -> None:
    repo = {**REPO, "v1": tag("v1", B, 30)}
    recorded = {"v1.1.0": Recorded(sha("old"), "scaffold's table recorded it")}
    chosen = releases.choose("v1", repo, policy(recorded=recorded))
    assert chosen == Chosen(
        A,
        "v1.0.0",
        f"tag v1.1.0 moved from {sha('old')[:7]} to {B[:7]} since scaffold's table recorded it; took v1.0.0",
    )


def test_a_floating_tag_that_moved_is_not_reported() -> None:
    recorded = {"v2": Recorded(A, "it was cached at 2026-12-01T10:00Z")}
    assert releases.moved("v2", D, policy(recorded=recorded)) is None
    assert releases.choose("v2", REPO, policy(recorded=recorded)) == Chosen(D, "v2.0.0")
    assert releases.moved("v2.0.0", D, policy(recorded={"v2.0.0": Recorded(D, "x")})) is None


def test_newest_release_under_a_prefix() -> None:
    assert releases.newest("v2", REPO, policy()) == Chosen(D, "v2.0.0")
    assert releases.newest("v1", REPO, policy()) == Chosen(
        B, "v1.1.0", "v1.2.0 is 2 days old (cooldown 7 days); took v1.1.0"
    )
    assert releases.newest("", REPO, policy()) == Chosen(D, "v2.0.0")
    assert releases.newest("v1.0", REPO, policy()) == Chosen(A, "v1.0.0")


def test_newest_release_refuses_when_there_is_none() -> None:
    assert releases.newest("v9", REPO, policy()) == Refused("no v9 release tag (vX.Y.Z) found")
    refused = releases.newest("v1", REPO, policy(advisories={A: "G1", B: "G2"}))
    assert isinstance(refused, Refused)
    assert refused.reason.startswith("v1.2.0 is 2 days old (cooldown 7 days), and no earlier release passes")


@pytest.mark.parametrize(
    ("span", "text"),
    [
        (timedelta(days=2, hours=3), "2 days"),
        (timedelta(days=1), "1 day"),
        (timedelta(hours=5), "5 hours"),
        (timedelta(minutes=1), "1 minute"),
        (timedelta(seconds=9), "9 seconds"),
    ],
)
def test_ages_are_said_in_words(span: timedelta, text: str) -> None:
    young = tags(tag("v7.0.0", sha("j"), span.total_seconds() / 86400))
    refused = releases.choose("v7.0.0", young, policy(cooldown=timedelta(days=30)))
    assert isinstance(refused, Refused)
    assert refused.reason.startswith(f"v7.0.0 is {text} old (cooldown 30 days)")


_RELEASES = st.lists(
    st.tuples(st.integers(0, 3), st.integers(0, 3), st.integers(0, 3), st.integers(0, 60), st.booleans()),
    min_size=1,
    max_size=12,
    unique_by=lambda item: item[:3],
)


@given(_RELEASES, st.integers(0, 3), st.integers(0, 20))
def test_whatever_is_chosen_passes_the_policy_and_stays_in_the_series(
    items: list[tuple[int, int, int, int, bool]], major: int, cooldown_days: int
) -> None:
    repo = {
        f"v{x}.{y}.{z}": Release(f"v{x}.{y}.{z}", sha(f"{x}.{y}.{z}"), NOW - timedelta(days=age))
        for x, y, z, age, _ in items
    }
    advised = {sha(f"{x}.{y}.{z}"): "GHSA-prop" for x, y, z, _, bad in items if bad}
    names = [name for name in repo if releases.under(f"v{major}", name)]
    newest = max(names, key=lambda name: releases.parse_version(name) or (), default=None)
    if newest is not None:
        repo[f"v{major}"] = Release(f"v{major}", repo[newest].commit, repo[newest].created)
    rules = policy(advisories=advised, cooldown=timedelta(days=cooldown_days))
    for result in (
        releases.newest(f"v{major}", repo, rules),
        *([releases.choose(f"v{major}", repo, rules)] if newest else []),
    ):
        if isinstance(result, Refused):
            continue
        assert releases.under(f"v{major}", result.version)
        assert result.commit not in advised
        assert releases.objection(repo[result.version], rules) is None
        assert bool(result.note) == (result.version != newest)


# Objects that are not commits, first sightings, the index -----------------------------------------------------------


@pytest.mark.parametrize(("kind", "said"), [("tree", "points to a tree, not a commit"), ("missing", "not a commit")])
def test_a_tag_that_names_no_commit_is_refused_and_never_stepped_back_to(kind: str, said: str) -> None:
    odd = tags(tag("v3.0.0", A, 60), Release("v3.1.0", B, NOW - timedelta(days=30), kind), Release("v3", B, None, kind))
    for ref in ("v3.1.0", "v3"):
        found = releases.choose(ref, odd, policy())
        assert isinstance(found, Refused) and said in found.reason
    young = {**odd, "v3": tag("v3", C, 1), "v3.2.0": tag("v3.2.0", C, 1)}
    assert releases.choose("v3", young, policy()) == Chosen(
        A, "v3.0.0", "v3.2.0 is 1 day old (cooldown 7 days); took v3.0.0"
    )


def test_a_release_first_seen_recently_is_as_young_as_that_whatever_its_date() -> None:
    planted = Release("v1.2.0", C, NOW - timedelta(days=30), first_seen=NOW - timedelta(hours=5))
    repo = {**REPO, "v1.2.0": planted, "v1": Release("v1", C, NOW - timedelta(days=30))}
    found = releases.choose("v1", repo, policy())
    assert found == Chosen(
        B,
        "v1.1.0",
        f"v1.2.0 was first seen by scaffold 5 hours ago, though dated {planted.created:%Y-%m-%d} (cooldown 7 days); "
        "took v1.1.0",
    )
    seen_long_ago = {**repo, "v1.2.0": replace(planted, first_seen=NOW - timedelta(days=8))}
    assert releases.choose("v1", seen_long_ago, policy()) == Chosen(C, "v1.2.0")


def test_a_first_sighting_before_the_tag_date_changes_nothing() -> None:
    young = Release("v1.2.0", C, NOW - timedelta(days=2), first_seen=NOW - timedelta(days=20))
    assert releases.objection(young, policy()) == "v1.2.0 is 2 days old (cooldown 7 days)"


@given(st.lists(st.tuples(st.sampled_from(["v1", "v1.2", "v1.2.3", "v1.10.0", "2.0.0", "x"]), st.sampled_from("abc"))))
def test_the_version_index_agrees_with_most_specific(pairs: list[tuple[str, str]]) -> None:
    found = [Release(name, sha(commit)) for name, commit in pairs]
    index = releases.version_index(found)
    for commit in {sha(commit) for _, commit in pairs}:
        assert index.get(commit) == releases.most_specific(commit, found)
