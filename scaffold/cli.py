"""Command line: parse arguments, call the API, print results, map errors to exit codes. Nothing else."""

from __future__ import annotations

import argparse
import importlib
import os
import sys
import textwrap
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from scaffold import __version__
from scaffold.errors import ConflictError, ScaffoldError, UsageError

if TYPE_CHECKING:
    from scaffold.api import AnswerLayers

EXIT_CODES = """\
exit codes:
  0  success: nothing to refuse, no drift, a clean upgrade, no finding, nothing left to harden
  1  new: existing files differ and --force was not given (nothing written);
     diff: an upgrade is pending, a control is weaker than the kit's, or a kit file is missing (--strict: any
     difference); upgrade: merge conflicts were written and need resolving;
     audit: findings; harden: changes not written, or findings that need --fix=all or a hand fix;
     pack test: an example or test failed
  2  bad input: an invalid answer, answers file, .scaffold.yml, pack or directory, a dirty git tree or a
     downgrade (nothing was written); or a file audit or harden could not read or parse (that file is left
     alone, the others are still checked)
  3  upgrade: your edits would weaken a security control the kit has; nothing was written (--accept-weaker)
  4  a pack needs trust it was not given: its hooks or extensions run code (--trust), or its tag is unsigned
     or not signed by an allowed key (--require-signed); nothing was written
  anything else is a bug in scaffold: please report it"""


def _answer_keys_help() -> str:
    from scaffold.kit.answers import Answers, field_defaults

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

    takes_answers = False

    def format_help(self) -> str:
        if self.epilog is None:
            self.epilog = (_answer_keys_help() + "\n\n" if self.takes_answers else "") + EXIT_CODES
        return super().format_help()


def _paragraph(text: str) -> str:
    """A command description, wrapped: the raw formatter (which keeps the exit-code table) would not wrap it."""
    return textwrap.fill(text, width=100)


def _answer_options(command: argparse.ArgumentParser, *, defaults: bool = True) -> None:
    if isinstance(command, _CommandParser):
        command.takes_answers = True
    if defaults:
        command.add_argument(
            "--defaults",
            action="store_true",
            help="use the default for every answer not given by --answers or --set; never prompt",
        )
    command.add_argument(
        "--answers",
        type=Path,
        metavar="FILE",
        help="YAML file of answers (a mapping of answer keys, or an existing .scaffold.yml)",
    )
    command.add_argument(
        "--set",
        dest="settings",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="set one answer; repeatable; overrides --answers",
    )


def _pack_options(command: argparse.ArgumentParser, *, recorded: bool = False) -> None:
    where = " (default: the pack .scaffold.yml records)" if recorded else " (default: the built-in kit)"
    command.add_argument(
        "--pack",
        metavar="SOURCE",
        help="the pack to render: a folder, or a git URL with an optional @REF (a tag, branch or commit; "
        "default: the newest version tag)" + where,
    )
    command.add_argument(
        "--trust",
        action="store_true",
        help="let the pack run code: a cookiecutter template's hooks and extensions (never needed by a scaffold pack)",
    )
    command.add_argument(
        "--require-signed",
        action="store_true",
        default=None,
        help="refuse a pack whose version tag is not signed by a key in the allowed-signers file (exit 4)",
    )
    command.add_argument(
        "--allowed-signers",
        type=Path,
        metavar="FILE",
        help="git's allowed-signers file of the keys that may sign pack tags (default: from the scaffold config)",
    )


def _opened_pack(args: argparse.Namespace, spec: str | None) -> Any:
    from scaffold.packs.chosen import opened

    return opened(spec, trust=args.trust, require_signed=args.require_signed, allowed_signers=args.allowed_signers)


def _recorded_pack(args: argparse.Namespace) -> Any:
    """The pack diff and upgrade render with: --pack, else the one .scaffold.yml records."""
    from scaffold import api

    return api.repository_pack(
        path=args.path,
        spec=args.pack,
        trust=args.trust,
        require_signed=args.require_signed,
        allowed_signers=args.allowed_signers,
    )


def _path_argument(command: argparse.ArgumentParser) -> None:
    command.add_argument(
        "path", nargs="?", type=Path, default=Path(), metavar="PATH", help="the repository (default: .)"
    )


