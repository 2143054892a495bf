"""Cookiecutter templates the tests write themselves, in the shapes public templates use.

``service_template`` follows what cookiecutter-pypackage, cookiecutter-django and cookiecutter-data-science do: a
templated project folder, a nested templated package folder, defaults derived from earlier answers, a choice
list, a boolean, a dictionary variable, private ``_x`` and rendered ``__x`` variables, ``__prompts__``,
``_copy_without_render`` for GitHub workflows full of ``${{ }}``, a file whose name renders empty when an option is
off, a CRLF file, an include from the shared ``templates/`` folder, and a binary file. Hooks are optional.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

PROJECT = "{{cookiecutter.project_slug}}"

CONTEXT: dict[str, Any] = {
    "project_name": "Payments Service",
    "project_slug": "{{ cookiecutter.project_name.lower().replace(' ', '-') }}",
    "package_name": "{{ cookiecutter.project_slug.replace('-', '_') }}",
    "owner_email": "{{ cookiecutter.project_slug }}@example.com",
    "license": ["MIT", "Apache-2.0", "Proprietary"],
    "python_version": [3.12, 3.11],
    "use_docker": True,
    "ci": {"runner": "ubuntu-24.04", "coverage": "90", "image": "python:{{ cookiecutter.python_version }}"},
    "_team": "platform",
    "__service_id": "{{ cookiecutter.package_name }}-svc",
    "_copy_without_render": [".github/workflows/*", "*.raw.txt"],
    "__prompts__": {
        "project_name": "What is the service called?",
        "license": {"__prompt__": "Which license?", "MIT": "MIT license", "Proprietary": "Closed source"},
    },
}

README = """\
# {{ cookiecutter.project_name }}

Owned by team {{ cookiecutter._team }} ({{ cookiecutter.owner_email }}), id {{ cookiecutter.__service_id }}.
License: {{ cookiecutter.license }}. Python {{ cookiecutter.python_version }}.
{% if cookiecutter.use_docker %}Runs in Docker.{% endif %}
CI runs on {{ cookiecutter.ci.runner }} with {{ cookiecutter.ci.image }}, coverage {{ cookiecutter.ci.coverage }}%.
{% include 'footer.txt' %}
"""

WORKFLOW = """\
name: ci
on: push
jobs:
  test:
    runs-on: ${{ matrix.os }}
    steps:
      - run: echo "${{ github.sha }}" {{ cookiecutter.not_rendered }}
"""

POST_GEN_HOOK = """\
import pathlib

pathlib.Path("HOOK_RAN.txt").write_text("slug={{ cookiecutter.project_slug }}\\n", encoding="utf-8")
"""

FAILING_PRE_GEN_HOOK = """\
import sys

sys.exit("refusing slug {{ cookiecutter.project_slug }}")
"""

PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256))


def write(root: Path, relative: str, content: str | bytes) -> Path:
    path = root / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8", newline="")
    return path


def write_context(root: Path, context: dict[str, Any]) -> None:
    write(root, "cookiecutter.json", json.dumps(context, indent=2))


def service_template(
    root: Path,
    *,
    hooks: dict[str, str] | None = None,
    context: dict[str, Any] | None = None,
    binary: bool = True,
) -> Path:
    """Write the public-shaped template into ``root`` (created) and return it."""
    root.mkdir(parents=True, exist_ok=True)
    write_context(root, context if context is not None else CONTEXT)
    write(root, f"{PROJECT}/README.md", README)
    write(
        root, f"{PROJECT}/src/{{{{cookiecutter.package_name}}}}/__init__.py", '"""{{ cookiecutter.project_name }}."""\n'
    )
    write(
        root,
        f"{PROJECT}/{{% if cookiecutter.use_docker %}}Dockerfile{{% endif %}}",
        "FROM {{ cookiecutter.ci.image }}\n",
    )
    write(root, f"{PROJECT}/.github/workflows/ci.yml", WORKFLOW)
    write(root, f"{PROJECT}/notes.raw.txt", "kept as is: {{ cookiecutter.project_name }}\n")
    write(root, f"{PROJECT}/windows.bat", "@echo {{ cookiecutter.project_slug }}\r\nexit /b 0\r\n")
    write(root, "templates/footer.txt", "Generated for {{ cookiecutter.project_slug }}.")
    if binary:
        write(root, f"{PROJECT}/docs/logo.png", PNG)
    for name, text in (hooks or {}).items():
        write(root, f"hooks/{name}", text)
    return root


def small_template(root: Path, files: dict[str, str | bytes], context: dict[str, Any] | None = None) -> Path:
    """A minimal template: ``files`` are written under the ``{{cookiecutter.project_slug}}`` folder."""
    root.mkdir(parents=True, exist_ok=True)
    write_context(root, context if context is not None else {"project_slug": "demo"})
    for relative, content in files.items():
        write(root, f"{PROJECT}/{relative}", content)
    return root
