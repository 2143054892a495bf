"""A fleet run from start to report: the targets, the pool of workers, the history, resumption."""

from __future__ import annotations

import os
import re
import subprocess
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from scaffold import __version__
from scaffold.errors import UsageError
from scaffold.fleet import report
from scaffold.fleet.history import History, Run
from scaffold.fleet.model import RepoResult, Report
from scaffold.fleet.pool import Pool
from scaffold.fleet.targets import Target, check_spec, parse_shard, shard
from scaffold.fleet.worker import Job
from scaffold.untrusted.git import environment, git_executable
from scaffold.untrusted.text import printable

MAX_JOBS = 64
MAX_TIMEOUT = 24 * 3600
_SETTING = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*=")

Progress = Callable[[int, int, RepoResult], None]


class FleetOptions(BaseModel):
    """What a run does to each repository; stored with the run, so ``--resume`` does exactly the same."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    command: str = Field(pattern=r"^(status|upgrade)$")
    timeout: float = Field(gt=0, le=MAX_TIMEOUT)
    pack: str | None = None
    trust: bool = False
    require_signed: bool | None = None
    allowed_signers: str | None = None
    branch: str | None = None
    settings: list[str] = Field(default_factory=list)
    answers_file: str | None = None
    push: bool = False
    open_prs: bool = False
    shard: str | None = None
    command_line: str = ""


def check_options(options: FleetOptions) -> None:
    """Bad options are refused once, before any repository is touched, not once per repository."""
    if options.shard is not None:
        parse_shard(options.shard)
    if options.command == "upgrade":
        if not options.branch:
            raise UsageError("fleet upgrade: --branch NAME is required (the branch each upgrade is committed on)")
        check_branch(options.branch)
        if options.open_prs and not options.push:
            raise UsageError("--open-prs: needs --push (a pull request is opened for a pushed branch)")
    if options.trust and options.pack is None:
        raise UsageError(
            "--trust: needs --pack; a fleet trusts only the pack you name, never one a repository's record names"
        )
    for setting in options.settings:
        if not _SETTING.match(setting):
            raise UsageError(f"--set {printable(setting, 100)}: must be KEY=VALUE")
    if options.answers_file is not None and not Path(options.answers_file).is_file():
        raise UsageError(f"--answers {printable(options.answers_file, 200)}: no such file")


def check_branch(name: str) -> None:
    """A plain branch name: what git accepts, outside any repository (where ``@{-1}`` would name another branch),
    and exactly as written (``@`` is HEAD to git)."""
    with tempfile.TemporaryDirectory() as neutral:
        done = subprocess.run(
            [git_executable(), "check-ref-format", "--branch", name],
            capture_output=True,
            check=False,
            timeout=30,
            stdin=subprocess.DEVNULL,
            cwd=neutral,
            env={**environment(), "GIT_CEILING_DIRECTORIES": neutral, "GIT_DIR": os.devnull},
        )
    plain = done.returncode == 0 and done.stdout.decode("utf-8", "replace").strip() == name
    if not plain or name.startswith("-") or name == "@" or "@{" in name or len(name) > 200:
        raise UsageError(f"--branch {printable(name, 100)}: is not a plain git branch name")


def run_fleet(
    options: FleetOptions,
    targets: Sequence[Target],
    *,
    history: History,
    cache: Path,
    jobs: int,
    resume: bool = False,
    progress: Progress | None = None,
) -> Report:
    """Run ``options.command`` over ``targets`` (or, with ``resume``, finish the newest interrupted run of that
    command with its own targets and options) and return the report."""
    if resume:
        run = history.interrupted(options.command)
        options, targets = _stored(run)
    else:
        check_options(options)
        if options.shard is not None:
            targets = shard(targets, *parse_shard(options.shard))
        if not targets:
            raise UsageError(f"fleet {options.command}: no repositories to run (name them, or --from FILE)")
        run = history.start(options.command, options.model_dump(), [_stored_target(t) for t in targets], __version__)
    results = history.results(run)
    todo = [target for target in targets if target.spec not in results]
    total, finished = len(targets), len(targets) - len(todo)
    for job, result in Pool(jobs).run([_job(options, target, run, cache) for target in todo]):
        history.record(run, job.target, result)
        results[job.target] = result
        finished += 1
        if progress is not None:
            progress(finished, total, result)
    summary = report.summarise(options.command, results.values())
    generated = history.finish(run, summary)
    return report.build(
        options.command,
        results.values(),
        generated=generated,
        history=history.points(options.command, run.id),
        shard=options.shard,
    )


def _job(options: FleetOptions, target: Target, run: Run, cache: Path) -> Job:
    return Job(
        command=options.command,
        target=target.spec,
        remote=target.remote,
        key=target.key,
        name=target.name,
        cache=str(cache),
        timeout=options.timeout,
        pack=options.pack,
        trust=options.trust,
        require_signed=options.require_signed,
        allowed_signers=options.allowed_signers,
        branch=options.branch,
        run=run.id,
        settings=options.settings,
        answers_file=options.answers_file,
        push=options.push,
        open_prs=options.open_prs,
        command_line=options.command_line,
    )


def _stored_target(target: Target) -> dict[str, object]:
    return {"spec": target.spec, "remote": target.remote}


def _stored(run: Run) -> tuple[FleetOptions, list[Target]]:
    try:
        options = FleetOptions.model_validate(run.options)
        targets = [Target(str(item["spec"]), remote=bool(item["remote"])) for item in run.targets]
        for target in targets:
            check_spec(target.spec, typed=False)  # the database is a file like any other: checked again
        check_options(options)
    except UsageError as error:
        raise UsageError(f"--resume: run {run.id} as stored: {error}") from None
    except (ValidationError, KeyError, TypeError) as error:
        raise UsageError(
            f"--resume: run {run.id}'s stored options are unreadable ({str(error).splitlines()[0]})"
        ) from None
    return options, targets
