"""``scaffold fleet ci``: the fleet repository's GitHub workflow and GitLab pipeline.

The generated files go through the kits' independent checkers; their shard and merge scripts are taken out of the
generated YAML and run with bash over real repositories made by ``scaffold new``, so the scripts CI runs are the
scripts tested. The token's path to git is tested against a real ``git http-backend`` that demands it."""

from __future__ import annotations

import base64
import http.server
import json
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from scaffold import __version__
from scaffold.api import render_kit
from scaffold.errors import ConflictError, UsageError
from scaffold.fleet import ci
from scaffold.kit.answers import validate
from scaffold.kit.pins import load_pins
from tests.fleet.repos import git, kit_repo, plain_repo, scaffold
from tests.support import checkers

BIN = Path(sys.executable).parent
GITHUB = {command: f".github/workflows/fleet-{command}.yml" for command in ci.COMMANDS}
GITLAB = {command: f".gitlab/fleet-{command}.yml" for command in ci.COMMANDS}
SHARD_COUNTS = (1, 4, 230)


def write(folder: Path, files: dict[str, str]) -> Path:
    for path, text in files.items():
        (folder / path).parent.mkdir(parents=True, exist_ok=True)
        (folder / path).write_text(text, encoding="utf-8")
    return folder


@pytest.fixture(scope="module")
def yamllint_config() -> str:
    return render_kit(answers=validate({"name": "fleet"}))[".yamllint.yml"]


def generated(tmp_path: Path, yamllint_config: str, **settings: Any) -> Path:
    """A fleet repository holding the generated files and the kit's yamllint configuration."""
    folder = write(tmp_path / "fleet-repo", ci.fleet_ci_files(**settings))
    (folder / ".yamllint.yml").write_text(yamllint_config, encoding="utf-8")
    return folder


def workflow(folder: Path, command: str = "status") -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load((folder / GITHUB[command]).read_text(encoding="utf-8"))
    return loaded


def step(job: dict[str, Any], name_part: str) -> dict[str, Any]:
    (found,) = [item for item in job["steps"] if name_part in item.get("name", "")]
    return dict(found)


def run_script(script: str, cwd: Path, env: dict[str, str], timeout: float = 600) -> subprocess.CompletedProcess[str]:
    """A ``run:`` script as GitHub runs it (bash -e -o pipefail), with the scaffold under test on PATH."""
    path = cwd / ".step.sh"
    path.write_text(script, encoding="utf-8")
    base = {key: value for key, value in os.environ.items() if not key.startswith(("GIT_", "GH_", "GITHUB_"))}
    full = {**base, "PATH": f"{BIN}{os.pathsep}{os.environ['PATH']}", **env}
    try:
        return subprocess.run(
            ["bash", "--noprofile", "--norc", "-eo", "pipefail", str(path)],
            cwd=cwd,
            env=full,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
            stdin=subprocess.DEVNULL,
        )
    finally:
        path.unlink()


# The validators ----------------------------------------------------------------------------------------------------


