from __future__ import annotations

from pathlib import Path

import pytest

from scaffold.errors import UnsafePackError
from scaffold.packs import builtin_pack_dir, load_pack


def _write_pack(root: Path, manifest: str) -> None:
    root.mkdir(parents=True, exist_ok=True)
    (root / "pack.yml").write_text(manifest)


def test_builtin_pack_loads_every_listed_template() -> None:
    pack = load_pack()
    assert pack.name == "scaffold-default"
    assert (builtin_pack_dir() / "pack.yml").is_file()
    for entry in pack.manifest.files:
        assert entry.template in pack.templates


def test_template_symlink_leaving_the_pack_is_refused(tmp_path: Path) -> None:
    outside = tmp_path / "secret.txt"
    outside.write_text("token")
    root = tmp_path / "pack"
    _write_pack(root, "name: p\nversion: 1.0.0\nfiles:\n  - template: t.j2\n    path: t.txt\n")
    (root / "t.j2").symlink_to(outside)
    with pytest.raises(UnsafePackError, match="resolves outside the pack"):
        load_pack(root)


def test_template_path_with_dotdot_is_refused(tmp_path: Path) -> None:
    root = tmp_path / "pack"
    _write_pack(root, "name: p\nversion: 1.0.0\nfiles:\n  - template: ../t.j2\n    path: t.txt\n")
    with pytest.raises(UnsafePackError, match="relative path inside the pack"):
        load_pack(root)


def test_manifest_with_unknown_key_is_refused(tmp_path: Path) -> None:
    root = tmp_path / "pack"
    _write_pack(root, "name: p\nversion: 1.0.0\nhooks: [rm -rf]\nfiles: []\n")
    with pytest.raises(UnsafePackError, match=r"pack\.yml: hooks"):
        load_pack(root)
