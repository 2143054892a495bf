"""Security scans and gates by the text of the job, step or stage that runs them: one table for every platform.

The disabled-scan rules use it to tell a scan switched off (``if: false``, ``continue-on-error``, ``allow_failure``,
``when: never``, a Jenkins ``when { expression { false } }``) from any other job, and the kit judges to find the
scan a control needs. Each entry names the control of ``scaffold.kit.controls`` the scan serves.
"""

from __future__ import annotations

import re

# control id -> what a job, step or stage that runs it contains (an action, a command, a setting)
SCANS: dict[str, re.Pattern[str]] = {
    control: re.compile(pattern, re.IGNORECASE)
    for control, pattern in {
        "secret-scan": r"\bgitleaks\b|\btrufflehog\b|\bdetect-secrets\b",
        "sast": r"codeql-action/analyze|\bsemgrep\b|\bbandit\b|\bgosec\b",
        "dependency-scan": r"scan-type:\s*[\"']?fs\b|\btrivy\s+(?:fs|filesystem)\b|\bpip-audit\b|\bosv-scanner\b"
        r"|\bnpm\s+audit\b|\bgrype\s+dir:|dependency-review-action",
        "image-scan": r"\bimage-ref:|\btrivy\s+image\b|\bgrype\b|\bsnyk\s+container\b",
        "sbom": r"anchore/sbom-action|--format\s+cyclonedx\b|\bsyft\b",
        "signing": r"\bcosign\s+(?:sign|attest)\b",
        "provenance": r"\bactions/attest\b|attest-build-provenance|RUNNER_GENERATE_ARTIFACTS_METADATA",
        "verify-before-deploy": r"\bcosign\s+verify\b|\bgh\s+attestation\s+verify\b",
        "coverage-gate": r"\bCOVERAGE_MIN\b|--cov-fail-under\b|--fail-under\b",
    }.items()
}
# The scans a shell command runs: GitLab's provenance is a runner setting, not a command, and Jenkins has none.
COMMAND_SCANS: tuple[str, ...] = tuple(control for control in SCANS if control != "provenance")
# DAST runs after a deploy and must not block a release: switching it to non-blocking is the kit's design.
NON_BLOCKING = re.compile(r"zaproxy/action-|\bzap-[\w-]+\.py\b", re.IGNORECASE)


def scans_in(text: str) -> list[str]:
    """The controls whose scan ``text`` runs, in table order."""
    return [control for control, pattern in SCANS.items() if pattern.search(text)]
