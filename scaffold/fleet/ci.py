"""``scaffold fleet ci``: the fleet on the team's own CI, as a GitHub Actions workflow and a GitLab CI pipeline.

The fleet repository holds ``repos.txt`` (one repository per line). Each generated pipeline splits that list into N
shards (``fleet status --shard K/N``), runs every shard as its own job with its own short-lived, least-privilege
token, uploads each shard's JSON report and merges them in a final job (``fleet merge``), which fails when the fleet
needs attention.

One command per file: ``status`` (weekly and on demand, read-only) and ``upgrade`` (on demand, behind an approval,
write access) get separate workflows, so a token's permissions never depend on a run's input. On GitLab the root
``.gitlab-ci.yml`` is the same for both commands and includes each ``.gitlab/fleet-<command>.yml`` that exists.

Every value that reaches a generated file is checked here against a narrow pattern, and every value a run supplies
(a workflow input, the token) reaches the shell through environment variables, never through template expansion.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from scaffold import __version__
from scaffold.errors import UsageError
from scaffold.fleet import targets
from scaffold.fleet.runner import check_branch
from scaffold.kit import writer
from scaffold.kit.pins import load_pins
from scaffold.untrusted.text import printable

COMMANDS = ("status", "upgrade")
MIN_SHARDS = 1
MAX_SHARDS = 256
"""GitHub runs at most 256 jobs from one matrix."""
GITLAB_PARALLEL = 200
"""GitLab runs at most 200 copies of one job (``parallel:``); more shards take a second job."""
REPOS_FILE = "repos.txt"
PACKAGE = "scaffold-cicd"
DEFAULT_BRANCH = "scaffold/fleet-upgrade"
DEFAULT_CRON = "17 4 * * 1"
"""Mondays at 04:17 UTC: weekly, and off the hour, when scheduled runs pile up."""
PYTHON = "3.13"
SHARD_TIMEOUT_MINUTES = 60
"""A GitHub App installation token lasts an hour: a shard must finish within it."""
MERGE_TIMEOUT_MINUTES = 20
MAX_TOKEN_REPOSITORIES = 500
"""GitHub scopes an installation token to at most 500 repositories: a shard must hold no more."""

_BRANCH = re.compile(r"[A-Za-z0-9][A-Za-z0-9._/-]{0,199}")
_PACK = re.compile(r"[A-Za-z0-9._~/][A-Za-z0-9._~:/@+=,%-]{0,999}")
_CRON_FIELD = re.compile(r"[0-9*][0-9*/,-]{0,29}")
_VERSION = re.compile(
    r"[0-9]{1,4}(?:\.[0-9]{1,4}){0,3}(?:(?:a|b|rc)[0-9]{1,4})?(?:\.post[0-9]{1,4})?(?:\.dev[0-9]{1,4})?"
)
_PYTHON = re.compile(r"3\.[0-9]{1,2}")
_OWNER = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})")
_REPOSITORY = re.compile(r"[A-Za-z0-9._-]{1,100}")


@dataclass(frozen=True)
class FleetCi:
    """The checked settings of one generated pipeline."""

    shards: int
    command: str
    branch: str
    pack: str | None
    cron: str
    version: str
    python: str

    @property
    def title(self) -> str:
        return f"fleet {self.command}"

    @property
    def upgrade(self) -> bool:
        return self.command == "upgrade"


def fleet_ci_files(
    *,
    shards: int,
    command: str = "status",
    branch: str = DEFAULT_BRANCH,
    pack: str | None = None,
    cron: str = DEFAULT_CRON,
    version: str = __version__,
    python: str = PYTHON,
) -> dict[str, str]:
    """The files of the fleet repository's CI for ``command``, as {relative path: text}.

    ``shards`` (1 to 256) splits ``repos.txt``; ``branch`` is the upgrade branch (the GitHub workflow's default
    input); ``pack`` is passed as ``--pack`` to every shard; ``cron`` (UTC, five fields) schedules the GitHub status
    workflow; ``version`` is the scaffold each job installs from PyPI. A bad value raises UsageError naming it."""
    settings = check_settings(
        shards=shards, command=command, branch=branch, pack=pack, cron=cron, version=version, python=python
    )
    return {
        f".github/workflows/fleet-{settings.command}.yml": github_workflow(settings),
        ".gitlab-ci.yml": gitlab_root(settings.version),
        f".gitlab/fleet-{settings.command}.yml": gitlab_pipeline(settings),
    }


def check_settings(
    *, shards: int, command: str, branch: str, pack: str | None, cron: str, version: str, python: str
) -> FleetCi:
    """The settings, each checked against the pattern the generated files rely on."""
    if isinstance(shards, bool) or not isinstance(shards, int) or not MIN_SHARDS <= shards <= MAX_SHARDS:
        raise UsageError(
            f"--shards: must be a whole number from {MIN_SHARDS} to {MAX_SHARDS} (GitHub's matrix limit), "
            f"not {printable(str(shards), 40)}"
        )
    if command not in COMMANDS:
        raise UsageError(f"--command: must be one of {', '.join(COMMANDS)}, not {printable(str(command), 40)}")
    if not _is_branch(branch):
        raise UsageError(
            f"--branch: {printable(str(branch), 80)} is not a plain branch name (letters, digits, '.', '_', '-' and "
            "'/'; at most 200 characters; no '..', '//' or '.lock', and not ending in '/' or '.')"
        )
    if pack is not None and not (isinstance(pack, str) and _PACK.fullmatch(pack) and ".." not in pack.split("/")):
        raise UsageError(
            f"--pack: {printable(str(pack), 80)} must be a folder in the fleet repository or a git URL with an "
            "optional @REF: letters, digits and . _ ~ / : @ + = , % -, at most 1000 characters, no '..' folder"
        )
    if pack is not None and _has_password(pack):
        raise UsageError("--pack: must not carry a password; the generated file is committed (use the CI's token)")
    fields = cron.split(" ") if isinstance(cron, str) else []
    if len(fields) != 5 or not all(_CRON_FIELD.fullmatch(field) for field in fields):
        raise UsageError(
            f"--cron: {printable(str(cron), 80)} must be five cron fields (minute hour day month weekday, in UTC) "
            "separated by single spaces, using digits and * / , -"
        )
    if not (isinstance(version, str) and _VERSION.fullmatch(version)):
        raise UsageError(f"version: {printable(str(version), 40)} is not a release version of {PACKAGE}")
    if not (isinstance(python, str) and _PYTHON.fullmatch(python)):
        raise UsageError(f"python: {printable(str(python), 40)} must be a Python 3 version such as 3.13")
    return FleetCi(shards, command, branch, pack, cron, version, python)


def _has_password(source: str) -> bool:
    try:
        return urlsplit(source).password is not None
    except ValueError:
        return True


def _is_branch(branch: object) -> bool:
    """A branch name in the narrow alphabet a generated file may embed, and one git itself takes as written (the
    same judge as ``fleet upgrade --branch``)."""
    if not isinstance(branch, str) or not _BRANCH.fullmatch(branch):
        return False
    try:
        check_branch(branch)
    except UsageError:
        return False
    return True


def plan_fleet_ci(folder: Path, files: Mapping[str, str]) -> list[writer.PlannedFile]:
    """What writing ``files`` under ``folder`` would change (reads only): for ``--dry-run``."""
    writer.check_writable(folder)
    return writer.plan(folder, files)


def run(
    *,
    shards: int,
    command: str = "status",
    output: Path = Path(),
    force: bool = False,
    dry_run: bool = False,
    branch: str = DEFAULT_BRANCH,
    pack: str | None = None,
    cron: str = DEFAULT_CRON,
) -> int:
    """``scaffold fleet ci``: write (or with ``dry_run`` show) the files, listing each as new, unchanged or differs.
    0 when written (or writable); 1 when a file differs and ``force`` is not given (nothing written); UsageError
    for a bad value or output folder."""
    files = fleet_ci_files(shards=shards, command=command, branch=branch, pack=pack, cron=cron)
    planned = plan_fleet_ci(output, files)
    out = sys.stdout
    for item in planned:
        out.write(f"{item.change.value:>9}  {item.path}\n")
    differing = [item for item in planned if item.change is writer.Change.DIFFERS]
    if dry_run:
        for item in differing:
            out.write(writer.unified_diff(item))
        new = sum(item.change is writer.Change.NEW for item in planned)
        out.write(f"dry run: {new} new, {len(differing)} differing; nothing written\n")
        if differing and not force:
            out.write("the differing files would be refused without --force\n")
            return 1
        return 0
    writer.refuse_conflicts(planned, force)
    written = writer.write_atomically(output, planned)
    out.write(
        f"wrote {len(written)} file(s) to {printable(str(output), 200)}; set up the token as docs/fleet.md says\n"
    )
    return 0


def write_fleet_ci(folder: Path, files: Mapping[str, str], force: bool = False) -> list[str]:
    """Write ``files`` under ``folder`` atomically and return the paths written (new or changed). An existing file
    that differs is never overwritten without ``force``: ConflictError (exit 1) lists them and nothing is written."""
    planned = plan_fleet_ci(folder, files)
    writer.refuse_conflicts(planned, force)
    return writer.write_atomically(folder, planned)


# The token's scope ------------------------------------------------------------------------------------------------


def token_repositories(repos_file: Path, shard_spec: str, *, server: str, owner: str) -> tuple[list[str], list[str]]:
    """The names of the repositories of shard ``K/N`` of ``repos_file`` that the shard's token must reach (https
    URLs of ``owner`` on ``server``), and the shard's other targets (elsewhere, ssh, local paths), which the token
    cannot reach. The shard is the one ``fleet status --shard`` takes: the same list, order and split."""
    if not _OWNER.fullmatch(owner):
        raise UsageError(f"--owner: {printable(owner, 60)} is not a GitHub user or organisation name")
    base = urlsplit(server)
    if base.scheme not in ("https", "http") or not base.hostname or base.path.strip("/"):
        raise UsageError(f"--server: {printable(server, 100)} must be the forge's address, such as https://github.com")
    index, count = targets.parse_shard(shard_spec)
    chosen = targets.shard(targets.expand(targets.read_list(repos_file)), index, count)
    names: list[str] = []
    others: list[str] = []
    for target in chosen:
        name = _repository_name(target, base.scheme, base.hostname, base.port, owner)
        if name is None:
            others.append(target.spec)
        elif name.lower() not in {known.lower() for known in names}:
            names.append(name)
    if len(names) > MAX_TOKEN_REPOSITORIES:
        raise UsageError(
            f"--shard {printable(shard_spec, 20)}: {len(names)} repositories of {owner}, more than the "
            f"{MAX_TOKEN_REPOSITORIES} one GitHub App token can be scoped to; use more shards"
        )
    return names, others


def _repository_name(target: targets.Target, scheme: str, host: str, port: int | None, owner: str) -> str | None:
    if not target.remote:
        return None
    try:
        parts = urlsplit(target.spec)
        target_port = parts.port
    except ValueError:
        return None
    if parts.scheme != scheme or (parts.hostname or "").lower() != host.lower() or target_port != port:
        return None
    segments = parts.path.strip("/").split("/")
    if parts.query or parts.fragment or len(segments) != 2 or segments[0].lower() != owner.lower():
        return None
    name = segments[1].removesuffix(".git")
    return name if _REPOSITORY.fullmatch(name) and name not in (".", "..") else None


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m scaffold.fleet.ci token-scope --from FILE --shard K/N --server URL --owner OWNER``: prints
    ``repositories=a,b,c`` (for ``$GITHUB_OUTPUT``), the names the shard's GitHub App token is scoped to."""
    parser = argparse.ArgumentParser(prog="python -m scaffold.fleet.ci", description=main.__doc__)
    parser.add_argument("action", choices=["token-scope"])
    parser.add_argument("--from", dest="repos_file", type=Path, default=Path(REPOS_FILE))
    parser.add_argument("--shard", required=True)
    parser.add_argument("--server", required=True)
    parser.add_argument("--owner", required=True)
    args = parser.parse_args(argv)
    try:
        names, others = token_repositories(args.repos_file, args.shard, server=args.server, owner=args.owner)
    except UsageError as error:
        print(f"scaffold: error: {error}", file=sys.stderr)
        return error.exit_code
    for spec in others:
        print(f"not in this shard's token (another forge, owner or protocol): {printable(spec, 200)}", file=sys.stderr)
    print(f"repositories={','.join(names)}")
    return 0


