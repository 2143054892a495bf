"""The on-disk pin cache: written atomically, read as untrusted input (one-line UsageError for every bad file)."""

from __future__ import annotations

import gc
import json
import os
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from scaffold.errors import UsageError
from scaffold.resolve import cache as cache_module
from scaffold.resolve.cache import FILE_NAME, PinCache, read_entries
from scaffold.resolve.model import Origin, Pinned
from tests.support.hang_guard import hang_guard

SHA = "0123456789abcdef0123456789abcdef01234567"
DIGEST = "sha256:" + "ab" * 32
AT = datetime(2026, 12, 7, 20, 41, tzinfo=UTC)
URL = "https://github.com/actions/checkout"


def live(value: str = SHA, version: str = "v4.3.1") -> Pinned:
    return Pinned(value, version, Origin.LIVE, f"git ls-remote {URL}", AT)


def entry(**changes: Any) -> dict[str, Any]:
    item: dict[str, Any] = {
        "kind": "git",
        "url": URL,
        "ref": "v4",
        "value": SHA,
        "version": "v4.3.1",
        "source": f"git ls-remote {URL}",
        "at": "2026-12-07T20:41:00Z",
    }
    item.update(changes)
    return item


def write(folder: Path, data: Any) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / FILE_NAME
    path.write_text(json.dumps(data) if not isinstance(data, str) else data)
    return path


def test_a_recorded_pin_is_read_back_by_another_run_with_its_origin_source_and_time(tmp_path: Path) -> None:
    first = PinCache.load(tmp_path / "cache")
    assert first.get("git", URL, "v4") is None
    assert first.record("git", URL, "v4", live())
    again = PinCache.load(tmp_path / "cache").get("git", URL, "v4")
    assert again is not None
    assert again.pinned() == Pinned(SHA, "v4.3.1", Origin.CACHE, f"git ls-remote {URL}", AT)
    assert again.pinned().provenance == f"cache: git ls-remote {URL} at 2026-12-07T20:41Z"


def test_the_file_is_replaced_atomically_and_no_temporary_file_stays(tmp_path: Path) -> None:
    folder = tmp_path / "cache"
    cache = PinCache.load(folder)
    cache.record("git", URL, "v4", live())
    cache.record("image", "python:3.13", "", live(DIGEST, "3.13"))
    assert cache.pending and not folder.exists()  # written once, when the run flushes
    assert cache.flush() and not cache.pending
    assert sorted(path.name for path in folder.iterdir()) == [FILE_NAME]
    data = json.loads((folder / FILE_NAME).read_text())
    assert data["schema"] == 1
    assert [(item["kind"], item["ref"], item["value"]) for item in data["pins"]] == [
        ("git", "v4", SHA),
        ("image", "", DIGEST),
    ]


def test_entries_written_by_another_run_meanwhile_are_kept(tmp_path: Path) -> None:
    folder = tmp_path / "cache"
    one, two = PinCache.load(folder), PinCache.load(folder)
    one.record("git", URL, "v4", live())
    two.record("git", URL, "v5", live("f" * 40, "v5.0.0"))
    assert one.flush() and two.flush()
    entries = read_entries(folder / FILE_NAME)
    assert set(entries) == {("git", URL, "v4"), ("git", URL, "v5")}


def test_a_pin_the_file_could_not_hold_is_not_recorded(tmp_path: Path) -> None:
    cache = PinCache.load(tmp_path / "cache")
    assert not cache.record("git", URL, "v4", live("not-a-sha"))
    assert not cache.record("image", "python:3.13", "", live(SHA))  # a commit where a digest belongs
    assert not cache.record("git", URL, "v4\n", live())
    assert not (tmp_path / "cache" / FILE_NAME).exists()


