"""## What it does
Finds Dockerfiles whose final stage runs as root: it sets no `USER`, or its last `USER` is `root` or UID 0.

## Why is this bad?
A process that runs as root inside the container is root on every file and volume the container can reach, and a
container escape (a kernel or runtime bug) starts with full privileges on the host side too. Most services need no
privileges at all. Only the final stage matters: build stages never run as the image's containers.

A final stage built `FROM` an earlier stage inherits that stage's `USER`. The default user of an external base image
cannot be seen in the file, so an image that relies on it is reported: say `USER` explicitly.

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

from collections.abc import Iterator

from scaffold.audit.document import Document
from scaffold.audit.lines import Model
from scaffold.audit.model import Confidence, Hit, Kind, Severity
from scaffold.checks.container import is_root_user
from scaffold.harden.model import Fix, Proposal, Safety, TextEdit, Unfixable
from scaffold.rules.docker.instructions import final_image, final_setting, final_stage_label

ID = "docker-root-user"
SEVERITY = Severity.MEDIUM
CONFIDENCE = Confidence.MEDIUM
KINDS = (Kind.DOCKERFILE,)
FIX_SAFETY = "unsafe"
NON_ROOT = "10001:10001"


def check(document: Document) -> Iterator[Hit]:
    chain, stage, last = final_setting(document, "USER")
    if not chain:
        return
    if stage is None or last is None:
        final = chain[0].start
        yield Hit(
            final.line, final.column, f"the final stage (FROM {final_image(chain)}) sets no USER, so it runs as root"
        )
        return
    words = last.words()
    user = words[0].text if words else ""
    if is_root_user(user):
        line, column = last.position(0)
        yield Hit(line, column, f"{final_stage_label(chain, stage)} runs as root (USER {user})")


def fix(document: Document) -> Iterator[Proposal]:
    from scaffold.harden.edits import newline

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
