"""render(pack, answers) -> {path: text}: a pure function, in memory, deterministic."""

from __future__ import annotations

from typing import Any

from jinja2 import TemplateError
from jinja2.sandbox import ImmutableSandboxedEnvironment

from scaffold import __version__
from scaffold.errors import UnsafePackError
from scaffold.kit import controls, registry_layout, signing
from scaffold.kit.answers import Answers
from scaffold.kit.packs import Pack
from scaffold.kit.pins import Pins, load_pins
from scaffold.kit.render.environment import make_environment
from scaffold.kit.render.paths import safe_output_path
from scaffold.kit.render.quoting import Quoted, taint

__all__ = ["render"]


def _context(pack: Pack, answers: Answers, pins: Pins) -> dict[str, Any]:
    """What templates see: tainted answers, the pack's data files, and pin look-ups by name."""

    def uses(name: str, path: str = "") -> Quoted:
        return Quoted(pins.action(name).ref(path))

    def image(name: str) -> Quoted:
        return Quoted(pins.image(name).ref)

    dumped = answers.model_dump()
    return {
        "answers": taint(dumped),
        "registry": taint(registry_layout.context(dumped)),
        "signers": taint(signing.context(dumped)),
        "controls": controls.table(dumped["platforms"], dumped),
        "data": pack.data,
        "pack": {"name": pack.name, "version": pack.version},
        "scaffold_version": __version__,
        "uses": uses,
        "image": image,
        "hook": pins.hook,
        "tool": lambda name: pins.tool(name).version,
    }


def _render_one(env: ImmutableSandboxedEnvironment, name: str, source: str | None, context: dict[str, Any]) -> str:
    try:
        if source is None:
            return env.get_template(name).render(context)
        return env.from_string(source).render(context)
    except UnsafePackError as error:
        raise UnsafePackError(f"{name}: {error}") from None
    except TemplateError as error:
        line = getattr(error, "lineno", None)
        where = f"{name}:{line}" if line else name
        raise UnsafePackError(f"template {where}: {error.message or type(error).__name__}") from None


def render(pack: Pack, answers: Answers, pins: Pins | None = None) -> dict[str, str]:
    """Render every file of the pack that applies to these answers. Reads nothing from disk, writes nothing."""
    pins = pins or load_pins()
    env = make_environment(pack.templates, pack.manifest.delimiters)
    context = _context(pack, answers, pins)
    files: dict[str, str] = {}
    for entry in pack.manifest.files:
        try:
            include = env.compile_expression(entry.when)(context)
        except TemplateError as error:
            raise UnsafePackError(f"pack.yml: when {entry.when!r}: {error.message}") from None
        if not include:
            continue
        for item_context in _each(env, entry.each, context):
            path = safe_output_path(_render_one(env, f"path of {entry.template}", entry.path, item_context))
            if path in files:
                raise UnsafePackError(f"pack: two templates render to the same path '{path}'")
            files[path] = _render_one(env, entry.template, None, item_context)
    return dict(sorted(files.items()))


def _each(env: ImmutableSandboxedEnvironment, each: str | None, context: dict[str, Any]) -> list[dict[str, Any]]:
    """One context per item of a file entry's ``each`` list (bound as ``item``), or the context itself."""
    if each is None:
        return [context]
    try:
        items = env.compile_expression(each)(context)
    except TemplateError as error:
        raise UnsafePackError(f"pack.yml: each {each!r}: {error.message}") from None
    if not isinstance(items, list | tuple):
        raise UnsafePackError(f"pack.yml: each {each!r} must give a list")
    return [{**context, "item": item} for item in items]
