"""What every side-by-side benchmark shares: the command line, the tools, a clean environment, one hyperfine run of
both sides, and the Markdown row and JSON result.

A row script builds its inputs in a work folder, describes the two commands as ``Side``s and calls ``compare``.
hyperfine runs both in one invocation (``--export-json``, warmup, ``--runs``, a ``--prepare`` per command that
restores a fresh copy when the command writes), and every run's exit code is checked against the ones the side
expects, so a benchmark never times a command that failed.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import shlex
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterator, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Protocol

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
SERVICE_NAME = "orders"
"""The service name of every rendered kit (a word that appears nowhere else in the kit)."""
GIT_IDENTITY = {
    "GIT_AUTHOR_NAME": "Benchmark",
    "GIT_AUTHOR_EMAIL": "benchmark@example.com",
    "GIT_COMMITTER_NAME": "Benchmark",
    "GIT_COMMITTER_EMAIL": "benchmark@example.com",
}
SECRETS = ("GH_TOKEN", "GITHUB_TOKEN", "ZIZMOR_CONFIG", "SCAFFOLD_ONLINE")
UNUSUAL = ("PYTHONDONTWRITEBYTECODE",)
"""Settings a user's shell does not have: without bytecode caches every Python run would compile every module it
imports, which measures the compiler, not the tools."""
SETUP_TIMEOUT_SECONDS = 1800
TIMES = "\N{MULTIPLICATION SIGN}"
HEADER = (
    "| work | peer | scaffold (median) | peer (median) | ratio | target | met |\n|---|---|---:|---:|---:|---:|---|\n"
)


class BenchmarkError(Exception):
    """A check failed: the timings would not mean what the row says (exit 1)."""


class MissingToolError(Exception):
    """A tool the benchmark runs is not installed (exit 2)."""


# Tools and environment ----------------------------------------------------------------------------------------------


def tool(name: str) -> str:
    """A program next to this Python first (the venv's zizmor, cookiecutter, copier), then on PATH."""
    beside = BIN / name
    if beside.is_file() and os.access(beside, os.X_OK):
        return str(beside)
    found = shutil.which(name)
    if found is None:
        raise MissingToolError(f"{name} is not installed (see benchmarks/README.md: what the benchmarks need)")
    return found


def scaffold() -> list[str]:
    """The ``scaffold`` console script of this venv, as a user runs it."""
    script = BIN / "scaffold"
    return [str(script)] if script.is_file() else [sys.executable, "-m", "scaffold"]


def environment(folder: Path) -> dict[str, str]:
    """The environment of every command: no tokens, no user or git configuration, no colour, HOME and the caches
    inside ``folder``, an empty scaffold config, and a git identity for the commits the peers make."""
    home = folder / "home"
    home.mkdir(parents=True, exist_ok=True)
    config = folder / "scaffold-config.yml"
    if not config.exists():
        config.write_text("{}\n", encoding="utf-8")
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in SECRETS
        and key not in UNUSUAL
        and not key.startswith(("GIT_", "SCAFFOLD_", "COPIER_", "COOKIECUTTER_"))
    }
    env.update(GIT_IDENTITY)
    env.update(
        HOME=str(home),
        NO_COLOR="1",
        GIT_CONFIG_GLOBAL=os.devnull,
        GIT_CONFIG_NOSYSTEM="1",
        SCAFFOLD_CONFIG=str(config),
        XDG_CACHE_HOME=str(folder / "cache"),
        XDG_DATA_HOME=str(folder / "data"),
        XDG_CONFIG_HOME=str(folder / "config"),
    )
    return env


def run(command: Sequence[str], env: dict[str, str], cwd: Path | None = None, codes: Sequence[int] = (0,)) -> str:
    """Run a setup command; its standard output, or BenchmarkError when it exits with another code."""
    result = subprocess.run(
        list(command),
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        timeout=SETUP_TIMEOUT_SECONDS,
        check=False,
    )
    if result.returncode not in codes:
        raise BenchmarkError(f"{shlex.join(command)} exited {result.returncode}: {result.stderr.strip()[-1500:]}")
    return result.stdout


def git(repo: Path, env: dict[str, str], *args: str) -> str:
    return run(["git", "-C", str(repo), *args], env).strip()


def commit_all(repo: Path, env: dict[str, str], message: str) -> None:
    git(repo, env, "add", "-A")
    git(repo, env, "commit", "-q", "--no-verify", "-m", message)


