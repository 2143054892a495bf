"""End to end: `python -m scaffold new` in a real pseudo-terminal (pexpect), and without any terminal at all."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pytest
import yaml

from scaffold.kit.answers import Answers, validate
from tests.support.keys import DEFAULT_QUESTIONS

pexpect = pytest.importorskip("pexpect")

ROOT = Path(__file__).resolve().parents[1]
TIMEOUT = 30
CLEAR = "\x15"  # Ctrl-U: delete the pre-filled default
CTRL_C = "\x03"
CTRL_D = "\x04"


def prompt_text(key: str) -> str:
    return str((Answers.model_fields[key].json_schema_extra or {})["prompt"])  # type: ignore[index]


def spawn_new(output: Path) -> Any:
    env = {
        **os.environ,
        "TERM": "xterm",
        "PROMPT_TOOLKIT_NO_CPR": "1",  # nobody answers cursor position requests in a bare pty
        "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])),
    }
    return pexpect.spawn(
        sys.executable,
        ["-m", "scaffold", "new", "--output", str(output)],
        cwd=str(ROOT),
        env=env,
        encoding="utf-8",
        codec_errors="replace",
        dimensions=(50, 250),
        timeout=TIMEOUT,
    )


def answer_in_turn(child: Any, keys: Sequence[str], replies: Mapping[str, str] | None = None) -> None:
    """Wait for each key's prompt in order and answer it: Enter (its default) unless ``replies`` says otherwise."""
    for key in keys:
        child.expect_exact(prompt_text(key))
        child.send((replies or {}).get(key, "\r"))


def confirm_and_finish(child: Any, *shown: str) -> int:
    """Wait for the summary (and each of ``shown`` in it), accept its confirmation, and return the exit status
    once the kit is written."""
    child.expect_exact("summary:")
    for text in shown:
        child.expect_exact(text)
    child.expect_exact("Write the kit to")
    child.send("\r")
    child.expect_exact("wrote ")
    return finish(child)


def finish(child: Any) -> int:
    """Wait for the child to exit and return its exit status."""
    child.expect(pexpect.EOF, timeout=TIMEOUT)
    child.close()
    assert child.signalstatus is None, f"killed by signal {child.signalstatus}"
    return int(child.exitstatus)


def test_interactive_new_in_a_terminal_writes_the_kit_with_the_typed_name(tmp_path: Path) -> None:
    output = tmp_path / "kit"
    child = spawn_new(output)
    try:
        child.expect_exact(prompt_text("name"))
        child.send(CLEAR + "pty-demo\r")
        answer_in_turn(child, DEFAULT_QUESTIONS[1:])  # every other question shows up in turn; Enter takes its default
        status = confirm_and_finish(child)
    finally:
        child.close(force=True)

    assert status == 0, child.before
    record = yaml.safe_load((output / ".scaffold.yml").read_text(encoding="utf-8"))
    assert record["answers"]["name"] == "pty-demo"
    assert record["answers"]["image"] == "ghcr.io/my-org/pty-demo"
    # Enter on every other question gave exactly what --defaults gives.
    assert record["answers"] == validate({"name": "pty-demo"}).model_dump(exclude_none=True)


@pytest.mark.parametrize(
    ("keys", "reason"),
    [
        pytest.param(CLEAR + CTRL_D, "end of input", id="ctrl-d"),
        pytest.param(CTRL_C, "interrupted", id="ctrl-c"),
    ],
)
def test_stopping_at_a_prompt_exits_2_and_writes_nothing(tmp_path: Path, keys: str, reason: str) -> None:
    output = tmp_path / "kit"
    child = spawn_new(output)
    try:
        child.expect_exact(prompt_text("name"))
        child.send(keys)
        child.expect_exact(reason)
        child.expect_exact("--defaults")
        status = finish(child)
    finally:
        child.close(force=True)

    assert status == 2
    assert not output.exists()


def test_without_a_terminal_new_exits_2_naming_defaults_and_answers(tmp_path: Path) -> None:
    output = tmp_path / "kit"
    completed = subprocess.run(
        [sys.executable, "-m", "scaffold", "new", "--output", str(output)],
        cwd=ROOT,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
        check=False,
    )

    assert completed.returncode == 2
    lines = completed.stderr.splitlines()
    assert len(lines) == 1, completed.stderr
    assert lines[0].startswith("scaffold: error: ")
    assert "--defaults" in lines[0]
    assert "--answers" in lines[0]
    assert completed.stdout == ""
    assert not output.exists()


def test_interactive_adopt_asks_only_what_it_could_not_infer(tmp_path: Path) -> None:
    repo = tmp_path / "shop"
    (repo / ".github" / "workflows").mkdir(parents=True)
    (repo / "package-lock.json").write_text("{}\n")
    (repo / ".github" / "workflows" / "ci.yml").write_text("on: push\njobs:\n  test:\n    runs-on: x\n    steps:\n")
    env = {**os.environ, "TERM": "xterm", "PROMPT_TOOLKIT_NO_CPR": "1", "PYTHONPATH": str(ROOT)}
    child = pexpect.spawn(
        sys.executable,
        ["-m", "scaffold", "adopt", str(repo)],
        cwd=str(ROOT),
        env=env,
        encoding="utf-8",
        codec_errors="replace",
        dimensions=(50, 250),
        timeout=TIMEOUT,
    )
    prompts = {
        prompt_text(key): key
        for key in Answers.model_fields
        if "prompt" in (Answers.model_fields[key].json_schema_extra or {})
    }  # type: ignore[operator]
    asked = []
    try:
        while True:
            index = child.expect_exact([*prompts, "file(s) and .scaffold.yml"])
            if index == len(prompts):
                break
            asked.append(list(prompts.values())[index])
            child.send("\r")
        status = finish(child)
    finally:
        child.close(force=True)

    assert status == 0, child.before
    assert "coverage_min" in asked
    assert not {"name", "language", "platforms", "container"} & set(asked)
    record = yaml.safe_load((repo / ".scaffold.yml").read_text(encoding="utf-8"))
    assert (record["answers"]["language"], record["answers"]["platforms"]) == ("node", ["github"])


