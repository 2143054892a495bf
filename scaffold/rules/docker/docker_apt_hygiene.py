"""## What it does
Finds package installs in `RUN` that leave more in the image than they need. Four problems are reported, each on its
own: `apt-get install` (or `apt install`) without `--no-install-recommends`; `apt-get update` in a `RUN` that installs
nothing; `apt-get install` that does not remove `/var/lib/apt/lists` in the same `RUN`; and `apk add` without
`--no-cache`.

## Why is this bad?
Every extra package is more code that can hold a vulnerability, and Debian's "recommended" packages are often a
large share of what gets installed. Package lists and caches left in a layer make the image bigger and stay in it
for good, even when a later `RUN` deletes them. An `apt-get update` on its own becomes a cached layer: a later
`RUN apt-get install` reuses those old lists and can install outdated versions, or fail once the mirror drops them.

The lists check only looks at the final stage and the stages it is built from, because a builder stage's layers
never ship. It is satisfied by removing `/var/lib/apt/lists` (or `/var/lib/apt`) or by a BuildKit cache mount on
`/var/lib/apt` or `/var/cache/apt`. For `apk`, a cache mount on `/var/cache/apk` or removing it in the same `RUN` is
accepted instead of `--no-cache`. `-o APT::Install-Recommends=false` (or an earlier `RUN` of the stage that writes
`APT::Install-Recommends` to the apt configuration) counts as `--no-install-recommends`.

Version pins of packages (`curl=8.14.1-2`) are not required: Debian and Alpine drop old versions from their mirrors,
so pinned builds break often, and a digest-pinned base image already fixes what the lists resolve to.

## Example
```dockerfile
RUN apt-get update
RUN apt-get install -y curl
RUN apk add curl
```

## Use instead
```dockerfile
RUN apt-get update \
    && apt-get install -y --no-install-recommends curl \
    && rm -rf /var/lib/apt/lists/*
RUN apk add --no-cache curl
```

## References
- CIS Docker Benchmark 4.3, "Ensure that unnecessary packages are not installed in the container"
- hadolint DL3009, DL3015, DL3019
- Docker documentation, "Building best practices" (apt-get)
"""

from __future__ import annotations

from collections.abc import Iterator

from scaffold.rules.docker.instructions import Instruction, Position, final_chain, stages, unquote
from scaffold.rules.docker.shell import Token, all_commands, cache_mounts, name
from scaffold.rules.document import Document
from scaffold.rules.model import Confidence, Hit, Kind, Severity

ID = "docker-apt-hygiene"
SEVERITY = Severity.LOW
CONFIDENCE = Confidence.HIGH
KINDS = (Kind.DOCKERFILE,)

_APT = ("apt-get", "apt")
_INSTALLS = ("install", "upgrade", "dist-upgrade", "full-upgrade", "build-dep", "reinstall")
_TAKES_VALUE = ("-o", "-c", "-t", "--option", "--config-file", "--target-release")
_LISTS = ("/var/lib/apt/lists", "/var/lib/apt")


def _subcommand(command: list[Token]) -> tuple[str, bool]:
    """The apt subcommand and whether the command turns recommends off."""
    words = [unquote(word.text) for word in command[1:]]
    subcommand = ""
    skip = False
    no_recommends = False
    for word in words:
        if "Install-Recommends" in word:
            no_recommends = no_recommends or word.rsplit("=", 1)[-1].strip("\"'").lower() in ("false", "0", "no")
        if word == "--no-install-recommends":
            no_recommends = True
        if skip:
            skip = False
            continue
        if word in _TAKES_VALUE:
            skip = True
            continue
        if not word.startswith("-") and not subcommand:
            subcommand = word
    return subcommand, no_recommends


def _removes(command: list[Token], prefixes: tuple[str, ...]) -> bool:
    if name(command[0]) not in ("rm", "find"):
        return False
    for word in command[1:]:
        path = unquote(word.text).rstrip("*").rstrip("/")
        if any(path == prefix or path.startswith(prefix + "/") for prefix in prefixes):
            return True
    return False


def _cached(instruction: Instruction, prefixes: tuple[str, ...]) -> bool:
    return any(
        target == prefix or target.startswith(prefix + "/")
        for target in cache_mounts(instruction)
        for prefix in prefixes
    )


def _writes_recommends(instruction: Instruction) -> bool:
    return instruction.keyword == "RUN" and "Install-Recommends" in instruction.args


def check(document: Document) -> Iterator[Hit]:
    all_stages = stages(document)
    shipped = {stage.index for stage in final_chain(all_stages)}
    # Whether a RUN of the stage, or of a stage it is built from, wrote APT::Install-Recommends: one pass, in order.
    off_after: dict[int, bool] = {}
    for stage in all_stages:
        off = off_after.get(stage.parent, False) if stage.parent is not None else False
        for instruction in stage.body:
            if instruction.keyword == "RUN":
                yield from _check_run(instruction, stage.index in shipped, off)
            off = off or _writes_recommends(instruction)
        off_after[stage.index] = off


def _check_run(instruction: Instruction, shipped: bool, recommends_off: bool) -> Iterator[Hit]:
    """The findings on one RUN; ``recommends_off``: an earlier RUN the image inherits set APT::Install-Recommends."""
    updates: list[tuple[Position, str]] = []
    installs: list[tuple[Position, str]] = []
    apk_adds: list[Position] = []
    lists_removed = _cached(instruction, ("/var/lib/apt", "/var/cache/apt"))
    apk_cache_removed = _cached(instruction, ("/var/cache/apk",))
    for script, command in all_commands(instruction):
        tool = name(command[0])
        lists_removed = lists_removed or _removes(command, _LISTS)
        apk_cache_removed = apk_cache_removed or _removes(command, ("/var/cache/apk",))
        where = script.place(command[0].offset)
        if tool in _APT:
            subcommand, no_recommends = _subcommand(command)
            shown = f"{tool} {subcommand}"
            if subcommand == "update":
                updates.append((where, shown))
            elif subcommand in _INSTALLS:
                installs.append((where, shown))
                recommends = subcommand == "install" and not no_recommends
                if recommends and not recommends_off:
                    yield Hit(*where, f"RUN {shown} without --no-install-recommends")
        elif tool == "apk":
            words = [unquote(word.text) for word in command[1:]]
            if next((word for word in words if not word.startswith("-")), "") == "add" and "--no-cache" not in words:
                apk_adds.append(where)
    if updates and not installs:
        where, shown = updates[0]
        yield Hit(*where, f"RUN {shown} installs nothing: a later RUN reuses these package lists when they are stale")
    if installs and shipped and not lists_removed:
        where, shown = installs[0]
        yield Hit(*where, f"RUN {shown} leaves /var/lib/apt/lists in the image: remove it in the same RUN")
    if not apk_cache_removed:
        for where in apk_adds:
            yield Hit(*where, "RUN apk add without --no-cache leaves the package index in the layer")
