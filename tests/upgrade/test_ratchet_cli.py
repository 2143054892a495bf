"""Each weakening the ratchet must block, end to end: a real repository with the full kit, the user's edit
committed, `scaffold upgrade` exits 3 naming the file, line and rule, writes nothing, and `scaffold diff` reports
the same weakening (exit 1). `scaffold audit` finds it too."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from scaffold import cli
from tests.answer_sets import ANSWER_SETS
from tests.upgrade.support import commit_all, make_repo, tree
from tests.upgrade.test_posture import EDITS, FULL, Edit


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_repo(tmp_path_factory.mktemp("template") / "service", ANSWER_SETS[FULL])


@pytest.fixture
def repo(template: Path, tmp_path: Path) -> Path:
    copy = tmp_path / "service"
    shutil.copytree(template, copy, symlinks=True)
    return copy


def _line(text: str, needle: str) -> int:
    return next(number for number, line in enumerate(text.splitlines(), 1) if needle in line)


@pytest.mark.parametrize("edit", EDITS, ids=[edit.name for edit in EDITS])
def test_upgrade_blocks_the_weakening_and_diff_and_audit_report_it(
    edit: Edit, repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = repo / edit.path
    text = target.read_text()
    assert edit.old in text
    target.write_text(text.replace(edit.old, edit.new, 1))
    commit_all(repo, "a user's edit")
    line = _line(target.read_text(), edit.needle)
    before = tree(repo)

    assert cli.main(["upgrade", str(repo), "--format=json"]) == 3
    report = json.loads(capsys.readouterr().out)
    assert report["written"] is False
    named = {(weak["path"], weak["line"], weak["rule"]) for weak in report["weakenings"]}
    assert any((edit.path, line, rule) in named for rule in edit.rules), named
    assert tree(repo) == before

    assert cli.main(["diff", str(repo), "--format=json"]) == 1
    drift = json.loads(capsys.readouterr().out)
    assert {(weak["path"], weak["line"], weak["rule"]) for weak in drift["weaker"]} == named

    assert cli.main(["audit", str(repo), "--format=json"]) == 1
    found = {(item["path"], item["line"], item["rule"]) for item in json.loads(capsys.readouterr().out)["findings"]}
    assert {(f"{repo}/{path}", at, rule) for path, at, rule in named} <= found
