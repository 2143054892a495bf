"""A trusted cookiecutter template (``--trust``), rendered by real cookiecutter, hooks and extensions included.

Cookiecutter renders a copy of the template into a temporary folder, with a configuration of its own there (the
user's ``~/.cookiecutterrc`` and ``COOKIECUTTER_CONFIG`` are not read, and the replay file is written there, not
in the home folder); hooks run in that temporary project folder. The project folder is then read back into the
``{path: text}`` tree (regular files only, within the template's budget; a ``.git`` a hook made is left out), and
the temporary folder is removed, whatever happened. While cookiecutter runs, Python's temporary folder points
inside it too (cookiecutter leaves rendered hook scripts behind in the system's), restored afterwards.

Trust covers the template, not the answers: an answer comes from the user or from a repository's record, and
cookiecutter renders every given answer as a template, outside any sandbox, and pastes it into the hook scripts it
runs. An answer holding template syntax is therefore refused here, and so is one holding a character that could
break out of a hook script's quotes (a template with hooks only).
"""

from __future__ import annotations

import json
import logging
import shutil
import tempfile
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from scaffold.errors import ScaffoldError, UnsafePackError, UsageError
from scaffold.packs.cookiecutter import (
    CONTEXT_FILE,
    CookiecutterTemplate,
    RenderedProject,
    Skipped,
    public_answers,
    read_tree,
    resolve_with,
)
from scaffold.untrusted.text import shown

_COPY = "template"
_RUN_LOCK = threading.Lock()
"""One cookiecutter run at a time: it changes the working folder, and here the temporary folder, of the process."""


def trusted_context(template: CookiecutterTemplate, given: Mapping[str, Any]) -> dict[str, Any]:
    """The whole context, rendered by cookiecutter's own environment (``_extensions`` loaded)."""
    from cookiecutter.main import _patch_import_path_for_repo  # type: ignore[import-untyped]
    from cookiecutter.prompt import render_variable  # type: ignore[import-untyped]
    from cookiecutter.utils import create_env_with_context  # type: ignore[import-untyped]

    with _patch_import_path_for_repo(str(template.root)), _cookiecutter_errors(CONTEXT_FILE):
        env = create_env_with_context({"cookiecutter": template.context})

        def render_value(key: str, raw: Any, so_far: dict[str, Any]) -> Any:
            with _cookiecutter_errors(f"{CONTEXT_FILE}: {shown(key)}"):
                return render_variable(env, raw, so_far)

        return resolve_with(template, given, render_value)


def render_trusted(template: CookiecutterTemplate, given: Mapping[str, Any]) -> RenderedProject:
    """Run cookiecutter with ``no_input`` and the given answers as extra context; read its project back."""
    from cookiecutter.main import cookiecutter  # the module's first import carries the type: ignore

    resolved = trusted_context(template, given)
    _refuse_template_syntax(given, _delimiters(template))
    if any(part.startswith("hooks/") for part in template.untrusted_parts):
        _refuse_code_in_answers(given, public_answers(trusted_context(template, {})))
    _quiet_cookiecutter_logging()
    with tempfile.TemporaryDirectory(prefix="scaffold-cookiecutter-", ignore_cleanup_errors=True) as temporary:
        work = Path(temporary)
        copy = work / _COPY
        shutil.copytree(template.root, copy, symlinks=True, ignore=shutil.ignore_patterns(".git"))
        config = work / "config.yaml"
        settings = {
            "cookiecutters_dir": str(work / "cache"),
            "replay_dir": str(work / "replay"),
            "default_context": {},
            "abbreviations": {},
        }
        config.write_text(json.dumps(settings), encoding="utf-8")
        output = work / "output"
        output.mkdir()
        with _cookiecutter_errors(f"cookiecutter template {template.name}"), _temporary_files_in(work / "scratch"):
            project = cookiecutter(
                str(copy),
                no_input=True,
                extra_context=_as_options(template, given),
                output_dir=str(output),
                config_file=str(config),
                accept_hooks=True,
            )
        tree = read_tree(Path(project), template.budget, "the rendered project")
        answers = _replayed_answers(work / "replay" / f"{_COPY}.json") or public_answers(resolved)
    skipped = (*tree.skipped, *(_binary(path) for path in tree.binaries))
    return RenderedProject(dict(sorted(tree.texts.items())), answers, skipped, tree.executables)


def _as_options(template: CookiecutterTemplate, given: Mapping[str, Any]) -> dict[str, Any]:
    """The answers as cookiecutter compares them: a choice given as text (``3.12``, as records and ``--set`` hold
    it) becomes the option itself (the number 3.12), which cookiecutter's extra context must match exactly."""
    extra: dict[str, Any] = {}
    for key, value in given.items():
        options = template.context.get(key)
        if isinstance(options, list) and value not in options:
            value = next((option for option in options if str(option) == str(value)), value)
        extra[key] = value
    return extra


