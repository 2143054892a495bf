"""Live resolution against real repositories served by a ``git daemon`` on 127.0.0.1: a moved tag, an impostor
commit, a tag inside the cooldown, a compromised commit; the cache offline; hostile URLs and silent servers."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import replace
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from scaffold.errors import UsageError
from scaffold.harden.engine import harden_document
from scaffold.resolve.cache import FILE_NAME
from scaffold.resolve.live import CachedSource, LiveSource, resolving, source_for
from scaffold.resolve.model import Origin, Pinned, Refused, Settings
from scaffold.resolve.source import TableSource, using
from scaffold.rules.catalog import REGISTRY
from scaffold.rules.document import Document
from scaffold.rules.fixes.model import Safety
from scaffold.rules.model import Kind
from tests.packs.gitserver import Daemon, daemon_fixture, git_daemon, isolated_git, port_is_closed, silent_server
from tests.resolve.upstream import NOW, Upstream, days_ago, settings_for
from tests.support.hang_guard import hang_guard

__all__ = ["daemon_fixture", "isolated_git"]

NO_ADVISORIES: dict[str, str] = {}


class Served:
    """The daemon, the acme/tool repository it serves and the commits of that repository's releases:
    v1.0.0 (lightweight, 60 days), v1.1.0 (annotated, 30 days) and the floating v1 on v1.1.0."""

    def __init__(self, daemon: Daemon, base: Path, cache: Path) -> None:
        self.daemon = daemon
        self.base = base
        self.cache = cache
        self.repo = Upstream.create(base / "acme", "tool")
        self.v100 = self.repo.commit("first", days_ago(60))
        self.repo.tag("v1.0.0", self.v100, days_ago(60), annotated=False)
        self.v110 = self.repo.commit("second", days_ago(30))
        self.repo.tag("v1.1.0", self.v110, days_ago(30))
        self.repo.tag("v1", self.v110, days_ago(30))

    @property
    def url(self) -> str:
        return self.daemon.url("acme/tool")

    def settings(self, **changes: Any) -> Settings:
        return replace(settings_for(self.daemon, self.cache), **changes)

    def source(self, *, advisories: dict[str, str] | None = None, timeout: float = 30) -> LiveSource:
        """A new run's live source (no answer remembered from another run, but the same cache folder)."""
        return LiveSource(
            self.settings(), advisories=NO_ADVISORIES if advisories is None else advisories, timeout=timeout
        )

    def release(self, name: str, days: float, *, floating: str | None = "v1") -> str:
        commit = self.repo.commit(name, days_ago(days))
        self.repo.tag(name, commit, days_ago(days))
        if floating:
            self.repo.tag(floating, commit, days_ago(days))
        return commit


@pytest.fixture
def served(daemon: tuple[Daemon, Path], isolated_git: None, tmp_path: Path) -> Iterator[Served]:
    running, base = daemon
    yield Served(running, base, tmp_path / "cache")


# (1) a normal action repository -----------------------------------------------------------------------------------


def test_a_floating_major_is_pinned_to_its_commit_with_the_full_version_and_where_it_came_from(served: Served) -> None:
    found = served.source().action("acme/tool", "v1")
    assert found == Pinned(served.v110, "v1.1.0", Origin.LIVE, f"git ls-remote {served.url}", NOW)
    assert found.provenance.startswith(f"live: git ls-remote {served.url} at ")


def test_exact_tags_lightweight_and_annotated_are_pinned(served: Served) -> None:
    source = served.source()
    assert source.action("acme/tool", "v1.0.0") == Pinned(
        served.v100, "v1.0.0", Origin.LIVE, f"git ls-remote {served.url}", NOW
    )
    found = source.action("Acme/Tool", "v1.1.0")  # forges ignore the case of names
    assert isinstance(found, Pinned) and found.value == served.v110