def _schema(folder: Path, schema: str, files: list[str]) -> list[str]:
    result = subprocess.run(
        [checkers.tool("check-jsonschema"), "--builtin-schema", schema, *files],
        cwd=folder,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    return [] if result.returncode == 0 else [(result.stdout + result.stderr).strip()]


@pytest.mark.validators
@pytest.mark.parametrize("command", ci.COMMANDS)
@pytest.mark.parametrize("shards", SHARD_COUNTS)
def test_generated_workflow_passes_the_kit_validators(
    tmp_path: Path, yamllint_config: str, command: str, shards: int
) -> None:
    pack = "https://git.example.com/acme/pack.git@v2.1.0" if shards == 4 else None
    folder = generated(tmp_path, yamllint_config, shards=shards, command=command, pack=pack)
    assert checkers.zizmor(folder) == []
    assert checkers.actionlint(folder) == []
    assert checkers.yamllint(folder) == []
    assert _schema(folder, "vendor.github-workflows", [GITHUB[command]]) == []
    for path in (".gitlab-ci.yml", GITLAB[command]):
        assert checkers.gitlab_ci_schema(folder / path) == []
    assert checkers.gitlab_ci_local(folder) == []


@pytest.mark.validators
def test_both_commands_live_side_by_side_in_one_fleet_repository(tmp_path: Path, yamllint_config: str) -> None:
    folder = tmp_path / "fleet-repo"
    ci.write_fleet_ci(folder, ci.fleet_ci_files(shards=3, command="status"))
    # The root .gitlab-ci.yml is the same for both commands, so the second write changes nothing there.
    written = ci.write_fleet_ci(folder, ci.fleet_ci_files(shards=2, command="upgrade"))
    assert sorted(written) == [GITHUB["upgrade"], GITLAB["upgrade"]]
    (folder / ".yamllint.yml").write_text(yamllint_config, encoding="utf-8")
    assert checkers.zizmor(folder) == []
    assert checkers.actionlint(folder) == []
    jobs = {job["name"] for job in checkers.gitlab_ci_local_jobs(folder)}
    assert {f"fleet-status-shard: [{k}/3]" for k in (1, 2, 3)} <= jobs
    assert {"fleet-status-merge", "fleet-upgrade-approve", "fleet-upgrade-merge"} <= jobs
    assert {f"fleet-upgrade-shard: [{k}/2]" for k in (1, 2)} <= jobs


@pytest.mark.parametrize("command", ci.COMMANDS)
def test_scaffolds_own_audit_finds_nothing_in_the_generated_files(tmp_path: Path, command: str) -> None:
    folder = write(tmp_path / "fleet-repo", ci.fleet_ci_files(shards=4, command=command, pack="./packs/acme"))
    whole = scaffold("audit", str(folder))
    assert whole.returncode == 0, whole.stdout + whole.stderr
    assert "0 finding(s) in 2 file(s)" in whole.stdout  # the workflow and .gitlab-ci.yml
    included = scaffold("audit", "--kind", "gitlab-ci", str(folder / GITLAB[command]))
    assert included.returncode == 0, included.stdout + included.stderr


@pytest.mark.parametrize("command", ci.COMMANDS)
def test_every_action_is_pinned_by_sha_from_the_pins_file(tmp_path: Path, command: str) -> None:
    files = ci.fleet_ci_files(shards=2, command=command)
    pins = load_pins()
    known = {pin.ref() for pin in pins.actions.values()}
    uses = [line.split("uses: ", 1)[1] for line in files[GITHUB[command]].splitlines() if "uses: " in line]
    assert uses and set(uses) <= known
    assert pins.action("create-github-app-token").ref() in uses
    assert f"image: {pins.image('python').ref}" in files[GITLAB[command]]
    assert f'"scaffold-cicd=={__version__}"' in files[GITHUB[command]]
    assert f'SCAFFOLD_VERSION: "{__version__}"' in files[GITLAB[command]]


# Settings ----------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("shards", [0, -1, 257, 1000, True, 2.0, "4"])
def test_a_shard_count_outside_1_to_256_is_refused(shards: Any) -> None:
    with pytest.raises(UsageError, match="--shards: must be a whole number from 1 to 256"):
        ci.fleet_ci_files(shards=shards)


@pytest.mark.parametrize("shards", ["0", "1000"])
def test_the_command_line_refuses_a_bad_shard_count_with_exit_2_and_writes_nothing(tmp_path: Path, shards: str) -> None:
    done = scaffold("fleet", "ci", "--shards", shards, "--output", str(tmp_path / "out"))
    assert done.returncode == 2, done.stderr
    assert "--shards" in done.stderr
    assert not (tmp_path / "out").exists()


def test_the_bounds_themselves_are_accepted_and_gitlab_splits_past_200() -> None:
    one = ci.fleet_ci_files(shards=1)
    assert workflow_matrix(one) == [0]
    assert "parallel:" not in one[GITLAB["status"]]
    most = ci.fleet_ci_files(shards=256)
    assert workflow_matrix(most) == list(range(256))
    pipeline = yaml.safe_load(most[GITLAB["status"]])
    assert pipeline["fleet-status-shard"]["parallel"] == 200
    assert pipeline["fleet-status-shard"]["variables"]["SHARD_OFFSET"] == "0"
    assert pipeline["fleet-status-shard-2"]["parallel"] == 56
    assert pipeline["fleet-status-shard-2"]["variables"]["SHARD_OFFSET"] == "200"
    assert [need["job"] for need in pipeline["fleet-status-merge"]["needs"]] == [
        "fleet-status-shard",
        "fleet-status-shard-2",
    ]


def workflow_matrix(files: dict[str, str]) -> list[int]:
    shard: list[int] = yaml.safe_load(files[GITHUB["status"]])["jobs"]["shard"]["strategy"]["matrix"]["shard"]
    return shard


@pytest.mark.parametrize(
    ("setting", "value"),
    [
        ("command", "campaign"),
        ("branch", "main; touch pwned"),
        ("branch", "${{ github.event.issue.title }}"),
        ("branch", "a..b"),
        ("branch", "feature/"),
        ("branch", "x.lock"),
        ("branch", "-delete"),
        ("pack", "$(touch pwned)"),
        ("pack", "https://example.com/pack.git\nmalicious: true"),
        ("pack", '"quoted"'),
        ("pack", "../outside"),
        ("pack", "--trust"),
        ("pack", "https://deploy:hunter2@git.example.com/acme/pack.git"),
        ("cron", "* * * *"),
        ("cron", "0 4 * * 1 $(id)"),
        ("cron", '0 4 * * "1"'),
        ("version", "1.0; rm -rf /"),
        ("python", "2.7"),
    ],
)
def test_a_hostile_or_malformed_setting_is_refused_in_one_line(setting: str, value: str) -> None:
    with pytest.raises(UsageError) as raised:
        ci.fleet_ci_files(shards=2, **{setting: value})
    message = str(raised.value)
    assert "\n" not in message
    assert message.startswith((f"--{setting}:", f"{setting}:"))


def test_values_reach_the_scripts_only_through_the_environment() -> None:
    files = ci.fleet_ci_files(
        shards=2, command="upgrade", branch="team/kit-2.0", pack="https://git.example.com/p.git@v2"
    )
    for path in (GITHUB["upgrade"], GITLAB["upgrade"]):
        scripts = _scripts(yaml.safe_load(files[path]))
        assert scripts
        for script in scripts:
            assert "team/kit-2.0" not in script
            assert "git.example.com" not in script
            assert "${{" not in script
    github = yaml.safe_load(files[GITHUB["upgrade"]])
    assert github[True]["workflow_dispatch"]["inputs"]["branch"]["default"] == "team/kit-2.0"
    assert github["jobs"]["shard"]["env"]["SCAFFOLD_FLEET_PACK"] == "https://git.example.com/p.git@v2"


def _scripts(node: Any) -> list[str]:
    if isinstance(node, dict):
        found = [node["run"]] if isinstance(node.get("run"), str) else []
        for key in ("script", "before_script"):
            if isinstance(node.get(key), list):
                found += [line for line in node[key] if isinstance(line, str)]
        return found + [script for value in node.values() for script in _scripts(value)]
    if isinstance(node, list):
        return [script for value in node for script in _scripts(value)]
    return []


def test_each_command_gets_least_privilege_and_status_gets_the_schedule() -> None:
    status = yaml.safe_load(ci.fleet_ci_files(shards=2, cron="5 3 * * 0")[GITHUB["status"]])
    upgrade = yaml.safe_load(ci.fleet_ci_files(shards=2, command="upgrade")[GITHUB["upgrade"]])
    assert status["permissions"] == {} and upgrade["permissions"] == {}
    assert status[True]["schedule"] == [{"cron": "5 3 * * 0"}]
    assert "schedule" not in upgrade[True]
    for loaded in (status, upgrade):
        assert loaded["jobs"]["shard"]["permissions"] == {"contents": "read"}
        assert loaded["jobs"]["merge"]["permissions"] == {}
        assert loaded["jobs"]["merge"]["needs"] == "shard"
        assert loaded["concurrency"]["cancel-in-progress"] is False
        assert all("timeout-minutes" in job for job in loaded["jobs"].values())
        checkout = step(loaded["jobs"]["shard"], "Check out")
        assert checkout["with"]["persist-credentials"] is False
    read = step(status["jobs"]["shard"], "Mint")["with"]
    write_ = step(upgrade["jobs"]["shard"], "Mint")["with"]
    assert {key for key in read if key.startswith("permission-")} == {"permission-contents"}
    assert read["permission-contents"] == "read"
    assert {key: value for key, value in write_.items() if key.startswith("permission-")} == {
        "permission-contents": "write",
        "permission-pull-requests": "write",
        "permission-workflows": "write",
    }
    for token in (read, write_):
        assert token["repositories"] == "${{ steps.scope.outputs.repositories }}"
    assert upgrade["jobs"]["shard"]["environment"] == "fleet-upgrade"
    assert "environment" not in status["jobs"]["shard"]


# The dry run, the writer -------------------------------------------------------------------------------------------


def test_write_refuses_a_file_that_differs_and_force_overwrites_it(tmp_path: Path) -> None:
    folder = tmp_path / "fleet-repo"
    files = ci.fleet_ci_files(shards=4)
    assert sorted(ci.write_fleet_ci(folder, files)) == sorted(files)
    assert ci.write_fleet_ci(folder, files) == []
    edited = folder / GITHUB["status"]
    edited.write_text(edited.read_text() + "# ours\n", encoding="utf-8")
    with pytest.raises(ConflictError) as raised:
        ci.write_fleet_ci(folder, files)
    assert raised.value.paths == [GITHUB["status"]]
    with pytest.raises(ConflictError) as raised:
        ci.write_fleet_ci(folder, ci.fleet_ci_files(shards=8))
    assert raised.value.paths == [GITHUB["status"], GITLAB["status"]]
    assert edited.read_text().endswith("# ours\n")
    assert "--shards 4" in (folder / GITLAB["status"]).read_text()  # nothing was written, not even the others
    assert ci.write_fleet_ci(folder, ci.fleet_ci_files(shards=8), force=True) == [GITHUB["status"], GITLAB["status"]]
    assert edited.read_text() == ci.fleet_ci_files(shards=8)[GITHUB["status"]]


def test_write_never_goes_into_a_git_directory(tmp_path: Path) -> None:
    repo = plain_repo(tmp_path / "fleet-repo", {"repos.txt": "\n"})
    with pytest.raises(UsageError, match="git"):
        ci.write_fleet_ci(repo / ".git", ci.fleet_ci_files(shards=2))
    assert not (repo / ".git" / ".github").exists()


def test_dry_run_lists_and_diffs_but_writes_nothing(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = tmp_path / "fleet-repo"
    assert ci.run(shards=2, output=folder, dry_run=True) == 0
    assert not folder.exists()
    assert f"      new  {GITHUB['status']}" in capsys.readouterr().out
    assert ci.run(shards=2, output=folder) == 0
    assert ci.run(shards=3, output=folder, dry_run=True) == 1
    out = capsys.readouterr().out
    assert f"  differs  {GITHUB['status']}" in out
    assert "+    name: shard ${{ matrix.shard }} of 3" in out
    assert "shard ${{ matrix.shard }} of 2" in (folder / GITHUB["status"]).read_text()


def test_the_command_line_writes_the_files(tmp_path: Path) -> None:
    done = scaffold("fleet", "ci", "--shards", "3", "--command", "upgrade", "--output", str(tmp_path / "repo"))
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "repo" / GITHUB["upgrade"]).read_text() == ci.fleet_ci_files(shards=3, command="upgrade")[
        GITHUB["upgrade"]
    ]
    assert (tmp_path / "repo" / ".gitlab-ci.yml").is_file()


# The scripts, run --------------------------------------------------------------------------------------------------


@pytest.fixture
def fleet(tmp_path: Path, template_root: Path) -> tuple[Path, list[str]]:
    """A fleet repository whose repos.txt lists three kits made by ``scaffold new`` and a plain repository."""
    clones = tmp_path / "clones"
    names = ["billing", "payments", "search"]
    for name in names:
        kit_repo(clones / name, template_root=template_root)
    plain_repo(clones / "wiki", {"README.md": "not a kit\n"})
    folder = tmp_path / "fleet-repo"
    folder.mkdir()
    listed = [str(clones / name) for name in [*names, "wiki"]]
    (folder / "repos.txt").write_text("# the fleet\n" + "\n".join(listed) + "\n", encoding="utf-8")
    return folder, listed


def run_shards(folder: Path, shards: int, env: dict[str, str] | None = None) -> list[Path]:
    """Run the generated shard step of each shard in ``folder``, as its matrix job would."""
    job = workflow(write(folder, ci.fleet_ci_files(shards=shards)))["jobs"]["shard"]
    script = step(job, "Read this shard")["run"]
    outputs = []
    for index in range(shards):
        extra = {"SHARD": str(index), "SHARDS": str(shards), "GITHUB_SERVER_URL": "https://github.com"}
        done = run_script(script, folder, {"FLEET_TOKEN": "", **extra, **(env or {})})
        assert done.returncode == 0, done.stderr
        outputs.append(folder / f"shard-{index}.json")
    return outputs


def merge_step(folder: Path) -> tuple[str, dict[str, str]]:
    job = workflow(folder)["jobs"]["merge"]
    return step(job, "Merge the shards")["run"], {key: str(value) for key, value in job["env"].items()}


def test_the_merge_step_merges_real_shard_outputs(tmp_path: Path, fleet: tuple[Path, list[str]]) -> None:
    folder, listed = fleet
    shard_files = run_shards(folder, 3)
    reports = [json.loads(path.read_text()) for path in shard_files]
    assert [report["shard"] for report in reports] == ["0/3", "1/3", "2/3"]
    assert sorted(item["target"] for report in reports for item in report["repositories"]) == sorted(listed)
    merging = tmp_path / "merge-job"
    merging.mkdir()
    for path in shard_files:
        (merging / path.name).write_bytes(path.read_bytes())
    script, env = merge_step(folder)
    assert env == {"SHARDS": "3"}
    done = run_script(script, merging, env)
    assert done.returncode == 1, done.stderr  # the plain repository needs attention
    merged = json.loads((merging / "fleet.json").read_text())
    assert merged["shard"] is None
    assert merged["summary"]["repositories"] == 4
    assert merged["summary"]["states"]["current"] == 3
    assert merged["summary"]["states"]["not-scaffold"] == 1
    assert sorted(item["target"] for item in merged["repositories"]) == sorted(listed)
    assert "<html" in (merging / "fleet.html").read_text().lower()


def test_the_merge_step_passes_a_fleet_that_needs_nothing(tmp_path: Path, fleet: tuple[Path, list[str]]) -> None:
    folder, listed = fleet
    (folder / "repos.txt").write_text("\n".join(listed[:3]) + "\n", encoding="utf-8")
    shard_files = run_shards(folder, 2)
    script, env = merge_step(folder)
    done = run_script(script, folder, env)
    assert done.returncode == 0, done.stdout + done.stderr
    assert json.loads((folder / "fleet.json").read_text())["summary"]["states"]["current"] == 3
    assert all(path.is_file() for path in shard_files)


def test_the_merge_step_fails_when_a_shard_left_no_report(tmp_path: Path, fleet: tuple[Path, list[str]]) -> None:
    folder, listed = fleet
    (folder / "repos.txt").write_text("\n".join(listed[:3]) + "\n", encoding="utf-8")
    run_shards(folder, 2)
    (folder / "shard-1.json").unlink()
    script, env = merge_step(folder)
    done = run_script(script, folder, env)
    assert done.returncode == 1
    assert "shard 1/2 left no report" in done.stderr
    merged = json.loads((folder / "fleet.json").read_text())
    assert 0 < merged["summary"]["repositories"] < 3  # what the other shard found is still reported


def test_gitlab_runs_the_same_merge_script_and_the_same_fleet_command() -> None:
    files = ci.fleet_ci_files(shards=4)
    github = yaml.safe_load(files[GITHUB["status"]])
    gitlab = yaml.safe_load(files[GITLAB["status"]])
    assert gitlab["fleet-status-merge"]["script"] == [step(github["jobs"]["merge"], "Merge the shards")["run"]]
    assert gitlab["fleet-status-merge"]["script"] == [ci.MERGE_SCRIPT]
    shard_script = gitlab["fleet-status-shard"]["script"][0]
    assert 'scaffold fleet status --from repos.txt --shard "${shard}/${SHARDS}"' in shard_script
    assert "--no-history --exit-zero" in shard_script
    assert "shard=$((${CI_NODE_INDEX:-1} - 1 + SHARD_OFFSET))" in shard_script


# The token ---------------------------------------------------------------------------------------------------------

TOKEN = "ghs_fleetTestToken0123456789abcdef"  # noqa: S105 (a test token for a local server)


class _GitOverHttp(http.server.BaseHTTPRequestHandler):
    """git's smart HTTP protocol through ``git http-backend``, for requests that carry the expected token."""

    server: _Server

    def do_GET(self) -> None:
        self._serve()

    def do_POST(self) -> None:
        self._serve()

    def log_message(self, format: str, *args: Any) -> None:
        return

    def _serve(self) -> None:
        sent = self.headers.get("Authorization", "")
        self.server.seen.append(sent)
        if sent.lower() != self.server.expected.lower():
            self.send_response(401)
            self.send_header("WWW-Authenticate", 'Basic realm="fleet"')
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        path, _, query = self.path.partition("?")
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        env = {
            "PATH": os.environ["PATH"],
            "GIT_PROJECT_ROOT": str(self.server.root),
            "GIT_HTTP_EXPORT_ALL": "1",
            "GIT_CONFIG_NOSYSTEM": "1",
            "GIT_CONFIG_GLOBAL": os.devnull,
            "PATH_INFO": path,
            "QUERY_STRING": query,
            "REQUEST_METHOD": self.command,
            "CONTENT_TYPE": self.headers.get("Content-Type", ""),
            "CONTENT_LENGTH": str(len(body)),
            "REMOTE_ADDR": "127.0.0.1",
        }
        for header, variable in (("Content-Encoding", "HTTP_CONTENT_ENCODING"), ("Git-Protocol", "GIT_PROTOCOL")):
            if self.headers.get(header):
                env[variable] = self.headers[header]
        output = subprocess.run(
            ["git", "http-backend"], input=body, env=env, capture_output=True, timeout=60, check=False
        ).stdout
        separator = b"\r\n\r\n" if b"\r\n\r\n" in output else b"\n\n"
        head, _, payload = output.partition(separator)
        status, headers = 200, []
        for line in head.decode("latin-1").splitlines():
            name, _, value = line.partition(":")
            if name.lower() == "status":
                status = int(value.split()[0])
            elif name:
                headers.append((name, value.strip()))
        self.send_response(status)
        for name, value in headers:
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)