@contextmanager
def _temporary_files_in(folder: Path) -> Iterator[None]:
    """Cookiecutter writes each rendered hook script to a temporary file it never removes, and copies the template
    to a temporary folder for a pre-prompt hook: keep both inside the run's own folder, which is removed after."""
    folder.mkdir()
    with _RUN_LOCK:
        previous = tempfile.tempdir
        tempfile.tempdir = str(folder)
        try:
            yield
        finally:
            tempfile.tempdir = previous


def _binary(path: str) -> Skipped:
    return Skipped(path, "a binary file; a kit holds text only")


def _delimiters(template: CookiecutterTemplate) -> tuple[str, ...]:
    options = template.context.get("_jinja2_env_vars", {})
    names = ("variable_start_string", "block_start_string", "comment_start_string", "line_statement_prefix")
    defaults = ("{{", "{%", "{#", None)
    found = (options.get(name, default) for name, default in zip(names, defaults, strict=True))
    return tuple(str(delimiter) for delimiter in found if delimiter)


def _refuse_template_syntax(value: Any, delimiters: tuple[str, ...], key: str = "") -> None:
    if isinstance(value, Mapping):
        for name, item in value.items():
            where = f"{key}.{name}" if key else str(name)
            _refuse_template_syntax(name, delimiters, where)
            _refuse_template_syntax(item, delimiters, where)
    elif isinstance(value, list | tuple):
        for item in value:
            _refuse_template_syntax(item, delimiters, key)
    elif isinstance(value, str):
        for delimiter in delimiters:
            if delimiter in value:
                raise UsageError(
                    f"answer {shown(key)}: holds template syntax '{shown(delimiter)}', which cookiecutter would run "
                    "as a template; remove it"
                )


_CODE_CHARACTERS = frozenset("'\"\\`$;|&<>(){}")
"""What an answer pasted into a Python or shell hook script can break out of its quotes, or run, with."""


def _refuse_code_in_answers(given: Mapping[str, Any], defaults: Mapping[str, Any]) -> None:
    """Cookiecutter pastes answers into hook scripts before it runs them, so an answer such as
    ``x'; __import__('os').system('...'); '`` runs as the hook's own code. An answer may come from a repository's
    ``.scaffold.yml``, which ``scaffold diff`` renders: trusting the template does not trust it. A given text that
    is not the template's own default may not hold a quote, a backslash, ``$``, a backtick, ``;``, ``|``, ``&``,
    ``<``, ``>``, parentheses, braces or a line break."""
    for key, value in given.items():
        if key in defaults and value == defaults[key]:
            continue
        for text in _texts(value):
            bad = next((char for char in text if char in _CODE_CHARACTERS or not char.isprintable()), None)
            if bad is not None:
                raise UsageError(
                    f"answer {shown(str(key))}: holds {shown(bad)!r}, which this template's hooks would run as code "
                    "(cookiecutter pastes answers into hook scripts); an answer for a template with hooks has no "
                    "quotes, backslashes, $, `, ;, |, &, <, >, parentheses, braces or line breaks"
                )


def _texts(value: Any) -> Iterator[str]:
    """Every text in an answer: itself, or the keys and values of a mapping and the items of a list, nested."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, Mapping):
        for name, item in value.items():
            yield str(name)
            yield from _texts(item)
    elif isinstance(value, list | tuple):
        for item in value:
            yield from _texts(item)


def _replayed_answers(replay: Path) -> dict[str, Any] | None:
    """The context cookiecutter used, from the replay file it wrote: what pre-prompt hooks and its own rules made
    of the answers."""
    try:
        context = json.loads(replay.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    variables = context.get("cookiecutter") if isinstance(context, dict) else None
    return public_answers(variables) if isinstance(variables, dict) else None


def _quiet_cookiecutter_logging() -> None:
    """Cookiecutter logs a failing hook with ``logger.exception``; with no handler, Python would print the
    traceback on stderr. The failure is reported as one line instead."""
    logger = logging.getLogger("cookiecutter")
    if not any(isinstance(handler, logging.NullHandler) for handler in logger.handlers):
        logger.addHandler(logging.NullHandler())


@contextmanager
def _cookiecutter_errors(what: str) -> Iterator[None]:
    """Cookiecutter's and a trusted template's errors as one line: a failed hook is a usage error (exit 2)."""
    from cookiecutter.exceptions import FailedHookException  # type: ignore[import-untyped]
    from jinja2 import TemplateError

    try:
        yield
    except ScaffoldError:
        raise
    except FailedHookException as error:
        raise UsageError(f"{what}: a hook failed: {shown(str(error), 200)} (nothing was written)") from None
    except TemplateError as error:
        raise UnsafePackError(f"{what}: {shown(error.message or type(error).__name__, 200)}") from None
    except RecursionError:
        raise UnsafePackError(f"{what}: recurses too deeply") from None
    except Exception as error:  # trusted code, extensions and hooks can raise anything
        raise UnsafePackError(f"{what}: {type(error).__name__}: {shown(str(error), 200)}") from None