def test_a_lookup_is_cached_with_its_source_and_time(served: Served) -> None:
    served.source().action("acme/tool", "v1")
    pins = json.loads((served.cache / FILE_NAME).read_text())["pins"]
    assert {(pin["ref"], pin["value"], pin["version"]) for pin in pins} == {
        ("v1", served.v110, "v1.1.0"),
        ("v1.1.0", served.v110, "v1.1.0"),  # the exact tag too, so that a later move of it is noticed
    }
    assert {pin["source"] for pin in pins} == {f"git ls-remote {served.url}"}
    assert {pin["at"] for pin in pins} == {NOW.strftime("%Y-%m-%dT%H:%M:%SZ")}


def test_a_branch_an_unknown_tag_and_a_short_sha_are_refused(served: Served) -> None:
    source = served.source()
    assert source.action("acme/tool", "main") == Refused("main is a branch; pin a release tag")
    assert source.action("acme/tool", "v9") == Refused(f"no tag v9 in {served.url}")
    short = source.action("acme/tool", served.v110[:7])
    assert isinstance(short, Refused) and "full 40-character SHA" in short.reason
    missing = source.action("acme/nothing", "v1")
    assert isinstance(missing, Refused) and missing.reason.startswith(
        f"could not reach {served.daemon.url('acme/nothing')}: "
    )


# (2) a moved tag ---------------------------------------------------------------------------------------------------


def test_a_tag_moved_since_it_was_cached_is_refused_naming_both_commits(served: Served) -> None:
    assert served.source().action("acme/tool", "v1.1.0") == Pinned(
        served.v110, "v1.1.0", Origin.LIVE, f"git ls-remote {served.url}", NOW
    )
    moved_to = served.repo.commit("rewritten", days_ago(20))
    served.repo.tag("v1.1.0", moved_to, days_ago(20))  # git tag -f upstream
    refused = served.source().action("acme/tool", "v1.1.0")
    assert refused == Refused(
        f"tag v1.1.0 moved from {served.v110[:7]} to {moved_to[:7]} since it was cached at "
        f"{NOW:%Y-%m-%dT%H:%MZ}; not pinned: check the upstream"
    )
    again = served.source().action("acme/tool", "v1.1.0")
    assert again == refused  # the cache still holds the first commit: the move is reported until someone looks


def test_a_floating_tag_whose_release_moved_steps_back(served: Served) -> None:
    served.source().action("acme/tool", "v1")
    moved_to = served.repo.commit("rewritten", days_ago(20))
    served.repo.tag("v1.1.0", moved_to, days_ago(20))
    served.repo.tag("v1", moved_to, days_ago(20))
    found = served.source().action("acme/tool", "v1")
    assert isinstance(found, Pinned)
    assert (found.value, found.version) == (served.v100, "v1.0.0")
    assert found.note.startswith(f"tag v1.1.0 moved from {served.v110[:7]} to {moved_to[:7]}")


# (3) an impostor commit --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("filters", [False, True], ids=["server-without-filters", "server-with-filters"])
def test_an_impostor_commit_is_refused_and_the_same_commit_on_a_branch_is_pinned(served: Served, filters: bool) -> None:
    if filters:  # a server that would hand out any object asked for by SHA, as GitHub does for a fork's commits
        served.repo.config("uploadpack.allowFilter", "true")
        served.repo.config("uploadpack.allowAnySHA1InWant", "true")
    fork = served.repo.commit("from a fork", days_ago(3), branch=None, parent=served.v110)
    served.repo.set_ref("refs/pull/1/head", fork)
    refused = served.source().action("acme/tool", fork)
    assert refused == Refused(
        f"impostor commit: {fork} is not in the history of any branch or tag of {served.url} (it may come from a fork)"
    )
    served.repo.set_ref("refs/heads/feature", fork)
    served.repo.commit("on top", days_ago(2), branch="feature")  # reachable, but no longer a branch's tip
    found = served.source().action("acme/tool", fork)
    assert found == Pinned(fork, fork, Origin.LIVE, f"git fetch {served.url} (branches and tags)", NOW)


def test_a_commit_in_no_ref_at_all_is_an_impostor_and_a_tagged_one_has_its_version(served: Served) -> None:
    source = served.source()
    refused = source.action("acme/tool", "d" * 40)
    assert isinstance(refused, Refused) and refused.reason.startswith("impostor commit: ")
    tagged = source.action("acme/tool", served.v100)
    assert isinstance(tagged, Pinned) and tagged.version == "v1.0.0"