def test_a_team_packs_questions_are_asked_and_its_locked_answers_are_not(tmp_path: Path) -> None:
    from tests.packs.team_packs import write_pack

    pack = write_pack(tmp_path / "pack")
    given = {key: value for key, value in validate({}).model_dump(exclude_none=True).items() if key != "block_severity"}
    answers = tmp_path / "answers.yml"
    answers.write_text(yaml.safe_dump(given), encoding="utf-8")
    output = tmp_path / "kit"
    env = {
        **os.environ,
        "TERM": "xterm",
        "PROMPT_TOOLKIT_NO_CPR": "1",
        "XDG_CONFIG_HOME": str(tmp_path / "config"),
        "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])),
    }
    args = ["-m", "scaffold", "new", "--pack", str(pack), "--answers", str(answers), "--output", str(output)]
    child = pexpect.spawn(sys.executable, args, cwd=str(ROOT), env=env, encoding="utf-8", timeout=TIMEOUT)
    try:
        child.expect_exact("Owning team")
        child.send(CLEAR + "payments\r")
        child.expect_exact("tier")
        child.send("\r")
        child.expect_exact("Write the kit to")  # nothing else was asked: a locked answer's prompt would wait here
        child.send("\r")
        child.expect_exact("wrote ")
        status = finish(child)
    finally:
        child.close(force=True)
    assert status == 0, child.before
    record = yaml.safe_load((output / ".scaffold.yml").read_text(encoding="utf-8"))
    assert record["answers"]["team"] == "payments"
    assert record["answers"]["tier"] == "silver"
    assert record["answers"]["block_severity"] == "high"


def test_an_answer_a_rule_across_answers_refuses_is_asked_again_then_the_summary(tmp_path: Path) -> None:
    output = tmp_path / "kit"
    image = DEFAULT_QUESTIONS.index("image")
    child = spawn_new(output)
    try:
        child.expect_exact(prompt_text("name"))
        child.send(CLEAR + "shop\r")
        # a valid image path on its own, but not a ghcr one: only the rule across answers refuses it
        answer_in_turn(child, DEFAULT_QUESTIONS[1 : image + 1], {"image": CLEAR + "docker.io/acme/shop\r"})
        child.expect_exact(f"{prompt_text('image')} [refused: must be a ghcr repository path like")
        assert prompt_text("environments") not in child.before  # asked again at once, not after the others
        child.send(CLEAR + "ghcr.io/acme/shop\r")
        answer_in_turn(child, DEFAULT_QUESTIONS[image + 1 :])
        status = confirm_and_finish(child, "ghcr.io/acme/shop")
    finally:
        child.close(force=True)
    assert status == 0, child.before
    record = yaml.safe_load((output / ".scaffold.yml").read_text(encoding="utf-8"))
    assert record["answers"]["image"] == "ghcr.io/acme/shop" and record["answers"]["name"] == "shop"


def test_new_in_a_repository_shows_what_it_read_and_proposes_it(tmp_path: Path) -> None:
    from tests.upgrade.support import git

    output = tmp_path / "x"
    output.mkdir()
    (output / "package.json").write_text('{"name": "x", "main": "index.js"}\n', encoding="utf-8")
    git(output, "init", "-q", "-b", "trunk")
    git(output, "config", "remote.origin.url", "git@github.com:acme/x.git")
    child = spawn_new(output)
    try:
        for line in (
            "inferred language: node (package.json)",
            "inferred default_branch: trunk (git: the checked-out branch (HEAD))",
            "inferred image: ghcr.io/acme/x (git remote origin github.com/acme/x",
            "inferred source_repo: acme/x (git remote origin github.com/acme/x)",
        ):
            child.expect_exact(line)
            assert prompt_text("name") not in child.before  # the evidence comes before the first question
        proposed = {"default_branch": "trunk", "starter": "(y/N)", "image": "ghcr.io/acme/x", "source_repo": "acme/x"}
        for key in DEFAULT_QUESTIONS:
            child.expect_exact(prompt_text(key))
            if key in proposed:
                child.expect_exact(proposed[key])  # pre-filled with what the repository says; Enter takes it
            child.send("\r")
        status = confirm_and_finish(child)
    finally:
        child.close(force=True)
    assert status == 0, child.before
    answers = yaml.safe_load((output / ".scaffold.yml").read_text(encoding="utf-8"))["answers"]
    assert (answers["language"], answers["default_branch"]) == ("node", "trunk")
    assert (answers["source_repo"], answers["image"]) == ("acme/x", "ghcr.io/acme/x")
    assert answers["starter"] is False


def test_declining_at_the_summary_writes_nothing(tmp_path: Path) -> None:
    output = tmp_path / "kit"
    child = spawn_new(output)
    try:
        answer_in_turn(child, DEFAULT_QUESTIONS)
        child.expect_exact("Write the kit to")
        child.send("n")
        child.expect_exact("stopped at the summary; nothing was written")
        status = finish(child)
    finally:
        child.close(force=True)
    assert status == 2
    assert not output.exists()
