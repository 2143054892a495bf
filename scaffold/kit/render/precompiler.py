"""Write the built-in kit's compiled templates: ``python -m scaffold.kit.render.precompiler``.

It compiles, in the environment a render of the built-in pack uses, every template of the pack, every output path
and every ``when`` and ``each`` expression of its manifest, and writes the Python source Jinja generates for each to
``scaffold/kit/render/precompiled.json`` (see ``precompiled.py``). Run it after changing a template, the manifest,
the render environment, the filters or the budget; tests/kit/render/test_precompiled.py fails until then.
"""

from __future__ import annotations

import json
import sys
from typing import Any

import jinja2
from jinja2 import nodes

from scaffold.kit.packs import Pack, builtin_pack_dir, load_pack
from scaffold.kit.render import compiled, precompiled
from scaffold.kit.render.environment import TaintPreservingEnvironment, make_environment

STARTER_FOLDER = "starter"
"""The built-in starter pack's folder in the built-in pack (``scaffold.new.starter``, a flow the kit cannot import)."""


def generated() -> dict[str, Any]:
    """The store's content for the built-in kit and starter pack, as ``precompiled.json`` holds it. Jinja compiles
    everything anew: neither the store nor the process's cache is read while it is made."""
    shipped = precompiled._SOURCES
    precompiled._SOURCES = {}
    compiled.forget()
    try:
        code: dict[str, str] = {}
        for pack in (load_pack(), load_pack(builtin_pack_dir() / STARTER_FOLDER)):
            code.update(_compiled(pack))
    finally:
        precompiled._SOURCES = shipped
        compiled.forget()
    return {"jinja2": jinja2.__version__, "code": code}


def _compiled(pack: Pack) -> dict[str, str]:
    """The Python source of every template, output path and expression of ``pack``, under its store key."""
    env = make_environment(pack.templates, pack.manifest.delimiters)
    settings = env._settings
    code: dict[str, str] = {}
    for name, text in pack.templates.items():
        code[precompiled.entry_key(settings, True, text, name, None, False)] = env.compile(text, name, None, raw=True)
    for entry in pack.manifest.files:
        if entry.path is not None:
            code[precompiled.entry_key(settings, True, entry.path, None, None, False)] = env.compile(
                entry.path, raw=True
            )
        for expression in (entry.when, entry.each):
            if expression is not None:
                tree = _expression_tree(env, expression)
                code[precompiled.entry_key(settings, False, expression, None, None, False)] = env.compile(
                    tree, raw=True
                )
    return code


def dumps(store: dict[str, Any]) -> str:
    """The file's text: one entry a line, sorted, so that a regenerated file differs only where the kit did."""
    return json.dumps(store, indent=1, sort_keys=True, ensure_ascii=False) + "\n"


def _expression_tree(env: TaintPreservingEnvironment, expression: str) -> nodes.Template:
    """The template tree ``compile_expression`` builds for ``expression`` (and compiles; this keeps it instead)."""
    trees: list[nodes.Template] = []
    real = env.from_string

    def keep(source: Any, *args: Any, **kwargs: Any) -> Any:
        trees.append(source)
        return real(source, *args, **kwargs)

    env.from_string = keep  # type: ignore[method-assign]
    compiled.forget()  # else an expression met before is not parsed again
    try:
        env.compile_expression(expression)
    finally:
        del env.from_string
    return trees[0]


if __name__ == "__main__":
    precompiled.STORE.write_text(dumps(generated()), encoding="utf-8")
    sys.stdout.write(f"wrote {precompiled.STORE}\n")
