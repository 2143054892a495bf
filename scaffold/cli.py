"""Command line: parse arguments, call the API, print results, map errors to exit codes. Nothing else."""

from __future__ import annotations

import argparse
import sys
import textwrap
from collections.abc import Sequence
from pathlib import Path

from scaffold import __version__
from scaffold.errors import ConflictError, ScaffoldError, UsageError

EXIT_CODES = """\
exit codes:
  0  success (or --dry-run found nothing to refuse)
  1  existing files differ from the kit and --force was not given; nothing was written
  2  bad input: an invalid answer, answers file, pack or output directory; nothing was written
  3  (upgrade) the security posture would get weaker
  4  (packs) an untrusted pack needs --trust
  anything else is a bug in scaffold: please report it"""


def _answer_keys_help() -> str:
    from scaffold.answers import Answers, field_defaults

    lines = ["answer keys (for --set KEY=VALUE and answers files; lists are comma-separated, booleans true/false):"]
    for key, default in field_defaults().items():
        field = Answers.model_fields[key]
        if isinstance(default, list):
            shown = ",".join(default) if default else "(derived)"
        elif default is None:
            shown = "(derived or unset)"
        else:
            shown = str(default).lower() if isinstance(default, bool) else str(default)
        text = f"{field.description} Default: {shown}."
        wrapped = textwrap.wrap(text, width=76)
        lines.append(f"  {key}")
        lines.extend(f"      {line}" for line in wrapped)
    return "\n".join(lines)


class _CommandParser(argparse.ArgumentParser):
    """A subcommand parser whose answer-key epilog is built only when help is shown, keeping start-up light."""

    def format_help(self) -> str:
        if self.epilog is None:
            self.epilog = _answer_keys_help() + "\n\n" + EXIT_CODES
        return super().format_help()


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="scaffold",
        description="Generate hardened CI/CD kits (GitHub Actions workflows, Dockerfile, pre-commit config and "
        "security docs) whose output passes zizmor, actionlint, hadolint and checkov with zero findings.",
        epilog="Run 'scaffold new --help' for the answer keys.\n\n" + EXIT_CODES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"scaffold {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_CommandParser)
    new = commands.add_parser(
        "new",
        help="write a new hardened kit into a repository",
        description="Ask a few questions (or take --defaults, --answers and --set) and write a hardened CI/CD kit "
        "plus .scaffold.yml, which records the answers and a hash of every generated file. Existing files that "
        "differ are never overwritten without --force.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    new.add_argument(
        "-o",
        "--output",
        type=Path,
        default=Path(),
        metavar="DIR",
        help="directory to write the kit into (default: the current directory)",
    )
    new.add_argument(
        "--defaults",
        action="store_true",
        help="use the default for every answer not given by --answers or --set; never prompt",
    )
    new.add_argument(
        "--answers",
        type=Path,
        metavar="FILE",
        help="YAML file of answers (a mapping of answer keys, or an existing .scaffold.yml)",
    )
    new.add_argument(
        "--set",
        dest="settings",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="set one answer; repeatable; overrides --answers",
    )
    new.add_argument(
        "--dry-run",
        action="store_true",
        help="list the files and show the diff of what would change; write nothing",
    )
    new.add_argument("--force", action="store_true", help="overwrite existing files that differ from the kit")
    return parser


def _interactive() -> bool:
    return sys.stdin.isatty() and sys.stdout.isatty()


def _run_new(args: argparse.Namespace) -> int:
    from scaffold import api
    from scaffold.answers import missing_keys
    from scaffold.writer import Change, unified_diff

    layers = api.collect_layers(output=args.output, answers_file=args.answers, settings=args.settings)
    prompted: dict[str, object] = {}
    if not args.defaults:
        missing = missing_keys(layers.given)
        if missing:
            if not _interactive():
                raise UsageError(
                    f"answers missing for {', '.join(missing)}: no terminal to ask on; pass --defaults, "
                    "--answers FILE or --set KEY=VALUE"
                )
            from scaffold.prompts import ask

            prompted = ask(layers.merged(), layers.given)
    answers = api.resolve_answers(layers, prompted)
    result = api.new(output=args.output, answers=answers, dry_run=args.dry_run, force=args.force)
    out = sys.stdout
    for item in result.planned:
        out.write(f"{item.change.value:>9}  {item.path}\n")
    if result.dry_run:
        for item in result.planned:
            if item.change is Change.DIFFERS:
                out.write(unified_diff(item))
        new_count = sum(item.change is Change.NEW for item in result.planned)
        out.write(f"dry run: {new_count} new, {len(result.conflicts)} differing; nothing written\n")
        if result.conflicts and not args.force:
            out.write("the differing files would be refused without --force\n")
            return 1
        return 0
    out.write(f"wrote {len(result.written)} file(s) to {result.output}\n")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 2
    try:
        return _run_new(args)
    except ConflictError as error:
        sys.stderr.write(f"scaffold: {error}\n")
        return error.exit_code
    except ScaffoldError as error:
        message = " ".join(str(error).split())
        sys.stderr.write(f"scaffold: error: {message}\n")
        return error.exit_code
    except KeyboardInterrupt:
        sys.stderr.write("scaffold: interrupted; nothing was written\n")
        return 2