# Shell ------------------------------------------------------------------------------------------------------------

MERGE_SCRIPT = """\
set -euo pipefail
# Every shard must have left its report: a missing one leaves its repositories out of fleet.json.
missing=0
for ((k = 0; k < SHARDS; k++)); do
  if [ ! -f "shard-${k}.json" ]; then
    echo "shard ${k}/${SHARDS} left no report: its repositories are not in fleet.json" >&2
    missing=1
  fi
done
# Exit 1 when the fleet needs attention (behind, drift, weaker, errors); 2 for an unreadable shard.
status=0
scaffold fleet merge shard-*.json --output fleet.json --html fleet.html || status=$?
if [ "$status" -eq 0 ] && [ "$missing" -ne 0 ]; then
  status=1
fi
exit "$status"
"""
"""The merge job's script (GitHub and GitLab): shard-K.json for K in 0..SHARDS-1 in the current folder."""


def _credentials(variable: str, user: str, server: str, header: str, *, keep: bool = False) -> str:
    """Shell that hands the token in ``variable`` to git through GIT_CONFIG_* variables only: never written to disk,
    never printed (on GitHub its base64 form is masked too), sent only to ``server``'s URLs. Without a token (a
    shard with nothing on this forge) git gets no credentials. The variable is unset after unless ``keep``."""
    mask = '  printf "::add-mask::%s\\n" "$basic"\n' if server == "GITHUB_SERVER_URL" else ""
    return (
        "# The token reaches git through the environment only (an http.<url>.extraheader in GIT_CONFIG_*): it is\n"
        "# never written to disk or printed, and it is sent only to this forge.\n"
        f'if [ -n "${{{variable}:-}}" ]; then\n'
        f'  basic="$(printf \'{user}:%s\' "${variable}" | base64 -w0)"\n'
        f"{mask}"
        "  export GIT_CONFIG_COUNT=1\n"
        f'  export GIT_CONFIG_KEY_0="http.${{{server}}}/.extraheader"\n'
        f'  export GIT_CONFIG_VALUE_0="{header} ${{basic}}"\n'
        "  unset basic\n"
        "fi\n" + ("" if keep else f"unset {variable}\n")
    )