def _format_options(command: argparse.ArgumentParser) -> None:
    command.add_argument("--format", choices=("plain", "json"), default="plain", help="report format")
    command.add_argument(
        "--color",
        choices=("auto", "always", "never"),
        default="auto",
        help="colour diffs: auto (when writing to a terminal), always or never",
    )


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """The command line's parser. ``command`` names the one subcommand to build (the one ``main`` runs): the others
    are left out, which keeps start-up light; None builds every command (the top-level help lists them all)."""
    parser = argparse.ArgumentParser(
        prog="scaffold",
        description="Generate hardened CI/CD kits (GitHub Actions, GitLab CI and Jenkins pipelines, Dockerfile, "
        "pre-commit config, registry and admission policies) and keep repositories on them.",
        epilog="Run 'scaffold COMMAND --help' for a command's options.\n\n" + EXIT_CODES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"scaffold {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_CommandParser)
    for name, add in _COMMAND_PARSERS.items():
        if command is None or name == command:
            add(commands)
    return parser


def _new_command(commands: Any) -> None:
    new = commands.add_parser(
        "new",
        help="write a new hardened kit into a repository",
        description=_paragraph(
            "Read what the output folder already says (language, git branch, the origin remote, port, code), show "
            "it, ask a few questions pre-filled with it (or take --defaults, --answers and --set, which win over it) "
            "and write a hardened CI/CD kit plus .scaffold.yml, which records the answers and a hash of every "
            "generated file. Existing files that differ are never overwritten without --force."
        ),
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
    _answer_options(new)
    new.add_argument(
        "--dry-run",
        action="store_true",
        help="list the files and show the diff of what would change; write nothing",
    )
    new.add_argument("--force", action="store_true", help="overwrite existing files that differ from the kit")
    _pack_options(new)


def _diff_command(commands: Any) -> None:
    diff = commands.add_parser(
        "diff",
        help="show how the repository differs from its kit (a CI drift gate)",
        description=_paragraph(
            "Plan an upgrade in memory with .scaffold.yml's answers and this scaffold's kit, and report each kit "
            "file: pending (an upgrade would change it: the kit or the answers moved on), weaker (a security "
            "control is weaker than the kit's, with file and line), missing (deleted, but not listed under "
            "removed: in .scaffold.yml), customised (your edit, which an upgrade keeps) or removed (deleted on "
            "purpose). Exit 1 for pending, weaker or missing; customised and removed files are not drift, so the "
            "gate can stay on. --strict fails on any byte of difference from the kit and shows the unified diffs "
            "(a/ is the repository, b/ the kit). Reads only."
        )
        + "\n\nexamples:\n"
        "  scaffold diff                          # the drift gate for CI\n"
        "  scaffold diff --format json > drift.json\n"
        "  scaffold diff --strict --color never   # every difference from the kit, as unified diffs",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    _path_argument(diff)
    _format_options(diff)
    _pack_options(diff, recorded=True)
    diff.add_argument(
        "--strict",
        action="store_true",
        help="exit 1 on any difference from the kit, your customisations and removals included",
    )


def _upgrade_command(commands: Any) -> None:
    upgrade = commands.add_parser(
        "upgrade",
        help="apply the current kit or changed answers, keeping your edits",
        description=_paragraph(
            "Re-render the kit with this scaffold and the recorded answers (changed by --answers/--set) "
            "and apply it. Files you never touched are updated; files you changed are merged three ways against "
            "the exact previous render (YAML by jobs, steps and keys); files you deleted stay deleted; files that "
            "left the kit are removed only if you never changed them. Conflicts get git-style markers (or .rej "
            "files) and exit 1. Edits that weaken a security control of the kit stop the upgrade with exit 3. "
            "Needs a clean git tree. .scaffold.yml is rewritten last."
        ),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    _path_argument(upgrade)
    _answer_options(upgrade, defaults=False)
    upgrade.add_argument("--dry-run", action="store_true", help="show every change and its diff; write nothing")
    upgrade.add_argument("--allow-dirty", action="store_true", help="run even with uncommitted changes or outside git")
    upgrade.add_argument(
        "--accept-weaker",
        action="store_true",
        help="write even when your edits weaken a security control the kit has (reported, exit 0)",
    )
    upgrade.add_argument(
        "--conflict",
        choices=("markers", "rej"),
        default="markers",
        help="conflicts as git-style markers in the file (default), or your text kept and the kit's hunks in FILE.rej",
    )
    _format_options(upgrade)
    _pack_options(upgrade, recorded=True)


def _adopt_command(commands: Any) -> None:
    adopt = commands.add_parser(
        "adopt",
        help="take on a repository scaffold never generated",
        description=_paragraph(
            "Infer answers from the repository (language from lockfiles, platforms from CI files, "
            "registry and image from image references), ask for the rest (or take --defaults, --answers and --set), "
            "write .scaffold.yml and create the kit files that do not exist yet. Existing files are never "
            "overwritten: their diff is shown and they are left to 'scaffold harden' or --take-theirs."
        ),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    _path_argument(adopt)
    _answer_options(adopt)
    adopt.add_argument(
        "--take-theirs",
        action="append",
        default=[],
        metavar="FILE",
        help="replace this existing file with the kit's version (repeatable)",
    )
    adopt.add_argument("--dry-run", action="store_true", help="show what would be written; write nothing")
    adopt.add_argument("--color", choices=("auto", "always", "never"), default="auto", help="colour diffs")
    _pack_options(adopt)


def _audit_command(commands: Any) -> None:
    audit = commands.add_parser(
        "audit",
        help="find insecure CI/CD files in any repository",
        description=_paragraph(
            "Check GitHub workflows and dependabot, .gitlab-ci.yml, Jenkinsfiles, Dockerfiles, .dockerignore and "
            ".pre-commit-config.yaml against scaffold's rules (docs/checks.md). A folder is searched; a file is "
            "checked when its path in the repository says what it is, wherever you run scaffold from: the path "
            "from the repository's root (the nearest folder above with .git, else the nearest holding .github, "
            "a .gitlab-ci.yml, a Jenkinsfile, .pre-commit-config.yaml or .scaffold.yml). --kind sets the kind of "
            "every file named on the command line (files found in a folder keep theirs). A named file or folder "
            "with nothing to check is exit 2. "
            "Silence one finding with a comment on its line or the line above: '# scaffold: ignore[rule-id] "
            "reason'. Settings come from the 'audit:' section of .scaffold.yml in the repository's root. Exit 0 "
            "when clean, 1 with findings, 2 for bad input or a file that could not be read or parsed (the other "
            "files are still checked)."
        )
        + "\n\nexamples:\n"
        "  scaffold audit                                   # every CI/CD file under .\n"
        "  cd .github/workflows && scaffold audit ci.yml    # still a GitHub workflow\n"
        "  scaffold audit --kind gitlab-ci ci/pipeline.yaml # a file whose name does not say its kind",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    audit.add_argument("paths", nargs="*", type=Path, default=[Path()], metavar="PATH", help="files or folders (.)")
    audit.add_argument("--format", choices=("plain", "json", "sarif"), default="plain", help="report format")
    audit.add_argument("--select", action="append", default=[], metavar="RULE", help="run only these rules")
    audit.add_argument("--ignore", action="append", default=[], metavar="RULE", help="never run these rules")
    audit.add_argument("--min-severity", choices=("low", "medium", "high"), help="report only findings at or above it")
    audit.add_argument(
        "--pack",
        metavar="SOURCE",
        help="enforce this pack's org policy (a folder, or a git URL with an optional @REF) instead of the policy "
        ".scaffold.yml records",
    )
    _kind_option(audit)


def _harden_command(commands: Any) -> None:
    harden = commands.add_parser(
        "harden",
        help="fix insecure CI/CD files in place, keeping comments and layout",
        description=_paragraph(
            "Make the fixes that scaffold's audit rules know (docs/checks.md says which rules have one): pin actions "
            "and images to verified commits and digests, least-privilege token permissions, persist-credentials: "
            "false, expressions moved out of scripts into env:, timeouts and concurrency, a non-root USER. Each "
            "fix is a small text edit, so comments, key order, quoting and blank lines stay as they were, and a "
            "file with nothing to fix is left byte for byte. By default the diff is shown and nothing is written. "
            "--fix=safe (the default) makes only fixes that cannot change what a working pipeline does; --fix=all "
            "adds the unsafe ones, each reported with its risk. A file that cannot be parsed is never written. "
            "Files are found as 'scaffold audit' finds them: a file's kind comes from its path relative to the "
            "repository's root, wherever you run scaffold from, --kind sets it for every file named on the command "
            "line, and a named file or folder with nothing to harden is exit 2. "
            "Exit 0 when nothing is left to do, 1 when changes are not yet written or findings remain that need "
            "--fix=all or a hand fix, 2 for bad input or a file that could not be read or parsed."
        )
        + "\n\nexamples:\n"
        "  scaffold harden --write                                 # the safe fixes under .\n"
        "  cd .github/workflows && scaffold harden --write ci.yml  # still a GitHub workflow\n"
        "  scaffold harden --kind gitlab-ci ci/pipeline.yaml       # a file whose name does not say its kind\n"
        "  scaffold harden --fix=all --online --write              # pin every tag upstream has, looked up live\n"
        "  scaffold harden --online --allow-host registry.lan:5000  # a registry files may name on a private host",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    harden.add_argument("paths", nargs="*", type=Path, default=[Path()], metavar="PATH", help="files or folders (.)")
    harden.add_argument(
        "--fix", choices=("safe", "all"), default="safe", help="which fixes to make: safe (default) or all"
    )
    harden.add_argument("--write", action="store_true", help="write the changes (default: show the diff only)")
    harden.add_argument("--format", choices=("plain", "json"), default="plain", help="report format")
    harden.add_argument("--select", action="append", default=[], metavar="RULE", help="fix only these rules")
    harden.add_argument("--ignore", action="append", default=[], metavar="RULE", help="never apply these rules' fixes")
    harden.add_argument("--color", choices=("auto", "always", "never"), default="auto", help="colour diffs")
    _kind_option(harden)
    _pin_options(harden)


def _fleet_command(commands: Any) -> None:
    from scaffold.fleet.command import add_parser as add_fleet_parser

    add_fleet_parser(commands, _CommandParser)


def _pack_command(commands: Any) -> None:
    pack = commands.add_parser(
        "pack",
        help="write and test a team pack",
        description=_paragraph(
            "A team pack extends scaffold's kit with a platform team's questions, locked answers, files and org "
            "policy (docs/packs.md). 'pack init' writes one to start from; 'pack test' renders its example answer "
            "sets and tests and fails unless each kit passes scaffold's audit under the pack's own policy."
        )
        + "\n\nexamples:\n"
        "  scaffold pack init acme-pack\n"
        "  scaffold pack test acme-pack\n"
        "  scaffold new --pack ./acme-pack --defaults -o ../service",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    actions = pack.add_subparsers(dest="pack_command", metavar="ACTION", parser_class=_CommandParser)
    init = actions.add_parser(
        "init",
        help="write a new team pack that extends the built-in kit",
        description=_paragraph(
            "Write pack.yml (a question, a locked answer, a default, an added file, a removed folder and a policy), "
            "a template, README.md, an example answer set and a test into DIR. Existing files are never overwritten."
        ),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    init.add_argument("folder", type=Path, metavar="DIR", help="the folder to write the pack into")
    init.add_argument("--name", help="the pack's name (default: from the folder's name)")
    test = actions.add_parser(
        "test",
        help="render every example and test of a pack and audit each kit",
        description=_paragraph(
            "Render each examples/*.yml answer set and each tests/*.yml (answers, and the files the kit must and "
            "must not hold) with the pack in DIR, and audit each kit with the gate 'scaffold new' applies: "
            "scaffold's rules under the pack's own policy. Lists the controls the policy waives. Exit 0 when every "
            "case passes, 1 when one fails, 2 when the pack itself is invalid."
        ),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    test.add_argument("folder", type=Path, nargs="?", default=Path(), metavar="DIR", help="the pack's folder (.)")
    test.add_argument("--trust", action="store_true", help="let a cookiecutter template's hooks run")
    test.add_argument("--format", choices=("plain", "json"), default="plain", help="report format")


def _pin_options(command: argparse.ArgumentParser, *, live_only: bool = False) -> None:
    group = command.add_argument_group("pin resolution (docs/pins.md)")
    if not live_only:
        group.add_argument(
            "--online",
            action="store_true",
            help="look tags up live (git ls-remote, the registry's API) and cache what was verified; without it "
            "nothing goes over the network: only the cache and scaffold's table pin (also SCAFFOLD_ONLINE=1)",
        )
        group.add_argument("--offline", action="store_true", help="never reach the network, even with SCAFFOLD_ONLINE")
    group.add_argument(
        "--cooldown",
        default="7",
        metavar="DAYS",
        help="take no release younger than this; the previous one is taken instead (7)",
    )
    group.add_argument(
        "--action-forge",
        default="https://github.com",
        metavar="URL",
        help="where owner/repo actions live: https://github.com (default) or a GitHub Enterprise server",
    )
    group.add_argument(
        "--gitlab-url",
        default="https://gitlab.com",
        metavar="URL",
        help="the GitLab server of 'include: project:' (https://gitlab.com)",
    )
    group.add_argument(
        "--allow-host",
        dest="allow_hosts",
        action="append",
        default=[],
        metavar="HOST[:PORT]",
        help="let a host on loopback or link-local (an in-house registry or git server on this machine) be reached "
        "when a file names it; files alone never send scaffold there; repeatable",
    )


def _pin_settings(args: argparse.Namespace, *, online: bool | None = None) -> Any:
    import re
    from datetime import timedelta

    from scaffold.resolve.model import Settings
    from scaffold.resolve.urls import allowed_host, check_base_url
    from scaffold.untrusted.text import shown

    if online is None:
        online = not args.offline and (args.online or os.environ.get("SCAFFOLD_ONLINE", "") in ("1", "true", "yes"))
    days = str(args.cooldown).strip()
    if not re.fullmatch(r"-?[0-9]{1,12}", days) or not 0 <= int(days) <= 3650:
        raise UsageError(f"--cooldown: {shown(days, 40)} is not a number of days from 0 to 3650")
    try:
        allowed = frozenset(allowed_host(host) for host in args.allow_hosts)
    except ValueError as error:
        raise UsageError(f"--allow-host: {error}") from None
    for option, url in (("--action-forge", args.action_forge), ("--gitlab-url", args.gitlab_url)):
        problem = check_base_url(url)
        if problem is not None:
            raise UsageError(f"{option}: {problem}")
    return Settings(
        online=online,
        cooldown=timedelta(days=int(days)),
        action_forge=args.action_forge.rstrip("/"),
        gitlab_url=args.gitlab_url.rstrip("/"),
        allowed_hosts=allowed,
    )


def _pins_command(commands: Any) -> None:
    pins = commands.add_parser(
        "pins",
        help="bring a pins file to the newest verified releases",
        description=_paragraph(
            "Maintain a pins file: the built-in kit's scaffold/pins.yml in a source checkout, or a pack's own (the "
            "file its pack.yml names under pins:). 'pins update' looks every entry up live, so it reaches the "
            "network by design: each action and hook moves to the newest release of its major line whose tag is "
            "older than the cooldown, whose commit is in the history of the repository's branches and tags, and "
            "that is on no advisory; each image keeps its tag and takes the digest its registry serves now. Each "
            "changed entry's verified line says where and when. A pinned commit on the advisory list is warned "
            "about. Exit 0 when the file is current or was written, 1 when changes are not written (--dry-run), an "
            "entry could not be checked, or a pinned commit is on the advisory list, 2 for a bad file or option."
        )
        + "\n\nexamples:\n"
        "  scaffold pins update scaffold/pins.yml       # the built-in kit's pins, in a source checkout\n"
        "  scaffold pins update ./acme-pack --dry-run   # a pack's pins: show what would move\n"
        "  scaffold pins update pins.yml --cooldown 14 --action-forge https://github.example.com",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    actions = pins.add_subparsers(dest="pins_command", metavar="ACTION", parser_class=_CommandParser)
    update = actions.add_parser(
        "update",
        help="move each pin to the newest verified release of its line",
        description=_paragraph(
            "Update the pins file PATH, or the pins file of the pack in folder PATH, in place (comments kept)."
        ),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    update.add_argument("path", type=Path, nargs="?", default=Path(), metavar="PATH", help="a pins file or a pack (.)")
    update.add_argument("--dry-run", action="store_true", help="show the changes, write nothing")
    _pin_options(update, live_only=True)


def _kind_option(command: argparse.ArgumentParser) -> None:
    from scaffold.rules.model import Kind

    command.add_argument(
        "--kind",
        choices=[kind.value for kind in Kind],
        metavar="KIND",
        help="check every file named on the command line as this kind: "
        + ", ".join(kind.value for kind in Kind)
        + " (default: from its path in the repository)",
    )


def _interactive() -> bool:
    return sys.stdin.isatty() and sys.stdout.isatty()


def _prompted(layers: AnswerLayers, use_defaults: bool) -> dict[str, object]:
    """Ask for the answers that apply and were not given; an error without a terminal."""
    from scaffold.kit.answers import missing_keys

    if use_defaults:
        return {}
    if layers.pack is not None and layers.pack.cookiecutter is not None:
        return _prompted_template(layers)
    missing = missing_keys(layers.known, layers.model)
    if not missing:
        return {}
    if not _interactive():
        raise UsageError(
            f"answers missing for {', '.join(missing)}: no terminal to ask on; pass --defaults, "
            "--answers FILE or --set KEY=VALUE"
        )
    from scaffold.kit.prompts import ask

    return ask(layers.merged(), layers.known, model=layers.model)


def _prompted_template(layers: AnswerLayers) -> dict[str, object]:
    """A cookiecutter template's variables not given, asked with their defaults as the template renders them."""
    from scaffold.packs.cookiecutter import questions, resolve

    pack = layers.pack
    if pack is None or pack.cookiecutter is None:
        return {}
    template = pack.cookiecutter
    missing = [item for item in questions(template) if item.key not in layers.known and item.kind != "dict"]
    if not missing:
        return {}
    if not _interactive():
        raise UsageError(
            f"answers missing for {', '.join(item.key for item in missing)}: no terminal to ask on; pass --defaults, "
            "--answers FILE or --set KEY=VALUE"
        )
    from scaffold.kit.prompts import ask_template

    known = layers.known
    return ask_template(missing, lambda so_far: resolve(template, {**known, **so_far}, trust=pack.trusted))


_MAX_ASKED_AGAIN = 10


def _resolved(layers: AnswerLayers, prompted: dict[str, object]) -> Any:
    """The answers, after the prompts. Each rule across answers was checked at its question already; what only
    the whole set can refuse (a team pack's lock, say) asks the answer typed here again, naming the rule, instead
    of throwing every answer away; one given by --set or a file stays an error."""
    from scaffold import api

    for _attempt in range(_MAX_ASKED_AGAIN):
        try:
            return api.resolve_answers(layers, prompted)
        except UsageError as error:
            key = str(error).split(":", 1)[0]
            if key not in prompted or (layers.pack is not None and layers.pack.cookiecutter is not None):
                raise
            from scaffold.kit.prompts import ask_again

            problem = " ".join(str(error).split(":", 1)[1].split())
            prompted[key] = ask_again(key, problem, layers.merged(prompted), model=layers.model)
    return api.resolve_answers(layers, prompted)


def _confirm_summary(answers: Any, output: Path) -> None:
    """Every answer, then one question before anything is written."""
    from scaffold.kit.prompts import confirm
    from scaffold.untrusted.text import printable

    values = answers.model_dump(exclude_none=True)
    width = max(map(len, values), default=0)
    sys.stdout.write("summary:\n")
    for key, value in values.items():
        sys.stdout.write(f"  {key:<{width}}  {printable(_answer_text(value), 200)}\n")
    sys.stdout.flush()
    if not confirm(f"Write the kit to {printable(str(output), 200)}?"):
        raise UsageError("stopped at the summary; nothing was written")


def _answer_text(value: object) -> str:
    """An answer as it is typed: a list comma-separated, a boolean as true or false."""
    if isinstance(value, list):
        return ",".join(map(str, value))
    return str(value).lower() if isinstance(value, bool) else str(value)


def _show_inferred(inferred: Any, stream: TextIO) -> None:
    """Each inferred answer with its evidence, then each part of the repository that was not read."""
    from scaffold.untrusted.text import printable

    for key, reason in inferred.evidence.items():
        shown = _answer_text(inferred.answers.get(key))
        stream.write(f"inferred {key}: {printable(shown, 200)} ({printable(reason, 300)})\n")
    for skipped in inferred.skipped:
        stream.write(f"not read {printable(skipped, 300)}\n")
    stream.flush()


def _colour(args: argparse.Namespace) -> bool:
    return args.color == "always" or (args.color == "auto" and sys.stdout.isatty())


def _run_new(args: argparse.Namespace) -> int:
    from scaffold import api
    from scaffold.kit.writer import Change, unified_diff

    with _opened_pack(args, args.pack) as pack:
        layers, inferred = api.new_layers(
            output=args.output, answers_file=args.answers, settings=args.settings, pack=pack
        )
        _show_inferred(inferred, sys.stderr)  # before the first question: the prompts are pre-filled with it
        prompted = _prompted(layers, args.defaults)
        answers = _resolved(layers, prompted) if prompted else api.resolve_answers(layers, prompted)
        if prompted and not args.dry_run:
            _confirm_summary(answers, args.output)
        result = api.new(output=args.output, answers=answers, pack=pack, dry_run=args.dry_run, force=args.force)
    out = sys.stdout
    for item in result.planned:
        out.write(f"{item.change.value:>9}  {item.path}\n")
    _report_starter(result.starter)
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
    _base_note(result.base_note)
    from scaffold.new.next_steps import next_steps

    steps = next_steps({item.path: item.text for item in result.planned}, result.starter)
    if steps:
        out.write("next steps:\n" + "".join(f"  {number}. {step}\n" for number, step in enumerate(steps, 1)))
    return 0


def _report_starter(starter: Any) -> None:
    """The starter's files (written beside the kit, not recorded), the ones left alone, or why there is none."""
    from scaffold.untrusted.text import printable

    out = sys.stdout
    for item in starter.files:
        out.write(f"{'starter':>9}  {item.path}\n")
    for kept in starter.kept:
        out.write(f"{'kept':>9}  {printable(kept, 300)} (starter file left alone)\n")
    if starter.skipped:
        out.write(f"no starter service: {printable(starter.skipped, 300)}\n")


def _run_diff(args: argparse.Namespace) -> int:
    from scaffold import api
    from scaffold.upgrade import report

    with _recorded_pack(args) as pack:
        result = api.diff(path=args.path, strict=args.strict, pack=pack)
    text = report.diff_json(result) if args.format == "json" else report.diff_plain(result, _colour(args))
    sys.stdout.write(text)
    return 1 if result.drift else 0


def _run_upgrade(args: argparse.Namespace) -> int:
    from scaffold import api
    from scaffold.upgrade import report

    with _recorded_pack(args) as pack:
        result = api.upgrade(
            path=args.path,
            answers_file=args.answers,
            settings=args.settings,
            pack=pack,
            dry_run=args.dry_run,
            allow_dirty=args.allow_dirty,
            accept_weaker=args.accept_weaker,
            rejects=args.conflict == "rej",
        )
    if args.format == "json":
        sys.stdout.write(report.upgrade_json(result))
    else:
        sys.stdout.write(report.upgrade_plain(result, show_diffs=args.dry_run, colour=_colour(args)))
    if result.blocked:
        return 3
    return 1 if result.conflicts else 0


def _run_adopt(args: argparse.Namespace) -> int:
    from scaffold import api
    from scaffold.kit.writer import Change, text_diff

    with _opened_pack(args, args.pack) as pack:
        layers, inferred = api.adopt_layers(
            path=args.path, answers_file=args.answers, settings=args.settings, pack=pack
        )
        _show_inferred(inferred, sys.stdout)
        answers = api.resolve_answers(layers, _prompted(layers, args.defaults))
        result = api.adopt(
            path=args.path, answers=answers, take_theirs=args.take_theirs, dry_run=args.dry_run, pack=pack
        )
    out = sys.stdout
    for item in result.planned:
        if item.change is Change.DIFFERS and item.path not in result.taken:
            out.write(f"     kept  {item.path}  (exists; differs from the kit, see the diff)\n")
            out.write(text_diff(item.path, item.current, item.text, _colour(args)))
        else:
            label = "replaced" if item.path in result.taken else item.change.value
            out.write(f"{label:>9}  {item.path}\n")
    verb = "would write" if result.dry_run else "wrote"
    created = sum(item.change is Change.NEW for item in result.planned) + len(result.taken)
    out.write(f"{verb} {created} file(s) and .scaffold.yml; {len(result.left_alone)} existing file(s) left alone")
    out.write(
        " (review them with 'scaffold harden', or take the kit's with --take-theirs FILE)\n"
        if result.left_alone
        else "\n"
    )
    _base_note(result.base_note)
    return 0


def _base_note(note: str | None) -> None:
    from scaffold.untrusted.text import printable

    if note is not None:
        sys.stderr.write(f"scaffold: note: {printable(note, 400)}\n")


def _run_audit(args: argparse.Namespace) -> int:
    from scaffold.audit import parallel, settings
    from scaffold.audit.run import audit_paths
    from scaffold.rules.model import Kind

    _require_paths(args.paths)
    jobs = parallel.requested_jobs()
    policy = _pack_policy(args.pack) if args.pack else None
    config = settings.for_paths(
        args.paths, select=args.select, ignore=args.ignore, min_severity=args.min_severity, policy=policy
    )
    report = audit_paths(args.paths, config, kind=Kind(args.kind) if args.kind else None, jobs=jobs)
    module = {"plain": "plain", "json": "json_report", "sarif": "sarif"}[args.format]
    formatter = importlib.import_module(f"scaffold.audit.output.{module}")
    sys.stdout.write(formatter.render(report))
    if report.errors:
        return 2
    return 1 if report.findings else 0


def _pack_policy(spec: str) -> Any:
    """The org policy of the pack ``audit --pack`` names; a pack without one enforces nothing more."""
    from scaffold.packs.chosen import opened
    from scaffold.rules.policy import OrgPolicy

    with opened(spec) as pack:
        if pack.policy is None:
            raise UsageError(f"--pack {spec}: pack {pack.label} has no policy to enforce")
        policy: OrgPolicy = pack.policy
        return policy


def _run_harden(args: argparse.Namespace) -> int:
    from scaffold.audit import settings
    from scaffold.harden import report
    from scaffold.harden.runner import harden_paths
    from scaffold.rules.fixes.model import Safety
    from scaffold.rules.model import Kind

    _require_paths(args.paths)
    config = settings.for_paths(args.paths, select=args.select, ignore=args.ignore)
    level = Safety.UNSAFE if args.fix == "all" else Safety.SAFE
    from scaffold.resolve.live import resolving

    with resolving(_pin_settings(args)):
        result = harden_paths(args.paths, level, config, write=args.write, kind=Kind(args.kind) if args.kind else None)
    if args.format == "json":
        sys.stdout.write(report.as_json(result))
    else:
        sys.stdout.write(report.plain(result, colour=_colour(args)))
    if result.errors:
        return 2
    return 1 if result.left_to_do else 0


def _require_paths(paths: Sequence[Path]) -> None:
    missing = [path for path in paths if not path.exists() and not path.is_symlink()]
    if missing:
        raise UsageError(f"{missing[0]}: no such file or folder")


def _run_pack(args: argparse.Namespace) -> int:
    if args.pack_command == "init":
        from scaffold.authoring import skeleton

        written = skeleton.init(args.folder, args.name)
        for path in written:
            sys.stdout.write(f"      new  {path}\n")
        sys.stdout.write(
            f"wrote a pack of {len(written)} file(s) to {args.folder}; next: scaffold pack test {args.folder}\n"
        )
        return 0
    if args.pack_command == "test":
        from scaffold.authoring import report, testing

        result = testing.run(args.folder, trust=args.trust)
        sys.stdout.write(report.as_json(result) if args.format == "json" else report.plain(result))
        return 0 if result.ok else 1
    raise UsageError("pack: name an action: init or test (scaffold pack --help)")


def _run_pins(args: argparse.Namespace) -> int:
    if args.pins_command != "update":
        raise UsageError("pins: name an action: update (scaffold pins --help)")
    from scaffold.resolve import pins_file

    settings = _pin_settings(args, online=True)
    outcome = pins_file.update(args.path, settings, write=not args.dry_run)
    sys.stdout.write(outcome.report)
    return outcome.exit_code


def _run_fleet(args: argparse.Namespace) -> int:
    from scaffold.fleet.command import run

    return run(args)


_COMMAND_PARSERS: dict[str, Callable[[Any], None]] = {
    "new": _new_command,
    "diff": _diff_command,
    "upgrade": _upgrade_command,
    "adopt": _adopt_command,
    "audit": _audit_command,
    "harden": _harden_command,
    "pack": _pack_command,
    "pins": _pins_command,
    "fleet": _fleet_command,
}
"""Each command's parser, in the order the top-level help lists them."""

_COMMANDS = {
    "new": _run_new,
    "diff": _run_diff,
    "upgrade": _run_upgrade,
    "adopt": _run_adopt,
    "audit": _run_audit,
    "harden": _run_harden,
    "pack": _run_pack,
    "pins": _run_pins,
    "fleet": _run_fleet,
}


def _system_error(error: BaseException) -> str:
    """One line for a file-system or decoding error that no check caught (a bad path, a file changed while scaffold
    ran); names and messages are escaped, since either can come from a repository."""
    from scaffold.untrusted.text import printable

    if isinstance(error, OSError):
        name = error.filename
        where = f"{printable(os.fsdecode(name) if isinstance(name, bytes) else str(name), 200)}: " if name else ""
        return " ".join(f"{where}{printable(error.strerror or str(error), 300)}".split())
    return " ".join(printable(f"{type(error).__name__}: {error}", 300).split())


def main(argv: Sequence[str] | None = None) -> int:
    arguments = sys.argv[1:] if argv is None else list(argv)
    named = arguments[0] if arguments and arguments[0] in _COMMAND_PARSERS else None
    parser = build_parser(named)  # only the command that runs; every one for the top-level help and its errors
    args = parser.parse_args(arguments)
    if args.command is None:
        parser.print_help()
        return 2
    try:
        return _COMMANDS[args.command](args)
    except OSError as error:
        sys.stderr.write(f"scaffold: error: {_system_error(error)}; nothing more was written\n")
        return 2
    except (UnicodeError, RecursionError) as error:
        if args.command in ("audit", "harden"):  # these report every file's problem themselves: this is a bug
            return _internal_error(error)
        sys.stderr.write(f"scaffold: error: {_system_error(error)}; nothing more was written\n")
        return 2
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
    except Exception as error:  # a bug: still one line and exit 2, never a traceback, unless asked for
        return _internal_error(error)


def _internal_error(error: BaseException) -> int:
    if os.environ.get("SCAFFOLD_DEBUG"):
        raise error
    detail = " ".join(str(error).split())[:200]
    sys.stderr.write(
        f"scaffold: internal error: {type(error).__name__}: {detail} "
        "(please report it; SCAFFOLD_DEBUG=1 shows the traceback)\n"
    )
    return 2
