"""Template packs: a folder with a ``pack.yml`` manifest, the templates it lists and the data files it declares.

Loading a pack reads everything into memory once. Rendering then never touches the disk, which keeps
``render()`` pure. A pack is data: a template path that leaves the pack, or a symlink pointing outside it, is
refused.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path, PurePosixPath
from typing import Annotated, Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from scaffold.errors import UnsafePackError
from scaffold.kit.pins import Pins, parse_pins
from scaffold.untrusted.read import UnreadableInput, read_text
from scaffold.untrusted.text import shown
from scaffold.untrusted.yaml_load import load

MANIFEST = "pack.yml"
PACK_NAME = r"[a-z0-9][a-z0-9._-]{0,63}"
"""A pack's name, as pack.yml, a team pack's pack.yml and .scaffold.yml's pack.name all require it."""
PACK_VERSION = r"[0-9]{1,9}\.[0-9]{1,9}\.[0-9]{1,9}(?:[-+][0-9A-Za-z.-]{1,64})?"
"""A pack's version: X.Y.Z with an optional pre-release or build suffix."""
MAX_FILE_BYTES = 1_000_000
"""Largest manifest, template or data file."""
MAX_PACK_BYTES = 20_000_000
"""Most bytes read from one pack in all."""
MAX_TEMPLATES = 2000
MAX_PACK_ENTRIES = 20_000
"""Most files and folders walked when looking for the ``*.j2`` templates imports may use."""
MAX_PATH_CHARS = 500
_TEXT = 2000  # longest expression


class PackFile(BaseModel):
    """One output file: the template it comes from, the path it is written to, and when it is included."""

    model_config = ConfigDict(extra="forbid")

    template: str = Field(max_length=MAX_PATH_CHARS, description="Template path inside the pack")
    path: str = Field(
        max_length=MAX_PATH_CHARS,
        description="Output path; may use template syntax, and must stay inside the output dir",
    )
    when: str = Field(
        default="true", max_length=_TEXT, description="Expression over the answers; the file is rendered when true"
    )
    each: str | None = Field(
        default=None,
        max_length=_TEXT,
        description="Expression giving a list; the file is rendered once per item, bound as 'item' (the path "
        "must then use it)",
    )


_Delimiter = Annotated[str, Field(min_length=1, max_length=8, pattern=r"^[^\s]+$")]


class Delimiters(BaseModel):
    model_config = ConfigDict(extra="forbid")

    variable: tuple[_Delimiter, _Delimiter] = ("[[", "]]")
    block: tuple[_Delimiter, _Delimiter] = ("[%", "%]")
    comment: tuple[_Delimiter, _Delimiter] = ("[#", "#]")

    @model_validator(mode="after")
    def _distinct(self) -> Delimiters:
        """Each start string must tell variable, block and comment apart, and never also close one."""
        starts = (self.variable[0], self.block[0], self.comment[0])
        ends = (self.variable[1], self.block[1], self.comment[1])
        if len(set(starts)) < 3 or set(starts) & set(ends):
            raise ValueError(
                "the variable, block and comment start strings must differ from each other and from every end string"
            )
        return self


class PackManifest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(max_length=64, pattern=rf"^{PACK_NAME}$")
    version: str = Field(max_length=64, pattern=rf"^{PACK_VERSION}$")
    description: str = Field(default="", max_length=_TEXT)
    delimiters: Delimiters = Delimiters()
    data: list[Annotated[str, Field(max_length=MAX_PATH_CHARS)]] = Field(
        default_factory=list, max_length=100, description="YAML data files exposed to templates by stem"
    )
    files: list[PackFile] = Field(max_length=MAX_TEMPLATES)
    remove: list[Annotated[str, Field(max_length=MAX_PATH_CHARS)]] = Field(
        default_factory=list,
        max_length=500,
        description="Output paths, and folders ending in '/', that are never rendered (a team pack's removals)",
    )
    pins: Annotated[str, Field(max_length=MAX_PATH_CHARS)] | None = Field(
        default=None, description="The pack's own pins file, laid over the built-in pins (same format)"
    )

    def removes(self, path: str) -> bool:
        """Whether ``remove`` drops the output ``path``."""
        return any(path == entry or (entry.endswith("/") and path.startswith(entry)) for entry in self.remove)


@dataclass(frozen=True)
class Pack:
    """A loaded pack: its manifest, and every template and data file, in memory."""

    name: str
    version: str
    manifest: PackManifest
    templates: dict[str, str] = field(repr=False)
    data: dict[str, Any] = field(repr=False)
    root: str = ""
    waivers: tuple[tuple[str, str], ...] = ()
    """(control, reason) of each built-in control the pack's policy waives; the kit's docs list them."""
    pins: Pins | None = field(default=None, repr=False)
    """The pack's own pins (``pins:`` in ``pack.yml``), laid over the built-in pins when it renders."""


def builtin_pack_dir() -> Path:
    """The pack shipped with scaffold: ``scaffold/templates`` in a wheel, ``templates/`` in a source checkout."""
    installed = Path(str(resources.files("scaffold"))) / "templates"
    if (installed / MANIFEST).is_file():
        return installed
    return Path(__file__).resolve().parents[2] / "templates"