# (4) a tag inside the cooldown -------------------------------------------------------------------------------------


def test_a_floating_tag_on_a_release_inside_the_cooldown_takes_the_previous_release(served: Served) -> None:
    served.release("v1.2.0", 2)
    found = served.source().action("acme/tool", "v1")
    assert found == Pinned(
        served.v110,
        "v1.1.0",
        Origin.LIVE,
        f"git ls-remote {served.url}",
        NOW,
        "v1.2.0 is 2 days old (cooldown 7 days); took v1.1.0",
    )
    exact = served.source().action("acme/tool", "v1.2.0")
    assert isinstance(exact, Refused)
    assert exact.reason.startswith("v1.2.0 is 2 days old (cooldown 7 days); not pinned")


def test_an_annotated_tag_is_as_old_as_its_tagger_date_not_its_commit(served: Served) -> None:
    old_commit = served.repo.commit("old work", days_ago(90))
    served.repo.tag("v1.2.0", old_commit, days_ago(1))
    refused = served.source().action("acme/tool", "v1.2.0")
    assert isinstance(refused, Refused) and "v1.2.0 is 1 day old" in refused.reason


def test_a_shorter_cooldown_takes_the_newest(served: Served) -> None:
    newest = served.release("v1.2.0", 2)
    source = LiveSource(served.settings(cooldown=timedelta(days=1)), advisories=NO_ADVISORIES)
    found = source.action("acme/tool", "v1")
    assert isinstance(found, Pinned) and (found.value, found.version, found.note) == (newest, "v1.2.0", "")


# (5) a compromised commit ------------------------------------------------------------------------------------------


def test_a_floating_tag_on_a_compromised_commit_steps_back_and_the_exact_tag_is_refused(served: Served) -> None:
    advisories = {served.v110: "GHSA-test-0001"}
    found = served.source(advisories=advisories).action("acme/tool", "v1")
    assert isinstance(found, Pinned)
    assert (found.value, found.version) == (served.v100, "v1.0.0")
    assert found.note == f"v1.1.0 ({served.v110[:7]}) is on the advisory list (GHSA-test-0001); took v1.0.0"
    exact = served.source(advisories=advisories).action("acme/tool", "v1.1.0")
    assert isinstance(exact, Refused) and "is on the advisory list (GHSA-test-0001)" in exact.reason
    by_sha = served.source(advisories=advisories).action("acme/tool", served.v110)
    assert by_sha == Refused(f"{served.v110} is on the advisory list (GHSA-test-0001); not pinned")


def test_nothing_left_to_step_back_to_is_refused(served: Served) -> None:
    advisories = {served.v110: "GHSA-a", served.v100: "GHSA-b"}
    refused = served.source(advisories=advisories).action("acme/tool", "v1")
    assert isinstance(refused, Refused)
    assert "no earlier v1 release passes the cooldown and the advisory list" in refused.reason


# Offline, memoised, cached -----------------------------------------------------------------------------------------


def test_offline_the_cache_answers_without_the_network(isolated_git: None, tmp_path: Path) -> None:
    base = tmp_path / "served"
    base.mkdir()
    with git_daemon(base) as running:
        served = Served(running, base, tmp_path / "cache")
        live = served.source().action("acme/tool", "v1")
    assert port_is_closed(running.port)
    offline = source_for(replace(served.settings(), online=False))
    assert isinstance(offline, CachedSource)
    found = offline.action("acme/tool", "v1")
    assert isinstance(live, Pinned) and isinstance(found, Pinned)
    assert (found.value, found.version, found.origin) == (live.value, live.version, Origin.CACHE)
    assert found.provenance == f"cache: git ls-remote {served.url} at {NOW:%Y-%m-%dT%H:%MZ}"
    assert offline.action("acme/tool", "v1.0.0") == Refused(
        "no verified commit for acme/tool@v1.0.0 in scaffold's table (--online resolves it live)"
    )


