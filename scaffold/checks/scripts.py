"""Rules over shell scripts, shared by every platform whose jobs run shell (GitLab ``script:``, Jenkins ``sh``,
GitHub ``run:``). Each function takes ``(where, script)`` pairs and returns problems."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable

Scripts = Iterable[tuple[str, str]]

_UNLOCKED: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"\b(?:curl|wget)\b[^|\n]*\|\s*(?:sudo\s+)?(?:ba|z|da)?sh\b"), "pipes a download into a shell"),
    (re.compile(r"\bpip3?\s+install\b(?![^\n]*--require-hashes)"), "runs pip install without --require-hashes"),
    (re.compile(r"\bnpm\s+(?:install|i)\b"), "runs npm install instead of npm ci"),
    (re.compile(r"\byarn\s+add\b"), "runs yarn add"),
    (re.compile(r"\bgo\s+(?:install|get)\b"), "installs a Go tool without a lockfile"),
    (re.compile(r"\bgem\s+install\b"), "runs gem install"),
)


def unlocked_installs(scripts: Scripts) -> list[str]:
    """Installs that do not come from a lockfile, and downloads piped into a shell."""
    problems = []
    for where, script in scripts:
        for pattern, what in _UNLOCKED:
            if pattern.search(script):
                problems.append(f"{where} {what}")
    return problems


def debug_tracing(scripts: Scripts) -> list[str]:
    """``set -x`` (or ``set -o xtrace``) prints every expanded command, secrets included."""
    pattern = re.compile(r"\bset\s+(?:-[a-wyz]*x|-o\s+xtrace)\b")
    return [f"{where} turns on shell tracing" for where, script in scripts if pattern.search(script)]


def runs(scripts: Scripts, pattern: str, what: str, *required: str) -> list[str]:
    """Problems unless some script line matches ``pattern``; every line that does must carry each ``required`` flag."""
    compiled = re.compile(pattern)
    lines = [line for _, script in scripts for line in script.splitlines() if compiled.search(line)]
    if not lines:
        return [f"no job runs {what}"]
    return [f"{what} runs without {' '.join(required)}" for line in lines if not all(flag in line for flag in required)]


def secret_scan(scripts: Scripts) -> list[str]:
    return runs(scripts, r"\bgitleaks\s+(?:git|detect)\b", "a gitleaks history scan", "--exit-code 1")


def sast(scripts: Scripts) -> list[str]:
    return runs(scripts, r"\bsemgrep\s+(?:scan|ci)\b", "semgrep", "--error")


def dependency_scan(scripts: Scripts) -> list[str]:
    return runs(scripts, r"\btrivy\s+fs\b.*--scanners\s+vuln", "a trivy dependency scan", *_GATE)


_GATE = ("--exit-code 1", "HIGH,CRITICAL", "--ignore-unfixed")


def image_scan(scripts: Scripts) -> list[str]:
    return runs(scripts, r"\btrivy\s+image\b.*--scanners", "a trivy image scan", *_GATE)


def sbom(scripts: Scripts) -> list[str]:
    return runs(scripts, r"\b(?:trivy|syft)\b.*cyclonedx", "an SBOM (CycloneDX) generator")


def coverage_gate(scripts: Scripts) -> list[str]:
    return runs(scripts, r"COVERAGE_MIN", "a test with the coverage gate")


def rootless_build(scripts: Scripts) -> list[str]:
    problems = runs(scripts, r"/kaniko/executor\b", "a kaniko build")
    problems += [f"{where} uses a Docker daemon" for where, script in scripts if re.search(r"\bdocker\s+build", script)]
    return problems


def signing(scripts: Scripts) -> list[str]:
    signs = re.compile(r"\bcosign\s+sign\b.*@\$")
    attests = re.compile(r"\bcosign\s+attest\b.*--predicate\s+\S*sbom")
    problems = []
    if not any(signs.search(script) for _, script in scripts):
        problems.append("no job signs the image by digest with cosign")
    if not any(attests.search(script) for _, script in scripts):
        problems.append("no job attests the SBOM with cosign")
    return problems


def verifies_before_deploy(where: str, script: str) -> list[str]:
    """A deploy script must verify the image signature before it calls the deploy hook."""
    verify = re.search(r"\bcosign\s+verify\b", script)
    deploy = re.search(r"deploy/deploy\.sh", script)
    if deploy is None:
        return [f"{where} does not call deploy/deploy.sh"]
    if verify is None or verify.start() > deploy.start():
        return [f"{where} deploys without verifying the image signature first"]
    return []


def zap(scripts: Scripts) -> list[str]:
    return runs(scripts, r"zap-(?:baseline|api-scan|full-scan)\.py", "an OWASP ZAP scan")


# Controls whose whole check is a rule over the scripts; each platform registers the ones it uses in one loop.
SCRIPT_RULES: dict[str, Callable[[Scripts], list[str]]] = {
    "locked-installs": unlocked_installs,
    "no-debug-tracing": debug_tracing,
    "secret-scan": secret_scan,
    "sast": sast,
    "dependency-scan": dependency_scan,
    "image-scan": image_scan,
    "sbom": sbom,
    "signing": signing,
}
