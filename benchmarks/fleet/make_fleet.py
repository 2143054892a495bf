"""Build a fleet for the fleet benchmark: a team pack with two release tags and N local git repositories of known
kinds, each with the status and upgrade outcome scaffold must report for it.

    python benchmarks/fleet/make_fleet.py N DIR [--seed S]

DIR receives:

- ``pack/``: a team pack written by ``scaffold pack init``, a git repository tagged ``v1.0.0`` and ``v1.1.0``
  (v1.1.0 rewrites the runbook line of the pack's ``docs/SERVICE.md`` template and adds ``docs/ONCALL.md``; the
  version in every generated header moves too);
- ``repos/<number>-<kind>/``: the repositories, each a real git repository;
- ``expected.json``: ``{repository path: {"status", "upgrade", "kind", "customised", "weaker"}}``;
- ``repos.txt``: one repository path per line (for ``scaffold fleet ... --from``);
- ``fleet.json``: what the runner needs (pack URL, the tags, the marker folder, the branch name);
- ``markers/``: stays empty unless a hostile repository made git run one of its programs;
- ``scaffold-config.yml``: an empty scaffold config, so the user's own config plays no part.

Each kit is rendered by the real ``scaffold new`` once per pack version; every repository is a copy of one of those
(``cp -a``) with its kind's edit committed on top. The mix is deterministic for a given N and seed, and every kind
appears at least once when N is at least the number of kinds.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import stat
import subprocess
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

OLD = "v1.0.0"
NEW = "v1.1.0"
BRANCH = "scaffold/kit-v1.1.0"
PACK = "acme"
SERVICE_NAME = "service"
RUNBOOK_OLD = "How to deploy, roll back and page the owners."
RUNBOOK_NEW = "Deploy with deploy/deploy.sh, roll back by deploying the previous digest; ONCALL.md says whom to page."
ONCALL_TEMPLATE = """\
# On call for [[ answers.name | md ]]