def test_a_cache_that_cannot_be_written_is_skipped_not_fatal(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("a file where the cache folder should be\n")
    cache = PinCache.load(blocker / "cache")
    assert cache.record("git", URL, "v4", live())
    assert cache.flush() is False
    assert cache.pending  # kept, for a later flush
    assert cache.get("git", URL, "v4") is not None  # the run still knows it


def test_a_damaged_file_is_replaced_by_what_the_run_knows_when_it_writes(tmp_path: Path) -> None:
    folder = tmp_path / "cache"
    cache = PinCache.load(folder)
    write(folder, "{not json")
    assert cache.record("git", URL, "v4", live())
    assert cache.flush()
    assert set(read_entries(folder / FILE_NAME)) == {("git", URL, "v4")}


def test_a_symlinked_cache_file_is_replaced_not_written_through(tmp_path: Path) -> None:
    folder = tmp_path / "cache"
    folder.mkdir()
    elsewhere = tmp_path / "elsewhere.json"
    elsewhere.write_text(json.dumps({"schema": 1, "pins": []}))
    (folder / FILE_NAME).symlink_to(elsewhere)
    cache = PinCache.load(folder)
    cache.record("git", URL, "v4", live())
    assert cache.flush()
    assert json.loads(elsewhere.read_text()) == {"schema": 1, "pins": []}
    assert not (folder / FILE_NAME).is_symlink()


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ("{not json", "is not valid JSON (line 1)"),
        ("[" * 200_000, "is not valid JSON"),
        ([], "(top level): must be an object with exactly 'schema' and 'pins'"),
        ({"schema": 1}, "(top level): must be an object"),
        ({"schema": 1, "pins": [], "extra": 1}, "(top level): must be an object"),
        ({"schema": 2, "pins": []}, "schema: must be 1"),
        ({"schema": True, "pins": []}, "schema: must be 1"),
        ({"schema": 1, "pins": {}}, "pins: must be a list"),
        ({"schema": 1, "pins": ["x"]}, "pins[0]: must be an object"),
        ({"schema": 1, "pins": [{**entry(), "extra": "x"}]}, "pins[0]: must have exactly the fields"),
        ({"schema": 1, "pins": [entry(value=7)]}, "pins[0].value: must be a string"),
        ({"schema": 1, "pins": [entry(value="abc")]}, "pins[0].value: must be a 40-character lower-case commit SHA"),
        ({"schema": 1, "pins": [entry(value=SHA.upper())]}, "pins[0].value: must be a 40-character"),
        ({"schema": 1, "pins": [entry(kind="image")]}, "pins[0].value: must be a sha256: digest"),
        ({"schema": 1, "pins": [entry(kind="npm")]}, "pins[0].kind: must be one of git, image"),
        ({"schema": 1, "pins": [entry(at="yesterday")]}, "pins[0].at: must be an ISO 8601 time with a zone"),
        ({"schema": 1, "pins": [entry(at="2026-12-07T20:41:00")]}, "pins[0].at: must be an ISO 8601 time"),
        ({"schema": 1, "pins": [entry(at="2026-13-07T20:41:00Z")]}, "pins[0].at: must be an ISO 8601 time"),
        ({"schema": 1, "pins": [entry(ref="v4\x1b[2J")]}, "pins[0].ref: holds a control character"),
        ({"schema": 1, "pins": [entry(url="")]}, "pins[0].url: must not be empty"),
        ({"schema": 1, "pins": [entry(url="h" * 3000)]}, "pins[0].url: is longer than 2048 characters"),
        ({"schema": 1, "pins": [entry(), entry(ref=None)]}, "pins[1].ref: must be a string"),
    ],
)
def test_a_bad_cache_file_is_a_one_line_usage_error_naming_the_field_and_the_rule(
    tmp_path: Path, data: Any, message: str
) -> None:
    path = write(tmp_path / "cache", data)
    with pytest.raises(UsageError) as caught:
        PinCache.load(tmp_path / "cache")
    text = str(caught.value)
    assert text.startswith(f"pin cache {path}: ")
    assert message in text
    assert "\n" not in text and "\x1b" not in text
    assert caught.value.exit_code == 2


def test_too_many_entries_are_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(cache_module, "MAX_ENTRIES", 3)
    write(tmp_path / "cache", {"schema": 1, "pins": [entry(ref=f"v{n}") for n in range(4)]})
    with pytest.raises(UsageError, match=r"pins: holds more than 3 entries"):
        PinCache.load(tmp_path / "cache")


def test_a_fifo_is_refused_without_waiting_for_a_writer(tmp_path: Path) -> None:
    folder = tmp_path / "cache"
    folder.mkdir()
    os.mkfifo(folder / FILE_NAME)
    with hang_guard(), pytest.raises(UsageError, match=r"is not a regular file \(a FIFO\)"):
        PinCache.load(folder)


