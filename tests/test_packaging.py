"""The README's first quick-start command works on a fresh virtual environment, from a copy of the source tree,
and the installed wheel (not the checkout) carries the templates and pins: its kit equals the in-process render."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

from scaffold.api import render_kit
from scaffold.kit.answers import validate
from scaffold.kit.render import render
from scaffold.new.starter import starter_pack

ROOT = Path(__file__).resolve().parents[1]
IGNORED = shutil.ignore_patterns(".git", ".venv", "venv", "__pycache__", ".*_cache", ".hypothesis", "build", "dist")


def readme_commands() -> list[str]:
    return re.findall(r"```sh\n(.+?)\n```", (ROOT / "README.md").read_text(), flags=re.DOTALL)


def test_readme_install_and_demo_command_works_in_a_fresh_venv(tmp_path: Path) -> None:
    source = tmp_path / "scaffold-src"
    shutil.copytree(ROOT, source, ignore=IGNORED)
    command = readme_commands()[0]
    assert command.startswith("python3 -m venv .venv")
    command = command.replace("python3", sys.executable, 1)
    result = subprocess.run(command, shell=True, cwd=source, capture_output=True, text=True, timeout=900, check=False)  # noqa: S602
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    demo = source / "demo-service"
    answers = validate({"name": "demo-service"})
    expected = render_kit(answers=answers) | render(starter_pack(), answers)  # the kit and its starter service
    written = {str(p.relative_to(demo)): p.read_text() for p in demo.rglob("*") if p.is_file()}
    assert written == expected


def test_readme_test_command_is_what_ci_runs() -> None:
    assert readme_commands()[1] == "bash scripts/test.sh"
    assert "bash scripts/test.sh" in (ROOT / ".ci" / "run").read_text()


def test_wheel_ships_templates_and_pins(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "build", "--wheel", "--outdir", str(tmp_path), str(ROOT)],
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    (wheel,) = tmp_path.glob("*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    assert "scaffold/pins.yml" in names
    assert "scaffold/templates/pack.yml" in names
    templates = {str(p.relative_to(ROOT)) for p in (ROOT / "templates").rglob("*") if p.is_file()}
    assert {f"scaffold/{t}" for t in templates} <= names
