"""Reading an untrusted file: regular files only, never a FIFO, a device or a socket, and never past a size cap.

The file is opened without blocking (a FIFO would otherwise wait for a writer forever), checked with ``fstat`` on
the open descriptor (so a swap between the check and the read changes nothing), and read up to one byte more than
the cap, so a file that grows while it is read is still refused.
"""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path

MAX_BYTES = 10 * 1024 * 1024


class UnreadableInput(Exception):  # noqa: N818 (a reason, read as "the input is unreadable")
    """Why a file cannot be read, as one line without the path (the caller names the file)."""


def read_bytes(path: Path, *, limit: int = MAX_BYTES) -> bytes:
    """The bytes of the regular file at ``path`` (symlinks to regular files are followed); at most ``limit``."""
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0) | getattr(os, "O_CLOEXEC", 0)
    try:
        handle = os.open(path, flags)
    except OSError as error:
        raise UnreadableInput(_reason(error)) from None
    try:
        info = os.fstat(handle)
        if not stat.S_ISREG(info.st_mode):
            raise UnreadableInput(f"is not a regular file ({_file_type(info.st_mode)})")
        if info.st_size > limit:
            raise UnreadableInput(f"is larger than {_size(limit)}")
        chunks: list[bytes] = []
        remaining = limit + 1
        while remaining > 0:
            chunk = os.read(handle, min(remaining, 1 << 20))
            if not chunk:
                break
            chunks.append(chunk)
            remaining -= len(chunk)
        data = b"".join(chunks)
    except OSError as error:
        raise UnreadableInput(_reason(error)) from None
    finally:
        os.close(handle)
    if len(data) > limit:
        raise UnreadableInput(f"is larger than {_size(limit)}")
    return data


def read_text(path: Path, *, limit: int = MAX_BYTES) -> str:
    """The UTF-8 text of a regular file, with a leading byte order mark removed; binary files are refused."""
    data = read_bytes(path, limit=limit)
    if b"\0" in data:
        raise UnreadableInput("is a binary file")
    try:
        return data.decode("utf-8").removeprefix("\ufeff")
    except UnicodeDecodeError as error:
        raise UnreadableInput(f"is not UTF-8 text (byte {error.start})") from None


def _reason(error: OSError) -> str:
    if error.errno == errno.ELOOP:
        return "is a symlink loop"
    if error.errno == errno.ENAMETOOLONG:
        return "has a name that is too long"
    if error.errno == errno.ENOENT:
        return "does not exist"
    if error.errno == errno.EISDIR:
        return "is a folder, not a file"
    return f"cannot be read: {error.strerror or error}"


def _file_type(mode: int) -> str:
    for test, name in (
        (stat.S_ISDIR, "a folder"),
        (stat.S_ISFIFO, "a FIFO"),
        (stat.S_ISCHR, "a character device"),
        (stat.S_ISBLK, "a block device"),
        (stat.S_ISSOCK, "a socket"),
    ):
        if test(mode):
            return name
    return "a special file"


def _size(limit: int) -> str:
    return f"{limit // (1024 * 1024)} MB" if limit >= 1024 * 1024 and limit % (1024 * 1024) == 0 else f"{limit} bytes"
