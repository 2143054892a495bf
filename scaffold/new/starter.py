"""The starter service ``scaffold new`` writes into an empty repository, and the test for "empty".

The starter is its own pack (``templates/starter``), rendered apart from the kit: its files belong to the team from
the first commit, so they are not recorded in ``.scaffold.yml``, never compared by diff, upgrade or adopt, and
never written over a file that exists (an existing one is left alone and named).

A repository is empty when it holds nothing but what any new repository has (``.git``, a README, a licence, other
top-level prose, dotfiles such as ``.gitignore``, a ``docs/`` folder) and the files a kit writes itself. Anything
else is code the team already has: then the kit expects that code to provide what its steps run, and no starter is
written.

Looking is bounded and never follows a symlink: at most ``MAX_ENTRIES`` folder entries, ``MAX_DEPTH`` folders
deep, and no file is opened (a FIFO or a huge file costs nothing). A symbolic link counts as code: the team put it
there. A FIFO, socket or device does not (git cannot track one).
"""

from __future__ import annotations

import functools
import os
import stat
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from scaffold.errors import UsageError
from scaffold.kit.answers import Answers
from scaffold.kit.packs import MANIFEST, MAX_FILE_BYTES, Pack, builtin_pack_dir, load_pack
from scaffold.kit.writer import Change, PlannedFile, plan
from scaffold.untrusted.read import UnreadableInput, read_text
from scaffold.untrusted.text import printable, shown
from scaffold.untrusted.yaml_load import load

STARTER_FOLDER = "starter"
"""The starter pack's folder inside the built-in pack."""
NO_STARTER = {
    "java": "there is no Java starter: the Gradle wrapper it needs is a binary jar that a template cannot carry",
}

MAX_ENTRIES = 5000
"""Most folder entries looked at before the folder is taken to hold code."""
MAX_DEPTH = 16
"""Deepest folder looked into; deeper nesting is taken as code."""

_MANIFESTS = (
    "package.json", "pyproject.toml", "go.mod", "build.gradle", "build.gradle.kts", "pom.xml", "setup.py",
    "requirements.txt", "Pipfile", "Cargo.toml", "Gemfile", "composer.json", "mix.exs", "CMakeLists.txt", "Makefile",
)  # fmt: skip
"""Named first when present: the most telling evidence that a folder is a project."""

_KIT_OWNED = frozenset({"Dockerfile", "Jenkinsfile", "deploy", "docs"})
"""Top-level names the kit writes, besides those its manifest names (dotfiles are ignored anyway)."""
_PROSE_STEMS = frozenset(
    {
        "readme", "license", "licence", "copying", "notice", "authors", "contributors", "changelog", "changes",
        "history", "contributing", "code_of_conduct", "security", "support", "codeowners", "maintainers",
    }
)  # fmt: skip
_PROSE_SUFFIXES = frozenset({".md", ".markdown", ".rst", ".txt", ".adoc"})


def code_evidence(root: Path) -> str | None:
    """Why ``root`` already holds code (``"found package.json"``, ``"found src/app.py"``); None when it is empty.

    Never raises for what is in the folder: an entry that cannot be listed or looked at counts as code, so a
    folder scaffold cannot see into never receives a starter.
    """
    try:
        entries = _entries(root)
    except OSError:
        return f"cannot list {shown(str(root), 200)}"
    budget = [MAX_ENTRIES - len(entries)]
    if budget[0] < 0:
        return f"found more than {MAX_ENTRIES} entries"
    names = {entry.name for entry in entries}
    for manifest in _MANIFESTS:
        if manifest in names:
            return f"found {manifest}"
    for entry in entries:
        if _is_quiet(entry.name):
            continue
        reason = _look(entry, entry.name, 1, budget)
        if reason is not None:
            return reason
    return None


@functools.cache
def _kit_owned() -> frozenset[str]:
    """The first part of every output path in the built-in kit's manifest whose start is fixed text."""
    try:
        manifest = load(read_text(builtin_pack_dir() / MANIFEST, limit=MAX_FILE_BYTES))
        paths = [str(entry["path"]) for entry in manifest["files"]]
    except (OSError, UnreadableInput, yaml.YAMLError, KeyError, TypeError):
        return _KIT_OWNED
    return _KIT_OWNED | {path.split("/", 1)[0] for path in paths if "[" not in path.split("/", 1)[0]}


