"""A trusted cookiecutter template renders through real cookiecutter: hooks run, extensions load, and the result
is read back into the same tree the sandbox gives."""

from __future__ import annotations

import re
import tempfile
from pathlib import Path

import pytest

from scaffold.errors import UnsafePackError, UsageError
from scaffold.packs.cookiecutter import load_template, render, render_project, resolve
from tests.packs.cookiecutter_templates import (
    FAILING_PRE_GEN_HOOK,
    POST_GEN_HOOK,
    service_template,
    small_template,
    write,
)


@pytest.fixture(autouse=True)
def _isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A home and a temporary folder of the test's own, so what cookiecutter leaves behind can be seen."""
    home = tmp_path / "home"
    temporary = tmp_path / "tmp"
    home.mkdir()
    temporary.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setattr(tempfile, "tempdir", str(temporary))
    return temporary


def test_the_trusted_render_gives_the_sandboxs_tree(tmp_path: Path) -> None:
    template = load_template(service_template(tmp_path / "t"))
    given = {"project_name": "Ledger API", "license": "Proprietary", "use_docker": "no", "ci": {"runner": "arm64"}}
    trusted = render_project(template, given, trust=True)
    sandboxed = render_project(template, given, trust=False)
    assert trusted.files == sandboxed.files
    assert trusted.answers == sandboxed.answers == resolve(template, given, trust=True)
    assert [item.path for item in trusted.skipped] == ["docs/logo.png"]


def test_with_trust_a_post_gen_hook_runs_in_the_project_and_its_file_is_in_the_tree(tmp_path: Path) -> None:
    template = load_template(service_template(tmp_path / "t", hooks={"post_gen_project.py": POST_GEN_HOOK}))
    files = render(template, {"project_name": "Ledger API"}, trust=True)
    assert files["HOOK_RAN.txt"] == "slug=ledger-api\n"
    assert files["README.md"].startswith("# Ledger API\n")
    assert not (tmp_path / "t" / "HOOK_RAN.txt").exists()


def test_a_failing_hook_is_one_usage_error_and_the_temporary_folder_is_removed(
    tmp_path: Path, _isolated: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    template = load_template(service_template(tmp_path / "t", hooks={"pre_gen_project.py": FAILING_PRE_GEN_HOOK}))
    with pytest.raises(UsageError, match=r"cookiecutter template t: a hook failed: .*exit status: 1") as caught:
        render(template, {}, trust=True)
    assert "\n" not in str(caught.value)
    assert list(_isolated.iterdir()) == []
    assert "Traceback" not in capsys.readouterr().err


def test_a_git_folder_a_hook_makes_is_left_out(tmp_path: Path) -> None:
    hook = "import pathlib\npathlib.Path('.git').mkdir()\npathlib.Path('.git/config').write_text('[core]')\n"
    template = load_template(small_template(tmp_path / "t", {"a.txt": "a"}))
    write(template.root, "hooks/post_gen_project.py", hook)
    rendered = render_project(load_template(template.root), {}, trust=True)
    assert rendered.files == {"a.txt": "a"}
    assert [(item.path, item.reason) for item in rendered.skipped] == [(".git/", "git metadata")]


def test_with_trust_a_local_extension_is_loaded(tmp_path: Path) -> None:
    context = {"project_slug": "demo", "_extensions": ["local_extensions.shout"], "loud": "{{ 'hi'|shout }}"}
    root = small_template(
        tmp_path / "t", {"a.txt": "{{ cookiecutter.project_slug|shout }} {{ cookiecutter.loud }}"}, context
    )
    extension = (
        "from cookiecutter.utils import simple_filter\n\n\n"
        "@simple_filter\ndef shout(value):\n    return value.upper() + '!'\n"
    )
    write(root, "local_extensions.py", extension)
    template = load_template(root)
    assert resolve(template, {}, trust=True) == {"project_slug": "demo", "loud": "HI!"}
    assert render(template, {}, trust=True) == {"a.txt": "DEMO! HI!"}


def test_an_unknown_extension_is_one_line(tmp_path: Path) -> None:
    context = {"project_slug": "demo", "_extensions": ["no_such_module.Extension"]}
    template = load_template(small_template(tmp_path / "t", {"a.txt": "a"}, context))
    with pytest.raises(
        UnsafePackError, match=re.escape("cookiecutter.json: UnknownExtension: Unable to load extension")
    ):
        render(template, {}, trust=True)


def test_with_trust_an_answer_holding_template_syntax_is_refused(tmp_path: Path) -> None:
    template = load_template(service_template(tmp_path / "t"))
    for answer in ("{{ cycler.__init__.__globals__.os.system('id') }}", "{% set x = 1 %}", "a {# b"):
        with pytest.raises(UsageError, match="answer project_name: holds template syntax"):
            render(template, {"project_name": answer}, trust=True)
    with pytest.raises(UsageError, match=r"answer ci.runner: holds template syntax '\{\{'"):
        render(template, {"ci": {"runner": "{{ x }}"}}, trust=True)


def test_the_users_cookiecutter_config_and_replay_folder_are_left_alone(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = write(tmp_path, "user-config.yaml", "default_context:\n  project_name: From The User Config\n")
    monkeypatch.setenv("COOKIECUTTER_CONFIG", str(config))
    template = load_template(service_template(tmp_path / "t"))
    assert render(template, {}, trust=True)["README.md"].startswith("# Payments Service\n")
    assert list((tmp_path / "home").iterdir()) == []


def test_bad_answers_are_refused_the_same_way_with_trust(tmp_path: Path) -> None:
    template = load_template(service_template(tmp_path / "t", hooks={"post_gen_project.py": POST_GEN_HOOK}))
    with pytest.raises(UsageError, match="answer license: 'GPL' is not one of its choices"):
        render(template, {"license": "GPL"}, trust=True)
    with pytest.raises(UsageError, match="answer _copy_without_render: is private to the template"):
        resolve(template, {"_copy_without_render": []}, trust=True)


def test_the_answers_are_what_cookiecutter_used_after_a_pre_prompt_hook(tmp_path: Path) -> None:
    hook = (
        "import json, pathlib\n"
        "path = pathlib.Path('cookiecutter.json')\n"
        "context = json.loads(path.read_text())\n"
        "context['project_name'] = 'Renamed By Hook'\n"
        "path.write_text(json.dumps(context))\n"
    )
    root = service_template(tmp_path / "t", hooks={"pre_prompt.py": hook})
    rendered = render_project(load_template(root), {}, trust=True)
    assert rendered.answers["project_name"] == "Renamed By Hook"
    assert rendered.answers["project_slug"] == "renamed-by-hook"
    assert "src/renamed_by_hook/__init__.py" in rendered.files
    assert '"Payments Service"' in (root / "cookiecutter.json").read_text()