def _fleet_command(settings: FleetCi, shard: str, extra: str) -> str:
    pack = ' --pack "$SCAFFOLD_FLEET_PACK"' if settings.pack else ""
    branch = ' --branch "$SCAFFOLD_FLEET_BRANCH" --push' if settings.upgrade else ""
    options = f"{branch}{extra}{pack}"
    return (
        f'scaffold fleet {settings.command} --from {REPOS_FILE} --shard "{shard}/${{SHARDS}}" \\\n'
        + (f"  {options.strip()} \\\n" if options else "")
        + f'  --format json --output "shard-{shard}.json" --no-history --exit-zero\n'
    )


def _indented(text: str, spaces: int) -> str:
    pad = " " * spaces
    return "".join(pad + line if line.strip() else line for line in text.splitlines(keepends=True))


def _quoted(value: str) -> str:
    """A YAML double-quoted scalar (the values are ASCII, checked by their patterns)."""
    return json.dumps(value)


# GitHub Actions ---------------------------------------------------------------------------------------------------


def github_workflow(settings: FleetCi) -> str:
    pins = load_pins()
    checkout, setup_python = pins.action("checkout").ref(), pins.action("setup-python").ref()
    app_token, upload = pins.action("create-github-app-token").ref(), pins.action("upload-artifact").ref()
    download = pins.action("download-artifact").ref()
    n = settings.shards
    if settings.upgrade:
        about = (
            f"# Upgrades every repository in {REPOS_FILE} on a new branch and opens a pull request for each, in {n}\n"
            "# shard(s) after an approval of the fleet-upgrade environment, each with its own GitHub App installation\n"
            "# token (contents, pull requests and workflows: write; one hour), then merges the shards' reports.\n"
        )
        triggers = (
            "on:\n"
            "  workflow_dispatch:\n"
            "    inputs:\n"
            "      branch:\n"
            "        description: The branch each repository's upgrade is committed and pushed to\n"
            "        type: string\n"
            "        required: true\n"
            f"        default: {_quoted(settings.branch)}\n"
        )
        environment = "    environment: fleet-upgrade  # holds the App's private key; add required reviewers\n"
        permissions = "          permission-contents: write\n          permission-pull-requests: write\n" + (
            "          permission-workflows: write\n"
        )
        token_name, token_step = "GH_TOKEN", "Mint this shard's GitHub App token (write; expires in one hour)"
        run_name, extra = "Upgrade this shard's repositories", " --open-prs"
        step_env = (
            "          GH_TOKEN: ${{ steps.app-token.outputs.token }}  # gh pr create (--open-prs) and git push\n"
            "          SCAFFOLD_FLEET_BRANCH: ${{ inputs.branch }}\n"
            "          GIT_AUTHOR_NAME: ${{ steps.app-token.outputs.app-slug }}[bot]\n"
            "          GIT_AUTHOR_EMAIL: ${{ steps.app-token.outputs.app-slug }}[bot]@users.noreply.github.com\n"
            "          GIT_COMMITTER_NAME: ${{ steps.app-token.outputs.app-slug }}[bot]\n"
            "          GIT_COMMITTER_EMAIL: ${{ steps.app-token.outputs.app-slug }}[bot]@users.noreply.github.com\n"
        )
    else:
        about = (
            f"# Weekly status of every repository in {REPOS_FILE}, in {n} shard(s), each with its own read-only\n"
            "# GitHub App installation token (one hour), then one merged report (fleet.json, fleet.html); the run\n"
            "# fails when the fleet needs attention.\n"
        )
        triggers = f'on:\n  schedule:\n    - cron: "{settings.cron}"\n  workflow_dispatch:\n'
        environment = ""
        permissions = "          permission-contents: read\n"
        token_name, token_step = "FLEET_TOKEN", "Mint this shard's GitHub App token (read-only; expires in one hour)"
        run_name, extra = "Read this shard's repositories", ""
        step_env = "          FLEET_TOKEN: ${{ steps.app-token.outputs.token }}\n"
    credentials = _credentials(
        token_name, "x-access-token", "GITHUB_SERVER_URL", "AUTHORIZATION: basic", keep=settings.upgrade
    )
    shard_script = "set -euo pipefail\n" + credentials + _fleet_command(settings, "${SHARD}", extra)
    pack_env = f"      SCAFFOLD_FLEET_PACK: {_quoted(settings.pack)}\n" if settings.pack else ""
    matrix = "".join(f"          - {k}\n" for k in range(n))
    install = (
        f"      - name: Install scaffold {settings.version}\n"
        "        run: |\n"
        f'          python -m pip install --no-input --only-binary=:all: "{PACKAGE}=={settings.version}"\n'
    )
    python = (
        "      - name: Set up Python\n"
        f"        uses: {setup_python}\n"
        "        with:\n"
        f'          python-version: "{settings.python}"\n'
    )
    return (
        f"# Generated by scaffold {settings.version}: scaffold fleet ci --shards {n} --command {settings.command}.\n"
        f"{about}"
        "# Set up the GitHub App as scaffold's docs/fleet.md says (vars.SCAFFOLD_FLEET_CLIENT_ID,\n"
        "# secrets.SCAFFOLD_FLEET_PRIVATE_KEY).\n"
        f"name: {settings.title}\n"
        "\n"
        f"{triggers}"
        "\n"
        "# No token scopes by default; each job asks for the least it needs.\n"
        "permissions: {}\n"
        "\n"
        "# One fleet run at a time: a new run waits rather than cancelling one half-way.\n"
        "concurrency:\n"
        "  group: ${{ github.workflow }}\n"
        "  cancel-in-progress: false\n"
        "\n"
        "jobs:\n"
        "  shard:\n"
        f"    name: shard ${{{{ matrix.shard }}}} of {n}\n"
        "    runs-on: ubuntu-24.04\n"
        f"    timeout-minutes: {SHARD_TIMEOUT_MINUTES}  # the App token expires after one hour\n"
        f"{environment}"
        "    permissions:\n"
        f"      contents: read  # check out the fleet repository to read {REPOS_FILE}\n"
        "    strategy:\n"
        "      fail-fast: false\n"
        "      matrix:\n"
        "        shard:\n"
        f"{matrix}"
        "    env:\n"
        f'      SHARDS: "{n}"\n'
        f"{pack_env}"
        "    steps:\n"
        "      - name: Check out the fleet repository\n"
        f"        uses: {checkout}\n"
        "        with:\n"
        "          persist-credentials: false\n"
        f"{python}"
        f"{install}"
        "      - name: List this shard's repositories, the only ones its token may reach\n"
        "        id: scope\n"
        "        env:\n"
        "          SHARD: ${{ matrix.shard }}\n"
        "          OWNER: ${{ github.repository_owner }}\n"
        "        run: |\n"
        '          python -m scaffold.fleet.ci token-scope --from repos.txt --shard "${SHARD}/${SHARDS}" \\\n'
        '            --server "$GITHUB_SERVER_URL" --owner "$OWNER" >> "$GITHUB_OUTPUT"\n'
        f"      - name: {token_step}\n"
        "        id: app-token\n"
        "        if: steps.scope.outputs.repositories != ''  # no repositories: no token (never the whole owner)\n"
        f"        uses: {app_token}\n"
        "        with:\n"
        "          client-id: ${{ vars.SCAFFOLD_FLEET_CLIENT_ID }}\n"
        "          private-key: ${{ secrets.SCAFFOLD_FLEET_PRIVATE_KEY }}\n"
        "          owner: ${{ github.repository_owner }}\n"
        "          repositories: ${{ steps.scope.outputs.repositories }}\n"
        f"{permissions}"
        f"      - name: {run_name}\n"
        "        env:\n"
        f"{step_env}"
        "          SHARD: ${{ matrix.shard }}\n"
        "        run: |\n"
        f"{_indented(shard_script, 10)}"
        "      - name: Upload this shard's report\n"
        "        if: ${{ !cancelled() }}\n"
        f"        uses: {upload}\n"
        "        with:\n"
        "          name: fleet-shard-${{ matrix.shard }}\n"
        "          path: shard-${{ matrix.shard }}.json\n"
        "          if-no-files-found: error\n"
        "          retention-days: 30\n"
        "\n"
        "  merge:\n"
        "    name: merge the shards' reports\n"
        "    needs: shard\n"
        "    if: ${{ !cancelled() }}  # merge what the shards left, even when one failed (the merge then fails)\n"
        "    runs-on: ubuntu-24.04\n"
        f"    timeout-minutes: {MERGE_TIMEOUT_MINUTES}\n"
        "    permissions: {}  # artifacts of this run need no token scope\n"
        "    env:\n"
        f'      SHARDS: "{n}"\n'
        "    steps:\n"
        f"{python}"
        f"{install}"
        "      - name: Download the shards' reports\n"
        f"        uses: {download}\n"
        "        with:\n"
        "          pattern: fleet-shard-*\n"
        "          merge-multiple: true\n"
        "      - name: Merge the shards into one report\n"
        "        run: |\n"
        f"{_indented(MERGE_SCRIPT, 10)}"
        "      - name: Upload the fleet report\n"
        "        if: ${{ !cancelled() }}\n"
        f"        uses: {upload}\n"
        "        with:\n"
        f"          name: fleet-{settings.command}-report\n"
        "          path: |\n"
        "            fleet.json\n"
        "            fleet.html\n"
        "          if-no-files-found: warn\n"
        "          retention-days: 90\n"
    )


