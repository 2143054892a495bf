"""Output paths: a rendered path must be a plain relative path that stays inside the output directory."""

from __future__ import annotations

from pathlib import PurePosixPath

from scaffold.errors import UnsafePackError


def safe_output_path(rendered: str) -> str:
    """Normalise a rendered output path, or raise if it is absolute, empty, or climbs out with '..'."""
    if not rendered or "\\" in rendered or "\x00" in rendered:
        raise UnsafePackError(f"pack: output path {rendered!r} is not a plain relative path")
    pure = PurePosixPath(rendered)
    if pure.is_absolute() or any(part == ".." for part in pure.parts):
        raise UnsafePackError(f"pack: output path {rendered!r} escapes the output directory")
    parts = [part for part in pure.parts if part != "."]
    if not parts:
        raise UnsafePackError(f"pack: output path {rendered!r} names the output directory itself")
    return "/".join(parts)
