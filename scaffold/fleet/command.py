"""``scaffold fleet``: its arguments and how each action runs. The CLI adds this parser and calls ``run``."""

from __future__ import annotations

import argparse
import os
import shlex
import signal
import sys
import textwrap
from pathlib import Path
from types import FrameType
from typing import Any

EXIT_CODES = """\
exit codes:
  status, merge: 0 every repository is on its pack's newest version, with no drift, no weaker control and no
     error; 1 a repository is behind, drifts, is weaker than its kit, is not a scaffold repository or could
     not be checked (each is reported; the others still run)
  upgrade: 0 every repository was upgraded on its branch or was already current; 1 a repository had conflicts,
     blocked weakenings or an error (it gets no branch)
  ci: 0 the files were written (or would be, with --dry-run); 1 an existing file differs (nothing written)
  2  bad input to the fleet command itself (no repositories, an unreadable --from or shard file, a bad option),
     or an interrupted run (what finished is kept: --resume runs the rest)
  --exit-zero turns 1 into 0, for CI jobs that must upload their report"""

_DESCRIPTION = (
    "See and move many repositories at once. Each repository runs in its own process (--jobs at a time, each "
    "stopped after --timeout seconds), so one that fails or hangs is reported and the others go on. Every run is "
    "kept in a SQLite history (--db; default $XDG_DATA_HOME/scaffold/fleet.sqlite3): 'status' shows the trend since "
    "the previous run, an interrupted run continues with --resume, and the HTML report charts posture over time. "
    "REPO is a path to a repository, a folder of clones, or a git URL (cloned into --cache). See docs/fleet.md."
)


