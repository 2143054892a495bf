"""Reading untrusted files: regular files only, within a size cap, never blocking."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from scaffold.untrusted.read import UnreadableInput, read_bytes, read_text


def test_a_regular_file_is_read_and_its_bom_dropped(tmp_path: Path) -> None:
    path = tmp_path / "a.yml"
    path.write_bytes(b"\xef\xbb\xbfon: push\r\n")
    assert read_text(path) == "on: push\r\n"


def test_a_fifo_is_refused_without_waiting_for_a_writer(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    with pytest.raises(UnreadableInput, match="is not a regular file \\(a FIFO\\)"):
        read_bytes(fifo)


def test_a_symlink_to_a_device_is_refused(tmp_path: Path) -> None:
    link = tmp_path / "zero"
    link.symlink_to("/dev/zero")
    with pytest.raises(UnreadableInput, match="a character device"):
        read_bytes(link)


@pytest.mark.parametrize(
    ("make", "reason"),
    [
        (lambda p: p.mkdir(), "not a regular file \\(a folder\\)"),
        (lambda p: None, "does not exist"),
        (lambda p: p.symlink_to(p.name), "symlink loop"),
    ],
)
def test_other_unreadable_paths_say_why(tmp_path: Path, make: object, reason: str) -> None:
    path = tmp_path / "thing"
    make(path)  # type: ignore[operator]
    with pytest.raises(UnreadableInput, match=reason):
        read_bytes(path)


def test_a_file_over_the_cap_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "big"
    path.write_bytes(b"a" * 101)
    assert read_bytes(path, limit=101) == b"a" * 101
    with pytest.raises(UnreadableInput, match="larger than 100 bytes"):
        read_bytes(path, limit=100)


def test_an_over_long_name_is_refused(tmp_path: Path) -> None:
    with pytest.raises(UnreadableInput, match="name that is too long"):
        read_bytes(tmp_path / ("x" * 300))


@pytest.mark.parametrize(("data", "reason"), [(b"a\0b", "binary"), (b"caf\xe9", "not UTF-8 text \\(byte 3\\)")])
def test_binary_and_non_utf8_text_is_refused(tmp_path: Path, data: bytes, reason: str) -> None:
    path = tmp_path / "f"
    path.write_bytes(data)
    with pytest.raises(UnreadableInput, match=reason):
        read_text(path)