def test_offline_without_a_cache_entry_the_shipped_table_answers(tmp_path: Path) -> None:
    source = source_for(Settings(cache_dir=tmp_path / "cache"))
    found = source.action("actions/checkout", "v4")
    assert isinstance(found, Pinned) and found.origin is Origin.TABLE and found.version == "v4.4.0"
    assert not (tmp_path / "cache").exists()  # offline runs never write


def test_offline_a_table_pin_on_the_advisory_list_is_refused(tmp_path: Path) -> None:
    table = source_for(Settings(cache_dir=tmp_path / "cache")).action("actions/checkout", "v4")
    assert isinstance(table, Pinned)
    source = source_for(Settings(cache_dir=tmp_path / "cache"), advisories={table.value: "GHSA-test-0002"})
    refused = source.action("actions/checkout", "v4")
    assert isinstance(refused, Refused) and "is on the advisory list (GHSA-test-0002)" in refused.reason


def test_a_bad_cache_file_stops_the_run_before_any_work(tmp_path: Path) -> None:
    (tmp_path / "cache").mkdir()
    (tmp_path / "cache" / FILE_NAME).write_text('{"schema": 1, "pins": [{"kind": "git"}]}')
    for online in (False, True):
        with pytest.raises(UsageError, match=r"pins\[0\]: must have exactly the fields"):
            source_for(Settings(online=online, cache_dir=tmp_path / "cache"))


def test_each_remote_is_listed_and_fetched_once_per_run(isolated_git: None, tmp_path: Path) -> None:
    base = tmp_path / "served"
    base.mkdir()
    with git_daemon(base) as running:
        served = Served(running, base, tmp_path / "cache")
        source = served.source()
        first = source.action("acme/tool", "v1")
    # The daemon is gone: what the same run asks next about the same repository is answered from what it read.
    assert isinstance(first, Pinned)
    assert source.action("acme/tool", "v1.0.0") == Pinned(
        served.v100, "v1.0.0", Origin.LIVE, f"git ls-remote {served.url}", NOW
    )
    assert source.action("acme/tool", "main") == Refused("main is a branch; pin a release tag")
    new_run = served.source().action("acme/tool", "v1.0.0")  # a new run cannot reach it: the cache vouches, and says so
    assert isinstance(new_run, Pinned) and (new_run.value, new_run.origin) == (served.v100, Origin.CACHE)
    assert "the live lookup failed (could not reach " in new_run.note


def test_a_gitlab_project_and_a_git_url_resolve_the_same_way(served: Served) -> None:
    project = Upstream.create(served.base / "group" / "sub", "project")
    commit = project.commit("release", days_ago(40))
    project.tag("v2.0.0", commit, days_ago(40))
    source = served.source()
    found = source.project("group/sub/project", "v2.0.0")
    url = served.daemon.url("group/sub/project.git")
    assert found == Pinned(commit, "v2.0.0", Origin.LIVE, f"git ls-remote {url}", NOW)
    assert source.git(served.url + "/", "v1.0.0") == Pinned(
        served.v100, "v1.0.0", Origin.LIVE, f"git ls-remote {served.url}", NOW
    )
    assert isinstance(source.project("../../etc", "v1"), Refused)
    assert isinstance(source.project("single", "v1"), Refused)


def test_newest_release_passes_over_a_release_inside_the_cooldown(served: Served) -> None:
    served.release("v1.2.0", 2)
    served.release("v2.0.0", 40, floating="v2")
    source = served.source()
    found = source.newest_release(served.url, "v1")
    assert isinstance(found, Pinned)
    assert (found.value, found.version) == (served.v110, "v1.1.0")
    assert found.note == "v1.2.0 is 2 days old (cooldown 7 days); took v1.1.0"
    newest = source.newest_release(served.url, "")
    assert isinstance(newest, Pinned) and newest.version == "v2.0.0" and newest.note == ""
    assert source.newest_release(served.url, "v7") == Refused(f"{served.url}: no v7 release tag (vX.Y.Z) found")
    assert isinstance(source.newest_release(served.url, "main"), Refused)
    assert isinstance(source.newest_release("file:///etc", "v1"), Refused)


# Through harden ----------------------------------------------------------------------------------------------------


