"""Enforcement where repositories already run CI: the composite GitHub Action (``action.yml``), the GitLab CI/CD
component (``templates/scaffold-audit/template.yml``) and the Jenkins shared-library step
(``vars/scaffoldAudit.groovy``).

Each goes through the independent checkers, and its scripts are taken out of the file and run, with the scaffold
under test on PATH, over real repositories made by ``scaffold new``: the scripts the CI systems run are the scripts
tested, hostile input included."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import pytest
import yaml

from scaffold import __version__
from scaffold.api import render_kit
from scaffold.kit.answers import validate
from scaffold.kit.packs import builtin_pack_dir, load_pack
from scaffold.kit.pins import load_pins
from tests.answer_sets import ANSWER_SETS
from tests.support import checkers

ROOT = Path(__file__).resolve().parents[1]
ACTION = ROOT / "action.yml"
COMPONENT = ROOT / "templates" / "scaffold-audit" / "template.yml"
STEP = ROOT / "vars" / "scaffoldAudit.groovy"
BIN = Path(sys.executable).parent
SCAFFOLD = BIN / "scaffold"
UNPINNED = (
    "name: extra\non: push\npermissions: {}\njobs:\n  build:\n    runs-on: ubuntu-24.04\n    timeout-minutes: 5\n"
    "    steps:\n      - uses: actions/checkout@v4\n"
)
HOSTILE = "$(touch pwned) ; touch pwned2 `touch pwned3`"


@pytest.fixture(scope="module")
def yamllint_config() -> str:
    return render_kit(answers=validate({"name": "enforce"}))[".yamllint.yml"]


def git(repo: Path, *args: str) -> None:
    env = {
        **os.environ,
        "GIT_AUTHOR_NAME": "t",
        "GIT_AUTHOR_EMAIL": "t@example.com",
        "GIT_COMMITTER_NAME": "t",
        "GIT_COMMITTER_EMAIL": "t@example.com",
    }
    subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True, env=env)


@pytest.fixture(scope="module")
def kit_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A git repository holding the kit ``scaffold new --defaults`` writes, committed (copied by each test)."""
    repo = tmp_path_factory.mktemp("kit") / "repo"
    repo.mkdir()
    git(repo, "init", "-q", "-b", "main")
    done = subprocess.run(
        [sys.executable, "-m", "scaffold", "new", "--defaults", "--output", str(repo)],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "kit")
    return repo


@pytest.fixture
def kit(tmp_path: Path, kit_template: Path) -> Path:
    repo = tmp_path / "service"
    shutil.copytree(kit_template, repo, symlinks=True)
    return repo


def with_unpinned_workflow(repo: Path) -> Path:
    (repo / ".github" / "workflows" / "extra.yml").write_text(UNPINNED, encoding="utf-8")
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "extra")
    return repo


def run(
    script: str,
    cwd: Path,
    env: dict[str, str],
    interpreter: tuple[str, ...] = ("bash", "--noprofile", "--norc", "-eo", "pipefail"),
) -> subprocess.CompletedProcess[str]:
    """A script as the CI system runs it: GitHub's ``shell: bash`` by default, with the scaffold under test first
    on PATH and none of the caller's git or CI variables."""
    handle, name = tempfile.mkstemp(suffix=".sh")
    os.close(handle)
    Path(name).write_text(script, encoding="utf-8")
    drop = ("GIT_", "GH_", "GITHUB_", "CI_", "RUNNER_", "SCAFFOLD_")
    base = {key: value for key, value in os.environ.items() if not key.startswith(drop)}
    try:
        return subprocess.run(
            [*interpreter, name],
            cwd=cwd,
            env={**base, "PATH": f"{BIN}{os.pathsep}{os.environ['PATH']}", **env},
            capture_output=True,
            text=True,
            timeout=600,
            check=False,
            stdin=subprocess.DEVNULL,
        )
    finally:
        Path(name).unlink()


def outputs(path: Path) -> dict[str, str]:
    return dict(line.split("=", 1) for line in path.read_text().splitlines() if "=" in line)


