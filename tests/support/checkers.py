"""Run the independent checkers on a rendered kit and return their findings as readable strings.

Each function returns a list of findings; an empty list means the checker is satisfied. A checker that is not
installed skips the test, except when CI=true, where it fails: CI must never pass because a tool was missing.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

BIN = Path(sys.executable).parent


def tool(name: str) -> str:
    """The path of a checker, looked up next to this Python first, then on PATH."""
    beside = BIN / name
    if beside.is_file() and os.access(beside, os.X_OK):
        return str(beside)
    found = shutil.which(name)
    if found:
        return found
    message = f"checker '{name}' is not installed (install the test tooling: see README)"
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(message)
    pytest.skip(message)


def _env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("GH_TOKEN", "GITHUB_TOKEN", "ZIZMOR_CONFIG")}
    env["PATH"] = f"{BIN}{os.pathsep}{env.get('PATH', '')}"
    env["NO_COLOR"] = "1"
    return env


def _run(args: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, cwd=cwd, env=_env(), capture_output=True, text=True, timeout=600, check=False)


def workflows(kit: Path) -> list[str]:
    return sorted(str(p.relative_to(kit)) for p in (kit / ".github" / "workflows").glob("*.yml"))


def zizmor(kit: Path) -> list[str]:
    """zizmor, offline, pedantic persona. Exit 0 is clean; 10-14 mean findings (by highest severity)."""
    result = _run([tool("zizmor"), "--offline", "--persona=pedantic", "--format=json", "--no-progress", "."], kit)
    if result.returncode not in (0, 10, 11, 12, 13, 14):
        return [f"zizmor failed ({result.returncode}): {result.stderr.strip()[-500:]}"]
    return [
        f"{f['ident']}: {f['desc']} @ {f['locations'][0]['symbolic']['key']['Local']['given_path']}"
        for f in json.loads(result.stdout or "[]")
    ]


def actionlint(kit: Path) -> list[str]:
    """actionlint with shellcheck on PATH (required: without it, run: scripts go unchecked)."""
    tool("shellcheck")
    result = _run([tool("actionlint"), "-format", "{{json .}}", *workflows(kit)], kit)
    if result.returncode not in (0, 1):
        return [f"actionlint failed ({result.returncode}): {result.stderr.strip()[-500:]}"]
    return [f"{e['filepath']}:{e['line']}: {e['kind']}: {e['message']}" for e in json.loads(result.stdout or "[]")]


def jactionlint(kit: Path) -> list[str]:
    files = [*workflows(kit), ".github/dependabot.yml"]
    result = _run([tool("jactionlint"), *files], kit)
    if result.returncode == 0:
        return []
    return [line for line in (result.stdout + result.stderr).splitlines() if line.strip()] or [
        f"jactionlint exited {result.returncode}"
    ]


def jsonschema(kit: Path) -> list[str]:
    findings = []
    for schema, files in (
        ("vendor.github-workflows", workflows(kit)),
        ("vendor.dependabot", [".github/dependabot.yml"]),
    ):
        result = _run([tool("check-jsonschema"), "--builtin-schema", schema, *files], kit)
        if result.returncode != 0:
            findings.append(f"{schema}: {(result.stdout + result.stderr).strip()}")
    return findings


def yamllint(kit: Path) -> list[str]:
    """yamllint in strict mode (warnings count) with the kit's own .yamllint.yml."""
    result = _run([tool("yamllint"), "-s", "-f", "parsable", "-c", ".yamllint.yml", "."], kit)
    return [line for line in result.stdout.splitlines() if line.strip()]


def hadolint(kit: Path) -> list[str]:
    """hadolint with the kit's .hadolint.yaml (trustedRegistries, DL3057 raised, pragmas ignored).

    Threshold: every finding counts, down to 'style' and 'info', even though the kit's own config only fails the
    build at 'warning'. The JSON output lists all levels; the test asserts that list is empty.
    """
    result = _run([tool("hadolint"), "--config", ".hadolint.yaml", "--no-fail", "-f", "json", "Dockerfile"], kit)
    if result.returncode != 0:
        return [f"hadolint failed ({result.returncode}): {result.stderr.strip()}"]
    return [f"{f['code']} {f['level']} line {f['line']}: {f['message']}" for f in json.loads(result.stdout or "[]")]


def checkov(kit: Path, frameworks: tuple[str, ...]) -> tuple[list[str], int]:
    """checkov on the kit directory: every failed check is a finding. Also returns how many checks passed,
    which proves checkov really parsed the files."""
    result = _run(
        [tool("checkov"), "-d", ".", "--framework", *frameworks, "--skip-download", "-o", "json", "--quiet"],
        kit,
    )
    if result.returncode not in (0, 1):
        return [f"checkov failed ({result.returncode}): {result.stderr.strip()[-500:]}"], 0
    reports = json.loads(result.stdout or "[]")
    reports = reports if isinstance(reports, list) else [reports]
    findings, passed = [], 0
    for report in reports:
        summary = report.get("summary", {})
        passed += int(summary.get("passed", 0))
        if summary.get("parsing_errors"):
            findings.append(f"{report.get('check_type')}: {summary['parsing_errors']} parsing errors")
        for failed in report.get("results", {}).get("failed_checks", []):
            findings.append(f"{failed['check_id']} {failed['file_path']}: {failed['check_name']}")
    return findings, passed


def pre_commit(kit: Path) -> list[str]:
    result = _run([tool("pre-commit"), "validate-config", ".pre-commit-config.yaml"], kit)
    return [] if result.returncode == 0 else [(result.stdout + result.stderr).strip()]


def shellcheck(kit: Path, script: str) -> list[str]:
    result = _run([tool("shellcheck"), "-f", "gcc", script], kit)
    return [line for line in result.stdout.splitlines() if line.strip()]
