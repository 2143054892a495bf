"""Cookiecutter templates as packs: loading, cookiecutter's context rules, and the sandboxed render.

Templates are written by the tests (tests/packs/cookiecutter_templates.py) in the shapes public templates use;
cookiecutter itself is the reference where the rules are its own.
"""

from __future__ import annotations

import json
import re
import tempfile
from pathlib import Path
from typing import Any

import pytest
from cookiecutter.generate import generate_context
from cookiecutter.prompt import prompt_for_config

from scaffold.errors import UnsafePackError, UntrustedPackError, UsageError
from scaffold.packs.cookiecutter import (
    Budget,
    full_context,
    is_cookiecutter,
    load_template,
    questions,
    render,
    render_project,
    resolve,
)
from tests.packs.cookiecutter_templates import (
    CONTEXT,
    POST_GEN_HOOK,
    PROJECT,
    service_template,
    small_template,
    write,
    write_context,
)


@pytest.fixture
def service(tmp_path: Path) -> Path:
    return service_template(tmp_path / "service-template")


def _snapshot(folder: Path) -> dict[str, bytes]:
    return {path.relative_to(folder).as_posix(): path.read_bytes() for path in folder.rglob("*") if path.is_file()}


# -- loading -------------------------------------------------------------------------------------------------------


def test_a_folder_with_cookiecutter_json_is_a_template(service: Path, tmp_path: Path) -> None:
    assert is_cookiecutter(service)
    (tmp_path / "plain").mkdir()
    assert not is_cookiecutter(tmp_path / "plain")
    assert not is_cookiecutter(tmp_path / "missing")


@pytest.mark.parametrize(
    ("folder", "expected"),
    [
        ("Service Template", "service-template"),
        ("cookiecutter-pypackage", "cookiecutter-pypackage"),
        ("__", "cookiecutter-template"),
    ],
)
def test_the_pack_is_named_after_the_folder(tmp_path: Path, folder: str, expected: str) -> None:
    assert load_template(service_template(tmp_path / folder)).name == expected


def test_loading_keeps_the_context_in_order_and_finds_the_project_folder(service: Path) -> None:
    template = load_template(service)
    assert list(template.context) == list(CONTEXT)
    assert template.project_folder == PROJECT
    assert template.untrusted_parts == ()
    assert "README.md" in template.project.texts
    assert template.project.binaries == ("docs/logo.png",)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("{not json", "cookiecutter.json: is not valid JSON"),
        ("[1, 2]", "cookiecutter.json: must be a JSON object"),
        ('{"templates": {"a": {"path": "./a"}}}', "cookiecutter.json: templates: nested templates are not supported"),
        ('{"x": "1", "_copy_without_render": "*.yml"}', "cookiecutter.json: _copy_without_render: must be a list"),
        ('{"x": "1", "_new_lines": "LF"}', "cookiecutter.json: _new_lines: must be"),
        ('{"x": "1", "_jinja2_env_vars": [1]}', "cookiecutter.json: _jinja2_env_vars: must be an object"),
        ("[" * 5000 + "]" * 5000, "cookiecutter.json: is not valid JSON"),
        ('{"x": ' + "[" * 30 + "]" * 30 + "}", "nested more than 20 levels deep"),
    ],
)
def test_a_bad_cookiecutter_json_is_refused_naming_the_field(tmp_path: Path, content: str, message: str) -> None:
    root = small_template(tmp_path / "t", {"a.txt": "a"})
    write(root, "cookiecutter.json", content)
    with pytest.raises(UnsafePackError, match=message.replace("(", r"\(").replace("[", r"\[")):
        load_template(root)


def test_a_symlinked_cookiecutter_json_is_refused(tmp_path: Path) -> None:
    outside = write(tmp_path / "elsewhere", "cookiecutter.json", '{"project_slug": "x"}')
    root = small_template(tmp_path / "t", {"a.txt": "a"})
    (root / "cookiecutter.json").unlink()
    (root / "cookiecutter.json").symlink_to(outside)
    with pytest.raises(UnsafePackError, match=re.escape("cookiecutter.json: is a symlink")):
        load_template(root)


def test_the_project_folder_must_be_one_real_folder(tmp_path: Path) -> None:
    root = tmp_path / "t"
    write_context(root, {"project_slug": "x"})
    with pytest.raises(UnsafePackError, match="no project folder"):
        load_template(root)
    write(root, "{{cookiecutter.project_slug}}/a.txt", "a")
    write(root, "{{cookiecutter.other}}/b.txt", "b")
    with pytest.raises(UnsafePackError, match="two project folders"):
        load_template(root)


