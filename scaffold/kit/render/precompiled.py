"""The built-in packs' templates as Jinja compiles them, shipped with scaffold so that a render skips Jinja's compiler.

Jinja turns a template into Python source (lexing, parsing, generating: most of a render's cost) and then into
code. ``precompiled.json`` holds that Python source for every template, output path and ``when``/``each`` expression
of the built-in kit and of the built-in starter pack, written by ``python -m scaffold.kit.render.precompiler`` with
the environment a render uses. A render that needs one of them compiles only the Python, as Jinja itself does.

An entry is found only under a key made of everything its source depends on:

- the environment's compile-time settings (``environment._compile_settings``: delimiters, whitespace handling,
  finalize, the render budget, the filters and tests and how each takes its arguments), the Jinja version, and the
  text of the modules whose code runs while compiling (the code generator, the filters, the budget checks);
- the template's full text, name and file name.

So a team pack's own template, another version of Jinja, or an edit of those modules finds nothing and is compiled
as before. The file is read when this module is imported (with the code, before any render), at most
``MAX_STORE_BYTES``; a file that is missing or not what the precompiler writes is no store at all.
tests/kit/render/test_precompiled.py checks that the committed file is what the precompiler writes.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Hashable
from pathlib import Path
from types import CodeType
from typing import Any

import jinja2

STORE = Path(__file__).with_name("precompiled.json")
MAX_STORE_BYTES = 16 * 1024 * 1024
COMPILER_MODULES = ("environment.py", "quoting.py", "budget.py")
"""The modules of this package whose code runs while a template is compiled (constant folding calls the filters)."""


def _compiler_digest() -> str:
    digest = hashlib.sha256(jinja2.__version__.encode("utf-8"))
    for module in COMPILER_MODULES:
        digest.update(Path(__file__).with_name(module).read_bytes())
    return digest.hexdigest()


def _read_store() -> dict[str, str]:
    try:
        raw = STORE.read_bytes() if STORE.stat().st_size <= MAX_STORE_BYTES else b""
        data = json.loads(raw) if raw else None
    except (OSError, ValueError):
        return {}
    code = data.get("code") if isinstance(data, dict) else None
    if not isinstance(code, dict):
        return {}
    return {key: source for key, source in code.items() if isinstance(key, str) and isinstance(source, str)}


_COMPILER = _compiler_digest()
_SOURCES = _read_store()
_fingerprints: dict[Hashable, str] = {}


def fingerprint(settings: Hashable) -> str:
    """A digest of an environment's compile-time settings, the Jinja version and the compiler modules' text."""
    known = _fingerprints.get(settings)
    if known is None:
        described = json.dumps([_COMPILER, _canonical(settings)]).encode("utf-8")
        known = _fingerprints[settings] = hashlib.sha256(described).hexdigest()
    return known


def entry_key(
    settings: Hashable, is_text: bool, text: str, name: str | None, filename: str | None, defer_init: bool
) -> str:
    """The store's key for one compile: a digest of the settings' fingerprint and of what Jinja was given."""
    given = json.dumps([fingerprint(settings), is_text, text, name, filename, defer_init], ensure_ascii=False)
    return hashlib.sha256(given.encode("utf-8")).hexdigest()


def code(key: str) -> CodeType | None:
    """The code of the Python source stored under ``key``, or None when there is none."""
    source = _SOURCES.get(key)
    if source is None:
        return None
    return compile(source, "<template>", "exec")  # what Jinja's own _compile does with a template's source


def _canonical(value: Any) -> Any:
    """``value`` as JSON data that names the same things in every process: a function or class by its module and
    qualified name, a Jinja enum member (how a filter takes its arguments) by its name, other objects by repr."""
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, tuple | list):
        return [_canonical(item) for item in value]
    if isinstance(value, type) or callable(value):
        return f"{getattr(value, '__module__', '?')}.{getattr(value, '__qualname__', repr(value))}"
    name = getattr(value, "name", None)
    if isinstance(name, str) and type(value).__module__.startswith("jinja2"):
        return f"{type(value).__qualname__}.{name}"
    return repr(value)
