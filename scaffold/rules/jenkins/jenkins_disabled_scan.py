"""## What it does
Finds stages that run a security scan or gate which can no longer fail the build.

A scan is a shell step command recognised by the shared scan table (`gitleaks`, `semgrep`, `trivy fs` and
`trivy image`, an SBOM generator, `cosign sign`/`attest`/`verify`, a coverage gate, ...). It cannot fail when its
stage is switched off (`when { expression { false } }` or `return false`, alone or inside `allOf`), when a
`catchError(buildResult: 'SUCCESS')` (or `'UNSTABLE'`) or `warnError` block wraps it, or a `try { } catch { }`
whose `catch` neither `throw`s, calls `error` nor sets `currentBuild.result = 'FAILURE'`, when its step has
`returnStatus: true`, or when its script keeps its failure from failing the step
(`scaffold.rules.common.shell_exit`; `sh` runs with errexit and without pipefail): `set +e` before it (unless it
is the script's last command), a fallback that succeeds (`|| true`, `|| :`, `|| exit 0`, `|| echo ...`,
`|| /bin/true`), a pipe into another command (`| tee`), `!`, an `if` condition, `&`, `--exit-code 0`, or an `echo`
in front of it. Conditions that depend on the build (`when { branch ... }`, `changeset`, an `expression` reading
`env`) are not judged: only constant ones are. A DAST scan (OWASP ZAP) is the exception: it runs against a
deployment and is meant not to block a release. One finding per stage: at the stage when it never runs, else at
the wrapper, the step or the command that keeps the scan from failing.

## Why is this bad?
A switched-off scan still shows as a green stage, so everyone keeps trusting a check that no longer runs or no
longer fails: leaked secrets, vulnerable dependencies or an unsigned image go out with the next release. Such
edits are often made "for now" to unblock a build and never undone.

## Example
```groovy
stage('Secret scan') {
  when { expression { return false } }
  agent { docker { image 'ghcr.io/gitleaks/gitleaks:v8.30.1@sha256:...' } }
  steps { sh 'gitleaks git --redact --exit-code 0 .' }
}
```

## Use instead
```groovy
stage('Secret scan') {
  agent { docker { image 'ghcr.io/gitleaks/gitleaks:v8.30.1@sha256:...' } }
  steps { sh 'gitleaks git --redact --exit-code 1 .' }
}
```
Fix or triage what the scan reports (a baseline or an allowlist with a reason) instead of switching it off.

## References
- OWASP Top 10 CI/CD Security Risks, CICD-SEC-1 (insufficient flow control mechanisms)
- Jenkins, "Pipeline syntax: when" and "Pipeline: basic steps: catchError"
"""

from __future__ import annotations

from collections.abc import Iterator

from scaffold.rules.common.scans import COMMAND_SCANS, NON_BLOCKING, SCANS, scans_in
from scaffold.rules.document import Document
from scaffold.rules.jenkins.groovy import Block, read
from scaffold.rules.jenkins.pipeline import cannot_fail, commands, scan_controls, subject
from scaffold.rules.model import Confidence, Hit, Kind, Severity

ID = "jenkins-disabled-scan"
SEVERITY = Severity.HIGH
CONFIDENCE = Confidence.MEDIUM
KINDS = (Kind.JENKINSFILE,)
CONTROLS = COMMAND_SCANS


def check(document: Document) -> Iterator[Hit]:
    source = read(document.text)
    reported: set[Block | None] = set()
    scan_in_text: bool | None = None
    for command in commands(source):
        if command.stage in reported or NON_BLOCKING.search(command.text):
            continue
        controls = scan_controls(command.text)  # remembered: the kit judges ask the same of every command
        if not controls:
            continue
        tool = SCANS[controls[0]].search(command.text)
        at = tool.start() if tool is not None else 0
        why = cannot_fail(source, command, at)
        if why is None:
            continue
        if scan_in_text is None:  # only a file with a finding pays for searching its whole text
            scan_in_text = bool(scans_in(document.text))
        if not scan_in_text:
            return  # the file as written names no scan (a command may, once its continued lines are joined)
        reported.add(command.stage)
        offset, reason = why
        line, column = source.position(offset)
        name = subject(source, command.stage)
        what = " ".join(tool.group().split()) if tool is not None else controls[0]
        message = f"{name}: {what} ({', '.join(controls)}) cannot fail the build: {reason}"
        yield Hit(line, column, message, name, ", ".join(controls))