def test_a_symlinked_project_folder_is_refused(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    write(outside, "secret.txt", "secret")
    root = tmp_path / "t"
    write_context(root, {"project_slug": "x"})
    (root / PROJECT).symlink_to(outside, target_is_directory=True)
    with pytest.raises(UnsafePackError, match="is not a folder"):
        load_template(root)


def test_symlinks_inside_the_project_are_skipped_and_listed_never_read(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    secret = write(outside, "secret.txt", "the secret")
    root = small_template(tmp_path / "t", {"a.txt": "a"})
    (root / PROJECT / "linked.txt").symlink_to(secret)
    (root / PROJECT / "linked-folder").symlink_to(outside, target_is_directory=True)
    rendered = render_project(load_template(root), {}, trust=False)
    assert rendered.files == {"a.txt": "a"}
    assert {(item.path, item.reason) for item in rendered.skipped} == {
        ("linked.txt", "a symlink, not followed"),
        ("linked-folder/", "a symlink, not followed"),
    }
    assert all("the secret" not in text for text in rendered.files.values())


def test_the_budget_bounds_files_and_bytes(tmp_path: Path) -> None:
    many = small_template(tmp_path / "many", {f"f{index}.txt": "x" for index in range(6)})
    with pytest.raises(UnsafePackError, match="more than 5 files"):
        load_template(many, budget=Budget(max_files=5))
    big = small_template(tmp_path / "big", {"big.txt": "x" * 2000})
    with pytest.raises(UnsafePackError, match="is larger than 1000 bytes"):
        load_template(big, budget=Budget(max_file_bytes=1000))
    total = small_template(tmp_path / "total", {"a.txt": "x" * 600, "b.txt": "y" * 600})
    with pytest.raises(UnsafePackError, match="more than 1000 bytes"):
        load_template(total, budget=Budget(max_total_bytes=1000))


# -- questions -----------------------------------------------------------------------------------------------------


def test_questions_list_the_public_variables_as_cookiecutter_asks_them(service: Path) -> None:
    listed = questions(load_template(service))
    assert [question.key for question in listed] == [
        "project_name",
        "project_slug",
        "package_name",
        "owner_email",
        "license",
        "python_version",
        "use_docker",
        "ci",
    ]
    by_key = {question.key: question for question in listed}
    assert by_key["project_name"].prompt == "What is the service called?"
    assert by_key["license"].kind == "choice"
    assert by_key["license"].default == "MIT"
    assert by_key["license"].choices == ("MIT", "Apache-2.0", "Proprietary")
    assert by_key["license"].choice_labels == ("MIT license", "Apache-2.0", "Closed source")
    assert by_key["license"].prompt == "Which license?"
    assert by_key["use_docker"].kind == "bool"
    assert by_key["use_docker"].default == "yes"
    assert by_key["ci"].kind == "dict"
    assert by_key["project_slug"].default.startswith("{{ cookiecutter.project_name")
    private = {question.key for question in questions(load_template(service), include_private=True) if question.private}
    assert private == {"_team", "__service_id", "_copy_without_render"}


# -- resolving -----------------------------------------------------------------------------------------------------


def test_resolve_follows_cookiecutters_own_context_rules(service: Path) -> None:
    given = {"project_name": "Ledger API", "license": "Apache-2.0", "use_docker": "no", "ci": {"runner": "self-hosted"}}
    reference = prompt_for_config(generate_context(str(service / "cookiecutter.json"), extra_context=dict(given)), True)
    assert full_context(load_template(service), given, trust=False) == dict(reference)


def test_resolve_returns_the_public_answers_in_order(service: Path) -> None:
    answers = resolve(load_template(service), {"project_name": "Ledger API"}, trust=False)
    assert answers == {
        "project_name": "Ledger API",
        "project_slug": "ledger-api",
        "package_name": "ledger_api",
        "owner_email": "ledger-api@example.com",
        "license": "MIT",
        "python_version": "3.12",
        "use_docker": True,
        "ci": {"runner": "ubuntu-24.04", "coverage": "90", "image": "python:3.12"},
    }
    assert list(answers) == [key for key in CONTEXT if not key.startswith("_")]


@pytest.mark.parametrize(
    ("given", "message"),
    [
        ({"license": "GPL"}, "answer license: 'GPL' is not one of its choices: MIT, Apache-2.0, Proprietary"),
        ({"license": ["MIT"]}, "answer license: .* is not one of its choices"),
        ({"nope": "x"}, "answer nope: the template has no such variable"),
        ({"_team": "red"}, "answer _team: is private to the template"),
        ({"__service_id": "x"}, "answer __service_id: is private to the template"),
        ({"_extensions": ["os.system"]}, "answer _extensions: is private to the template"),
        ({"use_docker": "maybe"}, "answer use_docker: must be yes or no"),
        ({"project_name": ["a"]}, "answer project_name: must be text"),
        ({"project_name": "x" * 10_001}, "answer project_name: must be at most 10000 characters"),
        ({"ci": "runner"}, "answer ci: must be a mapping"),
        ({"ci": {"runner": object()}}, "answer ci.runner: must be plain data"),
    ],
)
def test_bad_answers_are_refused_naming_the_key(service: Path, given: dict[str, Any], message: str) -> None:
    with pytest.raises(UsageError, match=message):
        resolve(load_template(service), given, trust=False)


@pytest.mark.parametrize(("word", "expected"), [("no", False), ("OFF", False), ("0", False), ("y", True), (True, True)])
def test_booleans_take_cookiecutters_yes_and_no_words(service: Path, word: Any, expected: bool) -> None:
    assert resolve(load_template(service), {"use_docker": word}, trust=False)["use_docker"] is expected


def test_a_choice_matches_its_rendered_option_too(service: Path) -> None:
    assert resolve(load_template(service), {"python_version": "3.11"}, trust=False)["python_version"] == "3.11"
    assert resolve(load_template(service), {"python_version": 3.11}, trust=False)["python_version"] == "3.11"


def test_a_dictionary_answer_is_laid_over_the_default(service: Path) -> None:
    answers = resolve(load_template(service), {"ci": {"runner": "self-hosted", "extra": {"a": 1}}}, trust=False)
    assert answers["ci"] == {"runner": "self-hosted", "coverage": "90", "image": "python:3.12", "extra": {"a": 1}}


def test_given_answers_are_taken_as_they_are_never_rendered(service: Path) -> None:
    answers = resolve(load_template(service), {"project_name": "{{ cookiecutter.__class__ }}"}, trust=False)
    assert answers["project_name"] == "{{ cookiecutter.__class__ }}"


# -- rendering -----------------------------------------------------------------------------------------------------


def test_the_public_shapes_render_with_defaults(service: Path) -> None:
    rendered = render_project(load_template(service), {}, trust=False)
    assert sorted(rendered.files) == [
        ".github/workflows/ci.yml",
        "Dockerfile",
        "README.md",
        "notes.raw.txt",
        "src/payments_service/__init__.py",
        "windows.bat",
    ]
    readme = rendered.files["README.md"]
    assert readme.startswith("# Payments Service\n")
    assert "team platform (payments-service@example.com), id payments_service-svc." in readme
    assert "License: MIT. Python 3.12." in readme
    assert "Runs in Docker." in readme
    assert "CI runs on ubuntu-24.04 with python:3.12, coverage 90%." in readme
    assert readme.endswith("Generated for payments-service.\n")
    assert '${{ github.sha }}" {{ cookiecutter.not_rendered }}' in rendered.files[".github/workflows/ci.yml"]
    assert rendered.files["notes.raw.txt"] == "kept as is: {{ cookiecutter.project_name }}\n"
    assert rendered.files["windows.bat"] == "@echo payments-service\r\nexit /b 0\r\n"
    assert rendered.files["Dockerfile"] == "FROM python:3.12\n"
    assert [(item.path, item.reason) for item in rendered.skipped] == [
        ("docs/logo.png", "a binary file; a kit holds text only")
    ]
    assert rendered.answers["project_slug"] == "payments-service"


def test_given_answers_flow_into_derived_defaults_and_file_names(service: Path) -> None:
    files = render(load_template(service), {"project_name": "Ledger API", "use_docker": False}, trust=False)
    assert "src/ledger_api/__init__.py" in files
    assert "Dockerfile" not in files  # its name renders empty, and cookiecutter writes nothing then
    assert "Runs in Docker." not in files["README.md"]


def test_the_same_answers_render_the_same_tree_and_the_answers_round_trip(service: Path) -> None:
    template = load_template(service)
    given = {"project_name": "Ledger API", "license": "Proprietary", "ci": {"coverage": "75"}}
    answers = resolve(template, given, trust=False)
    first = render(template, given, trust=False)
    assert render(template, given, trust=False) == first
    assert render(template, answers, trust=False) == first
    assert resolve(template, answers, trust=False) == answers
    recorded = json.loads(json.dumps(answers))  # what a record keeps survives a serialisation
    assert render(template, recorded, trust=False) == first
    assert render(template, full_context(template, given, trust=False), trust=False) == first


def test_a_copied_folder_keeps_its_files_names_and_contents_raw(tmp_path: Path) -> None:
    context = {"project_slug": "demo", "vendor": "acme", "_copy_without_render": ["{{cookiecutter.vendor}}-lib"]}
    files = {"{{cookiecutter.vendor}}-lib/{{raw}}.txt": "{{ untouched }}", "main.txt": "{{ cookiecutter.vendor }}"}
    rendered = render(load_template(small_template(tmp_path / "t", files, context)), {}, trust=False)
    assert rendered == {"acme-lib/{{raw}}.txt": "{{ untouched }}", "main.txt": "acme"}


def test_new_lines_setting_applies_to_rendered_files(tmp_path: Path) -> None:
    context = {"project_slug": "demo", "_new_lines": "\r\n"}
    rendered = render(load_template(small_template(tmp_path / "t", {"a.txt": "one\ntwo\n"}, context)), {}, trust=False)
    assert rendered == {"a.txt": "one\r\ntwo\r\n"}


def test_custom_delimiters_from_jinja2_env_vars_render_in_the_sandbox(tmp_path: Path) -> None:
    context = {"project_slug": "demo", "_jinja2_env_vars": {"variable_start_string": "<<", "variable_end_string": ">>"}}
    root = tmp_path / "t"
    write_context(root, context)
    write(root, "<<cookiecutter.project_slug>>/a.txt", "<< cookiecutter.project_slug >> {{ kept }}")
    assert render(load_template(root), {}, trust=False) == {"a.txt": "demo {{ kept }}"}


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        ("../escape", "climbs out with '..'"),
        ("/etc/cron.d/x", "is absolute"),
        (".git/hooks/pre-commit", "is inside .git"),
        ("sub/.GIT/config", "is inside .git"),
        ("line\nbreak", "holds a backslash or a control character"),
        ("a\\b", "holds a backslash or a control character"),
    ],
)
def test_a_file_name_that_leaves_the_project_is_refused(tmp_path: Path, value: str, problem: str) -> None:
    context = {"project_slug": "demo", "target": value}
    template = load_template(small_template(tmp_path / "t", {"{{cookiecutter.target}}": "x"}, context))
    with pytest.raises(UnsafePackError, match=f"template file '{{{{cookiecutter.target}}}}' renders to .*{problem}"):
        render(template, {}, trust=False)