class _Server(http.server.ThreadingHTTPServer):
    def __init__(self, root: Path, expected: str) -> None:
        super().__init__(("127.0.0.1", 0), _GitOverHttp)
        self.root, self.expected, self.seen = root, expected, []


@pytest.fixture
def forge(tmp_path: Path, template_root: Path) -> Iterator[tuple[str, _Server]]:
    """An http git server on 127.0.0.1 serving acme/payments.git only to requests with the shard's token."""
    root = tmp_path / "forge"
    kit = kit_repo(tmp_path / "kit", template_root=template_root)
    (root / "acme").mkdir(parents=True)
    git(root / "acme", "clone", "-q", "--bare", str(kit), "payments.git")
    expected = "Basic " + base64.b64encode(f"x-access-token:{TOKEN}".encode()).decode()
    server = _Server(root, expected)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", server
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=30)


def _token_run(folder: Path, server_url: str, token: str) -> tuple[subprocess.CompletedProcess[str], dict[str, Any]]:
    job = workflow(folder)["jobs"]["shard"]
    env = {"SHARD": "0", "SHARDS": "1", "GITHUB_SERVER_URL": server_url, "FLEET_TOKEN": token}
    done = run_script(step(job, "Read this shard")["run"], folder, env)
    assert done.returncode == 0, done.stderr
    report: dict[str, Any] = json.loads((folder / "shard-0.json").read_text())
    return done, report


