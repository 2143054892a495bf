from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from scaffold import __version__
from scaffold.cli import build_parser, main
from scaffold.kit.answers import ANSWER_KEYS
from scaffold.kit.record import file_hash
from tests.support.keys import CLOUD_IDENTITY_KEYS

AWS_ROLE = "arn:aws:iam::123456789012:role/ci-deploy"

TEXT_KEYS = [
    "name",
    "default_branch",
    "image",
    *CLOUD_IDENTITY_KEYS,
    "aws_region",
    "dast_target_url",
    "openapi_path",
    "health_path",
]
LIST_KEYS = ["environments", "trusted_registries", "code_owners", "platforms"]
BAD_VALUES = {
    "space": "my service",
    "double-quote": 'a"b',
    "single-quote": "a'b",
    "newline": "a\nb",
    "github-expression": "${{ secrets.TOKEN }}",
    "jinja": "{{ 7 * 7 }}",
    "command-substitution": "$(id)",
    "backticks": "`id`",
    "parent-dir": "../etc",
    "cyrillic-lookalike": "\u043erders",
    "fullwidth-lookalike": "\uff4dain",
    "over-long": "a" * 300,
}


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def assert_one_line_error(err: str, starts: str) -> None:
    lines = err.splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith(f"scaffold: error: {starts}"), err


def test_defaults_write_the_kit_and_the_record(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "orders"
    code, stdout, _ = run(capsys, "new", "--defaults", "--output", str(out))
    assert code == 0
    record = yaml.safe_load((out / ".scaffold.yml").read_text())
    assert record["answers"]["name"] == "orders"
    assert record["pack"] == {"name": "scaffold-default", "version": "1.0.0"}
    assert record["scaffold_version"] == __version__
    for path, digest in record["files"].items():
        assert file_hash((out / path).read_text()) == digest, path
    assert ".github/workflows/ci.yml" in record["files"]
    for policy in ("registry/README.md", "policy/kubernetes/README.md", "runtime/README.md"):
        assert policy in record["files"]
    written = {path.relative_to(out).as_posix() for path in out.rglob("*") if path.is_file()}
    starter = written - set(record["files"]) - {".scaffold.yml"}
    assert any(path.startswith("src/") for path in starter), starter
    assert "pyproject.toml" in starter and "requirements-dev.txt" in starter  # never recorded: the team's own code
    assert set(record["files"]) <= written
    for path in sorted(starter):
        assert f"starter  {path}" in stdout, path
    assert f"wrote {len(written)} file(s)" in stdout


def test_starter_false_writes_the_kit_and_the_record_only(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "orders"
    code, stdout, _ = run(capsys, "new", "--defaults", "--set", "starter=false", "--output", str(out))
    assert code == 0
    record = yaml.safe_load((out / ".scaffold.yml").read_text())
    written = {path.relative_to(out).as_posix() for path in out.rglob("*") if path.is_file()}
    assert written == set(record["files"]) | {".scaffold.yml"}
    assert "starter  " not in stdout


@pytest.mark.parametrize("key", TEXT_KEYS + LIST_KEYS)
@pytest.mark.parametrize("kind", sorted(BAD_VALUES))
def test_bad_value_in_any_answer_exits_2_and_writes_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], key: str, kind: str
) -> None:
    out = tmp_path / "out"
    value = BAD_VALUES[kind]
    code, _, err = run(capsys, "new", "--defaults", "--output", str(out), "--set", f"{key}={value}")
    assert code == 2
    assert_one_line_error(err, key)
    assert not out.exists()


