from __future__ import annotations

import os
from pathlib import Path

import pytest

from scaffold.errors import UnsafePackError
from scaffold.kit.packs import builtin_pack_dir, load_pack


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


# --- hostile packs: refused with one line, never a hang or a read outside the pack -------------------------------

_MANIFEST = "name: p\nversion: 1.0.0\nfiles:\n  - template: t.j2\n    path: t.txt\n"


def _pack_error(root: Path) -> str:
    with pytest.raises(UnsafePackError) as caught:
        load_pack(root)
    message = str(caught.value)
    assert "\n" not in message
    return message


@pytest.mark.parametrize(
    ("manifest", "message"),
    [
        (
            "a: &a [x,x,x,x,x,x,x,x,x]\n"
            + "".join(f"{chr(98 + i)}: &{chr(98 + i)} [" + ",".join(["*" + chr(97 + i)] * 9) + "]\n" for i in range(8)),
            "aliases expand",
        ),
        ("files: " + "[" * 10_000, "maximum nesting depth"),
        ("name: p\nversion: " + "9" * 5000 + "\nfiles: []\n", "value cannot be read"),
        ('name: p\nversion: 1.0.0\nfiles:\n  - template: "t\\0.j2"\n    path: t\n', "plain relative path"),
        ("name: p\nversion: 1.0.0\nfiles:\n  - template: /etc/passwd\n    path: t\n", "relative path inside"),
        ("name: p\nversion: 1.0.0\nfiles:\n  - template: " + "a/" * 400 + "t.j2\n    path: t\n", "characters"),
        ("name: p\nversion: 1.0.0\ndelimiters: {variable: ['', ']]']}\nfiles: []\n", "delimiters"),
    ],
)
def test_hostile_manifest_is_refused(tmp_path: Path, manifest: str, message: str) -> None:
    root = tmp_path / "pack"
    _write_pack(root, manifest)
    assert message in _pack_error(root)


@pytest.mark.parametrize("kind", ["fifo", "device", "folder", "loop"])
def test_template_that_is_not_a_regular_file_is_refused_without_blocking(tmp_path: Path, kind: str) -> None:
    root = tmp_path / "pack"
    _write_pack(root, _MANIFEST)
    template = root / "t.j2"
    if kind == "fifo":
        os.mkfifo(template)
    elif kind == "device":
        template.symlink_to("/dev/zero")
    elif kind == "folder":
        template.mkdir()
    else:
        template.symlink_to(template)
    message = _pack_error(root)
    assert "template 't.j2'" in message


def test_manifest_that_is_a_fifo_is_refused(tmp_path: Path) -> None:
    root = tmp_path / "pack"
    root.mkdir()
    os.mkfifo(root / "pack.yml")
    assert "not a regular file (a FIFO)" in _pack_error(root)


def test_data_file_bomb_and_escape_are_refused(tmp_path: Path) -> None:
    root = tmp_path / "pack"
    _write_pack(root, "name: p\nversion: 1.0.0\ndata: [d.yml]\nfiles: []\n")
    (root / "d.yml").write_text("a: &a [*a]\n")
    assert "data file 'd.yml' is not valid YAML" in _pack_error(root)
    (root / "d.yml").unlink()
    (root / "d.yml").symlink_to(tmp_path / "secret.yml")
    (tmp_path / "secret.yml").write_text("token: x\n")
    assert "resolves outside the pack" in _pack_error(root)


def test_symlinked_folders_are_not_walked_for_templates(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.j2").write_text("token")
    root = tmp_path / "pack"
    _write_pack(root, "name: p\nversion: 1.0.0\nfiles: []\n")
    (root / "linked").symlink_to(outside, target_is_directory=True)
    (root / "loop").symlink_to(root, target_is_directory=True)
    pack = load_pack(root)
    assert not any("secret" in name for name in pack.templates)


def test_extra_template_symlinked_outside_is_refused(tmp_path: Path) -> None:
    root = tmp_path / "pack"
    _write_pack(root, "name: p\nversion: 1.0.0\nfiles: []\n")
    (tmp_path / "secret").write_text("token")
    (root / "macros.j2").symlink_to(tmp_path / "secret")
    assert "resolves outside the pack" in _pack_error(root)