# The GitHub Action -------------------------------------------------------------------------------------------------


def action() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load(ACTION.read_text(encoding="utf-8"))
    return loaded


def action_step(step_id: str) -> dict[str, Any]:
    (found,) = [step for step in action()["runs"]["steps"] if step.get("id") == step_id or step["name"] == step_id]
    return dict(found)


CALLER = """\
name: enforce
on:
  pull_request:
permissions: {}
concurrency:
  group: ${{ github.workflow }}-${{ github.ref }}
  cancel-in-progress: true
jobs:
  scaffold:
    name: scaffold audit
    runs-on: ubuntu-24.04
    timeout-minutes: 15
    permissions:
      contents: read  # check out the repository
      security-events: write  # upload the SARIF report to code scanning
    steps:
      - name: Check out the repository
        uses: CHECKOUT
        with:
          persist-credentials: false
      - name: Audit and gate on drift
        id: scaffold
        uses: ./
        with:
          paths: .github Dockerfile
          pack: https://git.example.com/platform/pack.git@v2.0.0
          drift: "true"
          sarif-upload: "true"EXTRA
      - name: Report
        if: ${{ always() }}
        env:
          AUDIT: ${{ steps.scaffold.outputs.audit-exit-code }}
          DRIFT: ${{ steps.scaffold.outputs.drift-exit-code }}
          SARIF: ${{ steps.scaffold.outputs.sarif-file }}
        run: echo "$AUDIT $DRIFT $SARIF"
"""


def caller_repo(folder: Path, extra: str = "") -> Path:
    """A repository that uses the action from its own root (``uses: ./``), as actionlint needs it."""
    folder.mkdir()
    git(folder, "init", "-q", "-b", "main")
    shutil.copy(ACTION, folder / "action.yml")
    text = CALLER.replace("CHECKOUT", load_pins().action("checkout").ref()).replace("EXTRA", extra)
    (folder / ".github" / "workflows").mkdir(parents=True)
    (folder / ".github" / "workflows" / "enforce.yml").write_text(text, encoding="utf-8")
    return folder


@pytest.mark.validators
def test_the_action_passes_zizmor_pedantic(tmp_path: Path) -> None:
    shutil.copy(ACTION, tmp_path / "action.yml")
    assert checkers.zizmor(tmp_path) == []


@pytest.mark.validators
def test_a_workflow_using_the_action_passes_actionlint(tmp_path: Path) -> None:
    assert checkers.actionlint(caller_repo(tmp_path / "caller")) == []
    # actionlint reads the local action: an input it does not declare is reported.
    findings = checkers.actionlint(caller_repo(tmp_path / "wrong", "\n          severity: high"))
    assert any('input "severity" is not defined' in finding for finding in findings), findings


@pytest.mark.validators
def test_the_action_and_the_component_pass_yamllint(tmp_path: Path, yamllint_config: str) -> None:
    shutil.copy(ACTION, tmp_path / "action.yml")
    shutil.copy(COMPONENT, tmp_path / "template.yml")
    (tmp_path / ".yamllint.yml").write_text(yamllint_config, encoding="utf-8")
    assert checkers.yamllint(tmp_path) == []


def test_the_actions_it_uses_are_the_pinned_ones() -> None:
    known = {pin.ref(path) for pin in load_pins().actions.values() for path in ("", "upload-sarif")}
    uses = [step["uses"] for step in action()["runs"]["steps"] if "uses" in step]
    lines = [
        line.split("uses: ", 1)[1] for line in ACTION.read_text().splitlines() if line.strip().startswith("uses: ")
    ]
    assert len(lines) == len(uses) == 2
    assert set(lines) <= known
    assert load_pins().action("codeql").ref("upload-sarif") in lines


def test_scaffolds_own_audit_passes_the_action_and_the_component() -> None:
    for args in (["audit", str(ACTION)], ["audit", "--kind", "gitlab-ci", str(COMPONENT)]):
        done = subprocess.run(
            [sys.executable, "-m", "scaffold", *args], capture_output=True, text=True, timeout=600, check=False
        )
        assert done.returncode == 0, done.stdout + done.stderr
        assert "0 finding(s) in 1 file(s)" in done.stdout