def add_parser(commands: Any, parser_class: type[argparse.ArgumentParser]) -> None:
    fleet = commands.add_parser(
        "fleet",
        help="status and upgrade of many repositories at once; the fleet's CI workflow",
        description=textwrap.fill(_DESCRIPTION, width=100) + "\n\nexamples:\n"
        "  scaffold fleet status ~/clones --html fleet.html\n"
        "  scaffold fleet status --from repos.txt --format json --output fleet.json\n"
        "  scaffold fleet upgrade --from repos.txt --pack https://git.example.com/acme/pack@v2.1.0 \\\n"
        "      --branch scaffold/acme-2.1 --push --open-prs\n"
        "  scaffold fleet merge shard-*.json --html fleet.html",
        epilog=EXIT_CODES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    actions = fleet.add_subparsers(dest="fleet_command", metavar="ACTION", parser_class=parser_class)
    status = actions.add_parser(
        "status",
        help="each repository's pack, version, drift, customisations and posture",
        description=textwrap.fill(
            "For each repository: its pack and version, whether it is behind the newest (--pack, else the pack it "
            "records), drift as 'scaffold diff' defines it, your customisations, and its posture: audit findings by "
            "severity and controls weaker than the kit. Reads only.",
            width=100,
        )
        + "\n\nexamples:\n"
        "  scaffold fleet status ~/clones\n"
        "  scaffold fleet status --from repos.txt --pack ./acme-pack --html fleet.html\n"
        "  scaffold fleet status --from repos.txt --shard 0/4 --format json --output shard-0.json --no-history",
        epilog=EXIT_CODES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    _run_options(status)
    upgrade = actions.add_parser(
        "upgrade",
        help="upgrade each repository on a new branch, with a pull-request description",
        description=textwrap.fill(
            "For each repository, the same upgrade as 'scaffold upgrade', made in a separate work tree of HEAD (your "
            "checkout is never touched) and committed on a new branch --branch, with a message and a pull-request "
            "description: what changed, what was merged, conflicts, what the ratchet blocked. A repository with "
            "conflicts or a blocked weakening gets no branch; it is reported. --push pushes each branch to 'origin'; "
            "the report prints the command that opens each pull request (gh or glab), and --open-prs runs it.",
            width=100,
        )
        + "\n\nexamples:\n"
        "  scaffold fleet upgrade ~/clones --branch scaffold/kit-update\n"
        "  scaffold fleet upgrade --from repos.txt --pack ./acme-pack@v2.0.0 --set dast=true \\\n"
        "      --branch scaffold/acme-2.0 --push --open-prs\n"
        "  scaffold fleet upgrade --resume              # after an interruption: only what did not finish",
        epilog=EXIT_CODES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    _run_options(upgrade)
    upgrade.add_argument("--branch", metavar="NAME", help="the branch each upgrade is committed on (required)")
    upgrade.add_argument(
        "--set", dest="settings", action="append", default=[], metavar="KEY=VALUE", help="change one answer; repeatable"
    )
    upgrade.add_argument("--answers", type=Path, metavar="FILE", help="YAML file of answers to change")
    upgrade.add_argument("--push", action="store_true", help="push each new branch to the repository's 'origin'")
    upgrade.add_argument(
        "--open-prs", action="store_true", help="open each pull request with gh or glab when installed (needs --push)"
    )
    merge = actions.add_parser(
        "merge",
        help="merge the JSON reports of shards into one report",
        description="Read the JSON reports that sharded runs wrote (--shard K/N --output FILE) and make one.\n\n"
        "examples:\n  scaffold fleet merge shard-*.json --output fleet.json --html fleet.html",
        epilog=EXIT_CODES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    merge.add_argument("shards", nargs="+", type=Path, metavar="SHARD.json", help="the shards' JSON reports")
    _output_options(merge)
    _ci_parser(actions)


def _run_options(command: argparse.ArgumentParser) -> None:
    command.add_argument("repos", nargs="*", metavar="REPO", help="a repository, a folder of clones, or a git URL")
    command.add_argument("--from", dest="from_file", type=Path, metavar="FILE", help="repositories, one per line")
    command.add_argument(
        "--jobs", type=_bounded_int(1, 64), default=min(os.cpu_count() or 2, 8), metavar="N", help="at once (cores)"
    )
    command.add_argument(
        "--timeout", type=_bounded_int(1, 86400), default=600, metavar="SECONDS", help="per repository (600)"
    )
    command.add_argument("--shard", metavar="K/N", help="run only shard K of N (0 <= K < N) of the sorted list")
    command.add_argument(
        "--db", type=Path, metavar="FILE", help="the history database (default: the user's data folder)"
    )
    command.add_argument("--no-history", action="store_true", help="keep no history (no trend, no --resume)")
    command.add_argument("--cache", type=Path, metavar="DIR", help="clones and work trees (default: the user's cache)")
    command.add_argument(
        "--resume", action="store_true", help="finish the newest interrupted run with its own repositories and options"
    )
    command.add_argument(
        "--pack", metavar="SOURCE", help="the pack to compare with or upgrade to (default: each one's)"
    )
    command.add_argument("--trust", action="store_true", help="let a cookiecutter template's hooks run")
    command.add_argument(
        "--require-signed", action="store_true", default=None, help="refuse a pack tag not signed by an allowed key"
    )
    command.add_argument("--allowed-signers", type=Path, metavar="FILE", help="git's allowed-signers file")
    _output_options(command)


def _output_options(command: argparse.ArgumentParser) -> None:
    command.add_argument("--format", choices=("table", "json"), default="table", help="what to print (table)")
    command.add_argument("--output", type=Path, metavar="FILE", help="also write the JSON report to FILE")
    command.add_argument("--html", type=Path, metavar="FILE", help="also write the HTML report to FILE")
    command.add_argument("--exit-zero", action="store_true", help="exit 0 even when repositories need attention")


def _ci_parser(actions: Any) -> None:
    ci = actions.add_parser(
        "ci",
        help="write the fleet's CI workflow: shards on GitHub Actions or GitLab CI, merged into one report",
        description=textwrap.fill(
            "Write a GitHub Actions workflow and a GitLab CI pipeline for the platform team's fleet repository (one "
            "that holds repos.txt): a matrix of --shards jobs runs 'scaffold fleet status' (or upgrade) on its share "
            "of the list with a least-privilege token, and a final job merges the shards' JSON into one report.",
            width=100,
        )
        + "\n\nexamples:\n  scaffold fleet ci --shards 8 --output fleet-repo\n"
        "  scaffold fleet ci --shards 4 --command upgrade --dry-run",
        epilog=EXIT_CODES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    ci.add_argument("--shards", type=_bounded_int(1, 256), default=4, metavar="N", help="parallel jobs (4)")
    ci.add_argument(
        "--command", dest="ci_command", choices=("status", "upgrade"), default="status", help="what each shard runs"
    )
    ci.add_argument(
        "--branch", default="scaffold/fleet-upgrade", metavar="NAME", help="upgrade: the branch to commit on"
    )
    ci.add_argument("--pack", metavar="SOURCE", help="upgrade: the pack to upgrade to (default: each one's own)")
    ci.add_argument("--cron", default="17 4 * * 1", metavar="'M H D M W'", help="status: when it runs (weekly)")
    ci.add_argument("--output", type=Path, default=Path(), metavar="DIR", help="the fleet repository (.)")
    ci.add_argument("--force", action="store_true", help="overwrite files that differ")
    ci.add_argument("--dry-run", action="store_true", help="list what would be written; write nothing")


def _bounded_int(low: int, high: int) -> Any:
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
        if not low <= value <= high:
            raise argparse.ArgumentTypeError(f"{value} is not between {low} and {high}")
        return value

    return parse


# --- running --------------------------------------------------------------------------------------------------


def run(args: argparse.Namespace) -> int:
    from scaffold.errors import UsageError

    action = args.fleet_command
    if action in ("status", "upgrade"):
        return _run_repositories(args)
    if action == "merge":
        return _run_merge(args)
    if action == "ci":
        return _run_ci(args)
    raise UsageError("fleet: name an action: status, upgrade, merge or ci (scaffold fleet --help)")


def _run_repositories(args: argparse.Namespace) -> int:
    from scaffold.errors import UsageError
    from scaffold.fleet import history, runner, targets

    if args.resume and (args.repos or args.from_file):
        raise UsageError("--resume: continues the interrupted run with its own repositories; name none")
    if args.no_history and (args.db or args.resume):
        raise UsageError("--no-history: cannot be combined with --db or --resume")
    _check_outputs(args)
    specs = list(args.repos) + (targets.read_list(args.from_file) if args.from_file else [])
    found = [] if args.resume else targets.expand(specs)
    options = runner.FleetOptions(
        command=args.fleet_command,
        timeout=args.timeout,
        pack=args.pack,
        trust=args.trust,
        require_signed=args.require_signed,
        allowed_signers=_absolute(args.allowed_signers),
        branch=getattr(args, "branch", None),
        settings=getattr(args, "settings", []),
        answers_file=_absolute(getattr(args, "answers", None)),
        push=getattr(args, "push", False),
        open_prs=getattr(args, "open_prs", False),
        shard=args.shard,
        command_line=_upgrade_line(args),
    )
    store = history.History(None if args.no_history else (args.db or history.default_path()))
    cache = args.cache or _default_cache()
    progress = _Progress() if sys.stderr.isatty() else None
    previous = signal.signal(signal.SIGTERM, _interrupt)
    try:
        made = runner.run_fleet(
            options, found, history=store, cache=cache.absolute(), jobs=args.jobs, resume=args.resume, progress=progress
        )
    except KeyboardInterrupt:
        sys.stderr.write(
            "\nscaffold: interrupted: the repositories that finished are kept in the history; "
            f"'scaffold fleet {args.fleet_command} --resume' runs the rest\n"
        )
        return 2
    finally:
        signal.signal(signal.SIGTERM, previous)
        if progress is not None:
            progress.done()
        store.close()
    return _emit(made, args)


def _run_merge(args: argparse.Namespace) -> int:
    from scaffold.fleet import history, report

    _check_outputs(args)
    return _emit(report.merge(args.shards, history.now()), args)


def _run_ci(args: argparse.Namespace) -> int:
    from scaffold.fleet import ci

    return ci.run(
        shards=args.shards,
        command=args.ci_command,
        output=args.output,
        force=args.force,
        dry_run=args.dry_run,
        branch=args.branch,
        pack=args.pack,
        cron=args.cron,
    )


def _emit(made: Any, args: argparse.Namespace) -> int:
    from scaffold.fleet import report

    text = report.as_json(made)
    page = None
    if args.html:
        from scaffold.fleet.html import render_html

        page = render_html(made.model_dump(by_alias=True))  # every output is made before the first is written
    if args.output:
        _write(args.output, text)
    if page is not None:
        _write(args.html, page)
    sys.stdout.write(text if args.format == "json" else report.table(made))
    return 1 if report.needs_attention(made) and not args.exit_zero else 0


def _write(path: Path, text: str) -> None:
    """Write a report atomically: a reader never sees half of one, and a failed write leaves nothing behind."""
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        temporary.write_text(text, encoding="utf-8")
        temporary.replace(path)
    finally:
        temporary.unlink(missing_ok=True)


def _check_outputs(args: argparse.Namespace) -> None:
    """A report path that cannot be written is refused before the run, not after an hour of it."""
    from scaffold.errors import UsageError
    from scaffold.untrusted.text import printable

    for option, path in (("--output", args.output), ("--html", args.html)):
        if path is not None and (path.is_dir() or not path.absolute().parent.is_dir()):
            raise UsageError(f"{option} {printable(str(path), 200)}: must be a file in an existing folder")


def _absolute(path: Path | None) -> str | None:
    return str(path.absolute()) if path is not None else None


def _default_cache() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "scaffold" / "fleet"


def _upgrade_line(args: argparse.Namespace) -> str:
    if args.fleet_command != "upgrade":
        return ""
    words = ["scaffold", "upgrade"]
    if args.pack:
        words += ["--pack", args.pack]
    for setting in args.settings:
        words += ["--set", setting]
    if args.answers:
        words += ["--answers", str(args.answers)]
    return shlex.join(words)


def _interrupt(_signal: int, _frame: FrameType | None) -> None:
    raise KeyboardInterrupt


class _Progress:
    """A one-line progress bar on standard error (a terminal only)."""

    def __init__(self) -> None:
        self.shown = False

    def __call__(self, finished: int, total: int, result: Any) -> None:
        from scaffold.untrusted.text import printable

        width = 30
        filled = width * finished // max(total, 1)
        name = printable(result.name, 40)
        sys.stderr.write(f"\r[{'#' * filled}{'.' * (width - filled)}] {finished}/{total} {name[:40]:<40}")
        sys.stderr.flush()
        self.shown = True

    def done(self) -> None:
        if self.shown:
            sys.stderr.write("\n")
