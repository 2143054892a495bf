"""The posture ratchet of ``scaffold upgrade``: after the three-way merge, the merged tree must keep every control the
new kit render ("theirs") has. A user edit that weakens one is reported with its file and line.

Two kinds of rules find weakenings, and each problem is reported once:

* precise rules (``scaffold.upgrade.posture_rules``) read one CI or container file with positions: widened token
  permissions, unpinned actions and images, dangerous workflow triggers, root or unpinned Dockerfiles, and scan
  jobs, steps or stages that were removed;
* the generic rule runs every check of ``scaffold.checks`` that applies to the answers on both trees. A problem
  only the merged tree has is attributed to the changed file that brings it back when swapped alone into the kit;
  its line is the first one where that file differs from the kit's (or the ``line N:`` the check names).

Files that do not parse (conflict markers, broken YAML) are left to the merge, which reports them as conflicts.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from scaffold.checks import REGISTRY, container, workflow_triggers
from scaffold.checks.registry import Check
from scaffold.controls import CONTROLS_BY_ID, PlatformName, table
from scaffold.upgrade import posture_rules as rules
from scaffold.upgrade.posture_rules import Found, Pair

__all__ = ["Weakening", "weakenings"]

_LINE = re.compile(r"^line (\d+):")


@dataclass(frozen=True)
class Weakening:
    path: str  # repo-relative file
    line: int  # 1-based line in the merged file (the best line for the problem)
    control: str  # control id from scaffold/controls.py (or a container or trigger check id)
    message: str  # one line


@dataclass(frozen=True)
class _Precise:
    weakening: Weakening
    subject: str  # see Found.subject


def weakenings(*, theirs: Mapping[str, str], merged: Mapping[str, str], answers: Mapping[str, Any]) -> list[Weakening]:
    """The weakenings of ``merged`` (the tree after the merge) against ``theirs`` (the new kit render), sorted."""
    try:
        return _weakenings(theirs, merged, answers)
    finally:
        rules.clear_caches()  # the texts of one run are aligned and parsed once, and not kept after it


def _weakenings(theirs: Mapping[str, str], merged: Mapping[str, str], answers: Mapping[str, Any]) -> list[Weakening]:
    platforms: list[PlatformName] = list(answers["platforms"])
    merged = _readable(theirs, merged)
    changed = sorted((p for p in {*theirs, *merged} if theirs.get(p) != merged.get(p)), key=lambda p: (_kind(p), p))
    if not changed:
        return []
    precise = _file_rules(theirs, merged, changed, platforms, answers) + _removed_scans(theirs, merged, platforms)
    found = {item.weakening for item in precise}
    for weakening in _generic(theirs, merged, changed, platforms, answers):
        if not any(
            item.subject in weakening.message
            for item in precise
            if (item.weakening.path, item.weakening.control) == (weakening.path, weakening.control)
        ):
            found.add(weakening)
    return sorted(found, key=lambda w: (w.path, w.line, w.control, w.message))


def _readable(theirs: Mapping[str, str], merged: Mapping[str, str]) -> dict[str, str]:
    """The merged tree with every file that does not parse replaced by the kit's (or left out if the user added it)."""
    readable = {}
    for path, text in merged.items():
        if rules.readable(path, text):
            readable[path] = text
        elif path in theirs:
            readable[path] = theirs[path]
    return readable


def _kind(path: str) -> int:
    """CI and container files first: the generic rule falls back to the first changed file."""
    ci = rules.is_workflow(path) or path in (rules.GITLAB, rules.JENKINS) or rules.is_dockerfile(path)
    return 0 if ci else 1


Rule = Callable[[Pair], list[Found]]
_PLATFORM_FILES: dict[PlatformName, Callable[[str], bool]] = {
    "github": rules.is_workflow,
    "gitlab": lambda path: path == rules.GITLAB,
    "jenkins": lambda path: path == rules.JENKINS,
}
_PLATFORM_RULES: dict[PlatformName, Rule] = {"github": rules.github, "gitlab": rules.gitlab, "jenkins": rules.jenkins}


def _kinds(platforms: list[PlatformName], answers: Mapping[str, Any]) -> list[tuple[Callable[[str], bool], Rule]]:
    """(which files, precise rule) for the chosen platforms and, with a container, the Dockerfiles."""
    kinds = [(_PLATFORM_FILES[platform], _PLATFORM_RULES[platform]) for platform in platforms]
    if answers["container"]:
        kinds.append((rules.is_dockerfile, rules.dockerfile))
    return kinds


