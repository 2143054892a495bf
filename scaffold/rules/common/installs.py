"""Installs that take no lockfile, and shell tracing, in a shell script of any platform: the one judgement behind the
locked-installs and no-debug-tracing kit judges of GitHub, GitLab and Jenkins.

It reads the simple commands ``shell_exit`` parses, so a command named in a comment, a here-document or an ``echo``
is not an install. ``python -m pip`` counts as pip; a ``pip install`` is locked with ``--require-hashes``, or when it
installs only local paths with ``--no-deps``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from scaffold.rules.common import shell_exit

_PIP = re.compile(r"(?:.*/)?pip[0-9.]*")
_PYTHON = re.compile(r"(?:.*/)?python[0-9.]*")
_SHELLS = frozenset({"sh", "bash", "zsh", "dash", "ksh"})
XTRACE = re.compile(r"-[a-wyzA-Z]*x[a-zA-Z]*")  # a short-option word that holds -x
_PIPED = "a download piped into a shell"


@dataclass(frozen=True)
class Found:
    """A command of the script (``start``:``end``) and what is wrong with it, as a noun phrase (``noun``: "pip
    install without --require-hashes", "set -x") or a verb phrase (``verb``: "runs pip install without ...")."""

    start: int
    end: int
    noun: str

    @property
    def verb(self) -> str:
        return "pipes a download into a shell" if self.noun == _PIPED else f"runs {self.noun}"


def unlocked(script: str) -> list[Found]:
    """Each command that installs without a lockfile, or pipes a download into a shell."""
    found = []
    for run in shell_exit.runs(script):
        what = _unlocked([word.value for word in run.words], run.piped_into)
        if what:
            found.append(Found(run.start, run.end, what))
    return found


def _unlocked(words: list[str], piped_into: list[shell_exit.Token] | None) -> str:
    if len(words) > 2 and _PYTHON.fullmatch(words[0]) and words[1] == "-m":
        words = words[2:]
    head, verb, third = [*words, "", "", ""][:3]
    if _PIP.fullmatch(head) and verb == "install" and not _pip_locked(words[2:]):
        return "pip install without --require-hashes"
    if head == "npm" and verb in ("install", "i", "add", "in", "isntall"):
        return f"npm {verb} instead of npm ci"
    if (head in ("yarn", "pnpm") and verb == "add") or (head == "yarn" and verb == "global" and third == "add"):
        return f"{head} add"
    if head == "go" and verb in ("install", "get"):
        return f"go {verb} of a tool without a lockfile"
    if head == "gem" and verb == "install":
        return "gem install"
    shell = piped_into[0].value.rsplit("/", 1)[-1] if piped_into else ""
    if head.rsplit("/", 1)[-1] in ("curl", "wget") and shell in _SHELLS:
        return _PIPED
    return ""


def _pip_locked(arguments: list[str]) -> bool:
    if "--require-hashes" in arguments:
        return True
    local = [item for item in arguments if not item.startswith("-")]
    return "--no-deps" in arguments and bool(local) and all(item.startswith((".", "/")) for item in local)


def tracing(script: str) -> list[Found]:
    """Each ``set`` that turns on shell tracing (``-x`` among its flags, or ``-o xtrace``), which prints every
    expanded command, secrets included; ``noun`` is the switch as written up to its ``x`` (``set -eux``)."""
    found = []
    for run in shell_exit.runs(script):
        words = [word.value for word in run.words]
        if words[:1] != ["set"]:
            continue
        flag = next((word for word in words[1:] if XTRACE.fullmatch(word)), None)
        if flag is not None:
            found.append(Found(run.start, run.end, f"set {flag[: flag.index('x') + 1]}"))
        elif "xtrace" in words[1:3] and "-o" in words[1:2]:
            found.append(Found(run.start, run.end, "set -o xtrace"))
    return found