def restore(pristine: Path, work: Path) -> list[str]:
    """A ``--prepare`` command: replace ``work`` with a fresh copy of ``pristine`` (cp -a keeps modes and .git)."""
    return ["sh", "-c", 'rm -rf "$1" && cp -a "$0" "$1"', str(pristine), str(work)]


def remove(path: Path) -> list[str]:
    """A ``--prepare`` command: ``path`` must not exist when the command starts."""
    return ["rm", "-rf", str(path)]


# Command line -------------------------------------------------------------------------------------------------------


def parser(doc: str | None) -> argparse.ArgumentParser:
    """The options every benchmark script takes (its description: the first paragraph of ``doc``, the script's
    docstring); a script adds its own size options."""
    found = argparse.ArgumentParser(description=" ".join((doc or "").split("\n\n")[0].split()))
    found.add_argument("--small", action="store_true", help="a small input and 2 runs: checks the script in seconds")
    found.add_argument("--runs", type=int, default=None, help="timed runs of each command")
    found.add_argument("--warmup", type=int, default=None, help="untimed runs of each command first")
    found.add_argument("--out", type=Path, default=None, help="write the result as JSON to this file")
    found.add_argument("--workdir", type=Path, default=None, help="build the inputs here (kept); default a temp dir")
    return found


def runs_and_warmup(options: argparse.Namespace, runs: int, warmup: int, small_runs: int = 2) -> tuple[int, int]:
    """The script's defaults, ``small_runs`` runs and no warmup with --small, or what the options say."""
    if options.small:
        runs, warmup = small_runs, 0
    return (options.runs if options.runs is not None else runs), (
        options.warmup if options.warmup is not None else warmup
    )


@contextlib.contextmanager
def workdir(given: Path | None) -> Iterator[Path]:
    """``given`` (created, must be empty, kept afterwards) or a temporary folder removed afterwards."""
    if given is not None:
        given.mkdir(parents=True, exist_ok=True)
        if any(given.iterdir()):
            raise BenchmarkError(f"--workdir {given} is not empty")
        yield given.resolve()
        return
    with tempfile.TemporaryDirectory(prefix="scaffold-bench-") as folder:
        yield Path(folder)


class Report(Protocol):
    """What a benchmark script prints and writes: the checks it made, its Markdown and its JSON."""

    @property
    def checks(self) -> list[str]: ...

    @property
    def markdown(self) -> str: ...

    def as_json(self) -> dict[str, Any]: ...


def main(measure: Callable[[argparse.Namespace, Path], Report], options: argparse.Namespace) -> int:
    """Run ``measure(options, folder)``, print its checks and Markdown, write its JSON; the exit code."""
    try:
        with workdir(options.workdir) as folder:
            result = measure(options, folder)
    except MissingToolError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    except BenchmarkError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    for check in result.checks:
        print(f"check: {check}")
    print(result.markdown, end="")
    if options.out is not None:
        options.out.parent.mkdir(parents=True, exist_ok=True)
        options.out.write_text(json.dumps(result.as_json(), indent=2) + "\n", encoding="utf-8")
    return 0


# Measuring ----------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Side:
    """One command of a benchmark."""

    label: str
    command: list[str]
    prepare: list[str] | None = None
    exit_codes: tuple[int, ...] = (0,)
    cwd: Path | None = None


@dataclass(frozen=True)
class Timing:
    label: str
    command: str
    median: float
    mean: float
    stddev: float
    runs: int


def hyperfine(sides: Sequence[Side], env: dict[str, str], runs: int, warmup: int, folder: Path) -> list[Timing]:
    """Time ``sides`` in one hyperfine invocation, without a shell (-N); every exit code must be an expected one."""
    export = folder / "hyperfine.json"
    command = [tool("hyperfine"), "-N", "--style", "basic", "--export-json", str(export)]
    command += ["--runs", str(runs), "--warmup", str(warmup), "--ignore-failure"]
    if any(side.prepare for side in sides):
        for side in sides:
            command += ["--prepare", shlex.join(side.prepare or ["true"])]
    for side in sides:
        command += ["--command-name", side.label]
    cwd = {side.cwd for side in sides}
    if len(cwd) > 1:
        raise ValueError("the sides of one hyperfine run share their working folder")
    command += [shlex.join(side.command) for side in sides]
    done = subprocess.run(
        command, env=env, cwd=cwd.pop(), stdin=subprocess.DEVNULL, stdout=sys.stderr, stderr=sys.stderr, check=False
    )
    if done.returncode != 0:
        raise BenchmarkError(f"hyperfine exited {done.returncode}")
    results = json.loads(export.read_text(encoding="utf-8"))["results"]
    export.unlink()
    timings = []
    for side, result in zip(sides, results, strict=True):
        wrong = sorted({code for code in result["exit_codes"] if code not in side.exit_codes})
        if wrong:
            raise BenchmarkError(f"{side.label} exited {wrong} (expected {list(side.exit_codes)}): {result['command']}")
        timings.append(
            Timing(
                side.label,
                shlex.join(side.command),
                float(result["median"]),
                float(result["mean"]),
                float(result["stddev"] or 0.0),
                len(result["times"]),
            )
        )
    return timings