def test_the_shard_token_reaches_git_through_the_environment_only(tmp_path: Path, forge: tuple[str, _Server]) -> None:
    url, server = forge
    folder = write(tmp_path / "fleet-repo", ci.fleet_ci_files(shards=1))
    (folder / "repos.txt").write_text(f"{url}/acme/payments.git\n", encoding="utf-8")
    done, report = _token_run(folder, url, TOKEN)
    (repository,) = report["repositories"]
    assert repository["state"] == "current", repository["error"]
    assert server.seen and {sent.lower() for sent in server.seen} == {server.expected.lower()}
    encoded = server.expected.split(" ", 1)[1]
    assert TOKEN not in done.stdout + done.stderr
    assert done.stdout.splitlines().count(f"::add-mask::{encoded}") == 1  # masked before anything could print it
    assert encoded not in done.stderr and done.stdout.count(encoded) == 1
    for path in tmp_path.rglob("*"):
        if path.is_file() and not path.is_symlink():
            data = path.read_bytes()
            assert TOKEN.encode() not in data, path
            assert encoded.encode() not in data, path


def test_without_a_token_or_on_another_forge_git_gets_no_credentials(
    tmp_path: Path, forge: tuple[str, _Server]
) -> None:
    url, server = forge
    folder = write(tmp_path / "fleet-repo", ci.fleet_ci_files(shards=1))
    (folder / "repos.txt").write_text(f"{url}/acme/payments.git\n", encoding="utf-8")
    _, report = _token_run(folder, url, "")
    assert report["repositories"][0]["state"] == "error"
    _, report = _token_run(folder, "https://github.com", TOKEN)
    assert report["repositories"][0]["state"] == "error"
    assert server.seen and server.expected.lower() not in {sent.lower() for sent in server.seen}


