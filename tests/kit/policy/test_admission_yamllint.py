"""yamllint over the rendered admission policies, with the kit's own .yamllint.yml and with a stricter config
(120 columns, a `---` document start) so the files stay valid if the kit's config is tightened."""

from __future__ import annotations

import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.support import checkers

pytestmark = pytest.mark.validators

STRICT = """\
extends: default
rules:
  comments:
    min-spaces-from-content: 1
  document-start:
    present: true
  truthy:
    allowed-values: ["true", "false"]
    check-keys: false
  line-length:
    max: 120
"""


def lint(kit: Path, config: Path) -> list[str]:
    result = subprocess.run(
        [checkers.tool("yamllint"), "-s", "-f", "parsable", "-c", str(config), "policy/kubernetes"],
        cwd=kit,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode in (0, 1, 2), result.stderr
    return [line for line in result.stdout.splitlines() if line.strip()]


@pytest.mark.parametrize("name", ["python-harbor-dast", "node-ecr-aws", "go-gar-gcp", "java-gitlab-registry"])
def test_yamllint_with_the_kits_config(kit_dir: Callable[[str], Path], name: str) -> None:
    kit = kit_dir(name)
    assert sorted((kit / "policy" / "kubernetes").rglob("*.yaml"))
    assert lint(kit, kit / ".yamllint.yml") == []


@pytest.mark.parametrize("name", ["python-harbor-dast", "node-ecr-aws", "go-gar-gcp", "java-gitlab-registry"])
def test_yamllint_strict(kit_dir: Callable[[str], Path], name: str, tmp_path: Path) -> None:
    config = tmp_path / "strict.yml"
    config.write_text(STRICT, encoding="utf-8")
    assert lint(kit_dir(name), config) == []


def test_yamllint_finds_a_long_line(tmp_path: Path) -> None:
    """The strict config does fail: a 130-column inline mapping is reported."""
    (tmp_path / "policy" / "kubernetes").mkdir(parents=True)
    (tmp_path / "policy" / "kubernetes" / "x.yaml").write_text("---\nkey: " + "a b " * 32 + "\n", encoding="utf-8")
    config = tmp_path / "strict.yml"
    config.write_text(STRICT, encoding="utf-8")
    assert any("line-length" in finding for finding in lint(tmp_path, config))
