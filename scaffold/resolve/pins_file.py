"""Finding, updating and writing a pins file for ``scaffold pins update``: a file named directly, or the one a
pack's ``pack.yml`` names under ``pins:``."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from scaffold.errors import UnsafePackError, UsageError
from scaffold.resolve.model import Settings
from scaffold.resolve.update import ReleaseSource, UpdateResult, update_text
from scaffold.untrusted.read import UnreadableInput, read_text
from scaffold.untrusted.text import printable, shown


@dataclass(frozen=True)
class Outcome:
    report: str
    exit_code: int


def locate(path: Path) -> Path:
    """The pins file ``path`` names: itself, or for a folder, the pins file of the pack in it."""
    if not path.is_dir():
        if path.is_file():
            return path
        if path.exists():  # a FIFO would block the read, a device would stream forever
            raise UsageError(f"{shown(str(path), 200)}: is not a regular file (name a pins file or a pack folder)")
        raise UsageError(f"{shown(str(path), 200)}: no such pins file or pack folder")
    from scaffold.kit.packs import MANIFEST, PackReader

    if not (path / MANIFEST).is_file():
        raise UsageError(f"{shown(str(path), 200)}: is a folder without {MANIFEST}; name the pins file itself")
    try:
        reader = PackReader(path.resolve())
        manifest = reader.yaml(MANIFEST, "manifest")
        relative = manifest.get("pins") if isinstance(manifest, dict) else None
        if not isinstance(relative, str):
            raise UsageError(f"{shown(str(path), 200)}/{MANIFEST}: pins: the pack names no pins file")
        reader.text(relative, "pins file")  # refuses a path that leaves the pack, a FIFO, a huge file
    except UnsafePackError as error:
        raise UsageError(str(error)) from None
    return path.resolve() / relative


def update(
    path: Path,
    settings: Settings,
    *,
    write: bool,
    source: ReleaseSource | None = None,
) -> Outcome:
    """Update the pins file ``path`` names; write it back when ``write`` and something changed."""
    target = locate(path)
    try:
        text = read_text(target)
    except UnreadableInput as error:
        raise UsageError(f"{shown(str(target), 200)}: {error}") from None
    live = None
    if source is None:
        from scaffold.resolve.live import LiveSource

        source = live = LiveSource(settings)
    try:
        result = update_text(
            text,
            source,
            action_forge=settings.action_forge,
            advisory=_advisory,
            when=settings.now.strftime("%Y-%m-%d"),
        )
    finally:
        if live is not None:
            live.flush()
    written = False
    if write and result.text != text:
        from scaffold.kit.writer import replace_in_place

        replace_in_place(target, result.text)
        written = True
    return Outcome(_report(target, result, written, write), _exit_code(result, written or result.text == text))


def _advisory(sha: str) -> str | None:
    from scaffold.resolve.advisories import by_commit

    return by_commit().get(sha.lower())


def _report(target: Path, result: UpdateResult, written: bool, write: bool) -> str:
    lines = [f"{change.entry}: {change.old} -> {change.new}" for change in result.changes]
    lines += [f"{entry}: not checked: {printable(reason, 300)}" for entry, reason in result.refused]
    lines += [
        f"warning: {entry}: the pinned commit is on the advisory list ({printable(advisory, 80)}); "
        "move it off by hand if no newer release was taken"
        for entry, advisory in result.advised
    ]
    unchecked = f"; {len(result.refused)} of {result.checked} could not be checked" if result.refused else ""
    if not result.changes and not result.refused:
        lines.append(f"{target}: every pin checked is current")
    elif not result.changes:
        current = result.checked - len(result.refused)
        lines.append(f"{target}: nothing changed: {current} of {result.checked} pin(s) checked and current{unchecked}")
    elif written:
        lines.append(f"{target}: {len(result.changes)} pin(s) updated{unchecked}")
    else:
        dry = "" if write else " (--dry-run)"
        lines.append(f"{target}: {len(result.changes)} pin(s) would change{dry}{unchecked}")
    return "".join(f"{line}\n" for line in lines)


def _exit_code(result: UpdateResult, settled: bool) -> int:
    return 0 if settled and not result.refused and not result.advised else 1
