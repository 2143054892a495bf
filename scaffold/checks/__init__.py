"""Checks that find each control of ``scaffold.controls`` in a platform's CI files, by parsing them.

Each platform module registers one check per control it can express. A check takes the kit's files
(``{path: text}``) and returns problems: an empty list means the control is present and intact. The parity test
runs them on every rendered kit; the mutation test weakens each control and expects a problem. The audit command
will run the same registry on repositories scaffold did not generate.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from scaffold.checks import github, gitlab, jenkins
from scaffold.checks.registry import Check
from scaffold.controls import PlatformName

__all__ = ["REGISTRY", "Finding", "run_checks"]

REGISTRY: dict[PlatformName, dict[str, Check]] = {
    "github": github.CHECKS,
    "gitlab": gitlab.CHECKS,
    "jenkins": jenkins.CHECKS,
}


@dataclass(frozen=True)
class Finding:
    control: str
    platform: PlatformName
    message: str


def run_checks(platform: PlatformName, files: Mapping[str, str], controls: list[str]) -> list[Finding]:
    """Run the named controls' checks for one platform; a control without a check is itself a finding."""
    findings: list[Finding] = []
    for control in controls:
        check = REGISTRY[platform].get(control)
        if check is None:
            findings.append(Finding(control, platform, "scaffold has no check for this control on this platform"))
            continue
        findings.extend(Finding(control, platform, message) for message in check(files))
    return findings
