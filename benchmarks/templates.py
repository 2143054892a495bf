"""The peers' templates, generated from the kit, so that cookiecutter and copier render the very files scaffold does.

Each rendered file of the kit becomes a template file in which the service name is a Jinja variable and every other
byte sits in a ``{% raw %}`` block (GitHub's ``${{ }}`` expressions survive). The peers still render every file
through Jinja: the work is the same, only the template language differs. A path holding the service name (the
starter's package folder) becomes a templated path too.

The copier template also carries one answer that changes files (see upgrade_edit.py): the kit is rendered with each
of its two values, and each block of lines that differs becomes ``{% if ANSWER == OLD %}...{% else %}...{% endif %}``.
"""

from __future__ import annotations

import difflib
import json
import re
from pathlib import Path

from benchmarks import harness, trees

ENDRAW = re.compile(r"\{%[-+]?\s*endraw")
COPIER_ANSWERS_FILE = ".copier-answers.yml"
COPIER_TAG = "v1.0.0"


def raw(text: str) -> str:
    """``text`` as a Jinja template that renders to itself."""
    if not text:
        return ""
    if ENDRAW.search(text):
        raise harness.BenchmarkError("a kit file holds the end of a Jinja raw block; the generator cannot wrap it")
    return "{% raw %}" + text + "{% endraw %}"


def with_name(text: str, variable: str) -> str:
    """``text`` as a template in which each occurrence of the service name is ``{{ variable }}``."""
    return ("{{ " + variable + " }}").join(raw(part) for part in text.split(harness.SERVICE_NAME))


def templated_path(path: str, variable: str) -> str:
    if "{{" in path or "{%" in path:
        raise harness.BenchmarkError(f"the kit path {path} holds Jinja syntax")
    return path.replace(harness.SERVICE_NAME, "{{ " + variable + " }}")


def _write(target: Path, text: str, executable: bool) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(text.encode("utf-8"))
    target.chmod(0o755 if executable else 0o644)


# cookiecutter -------------------------------------------------------------------------------------------------------


def cookiecutter_template(kit: Path, template: Path) -> int:
    """A cookiecutter template at ``template`` whose project renders the files of ``kit``; how many files."""
    files = trees.files_of(kit)
    template.mkdir(parents=True)
    (template / "cookiecutter.json").write_text(json.dumps({"name": harness.SERVICE_NAME}) + "\n", encoding="utf-8")
    project = template / "{{ cookiecutter.name }}"
    for path, (data, executable) in files.items():
        text = with_name(data.decode("utf-8"), "cookiecutter.name")
        _write(project / templated_path(path, "cookiecutter.name"), text, executable)
    return len(files)


# copier -------------------------------------------------------------------------------------------------------------


def choice(old: str, new: str, question: str, old_value: object) -> str:
    """A template that renders ``old`` when ``question`` is ``old_value`` and ``new`` otherwise, block by block."""
    old_lines, new_lines = old.splitlines(keepends=True), new.splitlines(keepends=True)
    matcher = difflib.SequenceMatcher(None, old_lines, new_lines, autojunk=False)
    parts = []
    for tag, old_start, old_end, new_start, new_end in matcher.get_opcodes():
        before = with_name("".join(old_lines[old_start:old_end]), "name")
        if tag == "equal":
            parts.append(before)
            continue
        after = with_name("".join(new_lines[new_start:new_end]), "name")
        condition = f"{question} == {json.dumps(old_value)}"
        parts.append("{% if " + condition + " %}" + before + "{% else %}" + after + "{% endif %}")
    return "".join(parts)


def copier_template(
    old_kit: Path, new_kit: Path, template: Path, question: str, values: tuple[int, int], env: dict[str, str]
) -> int:
    """A copier template (a git repository tagged COPIER_TAG) that renders ``old_kit`` when ``question`` is
    ``values[0]`` and ``new_kit`` when it is ``values[1]``; how many files."""
    old, new = trees.files_of(old_kit), trees.files_of(new_kit)
    if old.keys() != new.keys():
        raise harness.BenchmarkError(f"the answer {question} adds or removes files; pick one that only changes them")
    template.mkdir(parents=True)
    settings = (
        "_subdirectory: template\n"
        '_templates_suffix: ""\n'
        f"_answers_file: {COPIER_ANSWERS_FILE}\n"
        f"name:\n  type: str\n  default: {harness.SERVICE_NAME}\n"
        f"{question}:\n  type: int\n  default: {values[0]}\n"
    )
    (template / "copier.yml").write_text(settings, encoding="utf-8")
    files = template / "template"
    for path, (data, executable) in old.items():
        if executable != new[path][1]:
            raise harness.BenchmarkError(f"the answer {question} changes the mode of {path}")
        text = choice(data.decode("utf-8"), new[path][0].decode("utf-8"), question, values[0])
        _write(files / templated_path(path, "name"), text, executable)
    answers = "# Written by copier: the answers of this project.\n{{ _copier_answers | to_nice_yaml -}}\n"
    _write(files / "{{ _copier_conf.answers_file }}", answers, False)
    harness.git(template, env, "init", "-q", "-b", "main")
    harness.commit_all(template, env, "the kit as a copier template")
    harness.git(template, env, "tag", COPIER_TAG)
    return len(old)
