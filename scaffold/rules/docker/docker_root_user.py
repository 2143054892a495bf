"""## What it does
Finds Dockerfiles whose final stage runs as root: it sets no `USER`, or its last `USER` is `root` or UID 0
(`root:root`, `0:0`, `00`), or is empty.

## Why is this bad?
A process that runs as root inside the container is root on every file and volume the container can reach, and a
container escape (a kernel or runtime bug) starts with full privileges on the host side too. Most services need no
privileges at all. Only the final stage matters: build stages never run as the image's containers.

A final stage built `FROM` an earlier stage inherits that stage's `USER`. The default user of an external base image
cannot be seen in the file, so an image that relies on it is reported: say `USER` explicitly.

The user is read as BuildKit reads it, with the file's `ARG` defaults and `ENV` values expanded: `ARG APPUSER=root`
(or `ENV APPUSER=0`) with `USER ${APPUSER}` runs as root, `ARG APPUSER=app` with `USER ${APPUSER}` does not. A
variable the file gives no value changes how sure the rule is:
- an `ARG` declared without a default (`ARG APPUSER`, and no global default): the user is empty, that is root,
  unless the build passes `--build-arg APPUSER`. This is reported, worded "may run as root";
- a global `ARG` (before the first `FROM`) that the stage does not redeclare: BuildKit reads it as empty in the
  stage, so the stage runs as root. This is reported as running as root;
- a name the file never declares: the base image's `ENV` may set it, which the file cannot show. Not reported.

## Example
```dockerfile
FROM python:3.13-slim-trixie
COPY app /app
CMD ["python", "/app/main.py"]
```

## Use instead
```dockerfile
FROM python:3.13-slim-trixie
COPY app /app
USER 10001:10001
CMD ["python", "/app/main.py"]
```
A numeric UID/GID needs no entry in `/etc/passwd` and lets Kubernetes' `runAsNonRoot` verify it.

## Fix
`scaffold harden --fix=all` ends the file with `USER 10001:10001`. It is unsafe because the program may need root
at run time (a port below 1024, files owned by root); check that the image still starts.

## References
- CIS Docker Benchmark 4.1, "Ensure that a user for the container has been created"
- hadolint DL3002; Checkov CKV_DOCKER_3
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import TYPE_CHECKING

from scaffold.rules.docker.instructions import (
    Expansion,
    Instruction,
    Missing,
    final_image,
    final_setting,
    final_stage_label,
    value,
)
from scaffold.rules.document import Document
from scaffold.rules.lines import Model
from scaffold.rules.model import Confidence, Hit, Kind, Severity

if TYPE_CHECKING:
    from scaffold.rules.fixes.model import Proposal

ID = "docker-root-user"
SEVERITY = Severity.MEDIUM
CONFIDENCE = Confidence.MEDIUM
KINDS = (Kind.DOCKERFILE,)
FIX_SAFETY = "unsafe"
NON_ROOT = "10001:10001"
SUBJECT = "the final stage's user"
_ZEROS = re.compile(r"0+")


def is_root_user(user: str) -> bool:
    """Whether a USER value (``user[:group]``) runs as root: ``root``, UID 0 or an empty user (the default)."""
    name = user.split(":", 1)[0].strip()
    return name in ("", "root") or bool(_ZEROS.fullmatch(name))


def check(document: Document) -> Iterator[Hit]:
    chain, stage, last = final_setting(document, "USER")
    if not chain:
        return
    if stage is None or last is None:
        final = chain[0].start
        none = f"the final stage (FROM {final_image(chain)}) sets no USER, so it runs as root"
        yield Hit(final.line, final.column, none, SUBJECT)
        return
    message = _root_message(last, value(document, last), final_stage_label(chain, stage))
    if message is not None:
        line, column = last.position(0)
        yield Hit(line, column, message, SUBJECT)


def _root_message(last: Instruction, expansion: Expansion | None, where: str) -> str | None:
    """What is wrong with the USER the final stage runs as, or None when it is not root (or cannot be known)."""
    written = last.args.strip()
    if expansion is None or expansion.text is None or not is_root_user(expansion.text):
        return None
    missing = expansion.missing
    if any(item.why == "undeclared" for item in missing):
        return None  # the base image's ENV may set it
    if not missing:
        shown = written if expansion.text == written else f"{written}, which is {expansion.text or 'empty'}"
        return f"{where} runs as root (USER {shown})"
    first = next((item for item in missing if item.why == "no default"), missing[0])
    return _unset_message(where, written, first)


def _unset_message(where: str, written: str, missing: Missing) -> str:
    name = missing.name
    if missing.why == "global only":
        return (
            f"{where} runs as root: USER {written} reads ARG {name}, which is declared only before the first FROM, "
            f"so the stage sees it empty; redeclare it with ARG {name} after FROM"
        )
    return (
        f"{where} may run as root: USER {written} reads ARG {name}, which has no default, so the user is empty "
        f"(root) unless the build passes --build-arg {name}"
    )


def fix(document: Document) -> Iterator[Proposal]:
    from scaffold.rules.fixes.edits import newline
    from scaffold.rules.fixes.model import Fix, Safety, TextEdit, Unfixable

    for hit in check(document):
        text = document.text.rstrip()
        if not text or text.endswith(("\\", "`")):
            yield Unfixable(hit.line, "the file does not end on a complete instruction; add USER by hand")
            return
        end = newline(document.text, Model.BUILDKIT)
        gap = "" if document.text.endswith("\n") else end
        edit = TextEdit(len(document.text), len(document.text), f"{gap}USER {NON_ROOT}{end}")
        # The re-audit confirms the USER landed in the final stage (not in a heredoc body or a continued line).
        risk = "the program may need root"
        yield Fix(hit.line, f"run the final stage as USER {NON_ROOT}", Safety.UNSAFE, (edit,), risk, (hit.message,))