def test_every_input_reaches_the_scripts_through_the_environment() -> None:
    for step in action()["runs"]["steps"]:
        assert "${{" not in step.get("run", ""), step["name"]
    audit = action_step("audit")
    assert audit["env"]["SCAFFOLD_PATHS"] == "${{ inputs.paths }}"
    assert audit["env"]["SCAFFOLD_PACK"] == "${{ inputs.pack }}"
    assert action_step("install")["env"]["SCAFFOLD_VERSION"] == "${{ inputs.version }}"
    assert set(action()["inputs"]) == {"paths", "pack", "drift", "sarif-upload", "version"}


def _audit(
    repo: Path, tmp_path: Path, paths: str, pack: str = ""
) -> tuple[subprocess.CompletedProcess[str], dict[str, str]]:
    temp = tmp_path / "runner-temp"
    temp.mkdir(exist_ok=True)
    github_output = temp / "output"
    github_output.write_text("")
    env = {
        "SCAFFOLD": str(SCAFFOLD),
        "SCAFFOLD_PATHS": paths,
        "SCAFFOLD_PACK": pack,
        "RUNNER_TEMP": str(temp),
        "GITHUB_OUTPUT": str(github_output),
    }
    done = run(action_step("audit")["run"], repo, env)
    assert done.returncode == 0, done.stderr  # the step records the exit code; the verdict step fails
    return done, outputs(github_output)


def test_the_audit_step_reports_findings_as_sarif_and_records_the_exit_code(kit: Path, tmp_path: Path) -> None:
    done, found = _audit(with_unpinned_workflow(kit), tmp_path, ".github Dockerfile")
    assert found["exit-code"] == "1"
    sarif = json.loads(Path(found["sarif-file"]).read_text())
    assert sarif["version"] == "2.1.0"
    results = sarif["runs"][0]["results"]
    assert {result["ruleId"] for result in results} >= {"unpinned-uses"}
    assert all("extra.yml" in json.dumps(result["locations"]) for result in results)
    # The findings quote the repository: they are printed with workflow commands stopped, then resumed.
    lines = done.stdout.splitlines()
    fence = lines[0].removeprefix("::stop-commands::")
    assert lines[0].startswith("::stop-commands::") and len(fence) == 32
    assert f"::{fence}::" in lines
    assert any("unpinned-uses" in line for line in lines[1 : lines.index(f"::{fence}::")])


def test_the_audit_step_passes_a_clean_kit(kit: Path, tmp_path: Path) -> None:
    _, found = _audit(kit, tmp_path, ".")
    assert found["exit-code"] == "0"
    assert json.loads(Path(found["sarif-file"]).read_text())["runs"][0]["results"] == []


def test_hostile_inputs_are_never_run(kit: Path, tmp_path: Path) -> None:
    _, found = _audit(kit, tmp_path, HOSTILE, pack="$(touch pwned4)")
    assert found["exit-code"] == "2"  # no such paths, no such pack: bad input
    assert not [path for path in tmp_path.rglob("pwned*")]
    assert not [path for path in Path.cwd().glob("pwned*")]


def test_the_drift_step_records_diffs_exit_code(kit: Path, tmp_path: Path) -> None:
    plain = tmp_path / "plain"
    plain.mkdir()
    git(plain, "init", "-q", "-b", "main")
    weakened = tmp_path / "weakened"
    shutil.copytree(kit, weakened, symlinks=True)
    workflow = weakened / ".github" / "workflows" / "ci.yml"
    workflow.write_text(workflow.read_text().replace("permissions: {}", "permissions: write-all", 1))
    codes = {}
    for name, repo in (("clean", kit), ("weakened", weakened), ("plain", plain)):
        github_output = tmp_path / f"output-{name}"
        github_output.write_text("")
        done = run(action_step("drift")["run"], repo, {"SCAFFOLD": str(SCAFFOLD), "GITHUB_OUTPUT": str(github_output)})
        assert done.returncode == 0, done.stderr
        codes[name] = outputs(github_output)["exit-code"]
    assert codes == {"clean": "0", "weakened": "1", "plain": "2"}