# GitLab CI --------------------------------------------------------------------------------------------------------


def gitlab_root(version: str) -> str:
    """The fleet repository's ``.gitlab-ci.yml``: the same for every command, it includes each generated one."""
    includes = "".join(
        f"  - local: .gitlab/fleet-{command}.yml\n"
        "    rules:\n"
        "      - exists:\n"
        f"          - .gitlab/fleet-{command}.yml\n"
        for command in COMMANDS
    )
    return (
        f"# Generated by scaffold {version}: scaffold fleet ci. The fleet repository's pipeline: it runs on a\n"
        "# schedule (status; create a weekly pipeline schedule) or from Build > Pipelines > Run pipeline (status,\n"
        "# and upgrade after a manual approval), and includes every .gitlab/fleet-<command>.yml fleet ci wrote.\n"
        "workflow:\n"
        "  rules:\n"
        '    - if: $CI_PIPELINE_SOURCE == "schedule"\n'
        '    - if: $CI_PIPELINE_SOURCE == "web"\n'
        "\n"
        "stages:\n"
        "  - shard\n"
        "  - merge\n"
        "\n"
        "include:\n"
        f"{includes}"
    )


def _gitlab_groups(shards: int) -> list[tuple[str, int, int]]:
    """(job name suffix, first shard, count) per job: GitLab's ``parallel:`` is at most 200."""
    groups = []
    for number, first in enumerate(range(0, shards, GITLAB_PARALLEL), start=1):
        groups.append(("" if number == 1 else f"-{number}", first, min(GITLAB_PARALLEL, shards - first)))
    return groups


