"""## What it does
Finds shell-form `RUN` instructions with a pipe while `pipefail` is off. A pipe is `a | b` (not `a || b`, not a
`|` in quotes or a `case` pattern); `pipefail` is on when a `SHELL ["/bin/bash", "-o", "pipefail", "-c"]` is in
effect for the stage or the script runs `set -o pipefail` before the pipe. Heredoc scripts (`RUN <<EOF`) are
checked too. `SHELL` applies to its own stage and to the stages built `FROM` it; a non-POSIX `SHELL` (PowerShell,
`cmd`) turns the check off.

## Why is this bad?
The exit status of a pipeline is that of its last command. In `RUN curl -fsSL https://example.com/key | gpg
--dearmor -o /usr/share/keyrings/example.gpg`, a failed download still makes the step succeed, and the build goes on
with an empty key or a half-written file: the image is built from something other than what the Dockerfile says,
and the error only shows up later, if at all.

## Example
```dockerfile
RUN curl -fsSL https://example.com/tool.tar.gz | tar -xz -C /opt
```

## Use instead
```dockerfile
SHELL ["/bin/bash", "-o", "pipefail", "-c"]
RUN curl -fsSL https://example.com/tool.tar.gz | tar -xz -C /opt
```
On Alpine (busybox `ash`, no bash), use `SHELL ["/bin/ash", "-eo", "pipefail", "-c"]` or start the command with
`set -o pipefail &&`.

## References
- hadolint DL4006
- Docker documentation, "Building best practices: using pipes"
"""

from __future__ import annotations

from collections.abc import Iterator

from scaffold.rules.docker.instructions import Instruction, stages, unquote
from scaffold.rules.docker.shell import SHELLS, Script, name, scripts
from scaffold.rules.document import Document
from scaffold.rules.model import Confidence, Hit, Kind, Severity

ID = "docker-pipe-without-pipefail"
SEVERITY = Severity.LOW
CONFIDENCE = Confidence.MEDIUM
KINDS = (Kind.DOCKERFILE,)


def _sets_pipefail(options: list[str]) -> bool:
    """``-o pipefail`` (also ``-eo pipefail`` and ``-opipefail``) among a shell's options."""
    for index, option in enumerate(options):
        if option.startswith("--") or not option.startswith("-"):
            continue
        if option.endswith("opipefail"):
            return True
        if option.endswith("o") and options[index + 1 : index + 2] == ["pipefail"]:
            return True
    return False


def _shell(instruction: Instruction) -> tuple[bool, bool] | None:
    """For a SHELL: whether it is a POSIX shell, and whether it turns pipefail on; None if unreadable."""
    form = instruction.exec_form()
    if not form:
        return None
    return name_of(form[0]) in SHELLS, _sets_pipefail(form[1:])


def name_of(program: str) -> str:
    return program.replace("\\", "/").rsplit("/", 1)[-1].lower().removesuffix(".exe")


def _first_unprotected_pipe(script: Script) -> int | None:
    """The offset of the first pipe not preceded by ``set -o pipefail`` in the script."""
    pipes = script.pipes()
    if not pipes:
        return None
    enabled_at: int | None = None
    for command in script.commands():
        if name(command[0]) == "set" and _sets_pipefail([unquote(word.text) for word in command[1:]]):
            enabled_at = command[0].offset
            break
    if enabled_at is not None and enabled_at < pipes[0].offset:
        return None
    return pipes[0].offset


def _around(script: Script, offset: int, before: bool = False) -> str:
    """``a | b`` for the commands on each side of the pipe at ``offset`` (or just ``a`` with ``before``)."""
    commands = script.commands(strip=False)
    left = [command for command in commands if command[-1].offset < offset]
    right = [command for command in commands if command[0].offset > offset]
    first = name(left[-1][0]) if left else "?"
    if before:
        return first
    return f"{first} | {name(right[0][0]) if right else '?'}"


def check(document: Document) -> Iterator[Hit]:
    all_stages = stages(document)
    # (POSIX shell, pipefail) at the end of each stage, for the stages built FROM it.
    state_after: dict[int, tuple[bool, bool]] = {}
    for stage in all_stages:
        inherited = stage.parent if stage.parent is not None and stage.parent != stage.index else None
        posix, pipefail = state_after.get(inherited, (True, False)) if inherited is not None else (True, False)
        for instruction in stage.body:
            if instruction.keyword == "SHELL":
                posix, pipefail = _shell(instruction) or (posix, pipefail)
            elif instruction.keyword == "RUN" and posix and not pipefail:
                for script in scripts(instruction):
                    offset = _first_unprotected_pipe(script)
                    if offset is not None:
                        line, column = script.place(offset)
                        first = _around(script, offset, before=True)
                        pipe = _around(script, offset)
                        yield Hit(line, column, f"RUN pipes {pipe} without pipefail: a failure of {first} is ignored")
                        break
        state_after[stage.index] = (posix, pipefail)