def _harden(text: str, level: Safety) -> tuple[str, list[str], list[str]]:
    rule = next(rule for rule in REGISTRY if rule.id == "unpinned-uses")
    result = harden_document(Document(".github/workflows/ci.yml", Kind.WORKFLOW, text), level, None, [rule])
    return result.after, [change.message for change in result.applied], [note.message for note in result.notes]


WORKFLOW = "on: push\njobs:\n  build:\n    runs-on: ubuntu-24.04\n    steps:\n      - uses: acme/tool@{ref}\n"


def test_harden_pins_with_the_live_source_and_says_where_the_pin_came_from(served: Served) -> None:
    with using(served.source()):
        after, applied, notes = _harden(WORKFLOW.format(ref="v1"), Safety.SAFE)
    assert after == WORKFLOW.format(ref=f"{served.v110} # v1.1.0")
    assert applied == [
        f"acme/tool@v1: pin to {served.v110} (v1.1.0; live: git ls-remote {served.url} at {NOW:%Y-%m-%dT%H:%MZ})"
    ]
    assert notes == []


def test_harden_takes_a_stepped_back_release_only_as_an_unsafe_fix(served: Served) -> None:
    served.release("v1.2.0", 2)
    text = WORKFLOW.format(ref="v1")
    with using(served.source()):
        safe_after, safe_applied, _ = _harden(text, Safety.SAFE)
        after, applied, _ = _harden(text, Safety.UNSAFE)
    assert safe_after == text and safe_applied == []
    assert after == WORKFLOW.format(ref=f"{served.v110} # v1.1.0")
    assert applied[0].endswith("; v1.2.0 is 2 days old (cooldown 7 days); took v1.1.0")


def test_harden_leaves_a_refused_ref_with_the_reason(served: Served) -> None:
    with using(served.source()):
        after, applied, notes = _harden(WORKFLOW.format(ref="main"), Safety.UNSAFE)
    assert after == WORKFLOW.format(ref="main") and applied == []
    assert notes == ["acme/tool@main: main is a branch; pin a release tag; pin it by hand"]


# Hostile input -----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "ext::sh -c touch% {marker}",
        "ext::sh",
        "file://{marker_dir}",
        "--upload-pack=touch {marker}",
        "-uhttps://example.com/x",
        "https://user:secret@example.com/x",
        "http://example.com/x",
        "git://example.com/x",
        "ssh://git@example.com/x",
        "git@example.com:x/y.git",
        "https://example.com/x\n--upload-pack=touch {marker}",
    ],
)
def test_hostile_urls_are_refused_and_run_nothing(tmp_path: Path, url: str) -> None:
    marker = tmp_path / "pwned"
    source = LiveSource(Settings(online=True, cache_dir=tmp_path / "cache"), advisories=NO_ADVISORIES, timeout=5)
    found = source.git(url.format(marker=marker, marker_dir=tmp_path), "v1")
    assert isinstance(found, Refused)
    assert "\n" not in found.reason
    assert not marker.exists()
    assert not (tmp_path / "cache" / "git").exists()  # refused before any git ran


@pytest.mark.parametrize(
    ("repo", "ref"),
    [
        ("../etc", "v1"),
        ("acme", "v1"),
        ("acme/tool/extra", "v1"),
        ("-acme/tool", "v1"),
        ("acme/tool", "--upload-pack=x"),
        ("acme/tool", "v1..v2"),
        ("acme/tool", "v1 v2"),
        ("acme/tool", "v1\x1b[2J"),
        ("acme/tool", ""),
        ("acme/tool", "refs/tags/v1.lock"),
    ],
)
def test_hostile_names_and_refs_are_refused_without_the_network(tmp_path: Path, repo: str, ref: str) -> None:
    settings = Settings(online=True, action_forge="https://forge.invalid", cache_dir=tmp_path / "cache")
    found = LiveSource(settings, advisories=NO_ADVISORIES, timeout=5).action(repo, ref)
    assert isinstance(found, Refused)
    assert "\n" not in found.reason and "\x1b" not in found.reason
    assert not (tmp_path / "cache" / "git").exists()