def _inside(root: Path, relative: str, what: str) -> Path:
    if not isinstance(relative, str) or not relative or len(relative) > MAX_PATH_CHARS:
        raise UnsafePackError(f"pack: {what} path must be 1 to {MAX_PATH_CHARS} characters")
    if any(not char.isprintable() for char in relative) or "\\" in relative:
        raise UnsafePackError(f"pack: {what} '{shown(relative)}' must be a plain relative path inside the pack")
    pure = PurePosixPath(relative)
    if pure.is_absolute() or ".." in pure.parts:
        raise UnsafePackError(f"pack: {what} '{shown(relative)}' must be a relative path inside the pack")
    candidate = root / pure
    try:
        resolved = candidate.resolve()
    except (OSError, RuntimeError, ValueError):
        raise UnsafePackError(f"pack: {what} '{shown(relative)}' cannot be resolved (symlink loop?)") from None
    if not resolved.is_relative_to(root):
        raise UnsafePackError(f"pack: {what} '{shown(relative)}' resolves outside the pack (symlink?)")
    return resolved


class _Reader:
    """Reads a pack's files within a total byte budget, so a pack cannot make loading it unbounded."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.remaining = MAX_PACK_BYTES

    def text(self, relative: str, what: str) -> str:
        path = _inside(self.root, relative, what)
        try:
            text = read_text(path, limit=min(MAX_FILE_BYTES, max(self.remaining, 0)))
        except UnreadableInput as error:
            raise UnsafePackError(f"pack: {what} '{shown(relative)}' {error}") from None
        self.remaining -= len(text)
        return text

    def pins(self, relative: str | None) -> Pins | None:
        """The pack's own pins file, checked like the built-in one (every SHA, digest and version well formed)."""
        if relative is None:
            return None
        raw = self.yaml(relative, "pins file")
        if not isinstance(raw, dict):
            raise UnsafePackError(f"pack: pins file '{shown(relative)}' must be a mapping")
        try:
            return parse_pins(raw)
        except (ValueError, TypeError, AttributeError) as error:
            message = str(error) if isinstance(error, ValueError) else "every section must map names to entries"
            raise UnsafePackError(f"pack: pins file '{shown(relative)}': {shown(message, 200)}") from None

    def yaml(self, relative: str, what: str) -> Any:
        text = self.text(relative, what)
        try:
            return load(text)
        except yaml.YAMLError as error:
            problem = shown(str(getattr(error, "problem", None) or "syntax error"), 100)
            raise UnsafePackError(f"pack: {what} '{shown(relative)}' is not valid YAML: {problem}") from None


def _extra_templates(root: Path) -> list[str]:
    """Every ``*.j2`` under the pack (macros and includes that templates import), without following symlinked
    folders, and at most ``MAX_TEMPLATES`` of them."""
    found: list[str] = []
    seen = 0
    for folder, subfolders, names in os.walk(root, followlinks=False):
        subfolders.sort()
        seen += len(names) + len(subfolders)
        if seen > MAX_PACK_ENTRIES:
            raise UnsafePackError(f"pack: has more than {MAX_PACK_ENTRIES} files and folders")
        for name in sorted(names):
            if name.endswith(".j2"):
                found.append((Path(folder) / name).relative_to(root).as_posix())
    return found


def load_pack(directory: Path | None = None) -> Pack:
    """Load a pack folder (the built-in pack when ``directory`` is None)."""
    try:
        root = (directory or builtin_pack_dir()).resolve()
    except (OSError, RuntimeError, ValueError):
        raise UnsafePackError(f"pack: {shown(str(directory), 200)} cannot be resolved (symlink loop?)") from None
    if not root.is_dir():
        raise UnsafePackError(f"pack: {shown(str(root), 200)} is not a folder")
    reader = _Reader(root)
    raw = reader.yaml(MANIFEST, "manifest")
    if not isinstance(raw, dict):
        raise UnsafePackError(f"pack: {MANIFEST} must be a mapping")
    try:
        manifest = PackManifest.model_validate(raw)
    except ValidationError as error:
        first = error.errors(include_url=False)[0]
        where = shown(".".join(str(part) for part in first["loc"]))
        raise UnsafePackError(f"pack.yml: {where}: {first['msg'].removeprefix('Value error, ')}") from None
    templates = {entry.template: reader.text(entry.template, "template") for entry in manifest.files}
    for relative in _extra_templates(root):
        if relative not in templates:
            templates[relative] = reader.text(relative, "template")
        if len(templates) > MAX_TEMPLATES:
            raise UnsafePackError(f"pack: has more than {MAX_TEMPLATES} templates")
    data: dict[str, Any] = {}
    for relative in manifest.data:
        data[PurePosixPath(relative).stem] = reader.yaml(relative, "data file")
    pins = reader.pins(manifest.pins)
    return Pack(manifest.name, manifest.version, manifest, templates, data, str(root), pins=pins)


PackReader = _Reader
pack_templates = _extra_templates