@pytest.mark.parametrize(
    ("audit", "drift", "expected"),
    [("0", "0", 0), ("0", "", 0), ("1", "", 1), ("1", "0", 1), ("0", "1", 1), ("1", "2", 2), ("2", "1", 2)],
)
def test_the_verdict_fails_with_the_worst_exit_code(tmp_path: Path, audit: str, drift: str, expected: int) -> None:
    done = run(action_step("Verdict")["run"], tmp_path, {"AUDIT_EXIT": audit, "DRIFT_EXIT": drift})
    assert done.returncode == expected, done.stdout + done.stderr
    assert f"scaffold audit exited {audit}" in done.stdout


@pytest.mark.parametrize("version", ["1.0; touch pwned", "0.1.0 @ https://evil.example/x.whl", "--index-url=x"])
def test_the_install_step_refuses_a_version_that_is_not_a_release(tmp_path: Path, version: str) -> None:
    github_output = tmp_path / "output"
    github_output.write_text("")
    env = {
        "PYTHON": sys.executable,
        "SCAFFOLD_VERSION": version,
        "RUNNER_TEMP": str(tmp_path),
        "GITHUB_OUTPUT": str(github_output),
        "GITHUB_ACTION_PATH": str(ROOT),
    }
    done = run(action_step("install")["run"], tmp_path, env)
    assert done.returncode == 2
    assert "version: must be a release" in done.stderr
    assert github_output.read_text() == ""
    assert not list(tmp_path.glob("pwned*"))


# The GitLab component ----------------------------------------------------------------------------------------------


def component_documents() -> tuple[str, str]:
    header, body = COMPONENT.read_text(encoding="utf-8").split("\n---\n")
    return header + "\n", body


@pytest.mark.validators
def test_the_components_header_and_body_match_the_gitlab_ci_schema(tmp_path: Path) -> None:
    header, body = component_documents()
    for name, text in (("header.yml", header), ("body.yml", body)):
        (tmp_path / name).write_text(text, encoding="utf-8")
        assert checkers.gitlab_ci_schema(tmp_path / name) == []
    spec = yaml.safe_load(header)["spec"]["inputs"]
    assert set(spec) == {"stage", "paths", "pack", "drift", "version"}
    assert spec["version"]["default"] == __version__
    assert f"image: {load_pins().image('python').ref}" in body


def test_the_component_leaves_the_kit_unaffected() -> None:
    """The component sits in the kit's templates/ folder, where GitLab's catalog wants it; the kit loader reads only
    the manifest's files, its data files and *.j2 templates, so no kit ever sees it."""
    assert (builtin_pack_dir() / "scaffold-audit" / "template.yml").is_file()
    pack = load_pack()
    assert not [name for name in [*pack.templates, *pack.data] if "scaffold-audit" in name]
    assert not [entry for entry in pack.manifest.files if "scaffold-audit" in entry.template]
    for answers in ANSWER_SETS.values():
        assert not [path for path in render_kit(answers=validate(answers)) if "scaffold-audit" in path]


