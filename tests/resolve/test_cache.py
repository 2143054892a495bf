"""The on-disk pin cache: written atomically, read as untrusted input (one-line UsageError for every bad file)."""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime
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
    assert cache.record("git", URL, "v4", live()) is False
    assert cache.get("git", URL, "v4") is not None  # the run still knows it


def test_a_damaged_file_is_replaced_by_what_the_run_knows_when_it_writes(tmp_path: Path) -> None:
    folder = tmp_path / "cache"
    cache = PinCache.load(folder)
    write(folder, "{not json")
    assert cache.record("git", URL, "v4", live())
    assert set(read_entries(folder / FILE_NAME)) == {("git", URL, "v4")}


def test_a_symlinked_cache_file_is_replaced_not_written_through(tmp_path: Path) -> None:
    folder = tmp_path / "cache"
    folder.mkdir()
    elsewhere = tmp_path / "elsewhere.json"
    elsewhere.write_text(json.dumps({"schema": 1, "pins": []}))
    (folder / FILE_NAME).symlink_to(elsewhere)
    PinCache.load(folder).record("git", URL, "v4", live())
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
