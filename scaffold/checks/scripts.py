"""Rules over shell scripts, shared by every platform whose jobs run shell (GitLab ``script:``, Jenkins ``sh``,
GitHub ``run:``). Each function takes ``(where, script)`` pairs and returns problems."""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable, Iterable

from scaffold.audit.lines import Model, split_lines

Scripts = Iterable[tuple[str, str]]

_FETCH = re.compile(r"\b(?:curl|wget)\b")
_SHELL_STAGE = re.compile(r"\s*(?:sudo\s+)?(?:ba|z|da)?sh\b")
_PIP_INSTALL = re.compile(r"\bpip3?\s+install\b")


def _pipes_download_into_shell(script: str) -> bool:
    """``curl ... | sh`` on one line. Split at the pipes rather than matching ``curl[^|]*\\|``, which retries from
    every ``curl`` of a long line (quadratic)."""
    stages = script.split("|")
    return any(
        _FETCH.search(stage.rpartition("\n")[2]) and _SHELL_STAGE.match(after)
        for stage, after in itertools.pairwise(stages)
    )


def _pip_without_hashes(script: str) -> bool:
    """A ``pip install`` with no ``--require-hashes`` after it on its line: the last one on the line decides."""
    for line in split_lines(script, Model.SHELL):
        last = None
        for last in _PIP_INSTALL.finditer(line):  # noqa: B007 - the loop finds the last match
            pass
        if last is not None and "--require-hashes" not in line[last.end() :]:
            return True
    return False


def _pattern(text: str) -> Callable[[str], bool]:
    compiled = re.compile(text)
    return lambda script: compiled.search(script) is not None


_UNLOCKED: tuple[tuple[Callable[[str], bool], str], ...] = (
    (_pipes_download_into_shell, "pipes a download into a shell"),
    (_pip_without_hashes, "runs pip install without --require-hashes"),
    (_pattern(r"\bnpm\s+(?:install|i)\b"), "runs npm install instead of npm ci"),
    (_pattern(r"\byarn\s+add\b"), "runs yarn add"),
    (_pattern(r"\bgo\s+(?:install|get)\b"), "installs a Go tool without a lockfile"),
    (_pattern(r"\bgem\s+install\b"), "runs gem install"),
)


def unlocked_installs(scripts: Scripts) -> list[str]:
    """Installs that do not come from a lockfile, and downloads piped into a shell."""
    problems = []
    for where, script in scripts:
        for found, what in _UNLOCKED:
            if found(script):
                problems.append(f"{where} {what}")
    return problems


def _then(first: re.Pattern[str], then: re.Pattern[str], script: str) -> bool:
    """``first`` and, later on the same line, ``then``: the first ``first`` of a line decides (linear, unlike
    ``first.*then``, which retries from every ``first``)."""
    for line in split_lines(script, Model.SHELL):
        match = first.search(line)
        if match is not None and then.search(line, match.end()) is not None:
            return True
    return False


def debug_tracing(scripts: Scripts) -> list[str]:
    """``set -x`` (or ``set -o xtrace``) prints every expanded command, secrets included."""
    pattern = re.compile(r"\bset\s+(?:-[a-wyz]*x|-o\s+xtrace)\b")
    return [f"{where} turns on shell tracing" for where, script in scripts if pattern.search(script)]


def runs(scripts: Scripts, pattern: str, what: str, *required: str) -> list[str]:
    """Problems unless some script line matches ``pattern``; every line that does must carry each ``required`` flag."""
    compiled = re.compile(pattern)
    lines = [line for _, script in scripts for line in split_lines(script, Model.SHELL) if compiled.search(line)]
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
    sign, digest = re.compile(r"\bcosign\s+sign\b"), re.compile(r"@\$")
    attest, predicate = re.compile(r"\bcosign\s+attest\b"), re.compile(r"--predicate\s+\S*sbom")
    problems = []
    if not any(_then(sign, digest, script) for _, script in scripts):
        problems.append("no job signs the image by digest with cosign")
    if not any(_then(attest, predicate, script) for _, script in scripts):
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