def _file_rules(
    theirs: Mapping[str, str],
    merged: Mapping[str, str],
    changed: list[str],
    platforms: list[PlatformName],
    answers: Mapping[str, Any],
) -> list[_Precise]:
    precise = []
    for path in changed:
        for matches, rule in _kinds(platforms, answers):
            if path not in merged or not matches(path):
                continue
            before = Counter(
                (f.control, f.message) for f in (rule(rules.pair(theirs[path], theirs[path])) if path in theirs else [])
            )
            for item in rule(rules.pair(theirs.get(path), merged[path])):
                if before[item.control, item.message]:
                    before[item.control, item.message] -= 1
                else:
                    precise.append(_Precise(Weakening(path, item.line, item.control, item.message), item.subject))
    return precise


def _removed_scans(
    theirs: Mapping[str, str], merged: Mapping[str, str], platforms: list[PlatformName]
) -> list[_Precise]:
    """A scan job, step or stage of the kit that has no counterpart left anywhere in the platform's merged files."""
    precise = []
    for platform in platforms:
        matches = _PLATFORM_FILES[platform]
        if all(theirs.get(p) == merged.get(p) for p in {*theirs, *merged} if matches(p)):
            continue
        before = [u for p in sorted(theirs) if matches(p) for u in rules.units(platform, p, theirs[p])]
        after = [u for p in sorted(merged) if matches(p) for u in rules.units(platform, p, merged[p])]
        for control, pattern in rules.SCANS.items():
            kit = [unit for unit in before if pattern.search(unit.text)]
            kept = Counter(unit.key for unit in after if pattern.search(unit.text))
            missing = len(kit) - sum(kept.values())
            unmatched = []
            for unit in kit:
                if kept[unit.key]:
                    kept[unit.key] -= 1
                else:
                    unmatched.append(unit)
            remaining = {(unit.path, unit.key) for unit in after}
            for unit in unmatched[: max(missing, 0)]:
                title = CONTROLS_BY_ID[control].title
                if unit.path not in merged:
                    line, message = 1, f"{unit.key} was deleted with its file; it ran: {title}"
                elif (unit.path, unit.key) in remaining:
                    pair = rules.pair(theirs[unit.path], merged[unit.path])
                    line, message = pair.first_difference(pair.mapped(unit.line)), f"{unit.key} no longer runs: {title}"
                else:
                    line = rules.pair(theirs[unit.path], merged[unit.path]).mapped(unit.line)
                    message = f"{unit.key} was removed; it ran: {title}"
                precise.append(_Precise(Weakening(unit.path, line, control, message), ""))
    return precise


def _checks(platforms: list[PlatformName], answers: Mapping[str, Any]) -> list[tuple[str, Check]]:
    """Every check that applies: the controls' checks per platform, the trigger check and the container checks."""
    checks = [
        (row["id"], REGISTRY[platform][row["id"]])
        for platform in platforms
        for row in table(platforms, answers)
        if CONTROLS_BY_ID[row["id"]].applies_on(platform, answers) and row["id"] in REGISTRY[platform]
    ]
    if "github" in platforms:
        checks += workflow_triggers.CHECKS.items()
    if answers["container"]:
        checks += container.CHECKS.items()
    return checks


def _generic(
    theirs: Mapping[str, str],
    merged: Mapping[str, str],
    changed: list[str],
    platforms: list[PlatformName],
    answers: Mapping[str, Any],
) -> list[Weakening]:
    found = []
    for control, check in _checks(platforms, answers):
        base = Counter(_run(check, theirs))
        new = Counter(_run(check, merged)) - base
        if not new:
            continue
        swaps: dict[str, Counter[str]] = {}
        for message in new.elements():
            path = _attribute(check, theirs, merged, changed, base, message, swaps)
            found.append(Weakening(path, _generic_line(theirs, merged, path, message), control, message))
    return found


def _run(check: Check, files: Mapping[str, str]) -> list[str]:
    """The check's problems; a file shape the check does not expect (a list where it reads a mapping) is one too."""
    try:
        return check(files)
    except (AttributeError, TypeError, KeyError, ValueError) as error:
        return [f"the check cannot read the files: {type(error).__name__}: {error}"]


def _attribute(
    check: Check,
    theirs: Mapping[str, str],
    merged: Mapping[str, str],
    changed: list[str],
    base: Counter[str],
    message: str,
    swaps: dict[str, Counter[str]],
) -> str:
    """The changed file that, swapped alone into the kit, brings the problem back; else the first one with any new
    problem of this check, else the first changed file."""
    for path in changed:
        if path not in swaps:
            swapped = {p: t for p, t in theirs.items() if p != path}
            if path in merged:
                swapped[path] = merged[path]
            swaps[path] = Counter(_run(check, swapped)) - base
        if message in swaps[path]:
            return path
    return next((path for path in changed if swaps[path]), changed[0])


def _generic_line(theirs: Mapping[str, str], merged: Mapping[str, str], path: str, message: str) -> int:
    if path not in merged:
        return 1
    named = _LINE.match(message)
    if named and path == rules.JENKINS:
        return int(named.group(1))
    return rules.pair(theirs.get(path), merged[path]).first_difference()