The [[ answers.team | md ]] team carries the pager. Escalate to the platform team after 30 minutes.
"""
DEPLOY_PLACEHOLDER = (
    'echo "deploy ${target} to ${environment}: no deployment is configured yet; edit deploy/deploy.sh" >&2\nexit 1\n'
)
DEPLOY_CUSTOM = 'helm upgrade --install service ./chart --namespace "${environment}" --set image="${target}" --wait\n'
HUGE_BYTES = 6_000_000
"""Above the 5 MB scaffold reads of a record."""

GIT_ENV = {
    "GIT_AUTHOR_NAME": "Fleet Benchmark",
    "GIT_AUTHOR_EMAIL": "fleet@example.com",
    "GIT_COMMITTER_NAME": "Fleet Benchmark",
    "GIT_COMMITTER_EMAIL": "fleet@example.com",
    "GIT_CONFIG_GLOBAL": os.devnull,
    "GIT_CONFIG_NOSYSTEM": "1",
}
HOSTILE_PROGRAMS = ("fsmonitor", "filter-clean", "filter-smudge", "textconv", "hook")


@dataclass(frozen=True)
class Kind:
    """A kind of repository: the kit version it starts from, and what scaffold must report for it."""

    name: str
    weight: int
    status: str
    upgrade: str
    start: str = OLD
    customised: tuple[str, ...] = ()
    weaker: bool = False


KINDS = (
    Kind("behind", 30, "behind", "upgraded"),
    Kind("current", 18, "current", "current", start=NEW),
    Kind("customised", 14, "behind", "upgraded", customised=("deploy/deploy.sh",)),
    Kind("conflicting", 7, "behind", "conflicts"),
    Kind("weakened-permissions", 4, "behind", "blocked", weaker=True),
    Kind("weakened-unpinned", 3, "behind", "blocked", weaker=True),
    Kind("drift", 3, "drift", "blocked", start=NEW, weaker=True),
    Kind("broken-yaml", 3, "error", "error"),
    Kind("broken-field", 3, "error", "error"),
    Kind("not-scaffold", 6, "not-scaffold", "error"),
    Kind("hostile-git", 3, "behind", "upgraded"),
    Kind("hostile-symlink", 1, "error", "error"),
    Kind("hostile-fifo", 1, "error", "error"),
    Kind("hostile-huge", 1, "error", "error"),
    Kind("hostile-bomb", 1, "error", "error"),
)
KIND_BY_NAME = {kind.name: kind for kind in KINDS}


@dataclass(frozen=True)
class Expected:
    status: str
    upgrade: str
    kind: str
    customised: tuple[str, ...] = ()
    weaker: bool = False

    def as_json(self) -> dict[str, object]:
        return {
            "status": self.status,
            "upgrade": self.upgrade,
            "kind": self.kind,
            "customised": list(self.customised),
            "weaker": self.weaker,
        }


@dataclass(frozen=True)
class Fleet:
    """A built fleet: where everything is, and what each repository must be reported as."""

    folder: Path
    pack: Path
    repos: tuple[Path, ...]
    expected: dict[str, Expected] = field(default_factory=dict)

    @property
    def pack_url(self) -> str:
        return self.pack.resolve().as_uri()

    def pack_at(self, tag: str) -> str:
        return f"{self.pack_url}@{tag}"

    @property
    def markers(self) -> Path:
        return self.folder / "markers"

    @property
    def repos_file(self) -> Path:
        return self.folder / "repos.txt"

    @property
    def config(self) -> Path:
        return self.folder / "scaffold-config.yml"


def build_fleet(n: int, folder: Path, seed: int = 0, *, kinds: Sequence[str] | None = None) -> Fleet:
    """Create the pack, ``n`` repositories and the expectations under ``folder`` (which must be empty or absent).
    ``kinds`` limits the mix to those kinds (names from ``KINDS``)."""
    if n < 1:
        raise ValueError("a fleet has at least one repository")
    unknown = [name for name in kinds or () if name not in KIND_BY_NAME]
    if unknown:
        raise ValueError(f"unknown kind {unknown[0]!r}; the kinds are {', '.join(KIND_BY_NAME)}")
    folder = folder.resolve()
    folder.mkdir(parents=True, exist_ok=True)
    if any(folder.iterdir()):
        raise ValueError(f"{folder} is not empty")
    (folder / "markers").mkdir()
    config = folder / "scaffold-config.yml"
    config.write_text("{}\n", encoding="utf-8")
    env = scaffold_environment(config)
    pack = _make_pack(folder / "pack", env)
    templates = folder / "templates"
    bases = {tag: _render_base(templates / tag, pack.resolve().as_uri(), tag, env) for tag in (OLD, NEW)}
    programs = _hostile_programs(folder / "hostile", folder / "markers")
    chosen = choose_kinds(n, seed, tuple(KIND_BY_NAME[name] for name in kinds) if kinds else KINDS)
    repos: list[Path] = []
    expected: dict[str, Expected] = {}
    for number, kind in enumerate(chosen, start=1):
        repo = folder / "repos" / f"{number:04d}-{kind.name}"
        _make_repository(repo, kind, bases[kind.start], programs, number)
        repos.append(repo)
        expected[str(repo)] = Expected(kind.status, kind.upgrade, kind.name, kind.customised, kind.weaker)
    shutil.rmtree(templates)
    fleet = Fleet(folder, pack, tuple(repos), expected)
    _write_manifests(fleet)
    return fleet


def choose_kinds(n: int, seed: int, kinds: Sequence[Kind] = KINDS) -> list[Kind]:
    """Every kind once (as far as ``n`` allows), the rest drawn by weight; shuffled, all from ``seed``."""
    chooser = random.Random(seed)  # noqa: S311 (a reproducible mix, not a secret)
    chosen = list(kinds[:n])
    rest = max(0, n - len(kinds))
    chosen += chooser.choices(kinds, weights=[kind.weight for kind in kinds], k=rest)
    chooser.shuffle(chosen)
    return chosen


def scaffold_environment(config: Path) -> dict[str, str]:
    """The environment for scaffold and git runs: an empty scaffold config and no user git configuration."""
    return {**os.environ, **GIT_ENV, "SCAFFOLD_CONFIG": str(config)}


def scaffold_command() -> list[str]:
    return [sys.executable, "-m", "scaffold"]


def _run(command: list[str], env: dict[str, str], cwd: Path | None = None) -> str:
    result = subprocess.run(
        command, cwd=cwd, env=env, capture_output=True, text=True, stdin=subprocess.DEVNULL, timeout=600, check=False
    )
    if result.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} failed ({result.returncode}): {result.stderr.strip()[-2000:]}")
    return result.stdout


def _git(repo: Path, *args: str, env: dict[str, str] | None = None) -> str:
    """Our own git, in a repository this generator made before any hostile configuration was added to it."""
    return _run(["git", "-C", str(repo), *args], env or {**os.environ, **GIT_ENV}).strip()


# The pack -----------------------------------------------------------------------------------------------------------


def _make_pack(pack: Path, env: dict[str, str]) -> Path:
    """``scaffold pack init``, released as v1.0.0; then the runbook line changed and a file added, as v1.1.0."""
    _run([*scaffold_command(), "pack", "init", str(pack), "--name", PACK], env)
    manifest = pack / "pack.yml"
    text = manifest.read_text(encoding="utf-8")
    manifest.write_text(text.replace("version: 0.1.0", "version: 1.0.0"), encoding="utf-8")
    _git(pack, "init", "--quiet", "--initial-branch=main")
    _commit_all(pack, "acme pack 1.0.0")
    _git(pack, "tag", "-a", OLD, "-m", f"release {OLD}")

    text = manifest.read_text(encoding="utf-8").replace("version: 1.0.0", "version: 1.1.0")
    files_entry = "  - template: templates/SERVICE.md.j2\n    path: docs/SERVICE.md\n"
    if files_entry not in text:
        raise RuntimeError("pack init wrote a pack.yml this generator does not know; update make_fleet.py")
    text = text.replace(files_entry, files_entry + "  - template: templates/ONCALL.md.j2\n    path: docs/ONCALL.md\n")
    manifest.write_text(text, encoding="utf-8")
    service = pack / "templates" / "SERVICE.md.j2"
    service_text = service.read_text(encoding="utf-8")
    if RUNBOOK_OLD not in service_text:
        raise RuntimeError("pack init wrote a SERVICE.md template this generator does not know")
    service.write_text(service_text.replace(RUNBOOK_OLD, RUNBOOK_NEW), encoding="utf-8")
    (pack / "templates" / "ONCALL.md.j2").write_text(ONCALL_TEMPLATE, encoding="utf-8")
    _commit_all(pack, "acme pack 1.1.0: runbook line, on-call page")
    _git(pack, "tag", "-a", NEW, "-m", f"release {NEW}")
    return pack


def _render_base(base: Path, pack_url: str, tag: str, env: dict[str, str]) -> Path:
    """A repository holding the kit of the pack at ``tag``, rendered by ``scaffold new`` and committed."""
    command = [*scaffold_command(), "new", "--pack", f"{pack_url}@{tag}", "--defaults", "-o", str(base)]
    _run([*command, "--set", f"name={SERVICE_NAME}"], env)
    _git(base, "init", "--quiet", "--initial-branch=main")
    _commit_all(base, f"scaffold kit from {PACK} {tag}")
    return base


def _commit_all(repo: Path, message: str) -> None:
    _git(repo, "add", "-A")
    _git(repo, "commit", "--quiet", "--no-verify", "-m", message)


# Repositories -------------------------------------------------------------------------------------------------------


def _make_repository(repo: Path, kind: Kind, base: Path, programs: dict[str, Path], number: int) -> None:
    repo.parent.mkdir(parents=True, exist_ok=True)
    if kind.name == "not-scaffold":
        repo.mkdir()
        _git(repo, "init", "--quiet", "--initial-branch=main")
        workflow = repo / ".github" / "workflows" / "build.yml"
        workflow.parent.mkdir(parents=True)
        workflow.write_text(_PLAIN_WORKFLOW, encoding="utf-8")
    else:
        _run(["cp", "-a", str(base), str(repo)], {**os.environ})
    (repo / "README.md").write_text(f"# Service {number}\n\nThe {kind.name} repository of the fleet.\n", "utf-8")
    (repo / "app").mkdir(exist_ok=True)
    (repo / "app" / "main.py").write_text(f'print("service {number}")\n', encoding="utf-8")
    EDITS.get(kind.name, _no_edit)(repo)
    _commit_all(repo, f"service {number}: {kind.name}")
    AFTER_COMMIT.get(kind.name, _no_edit_programs)(repo, programs)


_PLAIN_WORKFLOW = """\
name: build
on: [push]
jobs:
  build:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - run: make test