def test_two_files_rendering_to_one_path_are_refused(tmp_path: Path) -> None:
    context = {"project_slug": "demo", "a": "same", "b": "same"}
    files = {"{{cookiecutter.a}}.txt": "1", "{{cookiecutter.b}}.txt": "2"}
    with pytest.raises(UnsafePackError, match=re.escape("both render to 'same.txt'")):
        render(load_template(small_template(tmp_path / "t", files, context)), {}, trust=False)


# -- trust ---------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("hook", ["post_gen_project.py", "pre_gen_project.sh", "pre_prompt.py"])
def test_hooks_are_refused_without_trust_and_nothing_is_written(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, hook: str
) -> None:
    temporary = tmp_path / "tmp"
    temporary.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(temporary))
    root = service_template(tmp_path / "t", hooks={hook: POST_GEN_HOOK})
    before = _snapshot(tmp_path)
    template = load_template(root)
    assert template.untrusted_parts == (f"hooks/{hook}",)
    for call in (
        lambda: resolve(template, {}, trust=False),
        lambda: render(template, {}, trust=False),
        lambda: render_project(template, {}, trust=False),
    ):
        with pytest.raises(UntrustedPackError, match=f"hooks/{hook} runs code; pass --trust to run it") as caught:
            call()
        assert caught.value.exit_code == 4
    assert _snapshot(tmp_path) == before
    assert list(temporary.iterdir()) == []