def _is_quiet(name: str) -> bool:
    """Whether a top-level entry is one any new repository has, or one the kit writes itself."""
    if name.startswith(".") or name in _kit_owned():
        return True
    stem, _, _ = name.partition(".")
    return stem.lower() in _PROSE_STEMS or Path(name).suffix.lower() in _PROSE_SUFFIXES


def _entries(folder: Path | str) -> list[os.DirEntry[str]]:
    with os.scandir(folder) as listing:
        return sorted(listing, key=lambda entry: entry.name)


def _look(entry: os.DirEntry[str], relative: str, depth: int, budget: list[int]) -> str | None:
    """The evidence under one entry: a regular file or a symlink is code, a folder is code when something in it
    is, and anything else (FIFO, socket, device) is not."""
    try:
        mode = entry.stat(follow_symlinks=False).st_mode
    except OSError:
        return f"found {shown(relative, 200)} (cannot be looked at)"
    if stat.S_ISLNK(mode):
        return f"found {shown(relative, 200)} (a symbolic link)"
    if stat.S_ISREG(mode):
        return f"found {shown(relative, 200)}"
    if not stat.S_ISDIR(mode):
        return None
    if depth > MAX_DEPTH:
        return f"found {shown(relative, 200)} (more than {MAX_DEPTH} folders deep)"
    try:
        children = _entries(entry.path)
    except OSError:
        return f"found {shown(relative, 200)} (cannot be listed)"
    budget[0] -= len(children)
    if budget[0] < 0:
        return f"found more than {MAX_ENTRIES} entries under {shown(relative, 200)}"
    for child in children:
        reason = _look(child, f"{relative}/{child.name}", depth + 1, budget)
        if reason is not None:
            return reason
    return None


@dataclass(frozen=True)
class StarterPlan:
    """What ``new`` does about a starter: the files it writes, the ones it leaves alone, or why it writes none."""

    files: list[PlannedFile] = field(default_factory=list)
    """Starter files that do not exist yet: written with the kit."""
    kept: list[str] = field(default_factory=list)
    """Starter files left alone, each as ``"path: why"`` (it exists, or cannot be written safely)."""
    skipped: str | None = None
    """Why no starter is written at all; None when one is (or the pack has no starter question)."""


def plan_starter(root: Path, answers: Any, kit: Mapping[str, str], pack: Pack | None = None) -> StarterPlan:
    """The starter to write into ``root`` beside the ``kit`` files for these answers. Reads only.

    ``pack`` is the starter pack (the built-in one when None). None is planned for answers without the starter
    question (a cookiecutter template), with ``starter: false``, for a language without a starter, or when
    ``root`` already holds code. A starter path the kit also renders stays the kit's.
    """
    if not isinstance(answers, Answers):
        return StarterPlan()
    evidence = code_evidence(root) if os.path.lexists(root) else None
    if evidence is not None:
        return StarterPlan(skipped=f"the folder already holds code ({evidence})")
    if not answers.starter:
        return StarterPlan(skipped="the answer starter is false")
    if answers.language in NO_STARTER:
        return StarterPlan(skipped=NO_STARTER[answers.language])
    from scaffold.kit.render import render

    files: list[PlannedFile] = []
    kept: list[str] = []
    for path, text in render(pack or starter_pack(), answers).items():
        if path in kit:
            continue
        try:
            [item] = plan(root, {path: text})
        except UsageError as error:
            kept.append(f"{path}: {printable(str(error).rsplit(': ', 1)[-1], 200)}")
            continue
        if item.change is Change.NEW:
            files.append(item)
        else:
            kept.append(f"{path}: exists")
    return StarterPlan(files, kept)


def starter_pack() -> Pack:
    """The built-in starter pack."""
    return load_pack(builtin_pack_dir() / STARTER_FOLDER)
