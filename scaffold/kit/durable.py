"""Make many freshly written files durable at once.

Each file is still fsynced, so a full disk or an I/O error that the file system reports only when it flushes is
seen before anything is renamed into place. The fsyncs run side by side on a few threads: a journaling file system
commits concurrent fsyncs together, so seventy files cost about as much as a few (one after the other, each waits
for its own journal commit).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

WORKERS = 16
"""Most fsyncs in flight at once."""

_OPEN_FLAGS = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)


def sync_files(paths: Sequence[Path]) -> None:
    """fsync every file in ``paths``. When any fails, the others still finish, and then the first failure (in the
    order of ``paths``) is raised as the OSError it was."""
    if len(paths) < 2:
        for path in paths:
            _sync(path)
        return
    from concurrent.futures import ThreadPoolExecutor  # here: most commands that import the writer write nothing

    with ThreadPoolExecutor(max_workers=min(WORKERS, len(paths)), thread_name_prefix="fsync") as pool:
        done = [pool.submit(_sync, path) for path in paths]
    for future in done:
        future.result()


def _sync(path: Path) -> None:
    handle = os.open(path, _OPEN_FLAGS)
    try:
        os.fsync(handle)
    finally:
        os.close(handle)
