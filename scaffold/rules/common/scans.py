"""Security scans and gates by the text of the job, step or stage that runs them: one table for every platform.

The disabled-scan rules use it to tell a scan switched off (``if: false``, ``continue-on-error``, ``allow_failure``,
``when: never``, a Jenkins ``when { expression { false } }``) from any other job, and the kit judges to find the
scan a control needs. Each entry names the control of ``scaffold.kit.controls`` the scan serves.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator, Mapping

# control id -> what a job, step or stage that runs it contains (an action, a command, a setting), and its hints:
# words in lower case, one of which each alternative of the pattern spells out literally (in any case), so that every
# match holds one. ``scans_in`` does not search a text that holds none of them.
_TABLE: dict[str, tuple[str, tuple[str, ...]]] = {
    "secret-scan": (
        r"\bgitleaks\b|\btrufflehog\b|\bdetect-secrets\b",
        ("gitleaks", "trufflehog", "detect-secrets"),
    ),
    "sast": (
        r"codeql-action/analyze|\bsemgrep\b|\bbandit\b|\bgosec\b",
        ("codeql-action/analyze", "semgrep", "bandit", "gosec"),
    ),
    "dependency-scan": (
        r"scan-type:\s*[\"']?fs\b|\btrivy\s+(?:fs|filesystem)\b|\bpip-audit\b|\bosv-scanner\b"
        r"|\bnpm\s+audit\b|\bgrype\s+dir:|dependency-review-action",
        ("scan-type:", "trivy", "pip-audit", "osv-scanner", "npm", "grype", "dependency-review-action"),
    ),
    "image-scan": (
        r"\bimage-ref:|\btrivy\s+image\b|\bgrype\b|\bsnyk\s+container\b",
        ("image-ref:", "trivy", "grype", "snyk"),
    ),
    "sbom": (r"anchore/sbom-action|--format\s+cyclonedx\b|\bsyft\b", ("anchore/sbom-action", "cyclonedx", "syft")),
    "signing": (r"\bcosign\s+(?:sign|attest)\b", ("cosign",)),
    "provenance": (
        r"\bactions/attest\b|attest-build-provenance|RUNNER_GENERATE_ARTIFACTS_METADATA",
        ("actions/attest", "attest-build-provenance", "runner_generate_artifacts_metadata"),
    ),
    "verify-before-deploy": (r"\bcosign\s+verify\b|\bgh\s+attestation\s+verify\b", ("cosign", "attestation")),
    "coverage-gate": (r"\bCOVERAGE_MIN\b|--cov-fail-under\b|--fail-under\b", ("coverage_min", "fail-under")),
}


class _Patterns(Mapping[str, re.Pattern[str]]):
    """The table's patterns by control, each compiled (case-blind) the first time it is asked for."""

    def __getitem__(self, control: str) -> re.Pattern[str]:
        return _compiled(control)

    def __iter__(self) -> Iterator[str]:
        return iter(_TABLE)

    def __len__(self) -> int:
        return len(_TABLE)


@functools.cache
def _compiled(control: str) -> re.Pattern[str]:
    return re.compile(_TABLE[control][0], re.IGNORECASE)


SCANS: Mapping[str, re.Pattern[str]] = _Patterns()
HINTS: dict[str, tuple[str, ...]] = {control: hints for control, (_, hints) in _TABLE.items()}  # control -> hints
_ALL_HINTS = tuple(hint for hints in HINTS.values() for hint in hints)
# The scans a shell command runs: GitLab's provenance is a runner setting, not a command, and Jenkins has none.
COMMAND_SCANS: tuple[str, ...] = tuple(control for control in SCANS if control != "provenance")
# DAST runs after a deploy and must not block a release: switching it to non-blocking is the kit's design.
NON_BLOCKING = re.compile(r"zaproxy/action-|\bzap-[\w-]+\.py\b", re.IGNORECASE)


def scans_in(text: str) -> list[str]:
    """The controls whose scan ``text`` runs, in table order.

    Only a pattern one of whose hints the text holds is searched. For ASCII text that is exact: a case-blind match
    of an ASCII word is that word in the lower-cased text. Other text is searched with every pattern, since a
    case-blind match may pair an ASCII letter with another one (``s`` with the long s U+017F, ``k`` with the Kelvin
    sign)."""
    if not text.isascii():
        return [control for control in _TABLE if _compiled(control).search(text)]
    lowered = text.lower()
    if not any(hint in lowered for hint in _ALL_HINTS):
        return []
    return [
        control
        for control, hints in HINTS.items()
        if any(hint in lowered for hint in hints) and _compiled(control).search(text)
    ]


def non_blocking(text: str) -> bool:
    """Whether ``text`` runs a DAST scan (``NON_BLOCKING``). Every match holds ``zap`` in some case, and no letter of
    it has a case-blind match outside ASCII, so a text without ``zap`` lower-cased is not searched."""
    return "zap" in text.lower() and NON_BLOCKING.search(text) is not None
