"""## What it does
Finds security scans and gates that are still in the workflow but can no longer fail it.

A job or step that runs a secret scan, SAST, a dependency or image scan, an SBOM, signing, provenance, a signature
check or a coverage gate (recognised by the table the kit rules share) is reported when it is switched off by a
constant `if:` (`false`, `${{ false }}`, `false && ...`, `${{ 1 == 2 }}`, `${{ !!false }}`), or by `needs:` on a
job that never runs (without `always()`, `failure()` or `!cancelled()` in its own `if:`); made unable to fail by a
constant-true `continue-on-error` (`true`, `${{ 1 == 1 }}`) on the step or its job; or when its command cannot fail
its script (`scaffold.rules.common.shell_exit`): an `echo` in front of it, its failure swallowed by `|| true`,
`|| echo` or any other fallback that succeeds, `; true`, a pipe (`| tee`) without pipefail (GitHub's default shell
has none; `shell: bash` has it), `!`, an `if` or `while` condition, `set +e` before it, `--exit-code 0` (also as
a `with:` input), or `&` sending it to the background. Conditions that depend on the run (branch names, events,
`startsWith(...)`, trigger path filters) are not judged: only constant ones are.

One finding per switched-off job or step, on the line of the job or step. The OWASP ZAP scan is the exception to
`continue-on-error`: DAST reports without blocking a release on purpose, so only an `if:` that switches it off is
reported.

## Why is this bad?
A switched-off scan still shows in the workflow and its job still turns green, so reviewers and auditors believe
the check runs. Leaked credentials, vulnerable dependencies or untested code then reach the default branch and
the release without anyone noticing. Disabling a gate "for now" is a common way for it to stay disabled.

## Example
```yaml
jobs:
  secrets:
    runs-on: ubuntu-24.04
    steps:
      - name: Scan the history for secrets
        if: false
        uses: gitleaks/gitleaks-action@e0c47f4f8be36e29cdc102c57e68cb5cbf0e8d1e # v3.0.0
      - name: Scan dependencies
        run: trivy fs --exit-code 1 --severity HIGH,CRITICAL . || true
```

## Use instead
```yaml
jobs:
  secrets:
    runs-on: ubuntu-24.04
    steps:
      - name: Scan the history for secrets
        uses: gitleaks/gitleaks-action@e0c47f4f8be36e29cdc102c57e68cb5cbf0e8d1e # v3.0.0
      - name: Scan dependencies
        run: trivy fs --exit-code 1 --severity HIGH,CRITICAL .
```
Fix the findings, or record an accepted one in the scanner's own ignore file (`.gitleaksignore`, `.trivyignore`)
with a reason, so that the scan keeps failing on everything else.

## References
- OWASP CI/CD Security Risks, CICD-SEC-1 (insufficient flow control mechanisms)
- GitHub, "Workflow syntax: jobs.<job_id>.continue-on-error" and "jobs.<job_id>.steps[*].if"
- `docs/ci-security.md` of a generated kit: the scan controls
"""

from __future__ import annotations

from collections.abc import Iterator

from scaffold.rules.common.scans import SCANS, non_blocking, scans_in
from scaffold.rules.document import Document
from scaffold.rules.github import gating
from scaffold.rules.github.workflow import jobs, steps
from scaffold.rules.model import Confidence, Hit, Kind, Severity
from scaffold.rules.yaml_view import YNode

ID = "disabled-scan"
SEVERITY = Severity.HIGH
CONFIDENCE = Confidence.HIGH
KINDS = (Kind.WORKFLOW, Kind.ACTION)
CONTROLS = (*SCANS, "dast")


def check(document: Document) -> Iterator[Hit]:
    root = document.yaml
    section = root.get("jobs") if root is not None else None
    keys = {key.text: key for key, _ in section.entries()} if section is not None else {}
    skipped = gating.skipped_jobs(root)
    for name, job in jobs(document):
        found = _job(name, job, skipped.get(name, ""))
        if found is not None:
            key = keys.get(name, job)
            yield Hit(key.line, key.column, found, f"job {name}", ", ".join(_scans(gating.node_text(job))))
            continue
        for number, step in enumerate(steps(job), start=1):
            why = _step(step, job, root)
            if why:
                subject = f"job {name}, step '{gating.label(step, number)}'"
                controls = ", ".join(_scans(gating.node_text(step)))
                yield Hit(step.line, step.column, f"{subject}: {why}", subject, controls)


def _scans(text: str) -> list[str]:
    found = scans_in(text)
    return [*found, "dast"] if non_blocking(text) else found


def _blocking_text(job: YNode) -> str:
    """The job's text without its DAST steps, which may keep running when they fail."""
    parts = [gating.node_text(value) for key, value in job.entries() if key.text != "steps"]
    parts += [text for step in steps(job) if not non_blocking(text := gating.node_text(step))]
    return "\n".join(parts)


def _job(name: str, job: YNode, skipped: str) -> str | None:
    """The finding for a whole job whose scans never run or never fail, or None."""
    if skipped:
        scans = _scans(gating.node_text(job))
        return f"job {name}: {skipped}, so {_names(scans)} never runs" if scans else None
    if gating.constant_true(job.get("continue-on-error")):
        scans = scans_in(_blocking_text(job))
        return f"job {name}: continue-on-error: true, so {_names(scans)} cannot fail" if scans else None
    return None


def _step(step: YNode, job: YNode, root: YNode | None) -> str:
    """Why a step that runs a scan never runs or never fails, or ""."""
    text = gating.node_text(step)
    scans = _scans(text)
    if not scans:
        return ""
    if gating.never_runs(step):
        return f"its if: is always false, so {_names(scans)} never runs"
    blocking = [scan for scan in scans if scan != "dast"]
    if not blocking:
        return ""
    if gating.constant_true(step.get("continue-on-error")):
        return f"continue-on-error: true, so {_names(blocking)} cannot fail"
    return _neutralised(step, job, root) or _exit_code_zero(step, blocking)


def _neutralised(step: YNode, job: YNode, root: YNode | None) -> str:
    """Why every command of some scan in the step's script cannot fail, or ""."""
    script = step.get("run")
    if script is None or script.text is None:
        return ""
    shell = gating.shell_of(step, job, root)
    for scan, pattern in SCANS.items():
        live, dead = gating.effective(script.text, pattern, shell)
        if dead and not live:
            return f"the {scan} command {dead[0]}"
    return ""


def _exit_code_zero(step: YNode, scans: list[str]) -> str:
    options = step.get("with")
    value = options.get("exit-code") if options is not None else None
    if value is not None and (value.text or "").strip().strip("'\"") == "0":
        return f"exit-code: 0, so {_names(scans)} passes whatever it finds"
    return ""


def _names(scans: list[str]) -> str:
    return " and ".join(scans)
