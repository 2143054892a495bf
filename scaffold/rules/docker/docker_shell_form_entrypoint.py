"""## What it does
Finds a final image whose `CMD` or `ENTRYPOINT` is in shell form instead of exec form. `CMD python app.py` is the
shell form, `CMD ["python", "app.py"]` the exec form. The rule looks at the `CMD` and `ENTRYPOINT` the built image
gets, from the final stage or the stage it is built from; build stages, and `HEALTHCHECK CMD`, are not checked.

## Why is this bad?
Docker runs the shell form as `/bin/sh -c "python app.py"`, so the process with PID 1 is the shell, not the
program. `docker stop` and Kubernetes send `SIGTERM` to PID 1, and `sh` does not pass it on: the program never
hears it, cannot close connections or finish its work, and is killed with `SIGKILL` after the grace period. The
shell form also needs a shell in the image (none in distroless images), and a shell-form `ENTRYPOINT` ignores `CMD`
and the arguments of `docker run`.

## Example
```dockerfile
ENTRYPOINT /usr/local/bin/service --port 8080
```

## Use instead
```dockerfile
ENTRYPOINT ["/usr/local/bin/service", "--port", "8080"]
```
When the command needs a variable, let the program read it from the environment, or start it with
`exec` from a script (`ENTRYPOINT ["/entrypoint.sh"]`, ending in `exec "$@"`).

## References
- hadolint DL3025; Docker build check `JSONArgsRecommended`
- Docker documentation, "Dockerfile reference: ENTRYPOINT" (exec form and shell form)
"""

from __future__ import annotations

from collections.abc import Iterator

from scaffold.rules.docker.instructions import final_setting, final_stage_label
from scaffold.rules.document import Document
from scaffold.rules.model import Confidence, Hit, Kind, Severity

ID = "docker-shell-form-entrypoint"
SEVERITY = Severity.LOW
CONFIDENCE = Confidence.HIGH
KINDS = (Kind.DOCKERFILE,)


def check(document: Document) -> Iterator[Hit]:
    chain, entry_stage, entrypoint = final_setting(document, "ENTRYPOINT")
    _, cmd_stage, cmd = final_setting(document, "CMD")
    if not chain:
        return
    found = [(entry_stage, entrypoint)]
    # An ENTRYPOINT resets the CMD inherited from the stage below it; a shell-form ENTRYPOINT ignores CMD.
    cmd_used = cmd_stage is not None and (entry_stage is None or chain.index(cmd_stage) <= chain.index(entry_stage))
    if cmd_used and not (entrypoint is not None and entrypoint.exec_form() is None):
        found.append((cmd_stage, cmd))
    for stage, instruction in found:
        if stage is None or instruction is None or not instruction.args or instruction.exec_form() is not None:
            continue
        where = final_stage_label(chain, stage)
        yield Hit(
            instruction.line,
            instruction.column,
            f"{where} has {instruction.keyword} in shell form: /bin/sh gets the stop signal, not the program",
        )