@pytest.mark.parametrize(
    ("text", "starts"),
    [
        ("colour: blue\n", "colour: is not an answer key"),
        ("coverage_min: eighty\n", "coverage_min: input should be a valid integer"),
        ("container: 'yes'\n", "container: input should be a valid boolean"),
        ("environments: prod\n", "environments: input should be a valid list"),
        ("name: [unclosed\n", "--answers"),
        ("- name\n", "--answers"),
    ],
)
def test_bad_answers_file_exits_2_and_writes_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], text: str, starts: str
) -> None:
    answers = tmp_path / "answers.yml"
    answers.write_text(text)
    out = tmp_path / "out"
    code, _, err = run(capsys, "new", "--defaults", "--answers", str(answers), "--output", str(out))
    assert code == 2
    assert_one_line_error(err, starts)
    assert not out.exists()


def test_unwritable_output_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    blocker = tmp_path / "file.txt"
    blocker.write_text("x")
    code, _, err = run(capsys, "new", "--defaults", "--output", str(blocker / "out"))
    assert code == 2
    assert_one_line_error(err, "--output")
    assert blocker.read_text() == "x"


def test_answers_file_then_set_layering(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    answers = tmp_path / "answers.yml"
    answers.write_text("name: from-file\nlanguage: go\n")
    out = tmp_path / "out"
    code, _, _ = run(capsys, "new", "--defaults", "--answers", str(answers), "--set", "language=node", "-o", str(out))
    assert code == 0
    recorded = yaml.safe_load((out / ".scaffold.yml").read_text())["answers"]
    assert (recorded["name"], recorded["language"]) == ("from-file", "node")


def test_existing_differing_file_stops_new_and_force_overwrites(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "svc"
    (out / ".github" / "workflows").mkdir(parents=True)
    mine = out / ".github" / "workflows" / "ci.yml"
    mine.write_text("# my own CI\n")
    code, _, err = run(capsys, "new", "--defaults", "--output", str(out))
    assert code == 1
    assert ".github/workflows/ci.yml" in err and "--force" in err
    assert mine.read_text() == "# my own CI\n"
    assert not (out / "Dockerfile").exists()
    code, _, _ = run(capsys, "new", "--defaults", "--output", str(out), "--force")
    assert code == 0
    assert "actions/checkout@" in mine.read_text()


def test_rerun_with_same_answers_changes_nothing(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "svc"
    assert run(capsys, "new", "--defaults", "--output", str(out))[0] == 0
    code, stdout, _ = run(capsys, "new", "--defaults", "--output", str(out))
    assert code == 0
    assert "wrote 0 file(s)" in stdout


def test_dry_run_lists_and_diffs_but_writes_nothing(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "svc"
    code, stdout, _ = run(capsys, "new", "--defaults", "--dry-run", "--output", str(out))
    assert code == 0
    assert "new  .github/workflows/release.yml" in stdout
    assert "nothing written" in stdout
    assert not out.exists()
    out.mkdir()
    (out / "Dockerfile").write_text("FROM scratch\n")
    code, stdout, _ = run(capsys, "new", "--defaults", "--dry-run", "--output", str(out))
    assert code == 1
    assert "-FROM scratch" in stdout and "+FROM docker.io/library/python" in stdout
    assert (out / "Dockerfile").read_text() == "FROM scratch\n"
    assert sorted(p.name for p in out.iterdir()) == ["Dockerfile"]


def test_help_lists_every_option_answer_key_and_exit_code(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as raised:
        main(["new", "--help"])
    assert raised.value.code == 0
    text = capsys.readouterr().out
    for option in ("--output", "--defaults", "--answers", "--set", "--dry-run", "--force"):
        assert option in text
    for key in ANSWER_KEYS:
        assert f"\n  {key}\n" in text, key
    for code in ("0  success", "1  new: existing files differ", "2  bad input"):
        assert code in text


@pytest.mark.parametrize(
    ("command", "options", "keys"),
    [
        ("diff", ("PATH", "--format", "--color"), False),
        (
            "upgrade",
            ("PATH", "--set", "--answers", "--dry-run", "--allow-dirty", "--accept-weaker", "--conflict", "--format"),
            True,
        ),
        ("adopt", ("PATH", "--defaults", "--set", "--answers", "--take-theirs", "--dry-run"), True),
    ],
)
def test_each_command_documents_its_options_and_exit_codes(
    command: str, options: tuple[str, ...], keys: bool, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as raised:
        main([command, "--help"])
    assert raised.value.code == 0
    text = capsys.readouterr().out
    for option in options:
        assert option in text
    assert "3  upgrade: your edits would weaken a security control" in text
    assert ("\n  coverage_min\n" in text) is keys


def test_top_level_help_and_version(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["--version"])
    assert capsys.readouterr().out.strip() == f"scaffold {__version__}"
    with pytest.raises(SystemExit):
        main(["--help"])
    assert "exit codes:" in capsys.readouterr().out


def test_console_entry_point_runs_as_a_module(tmp_path: Path) -> None:
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "scaffold",
            "new",
            "--defaults",
            "--set",
            "name=BAD",
            "-o",
            str(tmp_path / "o"),
        ],
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        check=False,
    )
    assert result.returncode == 2
    assert result.stderr.startswith("scaffold: error: name: must be a DNS label")


def test_complete_answers_file_needs_no_terminal_and_no_defaults(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    first = tmp_path / "first"
    assert (
        run(capsys, "new", "--defaults", "--set", "cloud=aws", "--set", f"aws_role_arn={AWS_ROLE}", "-o", str(first))[0]
        == 0
    )
    record = first / ".scaffold.yml"
    second = tmp_path / "second"
    code, _, err = run(capsys, "new", "--answers", str(record), "--set", "name=first", "-o", str(second))
    assert (code, err) == (0, "")
    assert (second / ".scaffold.yml").read_text() == record.read_text()


def test_partial_answers_without_terminal_name_the_missing_keys(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run(capsys, "new", "--set", "name=svc", "-o", str(tmp_path / "out"))
    assert code == 2
    assert_one_line_error(err, "answers missing for language, default_branch")
    assert "--defaults" in err and "name," not in err
    assert not (tmp_path / "out").exists()


def test_version_does_not_import_the_heavy_modules() -> None:
    code = "import sys; from scaffold.cli import main\ntry:\n main(['--version'])\nexcept SystemExit: pass\n"
    code += "print(sorted(m for m in ('pydantic', 'jinja2', 'questionary', 'yaml') if m in sys.modules))"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip().splitlines()[-1] == "[]"


HELPED = [
    *[[name] for name in ("new", "diff", "upgrade", "adopt", "audit", "harden", "pack", "pins", "fleet")],
    ["pack", "init"],
    ["pack", "test"],
    ["pins", "update"],
    *[["fleet", action] for action in ("status", "upgrade", "merge", "ci")],
]


def _help(parser: argparse.ArgumentParser, words: list[str], capsys: pytest.CaptureFixture[str]) -> str:
    with pytest.raises(SystemExit) as raised:
        parser.parse_args([*words, "--help"])
    assert raised.value.code == 0
    return capsys.readouterr().out


@pytest.mark.parametrize("words", HELPED, ids=" ".join)
def test_a_command_built_alone_has_the_help_and_options_it_has_among_all(
    words: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    """``main`` builds only the parser of the command it runs; what that parser says and accepts is the same."""
    alone = _help(build_parser(words[0]), words, capsys)
    assert alone == _help(build_parser(), words, capsys)
    assert alone.startswith(f"usage: scaffold {' '.join(words)} ")
    with pytest.raises(SystemExit):
        build_parser(words[0]).parse_args([*words, "--no-such-option"])
    alone_error = capsys.readouterr().err
    with pytest.raises(SystemExit):
        build_parser().parse_args([*words, "--no-such-option"])
    assert alone_error == capsys.readouterr().err != ""


def test_the_top_level_help_and_a_mistyped_command_name_every_command(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["--help"])
    text = capsys.readouterr().out
    assert text == _help(build_parser(), [], capsys)
    for name in ("new", "diff", "upgrade", "adopt", "audit", "harden", "pack", "pins", "fleet"):
        assert f"\n    {name} " in text, name
    with pytest.raises(SystemExit) as raised:
        main(["audt"])
    assert raised.value.code == 2
    assert "invalid choice: 'audt' (choose from 'new', 'diff', 'upgrade', 'adopt', 'audit'" in capsys.readouterr().err


def test_an_audit_does_not_load_the_other_commands_or_rules_of_other_kinds(tmp_path: Path) -> None:
    workflow = tmp_path / ".github" / "workflows" / "ci.yml"
    workflow.parent.mkdir(parents=True)
    workflow.write_text("on: push\njobs: {}\n")
    code = f"import sys; from scaffold.cli import main\nmain(['audit', {str(workflow)!r}])\n"
    code += "print(sorted(m for m in sys.modules if m.startswith(('scaffold.fleet', 'scaffold.rules.gitlab', "
    code += "'scaffold.rules.kit', 'scaffold.rules.policy', 'pydantic', 'jinja2'))))"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip().splitlines()[-1] == "[]"
    assert "ci.yml" in result.stdout  # it did audit the file


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        (["platforms=bitbucket"], "platforms.0: must be one of: 'github', 'gitlab' or 'jenkins'"),
        (["platforms=gitlab,gitlab"], "platforms: must not repeat a value"),
        (["platforms=gitlab", "registry=ghcr"], "registry: 'ghcr' works only with platforms [github]"),
        (["platforms=github,jenkins", "registry=ghcr"], "registry: 'ghcr' works only with platforms [github]"),
    ],
)
def test_unknown_platform_or_unsupported_combination_exits_2_and_writes_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], settings: list[str], message: str
) -> None:
    args = [arg for setting in settings for arg in ("--set", setting)]
    code, _, err = run(capsys, "new", "--defaults", *args, "-o", str(tmp_path / "out"))
    assert code == 2
    assert_one_line_error(err, message)
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize(
    ("platforms", "files", "registry"),
    [
        ("gitlab", [".gitlab-ci.yml"], "gitlab"),
        ("jenkins", ["Jenkinsfile"], "harbor"),
        ("github,gitlab,jenkins", [".github/workflows/ci.yml", ".gitlab-ci.yml", "Jenkinsfile"], "gitlab"),
    ],
)
def test_every_chosen_platform_gets_its_kit_from_one_answers_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], platforms: str, files: list[str], registry: str
) -> None:
    answers = tmp_path / "answers.yml"
    answers.write_text(f"name: svc\nplatforms: [{platforms}]\n")
    code, _, err = run(capsys, "new", "--defaults", "--answers", str(answers), "-o", str(tmp_path / "out"))
    assert (code, err) == (0, "")
    for path in files:
        assert (tmp_path / "out" / path).is_file()
    every = {".github/workflows/ci.yml", ".gitlab-ci.yml", "Jenkinsfile"}
    for path in every - set(files):
        assert not (tmp_path / "out" / path).exists()
    assert f"registry: {registry}" in (tmp_path / "out" / ".scaffold.yml").read_text()


def test_an_unexpected_exception_is_one_line_and_exit_2(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import scaffold.cli as cli

    def broken(_args: object) -> int:
        raise RuntimeError("a bug\nwith two lines")

    monkeypatch.delenv("SCAFFOLD_DEBUG", raising=False)
    monkeypatch.setitem(cli._COMMANDS, "audit", broken)
    assert main(["audit", "."]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert err.startswith("scaffold: internal error: RuntimeError: a bug with two lines")
    monkeypatch.setenv("SCAFFOLD_DEBUG", "1")
    with pytest.raises(RuntimeError, match="a bug"):
        main(["audit", "."])


def test_adopt_names_the_files_it_could_not_read(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    import os

    workflows = tmp_path / "svc" / ".github" / "workflows"
    workflows.mkdir(parents=True)
    os.mkfifo(workflows / "deploy-old.yml")
    assert main(["adopt", str(tmp_path / "svc"), "--defaults", "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert "not read .github/workflows/deploy-old.yml: " in out


@pytest.mark.parametrize("output", ["a" * 300, "a/" * 2100, "loop", "loop/kit"])
def test_a_bad_output_path_is_one_line_and_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, output: str
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "loop").symlink_to("loop")
    for extra in (["--dry-run"], []):
        code, _out, err = run(capsys, "new", "--defaults", "-o", output, *extra)
        assert code == 2
        assert err.count("\n") == 1 and err.startswith("scaffold: error: --output ")
        assert "internal error" not in err and "Traceback" not in err
    assert sorted(path.name for path in tmp_path.iterdir()) == ["loop"]


@pytest.mark.parametrize("command", ["new", "audit"])
def test_an_os_error_from_any_command_is_one_line_naming_the_file(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], command: str
) -> None:
    import errno

    import scaffold.cli as cli

    def broken(_args: object) -> int:
        raise OSError(errno.ENAMETOOLONG, "File name too long", "x\x1b[2Jy")

    monkeypatch.setitem(cli._COMMANDS, command, broken)
    assert main([command]) == 2
    err = capsys.readouterr().err
    assert err == "scaffold: error: x\\x1b[2Jy: File name too long; nothing more was written\n"


def _acme_repository(root: Path) -> Path:
    from tests.upgrade.support import git

    root.mkdir(parents=True)
    (root / "package.json").write_text('{"name": "x", "main": "index.js"}\n')
    git(root, "init", "-q", "-b", "trunk")
    git(root, "config", "remote.origin.url", "git@github.com:acme/x.git")
    return root


def test_new_with_defaults_takes_what_the_repository_says_and_names_its_evidence(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = _acme_repository(tmp_path / "x")
    code, _, err = run(capsys, "new", "--defaults", "--output", str(out))
    assert code == 0, err
    assert err.splitlines()[:4] == [
        "inferred language: node (package.json)",
        "inferred default_branch: trunk (git: the checked-out branch (HEAD))",
        "inferred platforms: github (git remote origin github.com/acme/x; no CI file)",
        "inferred starter: false (found package.json: the folder holds code)",
    ]
    assert "inferred source_repo: acme/x (git remote origin github.com/acme/x)" in err
    answers = yaml.safe_load((out / ".scaffold.yml").read_text())["answers"]
    expected = {
        "language": "node",
        "default_branch": "trunk",
        "source_repo": "acme/x",
        "image": "ghcr.io/acme/x",
        "starter": False,
    }
    assert {key: answers[key] for key in expected} == expected


def test_new_answers_given_win_over_what_the_repository_says(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = _acme_repository(tmp_path / "x")
    settings = ["language=go", "platforms=github,gitlab", "source_repo=platform/y"]
    code, _, err = run(capsys, "new", "--defaults", "--dry-run", "-o", str(out), *(f"--set={s}" for s in settings))
    assert code == 0, err
    inferred = [line.split(":", 1)[0] for line in err.splitlines() if line.startswith("inferred ")]
    assert inferred == ["inferred default_branch", "inferred starter"]  # the ghcr image does not fit GitLab CI


@pytest.mark.parametrize(
    ("origin", "source_repo"),
    [
        ("https://x-access-token:ghp_secret123@github.com/acme/x.git", "acme/x"),
        ("https://ghp_secret123@bitbucket.org/acme/x.git", None),
        ("https://github.com/acme/x\x1b]0;ghp_secret123\x07", None),
    ],
)
def test_new_never_prints_a_credential_or_an_escape_from_the_origin(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], origin: str, source_repo: str | None
) -> None:
    from tests.upgrade.support import git

    out = _acme_repository(tmp_path / "x")
    git(out, "config", "remote.origin.url", origin)
    code, stdout, err = run(capsys, "new", "--defaults", "--dry-run", "-o", str(out))
    assert code == 0, err
    assert "ghp_secret" not in stdout + err and "\x1b" not in stdout + err
    assert (f"inferred source_repo: {source_repo} " in err) is (source_repo is not None)