def test_a_hostile_forge_setting_is_refused(tmp_path: Path) -> None:
    settings = Settings(online=True, action_forge="ext::sh -c", cache_dir=tmp_path / "cache")
    found = LiveSource(settings, advisories=NO_ADVISORIES).action("acme/tool", "v1")
    assert isinstance(found, Refused)


def test_a_server_that_never_answers_is_refused_within_the_time_limit(isolated_git: None, tmp_path: Path) -> None:
    with silent_server() as port, hang_guard():
        settings = Settings(online=True, action_forge=f"git://127.0.0.1:{port}", cache_dir=tmp_path / "cache")
        found = LiveSource(settings, advisories=NO_ADVISORIES, timeout=2).action("acme/tool", "v1")
    assert isinstance(found, Refused)
    assert found.reason == (
        f"could not reach git://127.0.0.1:{port}/acme/tool: git did not finish within 2 s; the repository was not read"
    )


def test_image_lookups_go_to_the_registry_resolver(tmp_path: Path) -> None:
    with silent_server() as port:
        pass  # closed again: no registry there
    settings = Settings(online=True, cache_dir=tmp_path / "cache")
    found = LiveSource(settings, advisories=NO_ADVISORIES, timeout=5).image(f"127.0.0.1:{port}/acme/app:1.0")
    assert isinstance(found, Refused) and f"127.0.0.1:{port}" in found.reason


def test_an_unreachable_forge_falls_back_to_the_table_with_a_note_and_never_for_other_refusals(
    tmp_path: Path,
) -> None:
    from socket import socket

    with socket() as closed:  # a port nothing listens on: the connection is refused at once
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
    settings = Settings(online=True, action_forge=f"git://127.0.0.1:{port}", cache_dir=tmp_path)
    source = LiveSource(settings, timeout=10)
    found = source.action("actions/checkout", "v4")
    table = TableSource().action("actions/checkout", "v4")
    assert isinstance(found, Pinned) and isinstance(table, Pinned)
    assert (found.value, found.origin) == (table.value, Origin.TABLE)
    assert "the live lookup failed (could not reach" in found.note
    unknown = source.action("someone/not-in-the-table", "v1")
    assert isinstance(unknown, Refused) and unknown.unreachable
    assert isinstance(source.action("actions/checkout", "-bad"), Refused)


# Moved tags offline, first sightings, bad answers, the end of a run -------------------------------------------------


def test_a_tag_refused_as_moved_online_is_refused_offline_until_a_live_run_finds_it_back(served: Served) -> None:
    first = served.source()
    assert isinstance(first.action("acme/tool", "v1.1.0"), Pinned) and isinstance(
        first.action("acme/tool", "v1"), Pinned
    )
    moved_to = served.repo.commit("rewritten", days_ago(20))
    served.repo.tag("v1.1.0", moved_to, days_ago(20))
    assert isinstance(served.source().action("acme/tool", "v1.1.0"), Refused)
    offline = source_for(served.settings(online=False))
    assert offline.action("acme/tool", "v1.1.0") == Refused(
        f"tag v1.1.0 moved from {served.v110[:7]} to {moved_to[:7]} (a live run saw it at {NOW:%Y-%m-%dT%H:%MZ}); "
        "not pinned: check the upstream"
    )
    assert isinstance(offline.action("acme/tool", "v1"), Pinned)  # only the moved tag is marked
    served.repo.tag("v1.1.0", served.v110, days_ago(30))  # put back where it was
    assert isinstance(served.source().action("acme/tool", "v1.1.0"), Pinned)
    back = source_for(served.settings(online=False)).action("acme/tool", "v1.1.0")
    assert isinstance(back, Pinned) and (back.value, back.origin) == (served.v110, Origin.CACHE)


def test_a_server_answering_with_an_error_is_refused_without_the_table_standing_in(served: Served) -> None:
    """The forge answers (the repository is not there): not 'unreachable', so the shipped table does not vouch."""
    found = LiveSource(served.settings(), timeout=30).action("actions/checkout", "v4")
    assert isinstance(found, Refused) and not found.unreachable
    assert found.reason.startswith(f"could not reach {served.daemon.url('actions/checkout')}: ")


