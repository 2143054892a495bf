"""A cookiecutter template as a pack, through the command line: ``new --pack DIR --defaults`` renders and records
it, ``diff`` is green, ``upgrade --set`` re-renders with the user's edits kept, ``audit`` checks its CI files, and
its hooks are refused (exit 4, nothing written) without ``--trust``."""

from __future__ import annotations

from pathlib import Path

import pytest

from scaffold.cli import main
from scaffold.kit.record import read_record
from tests.packs.cookiecutter_templates import POST_GEN_HOOK, service_template
from tests.packs.gitserver import commit_all, git_in, isolated_git

pytestmark = pytest.mark.usefixtures(isolated_git.__name__)


def test_a_cookiecutter_template_renders_records_diffs_and_upgrades(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    template = service_template(tmp_path / "cookiecutter-service")
    out = tmp_path / "svc"
    assert main(["new", "--pack", str(template), "--defaults", "-o", str(out)]) == 0, capsys.readouterr().err
    assert (out / "src/payments_service/__init__.py").read_text() == '"""Payments Service."""\n'
    assert "${{" in (out / ".github/workflows/ci.yml").read_text()  # _copy_without_render kept it raw
    record = read_record(out)
    assert record.pack_format == "cookiecutter"
    assert record.pack_source == "../cookiecutter-service"  # a folder is recorded relative to the repository
    assert record.answers["project_slug"] == "payments-service"
    assert not any(key.startswith("_") for key in record.answers)

    git_in(out, "init", "-q", "-b", "main")
    commit_all(out, "rendered")
    capsys.readouterr()
    monkeypatch.chdir(out / "src")  # the recorded folder is found from anywhere
    assert main(["diff", ".."]) == 0, capsys.readouterr().out
    monkeypatch.chdir(tmp_path)

    readme = out / "README.md"
    readme.write_text(readme.read_text() + "\nOur own section.\n")
    commit_all(out, "edit")
    code = main(["upgrade", str(out), "--set", "project_name=Payments Core"])
    assert code == 0, capsys.readouterr().out
    assert "Our own section." in readme.read_text()
    assert read_record(out).answers["project_name"] == "Payments Core"
    assert (out / "src/payments_service/__init__.py").read_text() == '"""Payments Core."""\n'
    commit_all(out, "upgrade")
    capsys.readouterr()
    assert main(["diff", str(out)]) == 0, capsys.readouterr().out


def test_a_templates_hooks_need_trust(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    template = service_template(tmp_path / "hooked", hooks={"post_gen_project.py": POST_GEN_HOOK})
    out = tmp_path / "svc"
    assert main(["new", "--pack", str(template), "--defaults", "-o", str(out)]) == 4
    assert "post_gen_project.py" in capsys.readouterr().err
    assert not out.exists()
    assert main(["new", "--pack", str(template), "--defaults", "--trust", "-o", str(out)]) == 0
    assert read_record(out).pack_format == "cookiecutter"


def test_a_bad_answer_for_a_template_is_exit_2_naming_it(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    template = service_template(tmp_path / "t")
    out = tmp_path / "svc"
    assert main(["new", "--pack", str(template), "--defaults", "--set", "license=GPL", "-o", str(out)]) == 2
    assert "license" in capsys.readouterr().err
    assert not out.exists()