@dataclass
class Result:
    """One row of the main table, and what was checked on the way."""

    key: str
    work: str
    peer: str
    target: float
    scaffold: Timing
    peer_timing: Timing
    checks: list[str] = field(default_factory=list)
    details: dict[str, Any] = field(default_factory=dict)

    @property
    def ratio(self) -> float:
        return self.scaffold.median / self.peer_timing.median

    @property
    def met(self) -> bool:
        return self.ratio <= self.target

    @property
    def markdown(self) -> str:
        return HEADER + row(self.work, self.peer, self.scaffold.median, self.peer_timing.median, self.target)

    def as_json(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "work": self.work,
            "peer": self.peer,
            "scaffold_median": self.scaffold.median,
            "peer_median": self.peer_timing.median,
            "ratio": self.ratio,
            "target": self.target,
            "met": self.met,
            "row": row(self.work, self.peer, self.scaffold.median, self.peer_timing.median, self.target),
            "timings": [asdict(self.scaffold), asdict(self.peer_timing)],
            "checks": self.checks,
            "details": self.details,
        }


def compare(
    key: str,
    work: str,
    target: float,
    sides: tuple[Side, Side],
    env: dict[str, str],
    options: argparse.Namespace,
    folder: Path,
    defaults: tuple[int, int] = (10, 1),
) -> Result:
    """Time scaffold (the first side) against its peer (the second) pairwise."""
    runs, warmup = runs_and_warmup(options, *defaults)
    ours, theirs = hyperfine(sides, env, runs, warmup, folder)
    return Result(key, work, sides[1].label, target, ours, theirs)


# Formatting ---------------------------------------------------------------------------------------------------------


def seconds(value: float) -> str:
    """``12.3 ms`` below a second, ``6.51 s`` above."""
    return f"{value * 1000:.1f} ms" if value < 1 else f"{value:.2f} s"


def row(work: str, peer: str, ours: float, theirs: float, target: float) -> str:
    ratio = ours / theirs
    met = "yes" if ratio <= target else "no"
    cells = [work, peer, seconds(ours), seconds(theirs), f"{ratio:.2f}{TIMES}", f"≤ {target:.1f}{TIMES}", met]
    return "| " + " | ".join(cells) + " |\n"


def count(n: int) -> str:
    """1,000 rather than 1000."""
    return f"{n:,}"


# The machine --------------------------------------------------------------------------------------------------------


def machine() -> dict[str, str]:
    """What the README's machine section lists: cores, CPU, memory, system, Python and the tools' versions."""
    model = "unknown"
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text(encoding="utf-8").splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    memory = "unknown"
    with contextlib.suppress(OSError, ValueError, IndexError):
        kib = int(Path("/proc/meminfo").read_text(encoding="utf-8").splitlines()[0].split()[1])
        memory = f"{kib / 1024 / 1024:.1f} GiB"
    system = platform.platform()
    with contextlib.suppress(OSError):
        for line in Path("/etc/os-release").read_text(encoding="utf-8").splitlines():
            if line.startswith("PRETTY_NAME="):
                system = line.split("=", 1)[1].strip('"')
    found = {"cores": str(os.cpu_count()), "cpu": model, "memory": memory, "system": system}
    found["python"] = platform.python_version()
    for name, flag in (("hyperfine", "--version"), ("zizmor", "--version"), ("cookiecutter", "--version")):
        found[name] = _version(name, flag)
    found["copier"] = _version("copier", "--version")
    found["git"] = _version("git", "--version")
    return found


def _version(name: str, flag: str) -> str:
    try:
        done = subprocess.run([tool(name), flag], capture_output=True, text=True, timeout=60, check=False)
    except (MissingToolError, OSError, subprocess.TimeoutExpired):
        return "not installed"
    words = done.stdout.split()
    return next((word for word in words if word[:1].isdigit()), done.stdout.strip()[:40] or "unknown")