def gitlab_preview(project: Path) -> dict[str, Any]:
    """The pipeline gitlab-ci-local expands from PROJECT's .gitlab-ci.yml (includes and inputs interpolated)."""
    gcl, git_program = checkers.tool("gitlab-ci-local"), checkers.tool("git")
    home = project.parent / "gcl-home"
    home.mkdir()
    env = {key: value for key, value in os.environ.items() if not key.startswith(("GCL_", "GIT_"))}
    env.update(GIT_CONFIG_GLOBAL=os.devnull, GIT_CONFIG_NOSYSTEM="1", HOME=str(home))
    for args in (
        ["init", "-q", "-b", "main"],
        ["add", "-A"],
        ["-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "-q", "-m", "component"],
        ["remote", "add", "origin", "https://gitlab.com/group/project.git"],
        ["update-ref", "refs/remotes/origin/main", "HEAD"],
        ["symbolic-ref", "refs/remotes/origin/HEAD", "refs/remotes/origin/main"],
    ):
        subprocess.run([git_program, *args], cwd=project, env=env, check=True, capture_output=True)
    done = subprocess.run(
        [gcl, "--cwd", ".", "--home", str(home), "--preview"],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    loaded: dict[str, Any] = yaml.safe_load(done.stdout.split("---\n", 1)[1])
    return loaded


def component_job(tmp_path: Path, inputs: dict[str, Any]) -> dict[str, Any]:
    project = tmp_path / "project"
    (project / "templates" / "scaffold-audit").mkdir(parents=True)
    shutil.copy(COMPONENT, project / "templates" / "scaffold-audit" / "template.yml")
    include = {
        "stages": ["test", "check"],
        "include": [{"local": "templates/scaffold-audit/template.yml", "inputs": inputs}],
    }
    (project / ".gitlab-ci.yml").write_text(yaml.safe_dump(include), encoding="utf-8")
    job: dict[str, Any] = gitlab_preview(project)["scaffold-audit"]
    return job


def job_variables(job: dict[str, Any]) -> dict[str, str]:
    """The job's variables as the runner hands them to the script. gitlab-ci-local writes a variable that has
    ``expand: false`` with each ``$`` doubled (its way of saying "not expanded"); GitLab passes it as written."""
    return {key: str(value).replace("$$", "$") for key, value in job["variables"].items()}


def run_component(job: dict[str, Any], repo: Path) -> subprocess.CompletedProcess[str]:
    return run("\n".join(job["script"]), repo, job_variables(job))


@pytest.mark.validators
def test_the_component_audits_into_a_code_quality_report(tmp_path: Path, kit: Path) -> None:
    job = component_job(tmp_path, {"stage": "check", "paths": ".github Dockerfile", "drift": True})
    assert job["stage"] == "check"
    assert job["variables"]["SCAFFOLD_PATHS"] == ".github Dockerfile"
    repo = with_unpinned_workflow(kit)
    done = run_component(job, repo)
    assert done.returncode == 1, done.stdout + done.stderr  # findings; no drift (the extra workflow is not the kit's)
    assert "scaffold audit exited 1" in done.stdout and "scaffold diff exited 0" in done.stdout
    issues = json.loads((repo / "gl-code-quality-report.json").read_text())
    unpinned = [issue for issue in issues if issue["check_name"] == "unpinned-uses"]
    assert unpinned and unpinned[0]["severity"] == "critical"
    assert unpinned[0]["location"]["path"] == ".github/workflows/extra.yml"
    assert unpinned[0]["location"]["lines"]["begin"] > 0
    assert len({issue["fingerprint"] for issue in issues}) == len(issues)
    assert json.loads((repo / "scaffold-audit.sarif").read_text())["runs"][0]["results"]


@pytest.mark.validators
def test_the_components_hostile_inputs_stay_data(tmp_path: Path, kit: Path) -> None:
    job = component_job(tmp_path, {"paths": HOSTILE, "pack": "$(touch pwned4)", "drift": False})
    assert job_variables(job)["SCAFFOLD_PATHS"] == HOSTILE
    assert not [line for line in job["script"] if "pwned" in line]
    done = run_component(job, kit)
    assert done.returncode == 2
    assert "scaffold diff exited 0" in done.stdout  # the gate was off
    assert json.loads((kit / "gl-code-quality-report.json").read_text()) == []
    assert not list(tmp_path.rglob("pwned*"))


# The Jenkins step --------------------------------------------------------------------------------------------------


@pytest.mark.validators
def test_the_jenkins_step_parses_and_lints_clean() -> None:
    assert checkers.groovy_parse(STEP) == []
    assert checkers.npm_groovy_lint_errors(STEP) == []


def jenkins_scripts() -> dict[str, str]:
    """Each ``sh(label: ..., script: ...)`` of the step, by label; every script must be a single-quoted string
    (no Groovy interpolation)."""
    text = STEP.read_text(encoding="utf-8")
    calls = re.findall(
        r"\bsh\(label: '([^']+)'(?:, returnStatus: true)?, script: (?:'{3}(.*?)'{3}|'([^'\n]*)')\)", text, re.DOTALL
    )
    assert len(calls) == text.count("sh(") == 3
    scripts = {label: long or short for label, long, short in calls}
    for script in scripts.values():
        assert "\\" not in script  # Groovy would turn an escape into something else: the text is the script
    return scripts


def test_the_jenkins_step_never_interpolates_arguments_into_a_script() -> None:
    scripts = jenkins_scripts()
    assert set(scripts) == {"Install scaffold", "scaffold audit", "scaffold diff"}
    text = STEP.read_text(encoding="utf-8")
    assert "def call(Map args = [:])" in text
    assert f"args.version ?: '{__version__}'" in text
    assert not re.search(r'sh\s*\(?\s*"', text)


def jenkins_home(tmp_path: Path) -> Path:
    home = tmp_path / "scaffold-home"
    (home / "bin").mkdir(parents=True)
    (home / "bin" / "scaffold").symlink_to(SCAFFOLD)
    return home


def jenkins_sh(script: str, cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """As Jenkins' sh step runs a script without a shebang: /bin/sh -xe."""
    return run(script, cwd, env, interpreter=("/bin/sh", "-xe"))


def test_the_jenkins_audit_script_archives_sarif_and_returns_audits_code(tmp_path: Path, kit: Path) -> None:
    repo = with_unpinned_workflow(kit)
    spaced = repo / "ci dir"
    (spaced / ".github" / "workflows").mkdir(parents=True)
    (spaced / ".github" / "workflows" / "x.yml").write_text(UNPINNED, encoding="utf-8")
    env = {"SCAFFOLD_HOME": str(jenkins_home(tmp_path)), "SCAFFOLD_PACK": ""}
    audit = jenkins_scripts()["scaffold audit"]
    done = jenkins_sh(audit, repo, {**env, "SCAFFOLD_PATHS": ".github/workflows/extra.yml\nci dir"})
    assert done.returncode == 1, done.stdout + done.stderr
    results = json.loads((repo / "scaffold-audit.sarif").read_text())["runs"][0]["results"]
    located = {result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for result in results}
    assert any(uri.endswith("extra.yml") for uri in located) and any(
        "ci%20dir" in uri or "ci dir" in uri for uri in located
    )
    clean = jenkins_sh(audit, kit, {**env, "SCAFFOLD_PATHS": "Dockerfile"})
    assert clean.returncode == 0, clean.stdout + clean.stderr


def test_the_jenkins_scripts_keep_hostile_arguments_as_data(tmp_path: Path, kit: Path) -> None:
    env = {"SCAFFOLD_HOME": str(jenkins_home(tmp_path)), "SCAFFOLD_PATHS": HOSTILE, "SCAFFOLD_PACK": "$(touch pwned4)"}
    done = jenkins_sh(jenkins_scripts()["scaffold audit"], kit, env)
    assert done.returncode == 2
    assert not list(tmp_path.rglob("pwned*"))
    diff = jenkins_sh(jenkins_scripts()["scaffold diff"], kit, env)
    assert diff.returncode == 0, diff.stdout + diff.stderr


# Documentation -----------------------------------------------------------------------------------------------------


def test_the_docs_describe_each_with_its_exit_codes() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.index("## Enforcing on every repository's CI")
    assert section < readme.index("## Auditing any repository")
    fleet = (ROOT / "docs" / "fleet.md").read_text(encoding="utf-8")
    for text in (readme[section : readme.index("## Auditing any repository")], fleet):
        for name in ("action.yml", "scaffold-audit", "scaffoldAudit"):
            assert name in text
        assert "0 clean, 1 findings, 2" in text
        assert "0 no drift, 1 drift, 2" in text
    assert "## The fleet on your CI" in fleet and "## Enforcement in each repository's CI" in fleet
