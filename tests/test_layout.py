"""The layout shows the flows: the core (the kit, the rule engine, untrusted input) never imports a flow, the API
or the CLI; a flow never imports the API or the CLI; only the CLI imports the fleet, which sits above the API.
Checked on every import statement of the package."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "scaffold"
CORE = ("scaffold.kit", "scaffold.packs", "scaffold.resolve", "scaffold.rules", "scaffold.untrusted", "scaffold.errors")
FLOWS = ("scaffold.new", "scaffold.upgrade", "scaffold.audit", "scaffold.harden", "scaffold.authoring")
TOP = ("scaffold.api", "scaffold.cli", "scaffold.__main__", "scaffold.fleet")


def _module(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path: Path) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
    return {name for name in found if name.startswith("scaffold")}


def _within(name: str, prefixes: tuple[str, ...]) -> bool:
    return any(name == prefix or name.startswith(prefix + ".") for prefix in prefixes)


MODULES = sorted(PACKAGE.rglob("*.py"))


def test_the_top_level_holds_only_the_entry_points() -> None:
    flat = sorted(path.name for path in PACKAGE.glob("*.py"))
    assert flat == ["__init__.py", "__main__.py", "api.py", "cli.py", "errors.py"]
    folders = sorted(path.name for path in PACKAGE.iterdir() if (path / "__init__.py").is_file())
    assert folders == [
        "audit",
        "authoring",
        "fleet",
        "harden",
        "kit",
        "new",
        "packs",
        "resolve",
        "rules",
        "untrusted",
        "upgrade",
    ]


@pytest.mark.parametrize("path", MODULES, ids=lambda path: _module(path))
def test_imports_point_down(path: Path) -> None:
    module = _module(path)
    imported = _imports(path)
    if _within(module, CORE):
        assert not {name for name in imported if _within(name, FLOWS + TOP)}, module
    elif _within(module, FLOWS):
        assert not {name for name in imported if _within(name, TOP)}, module


@pytest.mark.parametrize("path", MODULES, ids=lambda path: _module(path))
def test_only_the_cli_imports_the_fleet(path: Path) -> None:
    """The fleet is a client of the API, beside the CLI: the API, the flows and the core never import it."""
    module = _module(path)
    if module in ("scaffold.cli",) or _within(module, ("scaffold.fleet",)):
        return
    assert not {name for name in _imports(path) if _within(name, ("scaffold.fleet",))}, module