def gitlab_pipeline(settings: FleetCi) -> str:
    image = load_pins().image("python").ref
    name = f"fleet-{settings.command}"
    n = settings.shards
    if settings.upgrade:
        token = "SCAFFOLD_FLEET_WRITE_TOKEN"  # noqa: S105 (the variable's name, not a secret)
        about = (
            f"# Upgrades every repository in {REPOS_FILE} on a new branch and pushes it, in {n} shard(s), after a\n"
            "# manual approval of a pipeline run from the web; the token is a group access token with\n"
            "# write_repository, scoped to the fleet-upgrade environment. The merged report prints each merge\n"
            "# request's glab command.\n"
        )
        rule = '    - if: $CI_PIPELINE_SOURCE == "web"\n'
        branch = (
            "# Run pipeline shows this variable, so a run can choose another branch.\n"
            "variables:\n"
            "  SCAFFOLD_FLEET_BRANCH:\n"
            f"    value: {_quoted(settings.branch)}\n"
            "    description: The branch each repository's upgrade is committed and pushed to\n"
            "\n"
        )
        variables = (
            '    GIT_AUTHOR_NAME: "scaffold fleet"\n'
            '    GIT_AUTHOR_EMAIL: "scaffold-fleet@noreply.invalid"\n'
            '    GIT_COMMITTER_NAME: "scaffold fleet"\n'
            '    GIT_COMMITTER_EMAIL: "scaffold-fleet@noreply.invalid"\n'
        )
        approve = (
            f"{name}-approve:\n"
            f"  extends: .{name}\n"
            "  stage: shard\n"
            "  needs: []\n"
            "  rules:\n"
            '    - if: $CI_PIPELINE_SOURCE == "web"\n'
            "      when: manual\n"
            "  allow_failure: false  # the pipeline waits here until someone approves the upgrade\n"
            "  timeout: 5m\n"
            "  interruptible: false\n"
            "  before_script: []\n"
            "  script:\n"
            "    - |\n"
            f'      echo "Approved, upgrading the repositories in {REPOS_FILE} on branch $SCAFFOLD_FLEET_BRANCH"\n'
            "\n"
        )
        shard_needs = f"  needs:\n    - {name}-approve\n"
        environment = "  environment:\n    name: fleet-upgrade\n    action: access\n"
    else:
        token = "SCAFFOLD_FLEET_READ_TOKEN"  # noqa: S105 (the variable's name, not a secret)
        about = (
            f"# Status of every repository in {REPOS_FILE}, in {n} shard(s), each reading with a group access token\n"
            "# that has read_repository only, then one merged report (fleet.json, fleet.html); the pipeline fails\n"
            "# when the fleet needs attention.\n"
        )
        rule = '    - if: $CI_PIPELINE_SOURCE == "schedule" || $CI_PIPELINE_SOURCE == "web"\n'
        branch, variables, approve, shard_needs, environment = "", "", "", "  needs: []\n", ""
    pack = f"    SCAFFOLD_FLEET_PACK: {_quoted(settings.pack)}\n" if settings.pack else ""
    shard_script = (
        "set -euo pipefail\n"
        "shard=$((${CI_NODE_INDEX:-1} - 1 + SHARD_OFFSET))\n"
        "apt-get update -qq\n"
        "apt-get install -qq -y --no-install-recommends git > /dev/null\n"
        + _credentials(token, "scaffold-fleet", "CI_SERVER_URL", "Authorization: Basic")
        + _fleet_command(settings, "${shard}", "")
    )
    jobs = []
    for suffix, first, count in _gitlab_groups(n):
        parallel = f"  parallel: {count}\n" if count > 1 else ""
        jobs.append(
            f"{name}-shard{suffix}:\n"
            f"  extends: .{name}\n"
            "  stage: shard\n"
            f"{shard_needs}"
            "  rules:\n"
            f"{rule}"
            f"{parallel}"
            f"{environment}"
            f"  timeout: {SHARD_TIMEOUT_MINUTES}m\n"
            "  interruptible: false\n"
            "  variables:\n"
            f'    SHARD_OFFSET: "{first}"\n'
            "  script:\n"
            "    - |\n"
            f"{_indented(shard_script, 6)}"
            "  artifacts:\n"
            "    when: always\n"
            "    paths:\n"
            '      - "shard-*.json"\n'
            "    expire_in: 30 days\n"
            "\n"
        )
    merge_needs = "".join(
        f"    - job: {name}-shard{suffix}\n      artifacts: true\n" for suffix, _, _ in _gitlab_groups(n)
    )
    return (
        f"# Generated by scaffold {settings.version}: scaffold fleet ci --shards {n} --command {settings.command}.\n"
        f"{about}"
        f"# Included by .gitlab-ci.yml. Set up the token as scaffold's docs/fleet.md says ({token}).\n"
        f"{branch}"
        f".{name}:\n"
        f"  image: {image}\n"
        "  variables:\n"
        f'    SHARDS: "{n}"\n'
        f'    SCAFFOLD_VERSION: "{settings.version}"\n'
        f"{pack}"
        f"{variables}"
        "  before_script:\n"
        "    - |\n"
        f'      python -m pip install --no-input --only-binary=:all: "{PACKAGE}==$SCAFFOLD_VERSION"\n'
        "\n"
        f"{approve}"
        f"{''.join(jobs)}"
        f"{name}-merge:\n"
        f"  extends: .{name}\n"
        "  stage: merge\n"
        "  needs:\n"
        f"{merge_needs}"
        "  rules:\n"
        f"{rule}"
        "      when: always  # merge what the shards left, even when one failed (the merge then fails)\n"
        f"  timeout: {MERGE_TIMEOUT_MINUTES}m\n"
        "  interruptible: false\n"
        "  script:\n"
        "    - |\n"
        f"{_indented(MERGE_SCRIPT, 6)}"
        "  artifacts:\n"
        "    when: always\n"
        "    paths:\n"
        "      - fleet.json\n"
        "      - fleet.html\n"
        "    expire_in: 90 days\n"
    )


if __name__ == "__main__":
    raise SystemExit(main())
