"""One repository's fleet job, in its own process: ``python -m scaffold.fleet.worker`` reads the job as JSON on
standard input and prints one ``RepoResult`` as JSON on standard output.

A process per repository is the isolation: a repository that makes scaffold hang, use too much memory or crash takes
down only its worker, which the pool stops at the time limit. The worker is its own process group; a watchdog ends
the group (the worker and the git it started) a little after the time limit even when the pool is gone. Anything
else a library prints while the job runs goes to standard error, so the result is the only thing on standard
output."""

from __future__ import annotations

import fcntl
import json
import os
import signal
import sys
import threading
import time
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from scaffold.fleet.model import RepoResult

GRACE_SECONDS = 5.0


class Job(BaseModel):
    """What the pool asks of a worker; built by the pool, so only its shape is checked."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    command: str = Field(pattern=r"^(status|upgrade)$")
    target: str
    remote: bool
    key: str = Field(pattern=r"^[0-9a-f]{20}$")
    name: str
    cache: str
    timeout: float = Field(gt=0)
    pack: str | None = None
    trust: bool = False
    require_signed: bool | None = None
    allowed_signers: str | None = None
    branch: str | None = None
    run: int = 0
    settings: list[str] = Field(default_factory=list)
    answers_file: str | None = None
    push: bool = False
    open_prs: bool = False
    command_line: str = ""


def main() -> int:
    result_stream = os.fdopen(os.dup(1), "w", encoding="utf-8")
    os.dup2(2, 1)  # whatever a library prints goes to standard error
    job = Job.model_validate_json(sys.stdin.buffer.read(1024 * 1024))
    _watchdog(job.timeout + GRACE_SECONDS)
    from scaffold.packs.pack_git import keep_in_process_group

    keep_in_process_group()
    started = time.monotonic()
    base = RepoResult(target=job.target, name=job.name, state="error")
    try:
        result = _run(job, base)
    except BaseException as error:
        from scaffold.fleet.status import one_line

        result = base.model_copy(update={"error": f"internal error: {type(error).__name__}: {one_line(error)}"})
    result = result.model_copy(update={"seconds": round(time.monotonic() - started, 3)})
    result_stream.write(result.model_dump_json() + "\n")
    result_stream.flush()
    return 0


def _run(job: Job, base: RepoResult) -> RepoResult:
    from scaffold.errors import ScaffoldError
    from scaffold.fleet.status import PackOptions, one_line

    cache = Path(job.cache)
    options = PackOptions(
        job.pack,
        trust=job.trust,
        require_signed=job.require_signed,
        allowed_signers=Path(job.allowed_signers) if job.allowed_signers else None,
    )
    with _locked(cache / "locks" / f"{job.key}.lock"):  # the clone too is this repository's: one run at a time
        try:
            folder = _folder(job, cache)
        except (ScaffoldError, OSError) as error:
            return base.model_copy(update={"error": one_line(error)})
        base = base.model_copy(update={"path": str(folder)})
        if job.command == "status":
            from scaffold.fleet.status import repository_status

            return repository_status(folder, base, options)
        from scaffold.fleet.campaign import UpgradeOptions, upgrade_repository

        upgrade = UpgradeOptions(
            branch=job.branch or "",
            run=job.run,
            work=cache / "work",
            pack=options,
            settings=tuple(job.settings),
            answers_file=Path(job.answers_file) if job.answers_file else None,
            push=job.push,
            open_prs=job.open_prs,
            command=job.command_line,
        )
        return upgrade_repository(folder, base, upgrade, job.key)


def _folder(job: Job, cache: Path) -> Path:
    from scaffold.errors import UsageError
    from scaffold.untrusted.text import printable

    if job.remote:
        from scaffold.fleet.clones import local_copy
        from scaffold.fleet.targets import Target

        return local_copy(Target(job.target, remote=True), cache)
    folder = Path(job.target)
    if not folder.is_dir():
        raise UsageError(f"{printable(job.target, 200)}: no such folder")
    return folder


class _locked:  # noqa: N801 (a context manager used like a function)
    """An exclusive lock on one repository across fleet runs (a worker orphaned by a killed run may still hold it)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.descriptor = -1

    def __enter__(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.descriptor = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW, 0o600)
        fcntl.flock(self.descriptor, fcntl.LOCK_EX)

    def __exit__(self, *exc: Any) -> None:
        os.close(self.descriptor)


def _watchdog(seconds: float) -> None:
    """End this process group once ``seconds`` have passed, whoever is (or is no longer) waiting for it."""

    if os.getpgrp() != os.getpid():
        os.setpgid(0, 0)  # the group the watchdog ends must be this worker's own, never its caller's

    def stop() -> None:
        time.sleep(seconds)
        os.killpg(os.getpgrp(), signal.SIGKILL)

    threading.Thread(target=stop, daemon=True).start()


if __name__ == "__main__":
    try:
        sys.exit(main())
    except Exception as error:
        sys.stderr.write(f"scaffold fleet worker: {json.dumps(str(error))[:500]}\n")
        sys.exit(2)