"""


def _replace(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    if old not in text:
        raise RuntimeError(f"{path}: the kit changed; {old[:60]!r} is not in it any more")
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def _no_edit(_repo: Path) -> None:
    return None


def _no_edit_programs(_repo: Path, _programs: dict[str, Path]) -> None:
    return None


def _customise(repo: Path) -> None:
    _replace(repo / "deploy" / "deploy.sh", DEPLOY_PLACEHOLDER, DEPLOY_CUSTOM)


def _conflict(repo: Path) -> None:
    _replace(repo / "docs" / "SERVICE.md", RUNBOOK_OLD, "Deploys go out on the Tuesday train; page #payments-oncall.")


def _write_all(repo: Path) -> None:
    _replace(repo / ".github" / "workflows" / "ci.yml", "\npermissions: {}\n", "\npermissions: write-all\n")


def _unpin(repo: Path) -> None:
    workflow = repo / ".github" / "workflows" / "ci.yml"
    lines = workflow.read_text(encoding="utf-8").splitlines(keepends=True)
    for index, line in enumerate(lines):
        if "uses: actions/checkout@" in line:
            lines[index] = line.split("@", 1)[0] + "@main\n"
            break
    else:
        raise RuntimeError(f"{workflow}: no checkout step to unpin")
    workflow.write_text("".join(lines), encoding="utf-8")


def _broken_yaml(repo: Path) -> None:
    record = repo / ".scaffold.yml"
    record.write_text(record.read_text(encoding="utf-8") + "answers: [unclosed, {\n", encoding="utf-8")


def _broken_field(repo: Path) -> None:
    _replace(repo / ".scaffold.yml", "\n  port: 8080\n", "\n  port: 80\n")


def _symlink(repo: Path) -> None:
    record = repo / ".scaffold.yml"
    record.unlink()
    record.symlink_to("/etc/passwd")


def _huge(repo: Path) -> None:
    record = repo / ".scaffold.yml"
    padding = ("# " + "x" * 98 + "\n") * (HUGE_BYTES // 100 + 1)
    record.write_text(record.read_text(encoding="utf-8") + padding, encoding="utf-8")


def _bomb(repo: Path) -> None:
    lines = ["a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
    lines += [f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 9) + "]" for i in range(1, 10)]
    (repo / ".scaffold.yml").write_text("\n".join(lines) + "\n", encoding="utf-8")


def _attributes(repo: Path) -> None:
    (repo / ".gitattributes").write_text("* filter=fleetbench diff=fleetbench\n", encoding="utf-8")


EDITS: dict[str, Callable[[Path], None]] = {
    "customised": _customise,
    "conflicting": _conflict,
    "weakened-permissions": _write_all,
    "weakened-unpinned": _unpin,
    "drift": _write_all,
    "broken-yaml": _broken_yaml,
    "broken-field": _broken_field,
    "hostile-symlink": _symlink,
    "hostile-huge": _huge,
    "hostile-bomb": _bomb,
    "hostile-git": _attributes,
}


def _fifo(repo: Path, _programs: dict[str, Path]) -> None:
    """A FIFO in place of the committed record: the checkout is dirty, and a reader that opens it blocks."""
    record = repo / ".scaffold.yml"
    record.unlink()
    os.mkfifo(record)


def _arm_git(repo: Path, programs: dict[str, Path]) -> None:
    """A git configuration and hooks that run a program (which writes a marker) whenever git would start one."""
    config = repo / ".git" / "config"
    with config.open("a", encoding="utf-8") as handle:
        handle.write(
            f"[core]\n\tfsmonitor = {programs['fsmonitor']}\n"
            f'[filter "fleetbench"]\n\tclean = {programs["filter-clean"]}\n\tsmudge = {programs["filter-smudge"]}\n'
            f'[diff "fleetbench"]\n\ttextconv = {programs["textconv"]}\n'
        )
    hooks = repo / ".git" / "hooks"
    hooks.mkdir(exist_ok=True)
    for hook in ("pre-commit", "post-commit", "post-checkout", "reference-transaction", "pre-auto-gc", "commit-msg"):
        target = hooks / hook
        shutil.copyfile(programs["hook"], target)
        target.chmod(0o755)


AFTER_COMMIT: dict[str, Callable[[Path, dict[str, Path]], None]] = {"hostile-fifo": _fifo, "hostile-git": _arm_git}


def _hostile_programs(folder: Path, markers: Path) -> dict[str, Path]:
    """One executable per way git can be made to run a program; each leaves ``markers/<name>`` behind."""
    folder.mkdir(parents=True)
    programs: dict[str, Path] = {}
    for name in HOSTILE_PROGRAMS:
        program = folder / f"{name}.sh"
        passthrough = "cat\n" if name in ("filter-clean", "filter-smudge", "textconv") else ""
        textconv = 'cat "$1"\n' if name == "textconv" else ""
        body = passthrough if name != "textconv" else textconv
        program.write_text(f'#!/bin/sh\ntouch "{markers / name}"\n{body}exit 0\n', encoding="utf-8")
        program.chmod(program.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
        programs[name] = program
    return programs


def _write_manifests(fleet: Fleet) -> None:
    expected = {path: item.as_json() for path, item in fleet.expected.items()}
    (fleet.folder / "expected.json").write_text(json.dumps(expected, indent=2) + "\n", encoding="utf-8")
    fleet.repos_file.write_text("".join(f"{repo}\n" for repo in fleet.repos), encoding="utf-8")
    about = {
        "pack": str(fleet.pack),
        "pack_url": fleet.pack_url,
        "old": OLD,
        "new": NEW,
        "branch": BRANCH,
        "markers": str(fleet.markers),
        "config": str(fleet.config),
        "repositories": len(fleet.repos),
    }
    (fleet.folder / "fleet.json").write_text(json.dumps(about, indent=2) + "\n", encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Build a fleet of N repositories for the fleet benchmark.")
    parser.add_argument("n", type=int, help="how many repositories")
    parser.add_argument("folder", type=Path, help="an empty or new folder")
    parser.add_argument("--seed", type=int, default=0, help="the mix and order of kinds (default 0)")
    options = parser.parse_args(argv)
    fleet = build_fleet(options.n, options.folder, options.seed)
    counts: dict[str, int] = {}
    for item in fleet.expected.values():
        counts[item.kind] = counts.get(item.kind, 0) + 1
    mix = ", ".join(f"{name} {count}" for name, count in sorted(counts.items()))
    print(f"{len(fleet.repos)} repositories in {fleet.folder / 'repos'}: {mix}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
