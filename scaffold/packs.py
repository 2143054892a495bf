"""Template packs: a folder with a ``pack.yml`` manifest, the templates it lists and the data files it declares.

Loading a pack reads everything into memory once. Rendering then never touches the disk, which keeps
``render()`` pure. A pack is data: a template path that leaves the pack, or a symlink pointing outside it, is
refused.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path, PurePosixPath
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from scaffold.errors import UnsafePackError

MANIFEST = "pack.yml"


class PackFile(BaseModel):
    """One output file: the template it comes from, the path it is written to, and when it is included."""

    model_config = ConfigDict(extra="forbid")

    template: str = Field(description="Template path inside the pack")
    path: str = Field(description="Output path; may use template syntax, and must stay inside the output dir")
    when: str = Field(default="true", description="Expression over the answers; the file is rendered when true")
    each: str | None = Field(
        default=None,
        description="Expression giving a list; the file is rendered once per item, bound as 'item' (the path "
        "must then use it)",
    )


class Delimiters(BaseModel):
    model_config = ConfigDict(extra="forbid")

    variable: tuple[str, str] = ("[[", "]]")
    block: tuple[str, str] = ("[%", "%]")
    comment: tuple[str, str] = ("[#", "#]")


class PackManifest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(pattern=r"^[a-z0-9][a-z0-9._-]{0,63}$")
    version: str = Field(pattern=r"^[0-9]+\.[0-9]+\.[0-9]+(?:[-+][0-9A-Za-z.-]+)?$")
    description: str = ""
    delimiters: Delimiters = Delimiters()
    data: list[str] = Field(default_factory=list, description="YAML data files exposed to templates by stem")
    files: list[PackFile]


@dataclass(frozen=True)
class Pack:
    """A loaded pack: its manifest, and every template and data file, in memory."""

    name: str
    version: str
    manifest: PackManifest
    templates: dict[str, str] = field(repr=False)
    data: dict[str, Any] = field(repr=False)
    root: str = ""


def builtin_pack_dir() -> Path:
    """The pack shipped with scaffold: ``scaffold/templates`` in a wheel, ``templates/`` in a source checkout."""
    installed = Path(str(resources.files("scaffold"))) / "templates"
    if (installed / MANIFEST).is_file():
        return installed
    return Path(__file__).resolve().parent.parent / "templates"


def _inside(root: Path, relative: str, what: str) -> Path:
    pure = PurePosixPath(relative)
    if pure.is_absolute() or ".." in pure.parts or not relative:
        raise UnsafePackError(f"pack: {what} '{relative}' must be a relative path inside the pack")
    candidate = root / pure
    resolved = candidate.resolve()
    if not resolved.is_relative_to(root):
        raise UnsafePackError(f"pack: {what} '{relative}' resolves outside the pack (symlink?)")
    return resolved


def _read(root: Path, relative: str, what: str) -> str:
    path = _inside(root, relative, what)
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise UnsafePackError(f"pack: {what} '{relative}' cannot be read: {error}") from None


def load_pack(directory: Path | None = None) -> Pack:
    """Load a pack folder (the built-in pack when ``directory`` is None)."""
    root = (directory or builtin_pack_dir()).resolve()
    try:
        raw = yaml.safe_load(_read(root, MANIFEST, "manifest"))
    except yaml.YAMLError:
        raise UnsafePackError(f"pack: {root / MANIFEST} is not valid YAML") from None
    if not isinstance(raw, dict):
        raise UnsafePackError(f"pack: {root / MANIFEST} must be a mapping")
    try:
        manifest = PackManifest.model_validate(raw)
    except ValidationError as error:
        first = error.errors(include_url=False)[0]
        where = ".".join(str(part) for part in first["loc"])
        raise UnsafePackError(f"pack.yml: {where}: {first['msg']}") from None
    templates = {entry.template: _read(root, entry.template, "template") for entry in manifest.files}
    for path in sorted(root.rglob("*.j2")):
        relative = path.relative_to(root).as_posix()
        if relative not in templates:  # macros and includes that templates import
            templates[relative] = _read(root, relative, "template")
    data: dict[str, Any] = {}
    for relative in manifest.data:
        try:
            data[PurePosixPath(relative).stem] = yaml.safe_load(_read(root, relative, "data file"))
        except yaml.YAMLError:
            raise UnsafePackError(f"pack: data file '{relative}' is not valid YAML") from None
    return Pack(manifest.name, manifest.version, manifest, templates, data, str(root))