def test_a_backup_file_or_a_helper_in_hooks_is_not_a_hook(tmp_path: Path) -> None:
    root = service_template(tmp_path / "t", hooks={"post_gen_project.py~": "x", "helpers.py": "x"})
    assert load_template(root).untrusted_parts == ()


def test_extensions_are_refused_without_trust(tmp_path: Path) -> None:
    context = {"project_slug": "demo", "_extensions": ["local_extensions.shout"]}
    root = small_template(tmp_path / "t", {"a.txt": "{{ cookiecutter.project_slug|shout }}"}, context)
    write(root, "local_extensions.py", "raise SystemExit('must not be imported')\n")
    template = load_template(root)
    assert template.untrusted_parts == ("_extensions (local_extensions.shout)",)
    with pytest.raises(UntrustedPackError, match=r"_extensions \(local_extensions.shout\) runs code"):
        render(template, {}, trust=False)


def test_environment_options_beyond_syntax_need_trust(tmp_path: Path) -> None:
    context = {"project_slug": "demo", "_jinja2_env_vars": {"enable_async": True, "trim_blocks": True}}
    template = load_template(small_template(tmp_path / "t", {"a.txt": "a"}, context))
    assert template.untrusted_parts == ("_jinja2_env_vars.enable_async",)
    with pytest.raises(
        UntrustedPackError, match=re.escape("_jinja2_env_vars.enable_async changes the Jinja environment")
    ):
        resolve(template, {}, trust=False)
