"""Which repositories a fleet command runs over."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from scaffold.errors import UsageError
from scaffold.fleet.targets import Target, expand, parse_shard, read_list, shard


def _repo(path: Path) -> Path:
    (path / ".git").mkdir(parents=True)
    return path


def test_a_folder_of_clones_stands_for_the_repositories_in_it(tmp_path: Path) -> None:
    for name in ("b", "a"):
        _repo(tmp_path / "clones" / name)
    (tmp_path / "clones" / "notes").mkdir()  # not a repository: left out
    (tmp_path / "clones" / "link").symlink_to(tmp_path / "clones" / "a")  # a link is not followed
    found = expand([str(tmp_path / "clones"), str(tmp_path / "clones" / "a")])
    assert found == [Target(str(tmp_path / "clones" / "a")), Target(str(tmp_path / "clones" / "b"))]
    assert [target.name for target in found] == ["a", "b"]


def test_a_repository_a_kit_or_a_missing_path_is_its_own_target(tmp_path: Path) -> None:
    repo = _repo(tmp_path / "repo")
    _repo(repo / "vendored")  # a repository inside a repository is not a folder of clones
    kit = tmp_path / "kit"
    kit.mkdir()
    (kit / ".scaffold.yml").write_text("")
    _repo(kit / "inner")
    found = expand([str(repo), str(kit), str(tmp_path / "missing")])
    assert [t.spec for t in found] == [str(kit), str(tmp_path / "missing"), str(repo)]


def test_urls_are_remote_targets_named_after_their_last_part() -> None:
    found = expand(["https://git.example.com/acme/payments.git", "git@github.com:acme/ledger.git"])
    assert {(t.remote, t.name) for t in found} == {(True, "payments"), (True, "ledger")}
    assert len({t.key for t in found}) == 2


@pytest.mark.parametrize("spec", ["", "-upload-pack=touch x", "a\nb", "x" * 5000])
def test_a_spec_that_cannot_be_a_repository_is_refused(spec: str) -> None:
    with pytest.raises(UsageError, match="repository"):
        expand([spec])


def test_the_list_file_skips_comments_and_blank_lines(tmp_path: Path) -> None:
    listing = tmp_path / "repos.txt"
    listing.write_text("# fleet\n\n  /srv/a  \n# /srv/b\nhttps://x.example.com/c.git\n")
    assert read_list(listing) == ["/srv/a", "https://x.example.com/c.git"]
    listing.write_bytes(b"\x00\x01")
    with pytest.raises(UsageError, match="--from"):
        read_list(listing)


@pytest.mark.parametrize("text", ["1/1", "-1/2", "a/b", "2", "0/0", "01/2", "1/ 2"])
def test_a_bad_shard_is_refused(text: str) -> None:
    with pytest.raises(UsageError, match="--shard"):
        parse_shard(text)


@given(st.integers(min_value=0, max_value=60), st.integers(min_value=1, max_value=9))
def test_shards_are_disjoint_cover_everything_and_differ_by_one_at_most(size: int, count: int) -> None:
    targets = [Target(f"/srv/{number:03d}") for number in range(size)]
    parts = [shard(targets, index, count) for index in range(count)]
    assert sorted(t for part in parts for t in part) == targets
    assert max(map(len, parts)) - min(map(len, parts)) <= 1
