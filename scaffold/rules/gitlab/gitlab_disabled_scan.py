"""## What it does
Finds security scan jobs that are switched off, or that can no longer fail the pipeline.

A job runs a scan when its scripts (`script`, also through `extends:`, and `before_script`/`after_script`, also
from `default:`) run gitleaks, semgrep, trivy, an SBOM generator, cosign, the coverage gate or OWASP ZAP. It is
reported when:
- it is switched off: a job-level `when: never`, `when: on_failure`, `when: manual` (optional, unless
  `allow_failure: false`), or `rules:` that never run it on their own: every entry that can match is
  `when: never`, every entry's `if:` compares two literals that differ (`'"a" == "b"'`, `'1 == 2'`), or every entry
  that can run it is `when: manual` (without `allow_failure: false`) or `when: on_failure`;
- it cannot fail the pipeline: `allow_failure: true` or `allow_failure: exit_codes:`, on the job or on every
  rule that can run it. A ZAP (DAST) job is exempt: it runs after a deploy and is meant not to block a release;
- every command of a scan cannot fail its job (`scaffold.rules.common.shell_exit`, in the shell `before_script`
  and `script` share, with errexit and without pipefail): only echoed (`echo gitleaks git ...`), negated
  (`! trivy ...`), followed by a fallback that succeeds (`|| true`, `|| :`, `|| exit 0`, `|| echo ...`,
  `|| /bin/true`, `|| ls`), piped into another command (`| tee report.txt`) without `set -o pipefail`, the
  condition of an `if` or `while`, after `set +e` and not the script's last command, in the background (`&`),
  run with `--exit-code 0` or `--exit-zero`, or in `after_script`, whose failure never fails the job.

Conditions that depend on the pipeline (`$CI_COMMIT_BRANCH == "main"`, `changes:`, `exists:`, `only:` refs) are not
judged: only `if:` comparisons of two literals are.

One finding per job: on the job's name when a setting does it (its own or one it inherits), on the command's line
when a command is neutralised.

## Why is this bad?
A scan that cannot fail is a report nobody reads: secrets, vulnerable dependencies and unsigned images go out with
a green pipeline, and the job's name still tells reviewers the repository is protected. Turning a gate into
`allow_failure: true` or `--exit-code 0` is also the smallest edit that defeats it, easy to miss in a review.

## Example
```yaml
secret-scan:
  allow_failure: true
  script:
    - gitleaks git --redact --exit-code 1 .
dependency-scan:
  script:
    - trivy fs --scanners vuln --exit-code 0 .
```

## Use instead
```yaml
secret-scan:
  script:
    - gitleaks git --redact --exit-code 1 .
dependency-scan:
  script:
    - trivy fs --scanners vuln --severity HIGH,CRITICAL --exit-code 1 .
```
Accept a known finding in the scanner's own configuration (`.gitleaksignore`, `.trivyignore`), which keeps a
record, rather than switching the gate off.

## References
- GitLab documentation, "allow_failure", "when" and "rules"
- OWASP Top 10 CI/CD Security Risks: CICD-SEC-1 (insufficient flow control mechanisms)
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from scaffold.rules.common.scans import COMMAND_SCANS
from scaffold.rules.document import Document
from scaffold.rules.gitlab import gates
from scaffold.rules.gitlab.pipeline import Job, Pipeline
from scaffold.rules.model import Confidence, Hit, Kind, Severity

ID = "gitlab-disabled-scan"
SEVERITY = Severity.HIGH
CONFIDENCE = Confidence.MEDIUM
KINDS = (Kind.GITLAB_CI,)
CONTROLS = (*COMMAND_SCANS, "dast")

WHAT = {
    "secret-scan": "the secret scan",
    "sast": "the SAST scan",
    "dependency-scan": "the dependency scan",
    "image-scan": "the image scan",
    "sbom": "the SBOM",
    "signing": "the signing",
    "provenance": "the provenance",
    "verify-before-deploy": "the signature check",
    "coverage-gate": "the coverage gate",
    "dast": "the DAST scan",
}


def check(document: Document) -> Iterator[Hit]:
    pipeline = Pipeline(document)
    for job in pipeline.jobs:
        if not job.hidden:
            yield from _job(document, pipeline, job)


def _job(document: Document, pipeline: Pipeline, job: Job) -> Iterator[Hit]:
    found: dict[str, list[tuple[gates.Line, str | None]]] = {}
    for line in gates.lines(pipeline, job):
        for control, reason in gates.scans(line):
            found.setdefault(control, []).append((line, reason))
    if not found:
        return
    subject = job.label
    off = gates.switched_off(pipeline, job)
    if off is not None:
        message = f"{job.label}: {_names(found)} switched off ({off.reason})"
        yield Hit(job.key.line, job.key.column, message, subject, ", ".join(found))
        return
    gating = [control for control in found if control != "dast"]
    loose = gates.non_blocking(pipeline, job) if gating else None
    if loose is not None:
        message = f"{job.label}: {_names(gating, verb=False)} cannot fail the pipeline ({loose.reason})"
        yield Hit(job.key.line, job.key.column, message, subject, ", ".join(gating))
        return
    neutralised = [(control, runs[0]) for control, runs in found.items() if all(reason for _, reason in runs)]
    if neutralised:
        number, column = gates.place(document, neutralised[0][1][0])
        parts = _join([f"{WHAT.get(control, control)} ({reason})" for control, (_, reason) in neutralised])
        controls = ", ".join(control for control, _ in neutralised)
        yield Hit(number, column, f"{job.label}: {parts} cannot fail the job", subject, controls)


def _names(controls: Iterable[str], verb: bool = True) -> str:
    names = [WHAT.get(control, control) for control in controls]
    return _join(names) + ("" if not verb else " is" if len(names) == 1 else " are")


def _join(names: list[str]) -> str:
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]
