"""The commit message and pull-request description of one repository's upgrade, in Markdown: what changed, what
was merged with the team's edits, the conflicts and what the ratchet blocked. Every path comes from the repository,
so each is shown as inline code that no backtick in it can close."""

from __future__ import annotations

from collections.abc import Sequence

from scaffold import __version__
from scaffold.untrusted.text import printable
from scaffold.upgrade.plan import Outcome, Status
from scaffold.upgrade.posture import Weakening
from scaffold.upgrade.results import UpgradeResult

TRAILER = "Scaffold-Fleet-Run"
"""The commit trailer naming the fleet run that made a branch: a resumed run knows its own work by it."""

_CHANGED = {
    Status.UPDATED: "updated to the kit's new version (you had not changed it)",
    Status.MERGED: "merged: your edits kept, the kit's changes applied",
    Status.NEW: "new in this kit version",
    Status.REMOVED: "removed: it left the kit and you had not changed it",
    Status.CONFLICT: "conflict: your edits and the kit's touch the same lines",
    Status.KEPT: "kept: it left the kit, but you changed it",
    Status.KEPT_DELETED: "stays deleted, as you left it",
}


def code(text: str) -> str:
    """``text`` as Markdown inline code, fenced by more backticks than it holds."""
    text = printable(text, 300)
    run = longest = 0
    for char in text:
        run = run + 1 if char == "`" else 0
        longest = max(longest, run)
    fence = "`" * (longest + 1)
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{fence}{pad}{text}{pad}{fence}"


def title(result: UpgradeResult) -> str:
    if result.from_version == result.to_version:
        return f"scaffold: apply changed answers to the kit ({printable(result.to_version, 100)})"
    return (
        f"scaffold: upgrade the kit from {printable(result.from_version, 100)} to {printable(result.to_version, 100)}"
    )


def describe(result: UpgradeResult, *, settings: Sequence[str] = (), command: str = "") -> str:
    """The pull request's body."""
    parts = [
        f"Made by `scaffold fleet upgrade` (scaffold {__version__}): the same upgrade as running "
        + (code(command) if command else "`scaffold upgrade`")
        + " in this repository. Files nobody edited were updated; files with local edits were merged three ways "
        "against the exact previous render, keeping the edits.",
        "",
    ]
    changed = [outcome for outcome in result.outcomes if outcome.status is not Status.UNCHANGED]
    parts += ["### What changed", ""]
    parts += [f"- {code(o.path)}: {_CHANGED.get(o.status, o.status.value)}{_note(o)}" for o in changed] or ["Nothing."]
    merged = [o for o in changed if o.status is Status.MERGED]
    parts += ["", "### Merged with your edits", ""]
    parts += [f"- {code(o.path)}" for o in merged] or ["None: no file with local edits changed in the kit."]
    parts += ["", "### Conflicts", ""]
    parts += [f"- {code(o.path)}: {o.conflicts} conflict(s)" for o in result.conflicts] or ["None."]
    parts += ["", "### Weakenings the ratchet blocked", ""]
    parts += [_weak(weak) for weak in result.weakenings] or ["None: no security control of the kit is weaker."]
    if settings:
        parts += ["", "### Answers changed", ""]
        parts += [f"- {code(setting)}" for setting in settings]
    return "\n".join(parts) + "\n"


def commit_message(result: UpgradeResult, body: str, run: int, target: str) -> str:
    """The commit's message; its trailer names the run and the target (``run_trailer``)."""
    return f"{title(result)}\n\n{body.rstrip()}\n\n{run_trailer(run, target)}\n"


def run_trailer(run: int, target: str) -> str:
    """``Scaffold-Fleet-Run: 3 a1b2...``: the run and the target's key, so that neither another run nor another kit
    of the same repository mistakes the branch for its own."""
    return f"{TRAILER}: {run} {target}"


def plain(text: str, limit: int = 500) -> str:
    """Text from a repository as Markdown that renders as itself: no link, image, HTML or emphasis it could form."""
    return "".join(f"\\{char}" if char in _MARKDOWN else char for char in printable(text, limit))


_MARKDOWN = frozenset("\\`*_{}[]()<>#+-.!|~&")


def _note(outcome: Outcome) -> str:
    return f" ({plain(outcome.note, 300)})" if outcome.note else ""


def _weak(weak: Weakening) -> str:
    return f"- {code(f'{weak.path}:{weak.line}')}: {code(weak.rule)}: {plain(weak.message)}"