def test_tags_seen_at_the_first_listing_keep_their_own_dates_on_later_days(served: Served) -> None:
    """The first listing of a remote cannot tell when its tags appeared: they are judged by their own dates then,
    and on every later day (a cache started yesterday must not make every old release look a day old)."""
    yesterday = replace(served.settings(), now=NOW - timedelta(days=1))
    first = LiveSource(yesterday, advisories=NO_ADVISORIES).action("acme/tool", "v1")
    again = served.source().action("acme/tool", "v1")
    assert isinstance(first, Pinned) and isinstance(again, Pinned)
    assert (again.value, again.version, again.note) == (served.v110, "v1.1.0", "")


def test_a_backdated_release_is_judged_by_its_first_sighting_once_the_remote_is_known(served: Served) -> None:
    assert isinstance(
        LiveSource(replace(served.settings(), now=NOW - timedelta(days=3))).action("acme/tool", "v1"), Pinned
    )
    planted = served.release("v1.2.0", 40)  # pushed now, dated 40 days ago; v1 moves to it
    found = served.source().action("acme/tool", "v1")
    assert isinstance(found, Pinned) and (found.value, found.version) == (served.v110, "v1.1.0")
    assert found.note.startswith("v1.2.0 was first seen by scaffold 0 seconds ago, though dated ")
    exact = served.source().action("acme/tool", "v1.2.0")
    assert isinstance(exact, Refused) and "first seen by scaffold" in exact.reason
    week_later = LiveSource(replace(served.settings(), now=NOW + timedelta(days=8)), advisories=NO_ADVISORIES)
    later = week_later.action("acme/tool", "v1")
    assert isinstance(later, Pinned) and (later.value, later.version) == (planted, "v1.2.0")


def test_a_first_listing_takes_a_backdated_release_by_its_own_date(served: Served) -> None:
    """The documented limit: with no earlier record of the remote, only the tag's own date can be judged."""
    planted = served.release("v1.2.0", 40)
    found = served.source().action("acme/tool", "v1")
    assert isinstance(found, Pinned) and found.value == planted


def test_a_name_that_is_both_a_tag_and_a_branch_is_refused_naming_both(served: Served) -> None:
    served.repo.commit("on a branch", days_ago(10), branch="v1.0.0")
    for cooldown in (timedelta(days=7), timedelta(0)):
        found = LiveSource(served.settings(cooldown=cooldown), advisories=NO_ADVISORIES).action("acme/tool", "v1.0.0")
        assert isinstance(found, Refused)
        assert found.reason.startswith(f"v1.0.0 is both a tag and a branch of {served.url}")


def test_without_a_cooldown_a_release_stepped_back_to_is_checked_too(served: Served) -> None:
    blob = served.repo.git("hash-object", "-w", "--stdin")
    served.repo.set_ref("refs/tags/v1.0.1", blob)  # a "release" that is a blob
    bad = served.release("v1.2.0", 20)
    source = LiveSource(served.settings(cooldown=timedelta(0)), advisories={bad: "GHSA-test-0003"})
    found = source.action("acme/tool", "v1")
    assert isinstance(found, Pinned) and (found.value, found.version) == (served.v110, "v1.1.0")
    assert isinstance(source.action("acme/tool", "v1.0.1"), Refused)


def test_resolving_writes_the_cache_once_when_the_run_ends(served: Served) -> None:
    with resolving(served.settings(), advisories=NO_ADVISORIES) as source:
        assert isinstance(source.action("acme/tool", "v1"), Pinned)
        assert not (served.cache / FILE_NAME).exists()
    pins = json.loads((served.cache / FILE_NAME).read_text())
    assert {pin["ref"] for pin in pins["pins"]} == {"v1", "v1.1.0"}
    assert [seen["url"] for seen in pins["seen"]] == [served.url]
    with pytest.raises(RuntimeError), resolving(served.settings(), advisories=NO_ADVISORIES) as source:
        source.action("acme/tool", "v1.0.0")
        raise RuntimeError("the run failed")
    assert "v1.0.0" in {pin["ref"] for pin in json.loads((served.cache / FILE_NAME).read_text())["pins"]}
