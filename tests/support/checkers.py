"""Run the independent checkers on a rendered kit and return their findings as readable strings.

Each function returns a list of findings; an empty list means the checker is satisfied. A checker that is not
installed skips the test, except when CI=true, where it fails: CI must never pass because a tool was missing.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pytest

BIN = Path(sys.executable).parent
REPO = Path(__file__).resolve().parents[2]
# The Node.js checkers (gitlab-ci-local, npm-groovy-lint), pinned in tools/npm/package-lock.json and installed there
# by scripts/test.sh (npm ci).
NPM_BIN = REPO / "tools" / "npm" / "node_modules" / ".bin"
PARSE_GROOVY = Path(__file__).resolve().parent / "parse_groovy.groovy"


def tool(name: str) -> str:
    """The path of a checker, looked up next to this Python first, then in tools/npm, then on PATH."""
    for directory in (BIN, NPM_BIN):
        beside = directory / name
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


def checkov_report(directory: Path, framework: str) -> dict[str, Any]:
    """checkov's whole JSON report for one framework on one folder, without --quiet, so that passed and skipped
    checks are listed too (for asserting that a given check ID really ran and passed)."""
    result = _run([tool("checkov"), "-d", ".", "--framework", framework, "--skip-download", "-o", "json"], directory)
    assert result.returncode in (0, 1), result.stderr[-800:]
    report = json.loads(result.stdout)
    return dict(report[0] if isinstance(report, list) else report)


def pre_commit(kit: Path) -> list[str]:
    result = _run([tool("pre-commit"), "validate-config", ".pre-commit-config.yaml"], kit)
    return [] if result.returncode == 0 else [(result.stdout + result.stderr).strip()]


MARKDOWNLINT_CONFIG = REPO / "tools" / "markdownlint.yaml"


def markdownlint(kit: Path) -> list[str]:
    """markdownlint-cli2 with the committed rules (tools/markdownlint.yaml) over every Markdown file of a kit."""
    documents = sorted(str(path.relative_to(kit)) for path in kit.rglob("*.md") if ".git" not in path.parts)
    if not documents:
        return ["no Markdown file in the kit"]
    result = _run([tool("markdownlint-cli2"), "--config", str(MARKDOWNLINT_CONFIG), *documents], kit)
    if result.returncode == 0:
        return []
    findings = [line for line in (result.stdout + result.stderr).splitlines() if " MD0" in line or "error" in line]
    return [line for line in findings if not line.startswith("Summary:")] or [result.stderr.strip()]


def shellcheck(kit: Path, script: str) -> list[str]:
    result = _run([tool("shellcheck"), "-f", "gcc", script], kit)
    return [line for line in result.stdout.splitlines() if line.strip()]


# GitLab CI ---------------------------------------------------------------------------------------------------------

# gitlab-ci-local prints these timings on stderr on every successful parse; any other stderr line is a warning.
_GCL_TIMINGS = re.compile(r"^(parsing and downloads finished in|json schema validated in) ")
_STACK_FRAME = re.compile(r"^\s+at ")


def _git_env(home: Path) -> dict[str, str]:
    """The checker environment, without the user's git and gitlab-ci-local settings: GCL_* variables become
    gitlab-ci-local options, and a global git config may sign commits or run hooks."""
    env = {k: v for k, v in _env().items() if not k.startswith(("GCL_", "GIT_"))}
    env.update(GIT_CONFIG_GLOBAL=os.devnull, GIT_CONFIG_NOSYSTEM="1", HOME=str(home))
    return env


def _git(git: str, args: list[str], cwd: Path, env: dict[str, str]) -> None:
    result = subprocess.run([git, *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=60, check=False)
    if result.returncode != 0:
        raise AssertionError(f"git {' '.join(args)} failed ({result.returncode}): {result.stderr.strip()}")


def _gitlab_ci_local(directory: Path) -> tuple[list[str], list[dict[str, Any]]]:
    """Run gitlab-ci-local --list-json on a throw-away copy of DIRECTORY; return (problems, jobs)."""
    gcl = tool("gitlab-ci-local")
    git = tool("git")
    with tempfile.TemporaryDirectory(prefix="gitlab-ci-local-") as scratch:
        home, work = Path(scratch) / "home", Path(scratch) / "work"
        home.mkdir()
        # A copy: gitlab-ci-local writes its state (.gitlab-ci-local/) into the directory it parses.
        shutil.copytree(directory, work, symlinks=True, ignore=shutil.ignore_patterns(".git", ".gitlab-ci-local"))
        env = _git_env(home)
        # gitlab-ci-local 4.73.0 reads the project from git. Without a repository it still lists the jobs, on
        # fallback data and with warnings, but `include: local:` fails: it only resolves files `git ls-files`
        # lists. So the copy becomes a repository with everything committed (.gitignore'd files stay out, as on
        # GitLab), a user (CI_COMMIT_AUTHOR, GITLAB_USER_*), an origin (CI_PROJECT_PATH = group/project) and an
        # origin/main with origin/HEAD on it (CI_DEFAULT_BRANCH; `rules: changes:` diffs against origin/main).
        # The remote is https: for a git@host:group/project remote gitlab-ci-local runs `ssh -G`, which needs an
        # ssh client. Nothing is fetched: only include: remote/template/component/project would need the network.
        _git(git, ["init", "-q", "-b", "main"], work, env)
        _git(git, ["config", "user.name", "scaffold tests"], work, env)
        _git(git, ["config", "user.email", "tests@scaffold.invalid"], work, env)
        _git(git, ["add", "-A"], work, env)
        _git(git, ["commit", "-q", "--no-verify", "--allow-empty", "-m", "kit"], work, env)
        _git(git, ["remote", "add", "origin", "https://gitlab.com/group/project.git"], work, env)
        _git(git, ["update-ref", "refs/remotes/origin/main", "HEAD"], work, env)
        _git(git, ["symbolic-ref", "refs/remotes/origin/HEAD", "refs/remotes/origin/main"], work, env)
        # --cwd relative: for an absolute one 4.73.0 warns "Please use relative path for the --cwd option".
        # --home: an empty one, so the user's ~/.gitlab-ci-local (variables.yml, .env) is not read.
        result = subprocess.run(
            [gcl, "--cwd", ".", "--home", str(home), "--list-json"],
            cwd=work,
            env=env,
            capture_output=True,
            text=True,
            timeout=600,
            check=False,
        )
    lines = [line.rstrip() for line in result.stderr.splitlines()]
    # A schema error ends with advice on how to debug or silence it, which only names the temporary copy.
    advice = next((i for i, line in enumerate(lines) if line.startswith("For further troubleshooting")), len(lines))
    lines = lines[:advice]
    messages = [line for line in lines if line.strip() and not (_GCL_TIMINGS.match(line) or _STACK_FRAME.match(line))]
    if result.returncode != 0:
        output = messages + [line for line in result.stdout.splitlines() if line.strip()]
        return output or [f"gitlab-ci-local exited {result.returncode}"], []
    try:
        jobs = json.loads(result.stdout)
    except json.JSONDecodeError as error:
        return [*messages, f"gitlab-ci-local printed no JSON ({error}): {result.stdout[:500]}"], []
    return messages, jobs


def gitlab_ci_local(directory: Path) -> list[str]:
    """gitlab-ci-local 4.73.0 --list-json on the .gitlab-ci.yml in DIRECTORY, offline and without Docker.

    It expands includes (local ones), extends, !reference and rules, then checks the result against GitLab's CI
    schema and its own rules: unknown stage, needs/dependencies naming a missing job or a later stage, empty
    script, missing include:local file, YAML syntax. Each error line is a problem, and so is each warning it prints
    on a successful run (e.g. a reserved job name, needs: project/pipeline it ignores). DIRECTORY is not modified.
    """
    return _gitlab_ci_local(directory)[0]


def gitlab_ci_local_jobs(directory: Path) -> list[dict[str, Any]]:
    """The jobs gitlab-ci-local lists for DIRECTORY, as its --list-json prints them: name, description, stage,
    when (after rules, on a push pipeline to main), allow_failure, needs, rules. AssertionError on any problem."""
    problems, jobs = _gitlab_ci_local(directory)
    if problems:
        raise AssertionError("gitlab-ci-local:\n" + "\n".join(problems))
    return jobs


def gitlab_ci_schema(path: Path) -> list[str]:
    """check-jsonschema with its bundled GitLab CI schema; the gitlab-ci data transform reads !reference tags."""
    result = _run(
        [
            tool("check-jsonschema"),
            "--builtin-schema",
            "vendor.gitlab-ci",
            "--data-transform",
            "gitlab-ci",
            "--output-format",
            "json",
            str(path),
        ],
        path.parent,
    )
    try:
        report = json.loads(result.stdout)
    except json.JSONDecodeError:
        return [f"check-jsonschema failed ({result.returncode}): {(result.stdout + result.stderr).strip()[-500:]}"]
    problems = [f"{e['filename']}: {e['message']}" for e in report.get("parse_errors", [])]
    for error in report.get("errors", []):
        problem = f"{error['filename']}::{error['path']}: {error['message']}"
        if "best_deep_match" in error:
            problem += f" (best match: {error['best_deep_match']['path']}: {error['best_deep_match']['message']})"
        problems.append(problem)
    if result.returncode != 0 and not problems:
        problems.append(f"check-jsonschema exited {result.returncode}: {(result.stdout + result.stderr).strip()}")
    return problems


# Jenkins -----------------------------------------------------------------------------------------------------------


def groovy_parse_many(paths: Iterable[Path]) -> dict[Path, list[str]]:
    """Parse each file as Groovy without running it, in one JVM (start-up is most of the ~0.7 s), with the Debian
    groovy (2.4, the Groovy line Jenkins itself runs: it rejects Groovy 3+ syntax such as `(x) -> x` lambdas).

    Stops after the CONVERSION phase (see parse_groovy.groovy): syntax errors only, no class resolution, so Jenkins
    classes and @Library need not exist. Each problem is "LINE:COLUMN: message"; a file that parses gets [].
    """
    files = list(paths)
    if not files:
        return {}
    result = _run([tool("groovy"), str(PARSE_GROOVY), *(str(f.resolve()) for f in files)], PARSE_GROOVY.parent)
    try:
        parsed: dict[str, list[str]] = json.loads(result.stdout.strip().splitlines()[-1])
    except (IndexError, json.JSONDecodeError):
        failure = f"groovy failed ({result.returncode}): {(result.stdout + result.stderr).strip()[-500:]}"
        return {f: [failure] for f in files}
    return {f: parsed.get(str(f.resolve()), ["groovy reported nothing for this file"]) for f in files}


def groovy_parse(path: Path) -> list[str]:
    return groovy_parse_many([path])[path]


def npm_groovy_lint(path: Path, *, config: str | None = None) -> list[dict[str, Any]]:
    """npm-groovy-lint (CodeNarc, Groovy 4 parser) on one file, every finding at every severity.

    Each finding is {"file", "line", "rule", "severity" ("error", "warning" or "info"), "message"}; a file that
    does not parse gives one "error" finding of rule NglParseError. Tests decide which severities count: see
    npm_groovy_lint_errors. CONFIG is a --config value: a bundled config name such as "recommended-jenkinsfile",
    a .groovylintrc file or a directory; by default npm-groovy-lint looks for a .groovylintrc.* next to the file
    and then in its parent directories, else uses its "recommended" rules (not the Jenkinsfile ones). The file
    name does not matter (a Jenkinsfile, *.groovy or anything else named on the command line is linted).
    --noserver: without it npm-groovy-lint leaves a CodeNarc server (a JVM) running on port 7484. A run takes 4-5 s.
    """
    args = [tool("npm-groovy-lint"), "--noserver", "--failon", "error", "--output", "json"]
    if config is not None:
        args += ["--config", config]
    result = _run([*args, str(path.resolve())], path.parent)

    def failure(message: str) -> list[dict[str, Any]]:
        return [{"file": str(path), "line": 0, "rule": "npm-groovy-lint", "severity": "error", "message": message}]

    try:
        report = json.loads(result.stdout)
    except json.JSONDecodeError:
        return failure(f"failed ({result.returncode}): {(result.stdout + result.stderr).strip()[-500:]}")
    if result.returncode not in (0, 1):
        return failure(f"exited {result.returncode}: {result.stderr.strip()[-500:]}")
    if report.get("summary", {}).get("totalFilesLinted") != 1:
        # npm-groovy-lint exits 0 with an empty report for a file it did not find.
        return failure(f"linted {report.get('summary', {}).get('totalFilesLinted')} files, not 1: {path}")
    return [
        {
            "file": file,
            # An int, except for NglParseError, where npm-groovy-lint gives it as a string.
            "line": int(finding.get("line") or 0),
            "rule": finding["rule"],
            "severity": finding["severity"],
            "message": finding["msg"].strip(),
        }
        for file, entry in report.get("files", {}).items()
        for finding in entry.get("errors", [])
    ]


def npm_groovy_lint_errors(path: Path, *, config: str | None = None) -> list[str]:
    """The error-severity npm-groovy-lint findings, as readable strings (warnings and infos left out)."""
    return [
        f"{f['rule']} line {f['line']}: {f['message']}"
        for f in npm_groovy_lint(path, config=config)
        if f["severity"] == "error"
    ]
