"""## What it does
Finds `ACTIONS_ALLOW_UNSECURE_COMMANDS`, `ACTIONS_STEP_DEBUG` and `ACTIONS_RUNNER_DEBUG` turned on in an `env:`.

Every `env:` is read (the workflow's, a job's, a step's, a container's or a service's), as is a `run:` line that
writes one of them into `$GITHUB_ENV`. A value from a `${{ }}` expression is reported because it may be true.

## Why is this bad?
`ACTIONS_ALLOW_UNSECURE_COMMANDS` brings back the `::set-env` and `::add-path` workflow commands that GitHub
disabled in 2020 (CVE-2020-15228): any process that can print to the log, such as a test, a dependency's install
script or a tool echoing a pull request title, can then set `LD_PRELOAD`, `NODE_OPTIONS` or `PATH` for every later
step and run its own code there. The debug switches make the runner and the actions print far more than usual,
including values derived from secrets that masking does not recognise; they belong in a one-off re-run with debug
logging, never in the workflow file.

## Example
```yaml
env:
  ACTIONS_ALLOW_UNSECURE_COMMANDS: true
  ACTIONS_STEP_DEBUG: true
```

## Use instead
```yaml
- run: echo "TOOL_HOME=$HOME/tool" >> "$GITHUB_ENV"
```
Write to the `$GITHUB_ENV` and `$GITHUB_PATH` files instead of the old commands, and turn debug logging on for a
single run with "Re-run jobs" and "Enable debug logging".

## References
- GitHub, "Workflow commands for GitHub Actions" (environment files) and "Enabling debug logging"
- GitHub Security Advisory GHSA-mfwh-5m23-j46w (CVE-2020-15228)
- zizmor `insecure-commands`; checkov CKV_GHA_1; poutine `debug_enabled`
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from scaffold.rules.document import Document
from scaffold.rules.github.scripts import located_lines, run_scripts
from scaffold.rules.github.workflow import jobs, steps
from scaffold.rules.model import Confidence, Hit, Kind, Severity
from scaffold.rules.yaml_view import YNode

ID = "insecure-runtime-toggle"
SEVERITY = Severity.HIGH
CONFIDENCE = Confidence.HIGH
KINDS = (Kind.WORKFLOW, Kind.ACTION)
CONTROLS = ("no-debug-tracing",)

_EFFECTS = {
    "ACTIONS_ALLOW_UNSECURE_COMMANDS": "re-enables the ::set-env and ::add-path commands",
    "ACTIONS_STEP_DEBUG": "turns on step debug logs",
    "ACTIONS_RUNNER_DEBUG": "turns on runner debug logs",
}
_TRUE = {"true", "1"}
_WRITE = re.compile(
    r"\b(ACTIONS_ALLOW_UNSECURE_COMMANDS|ACTIONS_STEP_DEBUG|ACTIONS_RUNNER_DEBUG)=[\"']?(true|1)\b[^#]*GITHUB_ENV",
    re.IGNORECASE,
)


def check(document: Document) -> Iterator[Hit]:
    for label, env in _environments(document):
        for key, value in env.entries():
            name = key.text or ""
            if name not in _EFFECTS or value.text is None:
                continue
            text = value.text.strip().strip("'\"").lower()
            if text in _TRUE:
                yield Hit(key.line, key.column, f"{label}: {name} is {value.text}, which {_EFFECTS[name]}")
            elif "${{" in text:
                yield Hit(key.line, key.column, f"{label}: {name} comes from an expression and may be true")
    for job, script in run_scripts(document):
        if not _may_write(script.text or ""):
            continue
        for line in located_lines(document, script):
            match = _WRITE.search(line.text)
            if match is not None and not line.text.startswith("#"):
                name = match.group(1).upper()
                message = f"job {job}: the script sets {name} in $GITHUB_ENV, which {_EFFECTS[name]}"
                yield Hit(line.line, line.column + match.start(), message)


def _may_write(script: str) -> bool:
    """Whether a line of the script may set a toggle in ``$GITHUB_ENV`` (each line is a piece of the script): an
    ASCII script that does holds ``github_env`` once lower-cased; other text may pair ``i`` with a dotless or dotted
    I in a case-blind match, so it is searched line by line."""
    return "github_env" in script.lower() if script.isascii() else True


def _environments(document: Document) -> Iterator[tuple[str, YNode]]:
    """Every ``env:`` mapping in the workflow, with a label for the message."""
    root = document.yaml
    env = root.get("env") if root is not None else None
    if env is not None:
        yield "workflow env", env
    for name, job in jobs(document):
        owners = [job, job.get("container")]
        services = job.get("services")
        owners += [value for _, value in services.items()] if services is not None else []
        owners += list(steps(job))
        for owner in owners:
            env = owner.get("env") if owner is not None else None
            if env is not None:
                yield f"job {name}", env
