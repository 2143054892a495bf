"""render(pack, answers) -> {path: text}: a pure function, in memory, deterministic."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from jinja2 import TemplateError

from scaffold import __version__
from scaffold.errors import ScaffoldError, UnsafePackError
from scaffold.kit import controls, kit_paths, registry_layout, signing
from scaffold.kit.answers import Answers
from scaffold.kit.packs import Pack
from scaffold.kit.pins import Pins, load_pins
from scaffold.kit.render.budget import Budget, RenderBudgetError
from scaffold.kit.render.environment import TaintPreservingEnvironment, make_environment
from scaffold.kit.render.paths import safe_output_path
from scaffold.kit.render.quoting import Quoted, taint
from scaffold.untrusted.text import shown

__all__ = ["Budget", "render"]


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
        "pack": {
            "name": pack.name,
            "version": pack.version,
            "waivers": [{"control": control, "reason": reason} for control, reason in pack.waivers],
        },
        "scaffold_version": __version__,
        "uses": uses,
        "image": image,
        "hook": pins.hook,
        "tool": lambda name: pins.tool(name).version,
    }


def _refusal(where: str, error: Exception) -> UnsafePackError:
    """One line naming the template (``where`` is its name) or the manifest field (``where`` starts with
    ``pack.yml:``) for anything a pack's template code raised.

    A template is hostile code: besides Jinja's own errors it can raise whatever the Python operations it reaches
    raise (a ZeroDivisionError, an IndexError from a format string, a RecursionError from a macro that calls itself,
    a MemoryError), and each is the pack's fault, reported as such, never a traceback.
    """
    template = not where.startswith("pack.yml:")
    label = f"template {where}" if template else where
    if isinstance(error, RenderBudgetError):
        return RenderBudgetError(f"{label}: {error}")
    if isinstance(error, UnsafePackError):
        return UnsafePackError(f"{label}: {str(error).removeprefix('template: ')}")
    if isinstance(error, TemplateError):
        line = getattr(error, "lineno", None) if template else None
        place = f"{label}:{line}" if line else label
        return UnsafePackError(f"{place}: {shown(error.message or type(error).__name__, 200)}")
    if isinstance(error, RecursionError):
        return UnsafePackError(f"{label}: recurses too deeply (a macro, include or loop that calls itself?)")
    return UnsafePackError(f"{label}: {type(error).__name__}: {shown(str(error), 200)}")


@contextmanager
def _refusing(where: str) -> Iterator[None]:
    """Turn anything a pack's template code raises into one ``UnsafePackError`` line naming ``where``."""
    try:
        yield
    except UnsafePackError as error:
        raise _refusal(where, error) from None
    except ScaffoldError:
        raise
    except Exception as error:  # any error of a hostile template is a refusal: see _refusal
        raise _refusal(where, error) from None


def _render_one(env: TaintPreservingEnvironment, name: str, source: str | None, context: dict[str, Any]) -> str:
    with _refusing(name):
        if source is None:
            return env.get_template(name).render(context)
        return env.from_string(source).render(context)


def _evaluate(env: TaintPreservingEnvironment, field: str, expression: str, context: dict[str, Any]) -> Any:
    """A manifest expression (``when``, ``each``) evaluated in the sandbox."""
    with _refusing(f"pack.yml: {field} {shown(expression)!r}"):
        return env.compile_expression(expression)(context)


def render(pack: Pack, answers: Answers, pins: Pins | None = None, *, budget: Budget | None = None) -> dict[str, str]:
    """Render every file of the pack that applies to these answers. Reads nothing from disk, writes nothing.

    The render is bounded by ``budget`` (``budget.default_budget()`` when None): time, the characters of each file
    and of all files, and the number of files; going over raises ``RenderBudgetError`` naming the template.
    """
    pins = pins or load_pins().overlaid(pack.pins)
    try:
        env = make_environment(pack.templates, pack.manifest.delimiters, budget)
    except (AssertionError, ValueError) as error:  # Jinja's own check of the delimiters
        raise UnsafePackError(f"pack.yml: delimiters: {shown(str(error), 200)}") from None
    context = _context(pack, answers, pins)
    files: dict[str, str] = {}
    for entry in pack.manifest.files:
        if not _evaluate(env, "when", entry.when, context):
            continue
        for item_context in _each(env, entry.each, context):
            path = safe_output_path(_render_one(env, f"path of {entry.template}", entry.path, item_context))
            problem = kit_paths.problem(path)  # also no .git (in any spelling) and no upgrade staging folder
            if problem is not None:
                raise UnsafePackError(f"pack: output path '{shown(path)}' of {entry.template}: the path {problem}")
            if pack.manifest.removes(path):  # a team pack's removal
                continue
            if path in files:
                raise UnsafePackError(f"pack: two templates render to the same path '{shown(path)}'")
            files[path] = _render_one(env, entry.template, None, item_context)
            with _refusing(entry.template):
                env.meter.file(len(files[path]))
    return dict(sorted(files.items()))


def _each(env: TaintPreservingEnvironment, each: str | None, context: dict[str, Any]) -> list[dict[str, Any]]:
    """One context per item of a file entry's ``each`` list (bound as ``item``), or the context itself."""
    if each is None:
        return [context]
    items = _evaluate(env, "each", each, context)
    if not isinstance(items, list | tuple):
        raise UnsafePackError(f"pack.yml: each {shown(each)!r} must give a list")
    return [{**context, "item": item} for item in items]