def test_the_scope_step_lists_only_this_shards_repositories_of_the_owner(
    tmp_path: Path, forge: tuple[str, _Server]
) -> None:
    url, _ = forge
    folder = write(tmp_path / "fleet-repo", ci.fleet_ci_files(shards=2))
    listed = [f"{url}/acme/{name}.git" for name in ("api", "billing", "payments", "search")]
    elsewhere = ["https://gitlab.example.com/acme/web.git", f"{url}/other/x.git", "git@example.com:acme/ssh.git"]
    (folder / "repos.txt").write_text("\n".join([*listed, *elsewhere, f"{url}/ACME/api"]) + "\n", encoding="utf-8")
    scope = step(workflow(folder)["jobs"]["shard"], "List this shard")
    names: list[str] = []
    for index in (0, 1):
        output = folder / f"output-{index}"
        output.touch()
        env = {"SHARD": str(index), "SHARDS": "2", "OWNER": "acme", "GITHUB_SERVER_URL": url}
        done = run_script(scope["run"], folder, {**env, "GITHUB_OUTPUT": str(output)})
        assert done.returncode == 0, done.stderr
        (line,) = output.read_text().splitlines()
        assert line.startswith("repositories=")
        names += line.removeprefix("repositories=").split(",")
    # acme/api.git and ACME/api are two targets, possibly in two shards: each shard's token names its own.
    assert set(names) == {"api", "billing", "payments", "search"}
    assert len(names) == len(listed) + 1


def test_token_scope_refuses_a_shard_too_large_for_one_token(tmp_path: Path) -> None:
    repos = tmp_path / "repos.txt"
    repos.write_text("".join(f"https://github.com/acme/r{k}\n" for k in range(ci.MAX_TOKEN_REPOSITORIES + 1)))
    with pytest.raises(UsageError, match="use more shards"):
        ci.token_repositories(repos, "0/1", server="https://github.com", owner="acme")
    names, _ = ci.token_repositories(repos, "0/2", server="https://github.com", owner="acme")
    assert len(names) == (ci.MAX_TOKEN_REPOSITORIES + 2) // 2
    assert ci.main(["token-scope", "--from", str(repos), "--shard", "0/1", "--server", "x", "--owner", "acme"]) == 2
