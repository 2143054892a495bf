"""The merge base is the exact previous render even after the kit moved on: from the stored base commit, from
the repository's history, and an honest conflict when neither has it."""

from __future__ import annotations

from pathlib import Path

import pytest

from scaffold import api
from scaffold.kit.answers import validate
from scaffold.kit.packs import Pack
from scaffold.kit.record import read_record
from scaffold.upgrade import repo as git_store
from scaffold.upgrade.plan import Status
from tests.upgrade import support
from tests.upgrade.support import DEFAULT_ANSWERS, commit_all, git, make_repo, render_v

CI = ".github/workflows/ci.yml"
USER_EDIT = ("    timeout-minutes: 30\n", "    timeout-minutes: 25\n")


@pytest.fixture(scope="module")
def kit_v2(tmp_path_factory: pytest.TempPathFactory) -> Pack:
    return support.make_kit_v2(tmp_path_factory.mktemp("kit") / "pack-v2")


def _edit_ci(repo: Path) -> None:
    target = repo / CI
    target.write_text(target.read_text().replace(*USER_EDIT))


def _expected_ci(kit_v2: Pack) -> str:
    return render_v(kit_v2)[CI].replace(*USER_EDIT)


def _outcome(result: api.UpgradeResult, path: str) -> Status:
    return next(outcome.status for outcome in result.outcomes if outcome.path == path)


def test_new_stores_the_render_as_a_base_commit(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "service")
    stored = git_store.base_files(repo)
    rendered = render_v(None)
    assert {path: text.decode() for path, text in stored.items()} == {
        path: text for path, text in rendered.items() if path != ".scaffold.yml"
    }
    assert git(repo, "log", "-1", "--format=%s", git_store.BASE_REF).strip() == "scaffold base: scaffold-default 1.0.0"


def test_base_from_the_stored_commit_when_edits_were_never_committed_unmodified(tmp_path: Path, kit_v2: Pack) -> None:
    repo = tmp_path / "service"
    repo.mkdir()
    git(repo, "init", "-q", "-b", "main")
    api.new(output=repo, answers=validate(DEFAULT_ANSWERS))
    _edit_ci(repo)
    commit_all(repo, "kit and edits in one commit")  # history never held the pristine ci.yml
    result = api.upgrade(path=repo, pack=kit_v2)
    assert result.base_sources[CI] == "stored base"
    assert _outcome(result, CI) is Status.MERGED
    assert (repo / CI).read_text() == _expected_ci(kit_v2)


def test_base_from_history_in_a_clone_without_the_base_ref(tmp_path: Path, kit_v2: Pack) -> None:
    origin = make_repo(tmp_path / "origin")
    _edit_ci(origin)
    commit_all(origin, "user edit")
    clone = tmp_path / "clone"
    git(tmp_path, "clone", "-q", str(origin), str(clone))
    assert git_store.base_files(clone) == {}  # refs/scaffold/* is not fetched by default
    result = api.upgrade(path=clone, pack=kit_v2)
    assert result.base_sources[CI] == "git history"
    assert (clone / CI).read_text() == _expected_ci(kit_v2)


def test_base_by_re_render_when_the_kit_version_is_unchanged(tmp_path: Path) -> None:
    repo = tmp_path / "service"
    repo.mkdir()
    api.new(output=repo, answers=validate(DEFAULT_ANSWERS))  # not a git repository yet: nothing stored
    git(repo, "init", "-q", "-b", "main")
    _edit_ci(repo)
    commit_all(repo, "first commit already edited")
    result = api.upgrade(path=repo, settings=["coverage_min=90"])
    assert result.base_sources[CI] == "re-render"
    expected = render_v(None, {**DEFAULT_ANSWERS, "coverage_min": 90})[CI].replace(*USER_EDIT)
    assert (repo / CI).read_text() == expected


def test_without_any_base_the_file_is_a_whole_file_conflict_not_a_guess(tmp_path: Path, kit_v2: Pack) -> None:
    repo = tmp_path / "service"
    repo.mkdir()
    api.new(output=repo, answers=validate(DEFAULT_ANSWERS))
    git(repo, "init", "-q", "-b", "main")
    _edit_ci(repo)
    commit_all(repo, "first commit already edited")
    edited = (repo / CI).read_text()
    result = api.upgrade(path=repo, pack=kit_v2)
    outcome = next(outcome for outcome in result.outcomes if outcome.path == CI)
    assert outcome.status is Status.CONFLICT
    assert outcome.note == "the previous render could not be found"
    text = (repo / CI).read_text()
    assert text.startswith("<<<<<<< your version\n" + edited)
    assert text.endswith(render_v(kit_v2)[CI] + ">>>>>>> kit scaffold-default 1.1.0\n")
    assert read_record(repo).pack_version == "1.1.0"


def test_upgrade_moves_the_base_ref_to_the_new_render(tmp_path: Path, kit_v2: Pack) -> None:
    repo = make_repo(tmp_path / "service")
    first = git(repo, "rev-parse", git_store.BASE_REF).strip()
    api.upgrade(path=repo, pack=kit_v2)
    stored = git_store.base_files(repo)
    assert stored[CI].decode() == render_v(kit_v2)[CI]
    assert git(repo, "rev-parse", f"{git_store.BASE_REF}^").strip() == first


def test_a_kit_in_a_sub_folder_has_its_own_base_ref(tmp_path: Path, kit_v2: Pack) -> None:
    top = tmp_path / "mono"
    top.mkdir()
    git(top, "init", "-q", "-b", "main")
    service = top / "services" / "orders"
    service.mkdir(parents=True)
    api.new(output=service, answers=validate(DEFAULT_ANSWERS))
    _edit_ci(service)
    commit_all(top, "kit and edit")
    refs = git(top, "for-each-ref", "--format=%(refname)", "refs/scaffold/").split()
    assert len(refs) == 1 and refs[0].startswith(git_store.BASE_REF + "-")
    result = api.upgrade(path=service, pack=kit_v2)
    assert result.base_sources[CI] == "stored base"
    assert (service / CI).read_text() == _expected_ci(kit_v2)
