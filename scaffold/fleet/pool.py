"""Run one worker process per repository, at most ``jobs`` at a time, each stopped at its time limit.

Results arrive in the order repositories finish. A worker that crashes, prints nothing usable or runs past its limit
becomes that repository's error; the others go on. Interrupting the pool stops every running worker (its whole
process group) and starts no new one."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor, as_completed

from pydantic import ValidationError

from scaffold.fleet.model import RepoResult
from scaffold.fleet.worker import Job

MAX_RESULT_BYTES = 64 * 1024 * 1024


class Pool:
    def __init__(self, jobs: int) -> None:
        self.jobs = jobs
        self._running: set[subprocess.Popen[bytes]] = set()
        self._lock = threading.Lock()
        self._stopping = threading.Event()

    def run(self, work: Sequence[Job]) -> Iterator[tuple[Job, RepoResult]]:
        """Each job with its result, as they finish."""
        executor = ThreadPoolExecutor(max_workers=self.jobs, thread_name_prefix="fleet")
        futures: dict[Future[RepoResult], Job] = {executor.submit(self._one, job): job for job in work}
        try:
            for future in as_completed(futures):
                yield futures[future], future.result()
        finally:
            self._stopping.set()
            for future in futures:
                future.cancel()
            self.stop()
            executor.shutdown(wait=True, cancel_futures=True)

    def stop(self) -> None:
        """End every running worker and what it started."""
        with self._lock:
            running = list(self._running)
        for process in running:
            _kill_group(process)

    def _one(self, job: Job) -> RepoResult:
        base = RepoResult(target=job.target, name=job.name, state="error")
        if self._stopping.is_set():
            return base.model_copy(update={"error": "not run: the fleet run was interrupted"})
        process = subprocess.Popen(
            [sys.executable, "-m", "scaffold.fleet.worker"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            start_new_session=True,
        )
        with self._lock:
            self._running.add(process)
        try:
            try:
                stdout, stderr = process.communicate(job.model_dump_json().encode(), timeout=job.timeout)
            except subprocess.TimeoutExpired:
                _kill_group(process)
                process.communicate()
                return base.model_copy(
                    update={"error": f"stopped after {job.timeout:g} s (--timeout): the repository took too long"}
                )
        finally:
            with self._lock:
                self._running.discard(process)
        return _parsed(base, process.returncode, stdout, stderr)


def _parsed(base: RepoResult, returncode: int, stdout: bytes, stderr: bytes) -> RepoResult:
    lines = stdout[:MAX_RESULT_BYTES].strip().splitlines()
    if returncode == 0 and lines:
        try:
            result = RepoResult.model_validate_json(lines[-1])
        except ValidationError as error:
            return base.model_copy(update={"error": f"the worker's result is invalid: {_first(str(error))}"})
        if (result.target, result.name) == (base.target, base.name):
            return result
        return base.model_copy(update={"error": "the worker answered for another repository"})
    why = f"signal {-returncode}" if returncode < 0 else f"exit {returncode}"
    detail = _first(stderr.decode("utf-8", "replace"))
    return base.model_copy(update={"error": f"the worker stopped ({why})" + (f": {detail}" if detail else "")})


def _first(text: str) -> str:
    from scaffold.untrusted.text import printable

    lines = [line for line in text.splitlines() if line.strip()]
    return printable(" ".join(lines[-1].split()), 300) if lines else ""


def _kill_group(process: subprocess.Popen[bytes]) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, signal.SIGKILL)
