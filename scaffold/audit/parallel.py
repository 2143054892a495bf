"""The per-file stage of a large audit on several cores: each worker reads, parses and checks a chunk of the files.

Only the file rules run in workers. The tree rules (kit and policy) need every parsed file in one place, so an audit
where one of them may run stays serial (``scaffold.audit.run``). Workers are forked from the audit's process, which
has loaded the rules of the kinds to check first, so each worker starts with them; a chunk's results come back in
chunk order, the findings and errors of each file in the order the serial run gives them, so the report is the same
byte for byte. A worker that dies (killed, out of memory, a crash in an extension) costs no file: each chunk it did
not return is checked again here, serially, as if there had been no pool. Workers ignore Ctrl-C; the audit's own
process stops them.

``SCAFFOLD_JOBS`` sets how many processes check files (1: none, the audit runs serially); by default as many as
there are cores, from ``MIN_FILES`` files on, where forking pays for itself.
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable, Sequence

from scaffold.audit.sources import Source
from scaffold.errors import UsageError
from scaffold.rules.config import AuditConfig
from scaffold.rules.document import Document
from scaffold.rules.model import FileError, Finding
from scaffold.rules.registry import Rule
from scaffold.rules.runner import FileRules, Report, audit_file
from scaffold.untrusted.text import shown

ENVIRONMENT = "SCAFFOLD_JOBS"
MAX_JOBS = 64
MIN_FILES = 64  # below this, forking and collecting results costs about what a second core saves
CHUNKS_PER_JOB = 8  # small chunks even out files of different sizes across the workers

Entry = Source | FileError
Read = Callable[[Entry], Document | FileError]
Result = tuple[int, list[Finding], list[FileError]]

_work: tuple[list[list[Entry]], Read, FileRules] | None = None  # what forked workers inherit


def requested_jobs() -> int | None:
    """``SCAFFOLD_JOBS`` as a number of processes, or None when it is not set (as many as pay off)."""
    value = os.environ.get(ENVIRONMENT)
    if value is None or value == "":
        return None
    if not value.isascii() or not value.isdigit() or not 1 <= int(value) <= MAX_JOBS:
        raise UsageError(f"{ENVIRONMENT}: must be a whole number from 1 to {MAX_JOBS}, not '{shown(value, 40)}'")
    return int(value)


def jobs_for(files: int, requested: int | None) -> int:
    """How many processes check ``files`` files: ``requested`` when given, else one per core from ``MIN_FILES`` on."""
    if not hasattr(os, "fork"):
        return 1
    if requested is not None:
        return max(1, min(requested, files))
    if files < MIN_FILES:
        return 1
    return max(1, min(_cores(), math.ceil(files / MIN_FILES)))


def _cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):  # not on Linux
        return os.cpu_count() or 1


def audit_files(entries: list[Entry], read: Read, config: AuditConfig, rules: Sequence[Rule], jobs: int) -> Report:
    """The file rules over every entry, in ``jobs`` forked processes: the report ``audit_file`` gives serially."""
    import multiprocessing  # here, not above: a serial audit never pays for importing the pool
    from concurrent.futures import ProcessPoolExecutor
    from concurrent.futures.process import BrokenProcessPool

    global _work  # handed to the forked workers, which inherit it
    chunks = _chunks(entries, jobs)
    plan = FileRules(rules, config)
    _preload(entries, plan)
    report = Report()
    _work = (chunks, read, plan)
    pool = ProcessPoolExecutor(jobs, mp_context=multiprocessing.get_context("fork"), initializer=_ignore_interrupts)
    try:
        futures = [pool.submit(_audit_chunk, index) for index in range(len(chunks))]
        for index, future in enumerate(futures):
            try:
                files, findings, errors = future.result()
            except BrokenProcessPool:  # a worker died: its chunks are checked here instead
                files, findings, errors = _audit_chunk(index)
            report.files += files
            report.findings.extend(findings)
            report.errors.extend(errors)
    except BaseException:
        pool.shutdown(wait=False, cancel_futures=True)
        raise
    finally:
        _work = None
    pool.shutdown()
    return report


def _chunks(entries: list[Entry], jobs: int) -> list[list[Entry]]:
    size = max(1, math.ceil(len(entries) / (jobs * CHUNKS_PER_JOB)))
    return [entries[start : start + size] for start in range(0, len(entries), size)]


def _preload(entries: list[Entry], plan: FileRules) -> None:
    """Import the rules of the kinds to check before forking, so that no worker imports them again."""
    for kind in {entry.kind for entry in entries if isinstance(entry, Source)}:
        for rule in plan.of(kind):
            rule.check  # noqa: B018 - reading it loads the rule's module


def _ignore_interrupts() -> None:
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)


def _audit_chunk(index: int) -> Result:
    assert _work is not None  # noqa: S101 - set before any chunk is submitted
    chunks, read, plan = _work
    report = Report()
    for entry in chunks[index]:
        audit_file(read(entry), plan, report)
    return report.files, report.findings, report.errors