def test_a_huge_file_is_refused_without_reading_it_all(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(cache_module, "MAX_BYTES", 1024)
    path = write(tmp_path / "cache", {"schema": 1, "pins": [entry(ref=f"v{n}") for n in range(20)]})
    assert path.stat().st_size > 1024
    with pytest.raises(UsageError, match="is larger than 1024 bytes"):
        PinCache.load(tmp_path / "cache")


def test_a_folder_where_the_file_belongs_is_refused(tmp_path: Path) -> None:
    (tmp_path / "cache" / FILE_NAME).mkdir(parents=True)
    with pytest.raises(UsageError, match=r"is not a regular file \(a folder\)"):
        PinCache.load(tmp_path / "cache")


def test_a_valid_file_with_both_kinds_loads(tmp_path: Path) -> None:
    image = entry(kind="image", url="python:3.13", ref="", value=DIGEST, version="3.13", at="2026-12-07T20:41+01:00")
    write(tmp_path / "cache", {"schema": 1, "pins": [entry(), image]})
    loaded = PinCache.load(tmp_path / "cache")
    found = loaded.get("image", "python:3.13", "")
    assert found is not None
    assert found.at == datetime(2026, 12, 7, 19, 41, tzinfo=UTC)
    assert loaded.get("git", URL, "v4") is not None


# Batched writes -----------------------------------------------------------------------------------------------------


def test_a_load_of_the_same_folder_first_writes_what_another_cache_still_holds(tmp_path: Path) -> None:
    folder = tmp_path / "cache"
    running = PinCache.load(folder)
    running.record("git", URL, "v4", live())
    other = PinCache.load(tmp_path / "elsewhere")
    assert running.pending and other.get("git", URL, "v4") is None  # another folder: untouched
    assert PinCache.load(folder).get("git", URL, "v4") is not None
    assert not running.pending


def test_a_cache_let_go_is_written(tmp_path: Path) -> None:
    folder = tmp_path / "cache"
    cache = PinCache.load(folder)
    cache.record("git", URL, "v4", live())
    del cache
    gc.collect()
    assert set(read_entries(folder / FILE_NAME)) == {("git", URL, "v4")}


def test_ten_thousand_records_are_written_once(tmp_path: Path) -> None:
    cache = PinCache.load(tmp_path / "cache")
    with hang_guard():
        for number in range(10_000):
            cache.record("git", URL, f"t{number}", live())
        assert cache.flush()
    assert len(read_entries(tmp_path / "cache" / FILE_NAME)) == 10_000


# First sightings and moved markers ----------------------------------------------------------------------------------

OTHER = "f" * 40
LATER = AT + timedelta(days=1)


def test_the_first_listing_of_a_remote_tells_no_tag_s_age_and_later_ones_do(tmp_path: Path) -> None:
    cache = PinCache.load(tmp_path / "cache")
    first = cache.observe(URL, {"v1.0.0": SHA, "v1": SHA}, AT)
    assert first.since == AT and first.news("v1.0.0", SHA) is None
    later = cache.observe(URL, {"v1.0.0": SHA, "v1": OTHER, "v1.1.0": OTHER}, LATER)
    assert later.since == AT
    assert later.news("v1.0.0", SHA) is None  # unchanged since the first listing
    assert later.news("v1.1.0", OTHER) == LATER  # new
    assert later.news("v1", OTHER) == LATER  # moved: at this commit, new
    assert later.news("v1.1.0", SHA) is None  # not the commit it was seen at
    assert cache.flush()
    again = PinCache.load(tmp_path / "cache").seen(URL)
    assert again == later


def test_sightings_of_other_remotes_written_meanwhile_are_kept(tmp_path: Path) -> None:
    folder = tmp_path / "cache"
    one, two = PinCache.load(folder), PinCache.load(folder)
    one.observe(URL, {"v1": SHA}, AT)
    two.observe("https://github.com/actions/setup-node", {"v4": OTHER}, AT)
    assert one.flush() and two.flush()
    data = json.loads((folder / FILE_NAME).read_text())
    assert [item["url"] for item in data["seen"]] == [
        "https://github.com/actions/checkout",
        "https://github.com/actions/setup-node",
    ]
    assert data["seen"][0]["tags"] == {"v1": f"{SHA} 2026-12-07T20:41:00Z"}


def test_the_oldest_remotes_are_forgotten_past_the_limit(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(cache_module, "MAX_SEEN_TOTAL", 3)
    cache = PinCache.load(tmp_path / "cache")
    cache.observe("https://a.example/old", {"v1": SHA, "v2": SHA}, AT)
    cache.observe("https://a.example/new", {"v1": SHA, "v2": SHA}, LATER)
    assert cache.flush()
    loaded = PinCache.load(tmp_path / "cache")
    assert loaded.seen("https://a.example/old") is None and loaded.seen("https://a.example/new") is not None


def test_a_moved_marker_is_kept_until_cleared_and_cleared_for_every_run(tmp_path: Path) -> None:
    folder = tmp_path / "cache"
    cache = PinCache.load(folder)
    cache.mark_moved(URL, "v4.3.1", SHA, OTHER, AT)
    assert cache.flush()
    loaded = PinCache.load(folder)
    marker = loaded.moved(URL, "v4.3.1")
    assert marker is not None and (marker.before, marker.after, marker.at) == (SHA, OTHER, AT)
    stale = PinCache.load(folder)  # another run, loaded while the marker was on disk
    loaded.clear_moved(URL, "v4.3.1")
    assert loaded.flush()
    stale.record("git", URL, "v5", live())
    assert stale.flush()  # writes its own pin, and does not bring the cleared marker back
    assert PinCache.load(folder).moved(URL, "v4.3.1") is None


def seen_file(**changes: Any) -> dict[str, Any]:
    item: dict[str, Any] = {"url": URL, "since": "2026-12-07T20:41:00Z", "tags": {"v1": f"{SHA} 2026-12-07T20:41:00Z"}}
    item.update(changes)
    return {"schema": 1, "pins": [], "seen": [item]}


def moved_file(**changes: Any) -> dict[str, Any]:
    item: dict[str, Any] = {"url": URL, "ref": "v1.0.0", "from": SHA, "to": OTHER, "at": "2026-12-07T20:41:00Z"}
    item.update(changes)
    return {"schema": 1, "pins": [], "moved": [item]}


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"schema": 1, "pins": [], "seen": {}}, "seen: must be a list"),
        ({"schema": 1, "pins": [], "seen": ["x"]}, "seen[0]: must be an object with exactly the fields url, since"),
        (seen_file(url=""), "seen[0].url: must be a non-empty string"),
        (seen_file(url="h\x1b"), "seen[0].url: holds a control character"),
        (seen_file(since="yesterday"), "seen[0].since: must be an ISO 8601 time"),
        (seen_file(tags=[]), "seen[0].tags: must be an object"),
        (seen_file(tags={"v1": "abc 2026-12-07T20:41:00Z"}), "seen[0].tags[v1]: must be '<40-hex commit> <ISO"),
        (seen_file(tags={"v1": f"{SHA} later"}), "seen[0].tags[v1]: must be"),
        (seen_file(tags={"v1\x1b[2J": f"{SHA} 2026-12-07T20:41:00Z"}), "seen[0].tags: a tag name holds a control"),
        ({"schema": 1, "pins": [], "moved": {}}, "moved: must be a list"),
        ({"schema": 1, "pins": [], "moved": [1]}, "moved[0]: must be an object"),
        (moved_file(extra="x"), "moved[0]: must have exactly the fields url, ref, from, to, at"),
        (moved_file(to="abc"), "moved[0].to: a 40-character lower-case commit SHA"),
        (moved_file(ref=""), "moved[0].ref: a tag name must be 1 to 255 characters"),
        (moved_file(at=7), "moved[0].at: must be a string"),
    ],
)
def test_bad_sightings_and_markers_are_one_line_usage_errors(tmp_path: Path, data: Any, message: str) -> None:
    path = write(tmp_path / "cache", data)
    with pytest.raises(UsageError) as caught:
        PinCache.load(tmp_path / "cache")
    text = str(caught.value)
    assert text.startswith(f"pin cache {path}: ") and message in text
    assert "\n" not in text and "\x1b" not in text


def test_too_many_sightings_are_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(cache_module, "MAX_SEEN_TAGS", 2)
    tags = {f"v{n}": f"{SHA} 2026-12-07T20:41:00Z" for n in range(3)}
    write(tmp_path / "cache", seen_file(tags=tags))
    with pytest.raises(UsageError, match=r"seen\[0\]\.tags: holds more than 2 tags"):
        PinCache.load(tmp_path / "cache")
