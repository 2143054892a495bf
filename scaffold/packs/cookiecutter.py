"""Cookiecutter templates as packs: a folder with ``cookiecutter.json`` and one ``{{cookiecutter.x}}`` project folder.

Loading reads the whole template into memory within a budget (symlinks and special files are skipped and listed,
never followed). ``resolve`` applies cookiecutter's context rules as ``cookiecutter --no-input`` does: variables in
the order of ``cookiecutter.json``, each default rendered with the answers before it, choices defaulting to their
first option, private ``_x`` variables kept raw and ``__x`` ones rendered, dictionaries last. ``render`` gives the
project folder's contents as ``{path: text}``: the single templated top folder is the repository's root.

Without ``--trust`` a template must not run code: ``hooks/`` scripts, ``_extensions`` and ``_jinja2_env_vars``
beyond syntax settings raise ``UntrustedPackError`` before anything renders; the rest renders in scaffold's
sandbox (``cookiecutter_sandbox``). With ``--trust`` real cookiecutter renders it, hooks included
(``cookiecutter_trusted``).

Where scaffold differs from cookiecutter: an answer given (``--set``, an answers file, the record) is taken as it
is, never rendered as a template; an unknown or private (``_x``) answer is refused instead of ignored; a choice
takes one value (not a multi-choice list); two files rendering to the same path are refused; binary files are
skipped and listed (a kit is text); ``{% now 'local' %}`` is UTC; nested templates (``templates`` key) are not
supported.
"""

from __future__ import annotations

import copy
import fnmatch
import json
import os
import re
import stat
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

from scaffold.errors import UnsafePackError, UntrustedPackError, UsageError
from scaffold.kit.kit_paths import is_git_name
from scaffold.kit.packs import PACK_NAME
from scaffold.untrusted.read import UnreadableInput, read_bytes
from scaffold.untrusted.text import shown

CONTEXT_FILE = "cookiecutter.json"
HOOK_NAMES = frozenset({"pre_prompt", "pre_gen_project", "post_gen_project"})
MAX_CONTEXT_BYTES = 1_000_000
MAX_VARIABLES = 500
MAX_DEPTH = 20
MAX_ANSWER_CHARS = 10_000
MAX_ANSWER_ITEMS = 10_000
MAX_PATH_CHARS = 1000
RECORD_FILE = ".scaffold.yml"
"""Scaffold's record (``scaffold.kit.record.RECORD_PATH``): a template may not render a file of its own there."""
SHARED_TEMPLATES = "templates"
"""The folder beside the project folder that cookiecutter's loader also searches (``{% include 'base.txt' %}``)."""

_NAME = re.compile(PACK_NAME)
_YES = frozenset({"1", "true", "t", "yes", "y", "on"})
_NO = frozenset({"0", "false", "f", "no", "n", "off"})
_NEW_LINES = frozenset({"\n", "\r\n", "\r"})


@dataclass(frozen=True)
class Budget:
    """How much a template may take: seconds for a whole resolve and render, files, and bytes."""

    seconds: float = 30.0
    max_files: int = 5000
    max_file_bytes: int = 1_000_000
    max_total_bytes: int = 50_000_000


DEFAULT_BUDGET = Budget()


@dataclass(frozen=True)
class Skipped:
    """A file left out of the tree, and why (a symlink, a special file, a binary file...)."""

    path: str
    reason: str


@dataclass(frozen=True)
class Tree:
    """A folder read into memory: UTF-8 files as text, the rest listed."""

    texts: dict[str, str]
    binaries: tuple[str, ...]
    skipped: tuple[Skipped, ...]
    executables: frozenset[str]


@dataclass(frozen=True)
class CookiecutterTemplate:
    """A loaded template: its context, where its project folder is, and its files, in memory."""

    name: str
    """A pack name: the folder's name slugified to ``[a-z0-9][a-z0-9._-]{0,63}``."""
    root: Path
    context: dict[str, Any] = field(repr=False)
    """``cookiecutter.json`` as loaded, in its order."""
    untrusted_parts: tuple[str, ...]
    """Why it needs ``--trust``: ``hooks/pre_gen_project.py``, ``_extensions (x.Y)``, ``_jinja2_env_vars.z``."""
    project_folder: str
    """The templated top folder, e.g. ``{{cookiecutter.project_slug}}``."""
    project: Tree = field(repr=False)
    """The project folder's files, relative to it."""
    shared: dict[str, str] = field(repr=False, default_factory=dict)
    """Text files of the ``templates/`` folder beside it, for includes."""
    budget: Budget = DEFAULT_BUDGET


@dataclass(frozen=True)
class Question:
    """One variable as a prompt or a ``--help``-like listing shows it. ``default`` is the raw default (a
    template such as ``{{ cookiecutter.name|lower }}`` before rendering; ``resolve`` renders it)."""

    key: str
    kind: Literal["text", "choice", "bool", "dict"]
    default: str
    choices: tuple[str, ...] = ()
    choice_labels: tuple[str, ...] = ()
    prompt: str = ""
    private: bool = False


@dataclass(frozen=True)
class RenderedProject:
    """A rendered project: its files, the public answers it was rendered from, and what was left out."""

    files: dict[str, str]
    answers: dict[str, Any]
    skipped: tuple[Skipped, ...] = ()
    executables: frozenset[str] = frozenset()


# -- loading -------------------------------------------------------------------------------------------------------


def is_cookiecutter(folder: Path) -> bool:
    """Whether ``folder`` has a ``cookiecutter.json`` at its root."""
    try:
        return not stat.S_ISDIR(os.lstat(folder / CONTEXT_FILE).st_mode)
    except (OSError, ValueError):
        return False


def load_template(folder: Path, *, name: str | None = None, budget: Budget = DEFAULT_BUDGET) -> CookiecutterTemplate:
    """Read a template folder into memory. Bad input raises ``UnsafePackError`` (exit 2); nothing runs."""
    try:
        root = folder.resolve(strict=True)
    except (OSError, RuntimeError, ValueError):
        raise UnsafePackError(f"cookiecutter template {shown(str(folder), 200)} cannot be resolved") from None
    if not root.is_dir():
        raise UnsafePackError(f"cookiecutter template {shown(str(root), 200)} is not a folder")
    context = _load_context(root)
    options = context.get("_jinja2_env_vars", {})
    project_folder = _project_folder(root, options)
    reader = _Reader(budget)
    project = reader.read(root / project_folder, project_folder)
    shared_folder = root / SHARED_TEMPLATES
    shared = reader.read(shared_folder, SHARED_TEMPLATES).texts if _is_real_folder(shared_folder) else {}
    return CookiecutterTemplate(
        name=_pack_name(name if name is not None else root.name),
        root=root,
        context=context,
        untrusted_parts=_untrusted_parts(root, context),
        project_folder=project_folder,
        project=project,
        shared=shared,
        budget=budget,
    )


def _pack_name(folder_name: str) -> str:
    slug = re.sub(r"[^a-z0-9._-]+", "-", folder_name.lower()).strip("-._")[:64].rstrip("-._")
    return slug if _NAME.fullmatch(slug) else "cookiecutter-template"


def _load_context(root: Path) -> dict[str, Any]:
    path = root / CONTEXT_FILE
    try:
        if stat.S_ISLNK(os.lstat(path).st_mode):
            raise UnsafePackError(f"{CONTEXT_FILE}: is a symlink; a template's files must be its own")
        data = read_bytes(path, limit=MAX_CONTEXT_BYTES)
    except (UnreadableInput, OSError) as error:
        raise UnsafePackError(f"{CONTEXT_FILE}: {error}") from None
    try:
        context = json.loads(data.decode("utf-8").removeprefix("\ufeff"))
    except UnicodeDecodeError as error:
        raise UnsafePackError(f"{CONTEXT_FILE}: is not UTF-8 text (byte {error.start})") from None
    except json.JSONDecodeError as error:
        raise UnsafePackError(f"{CONTEXT_FILE}: is not valid JSON: {error.msg} (line {error.lineno})") from None
    except (ValueError, RecursionError):
        raise UnsafePackError(f"{CONTEXT_FILE}: is not valid JSON (nested too deeply, or a number too long)") from None
    _check_context(context)
    return context  # type: ignore[no-any-return] # checked to be a dict


def _depth(value: Any, level: int = 0) -> int:
    if level > MAX_DEPTH:
        return level
    if isinstance(value, dict):
        return max((_depth(item, level + 1) for item in value.values()), default=level + 1)
    if isinstance(value, list):
        return max((_depth(item, level + 1) for item in value), default=level + 1)
    return level


def _check_context(context: Any) -> None:
    """The shape cookiecutter needs, and what scaffold supports; one line naming the field when not."""
    where = CONTEXT_FILE
    if not isinstance(context, dict):
        raise UnsafePackError(f"{where}: must be a JSON object of variables")
    if len(context) > MAX_VARIABLES:
        raise UnsafePackError(f"{where}: has more than {MAX_VARIABLES} variables")
    for key, value in context.items():
        if not key or len(key) > 200 or not key.isprintable():
            raise UnsafePackError(f"{where}: variable name '{shown(key)}' must be 1 to 200 printable characters")
        if _depth(value) > MAX_DEPTH:
            raise UnsafePackError(f"{where}: {shown(key)}: nested more than {MAX_DEPTH} levels deep")
    for nested in ("template", "templates"):
        if nested in context:
            raise UnsafePackError(
                f"{where}: {nested}: nested templates are not supported; point --pack at one of the templates"
            )
    for key in ("_copy_without_render", "_extensions"):
        value = context.get(key, [])
        if not isinstance(value, list) or not all(isinstance(item, str) and len(item) <= 1000 for item in value):
            raise UnsafePackError(f"{where}: {key}: must be a list of strings")
    if not isinstance(context.get("_jinja2_env_vars", {}), dict):
        raise UnsafePackError(f"{where}: _jinja2_env_vars: must be an object")
    if "_new_lines" in context and context["_new_lines"] not in _NEW_LINES:
        raise UnsafePackError(f'{where}: _new_lines: must be "\\n", "\\r\\n" or "\\r"')
    if not isinstance(context.get("__prompts__", {}), dict):
        raise UnsafePackError(f"{where}: __prompts__: must be an object")


def _project_folder(root: Path, options: Mapping[str, Any]) -> str:
    """The one top folder whose name holds ``cookiecutter`` between the variable delimiters, as cookiecutter finds
    it (it takes the first the file system lists; scaffold refuses two, so the choice never depends on the disk)."""
    start = str(options.get("variable_start_string", "{{"))
    end = str(options.get("variable_end_string", "}}"))
    try:
        names = sorted(entry.name for entry in root.iterdir())
    except OSError as error:
        raise UnsafePackError(f"cookiecutter template: cannot list its folder: {error.strerror}") from None
    found = [name for name in names if "cookiecutter" in name and start in name and end in name]
    if not found:
        raise UnsafePackError(
            f"cookiecutter template: no project folder; name one like '{start}cookiecutter.project_slug{end}'"
        )
    if len(found) > 1:
        raise UnsafePackError(
            f"cookiecutter template: two project folders, '{shown(found[0])}' and '{shown(found[1])}'"
        )
    if not _is_real_folder(root / found[0]):
        raise UnsafePackError(f"cookiecutter template: project folder '{shown(found[0])}' is not a folder (symlink?)")
    return found[0]


def _is_real_folder(path: Path) -> bool:
    try:
        return stat.S_ISDIR(os.lstat(path).st_mode)
    except OSError:
        return False


def _untrusted_parts(root: Path, context: Mapping[str, Any]) -> tuple[str, ...]:
    """What would run code, or change how templates run, if rendered: hooks, extensions, environment options."""
    from scaffold.packs.cookiecutter_sandbox import SAFE_OPTIONS

    parts: list[str] = []
    hooks = root / "hooks"
    if hooks.is_dir():
        try:
            names = sorted(entry.name for entry in hooks.iterdir())
        except OSError:
            names = []
            parts.append("hooks/ (cannot be listed, so may hold a hook)")
        for entry in names:
            stem = Path(entry).stem
            if stem in HOOK_NAMES and not entry.endswith("~"):
                parts.append(f"hooks/{shown(entry)}")
    extensions = context.get("_extensions", [])
    if extensions:
        parts.append(f"_extensions ({', '.join(shown(name, 60) for name in extensions[:5])})")
    for option in context.get("_jinja2_env_vars", {}):
        if option not in SAFE_OPTIONS:
            parts.append(f"_jinja2_env_vars.{shown(option)}")
    return tuple(parts)


class _Reader:
    """Reads folders within one budget: regular files only, symlinks and special files skipped and listed."""

    def __init__(self, budget: Budget) -> None:
        self.budget = budget
        self.entries = 0
        self.bytes = 0

    def read(self, folder: Path, label: str) -> Tree:
        texts: dict[str, str] = {}
        binaries: list[str] = []
        skipped: list[Skipped] = []
        executables: set[str] = set()

        def fail(error: OSError) -> None:
            raise error

        try:
            for current, folders, names in os.walk(folder, onerror=fail):
                base = Path(current)
                relative_base = base.relative_to(folder).as_posix()
                prefix = "" if relative_base == "." else relative_base + "/"
                for name in sorted(folders):
                    info = os.lstat(base / name)
                    if stat.S_ISLNK(info.st_mode) or is_git_name(name):
                        folders.remove(name)
                        why = "a symlink, not followed" if stat.S_ISLNK(info.st_mode) else "git metadata"
                        skipped.append(Skipped(f"{prefix}{name}/", why))
                folders.sort()
                for name in sorted(names):
                    self._count()
                    relative = f"{prefix}{name}"
                    info = os.lstat(base / name)
                    reason = self._unreadable(relative, info.st_mode)
                    if reason:
                        skipped.append(Skipped(relative, reason))
                        continue
                    data = self._bytes(base / name, f"{label}/{relative}")
                    if info.st_mode & 0o111:
                        executables.add(relative)
                    text = _text(data)
                    if text is None:
                        binaries.append(relative)
                    else:
                        texts[relative] = text
        except OSError as error:
            raise UnsafePackError(f"cookiecutter template: cannot read '{shown(label)}': {error.strerror}") from None
        return Tree(texts, tuple(binaries), tuple(skipped), frozenset(executables))

    def _count(self) -> None:
        self.entries += 1
        if self.entries > self.budget.max_files:
            raise UnsafePackError(f"cookiecutter template: has more than {self.budget.max_files} files")

    @staticmethod
    def _unreadable(relative: str, mode: int) -> str | None:
        if stat.S_ISLNK(mode):
            return "a symlink, not followed"
        if not stat.S_ISREG(mode):
            return "not a regular file"
        if not relative.isprintable() or "\\" in relative:
            return "a file name that is not printable UTF-8"
        if len(relative) > MAX_PATH_CHARS:
            return f"a path longer than {MAX_PATH_CHARS} characters"
        return None

    def _bytes(self, path: Path, label: str) -> bytes:
        try:
            data = read_bytes(path, limit=self.budget.max_file_bytes)
        except UnreadableInput as error:
            raise UnsafePackError(f"cookiecutter template: '{shown(label, 200)}' {error}") from None
        self.bytes += len(data)
        if self.bytes > self.budget.max_total_bytes:
            raise UnsafePackError(
                f"cookiecutter template: its files hold more than {self.budget.max_total_bytes} bytes"
            )
        return data


def read_tree(folder: Path, budget: Budget, label: str) -> Tree:
    """A folder's files in memory within ``budget`` (how a trusted render's output is read back)."""
    return _Reader(budget).read(folder, label)


def _text(data: bytes) -> str | None:
    """The file's text (a byte order mark kept, as cookiecutter's loader keeps it), or None for a binary file."""
    if b"\0" in data:
        return None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return None


# -- questions -----------------------------------------------------------------------------------------------------


def questions(template: CookiecutterTemplate, *, include_private: bool = False) -> list[Question]:
    """The template's variables in the order cookiecutter asks them (dictionaries last), public ones only unless
    ``include_private``."""
    prompts = template.context.get("__prompts__", {})
    listed: list[Question] = []
    later: list[Question] = []
    for key, raw in template.context.items():
        private = key.startswith("_")
        if key == "__prompts__" or (private and not include_private):
            continue
        question = _question(key, raw, prompts.get(key), private)
        (later if question.kind == "dict" else listed).append(question)
    return listed + later


def _question(key: str, raw: Any, prompt: Any, private: bool) -> Question:
    label = prompt.get("__prompt__", key) if isinstance(prompt, dict) else prompt
    text = str(label) if label else key
    if isinstance(raw, list):
        choices = tuple(_as_text(option) for option in raw)
        labels = tuple(str(prompt.get(choice, choice)) if isinstance(prompt, dict) else choice for choice in choices)
        return Question(key, "choice", choices[0] if choices else "", choices, labels, text, private)
    if isinstance(raw, bool):
        return Question(key, "bool", "yes" if raw else "no", prompt=text, private=private)
    if isinstance(raw, dict):
        return Question(key, "dict", _as_text(raw), prompt=text, private=private)
    return Question(key, "text", _as_text(raw), prompt=text, private=private)


def _as_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


# -- resolving answers ---------------------------------------------------------------------------------------------

RenderValue = Callable[[str, Any, dict[str, Any]], Any]
"""Renders one raw value of ``cookiecutter.json`` (key, raw, the context so far), as cookiecutter's
``render_variable`` does."""


def require_trust(template: CookiecutterTemplate, trust: bool) -> None:
    """Raise ``UntrustedPackError`` (exit 4) when the template runs code and ``--trust`` was not given."""
    if template.untrusted_parts and not trust:
        part = template.untrusted_parts[0]
        effect = "changes the Jinja environment" if part.startswith("_jinja2_env_vars") else "runs code"
        raise UntrustedPackError(
            f"cookiecutter template {template.name}: {part} {effect}; pass --trust to run it (nothing was written)"
        )


def resolve(
    template: CookiecutterTemplate, given: Mapping[str, Any], *, trust: bool, now: datetime | None = None
) -> dict[str, Any]:
    """The public answers (no ``_x`` keys) after cookiecutter's context rules: what the record stores, and what,
    given back, renders the same tree."""
    return public_answers(full_context(template, given, trust=trust, now=now))


def full_context(
    template: CookiecutterTemplate, given: Mapping[str, Any], *, trust: bool, now: datetime | None = None
) -> dict[str, Any]:
    """The whole ``cookiecutter`` context, private variables included, in ``cookiecutter.json``'s order."""
    require_trust(template, trust)
    if trust:
        from scaffold.packs.cookiecutter_trusted import trusted_context

        return trusted_context(template, given)
    env = _sandbox(template, time.monotonic() + template.budget.seconds, now)
    return resolve_with(template, given, _sandbox_renderer(env))


def public_answers(context: Mapping[str, Any]) -> dict[str, Any]:
    """The answers a user gives: every variable without a leading ``_`` (private ones are re-derived)."""
    return {key: copy.deepcopy(value) for key, value in context.items() if not key.startswith("_")}


def resolve_with(template: CookiecutterTemplate, given: Mapping[str, Any], render_value: RenderValue) -> dict[str, Any]:
    """Cookiecutter's ``prompt_for_config`` with ``no_input``, given answers taken as they are."""
    answers = checked_answers(template, given)
    variables = {key: raw for key, raw in template.context.items() if key != "__prompts__"}
    resolved: dict[str, Any] = {}
    for key, raw in variables.items():
        if key.startswith("_") and not key.startswith("__"):
            resolved[key] = copy.deepcopy(raw)
        elif key.startswith("__"):
            resolved[key] = render_value(key, raw, resolved)
        elif isinstance(raw, list):
            resolved[key] = _choice(key, raw, answers, resolved, render_value)
        elif isinstance(raw, bool):
            resolved[key] = _boolean(key, answers[key]) if key in answers else raw
        elif not isinstance(raw, dict):
            resolved[key] = _text_answer(key, raw, answers[key]) if key in answers else render_value(key, raw, resolved)
    for key, raw in variables.items():
        if isinstance(raw, dict) and not key.startswith("_"):
            value = render_value(key, raw, resolved)
            resolved[key] = _overlay(value, answers[key], key) if key in answers else value
    return {key: resolved[key] for key in variables if key in resolved}


def checked_answers(template: CookiecutterTemplate, given: Mapping[str, Any]) -> dict[str, Any]:
    """The given answers, each naming a public variable of the template; the first bad one raises ``UsageError``."""
    if not isinstance(given, Mapping):
        raise UsageError("answers: must be a mapping of variable names to values")
    known = [key for key in template.context if not key.startswith("_")]
    for key in given:
        if not isinstance(key, str):
            raise UsageError(f"answers: '{shown(str(key))}' is not a variable name")
        if key.startswith("_"):
            raise UsageError(f"answer {shown(key)}: is private to the template (a leading '_'); the template sets it")
        if key not in template.context:
            raise UsageError(
                f"answer {shown(key)}: the template has no such variable; it has {shown(', '.join(known), 200)}"
            )
    return dict(given)


def _choice(
    key: str, raw: list[Any], answers: Mapping[str, Any], resolved: dict[str, Any], render_value: RenderValue
) -> Any:
    if not raw:
        raise UnsafePackError(f"{CONTEXT_FILE}: {shown(key)}: the list of choices is empty")
    options = [render_value(key, option, resolved) for option in raw]
    if key not in answers:
        return options[0]
    answer = answers[key]
    for candidates in (raw, options):
        for index, candidate in enumerate(candidates):
            if type(candidate) is type(answer) and candidate == answer:
                return options[index]
    listed = ", ".join(_as_text(option) for option in options)
    raise UsageError(
        f"answer {shown(key)}: '{shown(_as_text(answer))}' is not one of its choices: {shown(listed, 200)}"
    )


def _boolean(key: str, answer: Any) -> bool:
    if isinstance(answer, bool):
        return answer
    if isinstance(answer, str) and answer.strip().lower() in _YES | _NO:
        return answer.strip().lower() in _YES
    raise UsageError(f"answer {shown(key)}: must be yes or no (or true/false, y/n, 1/0, on/off)")


def _text_answer(key: str, raw: Any, answer: Any) -> str | None:
    if answer is None and raw is None:
        return None
    if isinstance(answer, int | float) and not isinstance(answer, bool):
        return str(answer)
    if not isinstance(answer, str):
        raise UsageError(f"answer {shown(key)}: must be text")
    if len(answer) > MAX_ANSWER_CHARS:
        raise UsageError(f"answer {shown(key)}: must be at most {MAX_ANSWER_CHARS} characters")
    return answer


def _overlay(base: Any, answer: Any, key: str = "") -> Any:
    """A dictionary answer laid over the rendered default, as cookiecutter merges a dictionary given as extra
    context: keys merged level by level, everything else replaced."""
    if not isinstance(answer, Mapping):
        raise UsageError(f"answer {shown(key)}: must be a mapping")
    _check_plain(answer, key, [0], 0)
    merged = dict(base) if isinstance(base, dict) else {}
    for name, value in answer.items():
        if isinstance(value, Mapping) and isinstance(merged.get(name), dict):
            merged[name] = _overlay(merged[name], value, f"{key}.{name}")
        else:
            merged[name] = copy.deepcopy(value)
    return merged


def _check_plain(value: Any, key: str, count: list[int], level: int) -> None:
    """An answer must be plain data (text, numbers, booleans, null, lists, mappings with text keys), bounded."""
    count[0] += 1
    if count[0] > MAX_ANSWER_ITEMS or level > MAX_DEPTH:
        raise UsageError(f"answer {shown(key)}: is too large or too deeply nested")
    if isinstance(value, Mapping):
        for name, item in value.items():
            if not isinstance(name, str):
                raise UsageError(f"answer {shown(key)}: keys must be text")
            _check_plain(item, f"{key}.{name}", count, level + 1)
    elif isinstance(value, list | tuple):
        for item in value:
            _check_plain(item, key, count, level + 1)
    elif isinstance(value, str):
        if len(value) > MAX_ANSWER_CHARS:
            raise UsageError(f"answer {shown(key)}: must be at most {MAX_ANSWER_CHARS} characters")
    elif value is not None and not isinstance(value, bool | int | float):
        raise UsageError(f"answer {shown(key)}: must be plain data, not {type(value).__name__}")


# -- rendering -----------------------------------------------------------------------------------------------------


def render(
    template: CookiecutterTemplate, answers: Mapping[str, Any], *, trust: bool, now: datetime | None = None
) -> dict[str, str]:
    """The project folder's contents, ``{relative path: text}``, sorted. Private keys in ``answers`` are ignored
    (the template derives them), so ``resolve``'s or ``full_context``'s result can be passed as it is."""
    return render_project(template, answers, trust=trust, now=now).files


def render_project(
    template: CookiecutterTemplate, answers: Mapping[str, Any], *, trust: bool, now: datetime | None = None
) -> RenderedProject:
    """``render``, with the answers used and the files left out (binary files, symlinks) for the caller to show.
    ``now`` is the instant ``{% now %}`` shows in the sandbox (the current time when None)."""
    require_trust(template, trust)
    if not isinstance(answers, Mapping):
        raise UsageError("answers: must be a mapping of variable names to values")
    given = {key: value for key, value in answers.items() if not (isinstance(key, str) and key.startswith("_"))}
    if trust:
        from scaffold.packs.cookiecutter_trusted import render_trusted

        return render_trusted(template, given)
    return _render_sandboxed(template, given, now)


def _sandbox(template: CookiecutterTemplate, deadline: float, now: datetime | None) -> Any:
    from jinja2 import ChoiceLoader, DictLoader

    from scaffold.packs.cookiecutter_sandbox import TemplateSandbox, rendering

    loader = ChoiceLoader([DictLoader(dict(template.project.texts)), DictLoader(dict(template.shared))])
    options = template.context.get("_jinja2_env_vars", {})
    with rendering(f"{CONTEXT_FILE}: _jinja2_env_vars"):
        return TemplateSandbox(
            loader=loader,
            deadline=deadline,
            max_chars=template.budget.max_file_bytes,
            now=now or datetime.now(UTC),
            options=options,
        )


def _sandbox_renderer(env: Any) -> RenderValue:
    from cookiecutter.prompt import render_variable  # type: ignore[import-untyped]

    from scaffold.packs.cookiecutter_sandbox import rendering

    def render_value(key: str, raw: Any, so_far: dict[str, Any]) -> Any:
        with rendering(f"{CONTEXT_FILE}: {shown(key)}"):
            return render_variable(env, raw, so_far)

    return render_value


def template_context(template: CookiecutterTemplate, context: Mapping[str, Any]) -> dict[str, Any]:
    """What file names and contents see: ``cookiecutter`` (with the entries cookiecutter adds, made reproducible:
    no absolute paths), and ``_cookiecutter``, the template's public variables as ``cookiecutter.json`` has them."""
    variables = dict(context)
    variables.update({"_template": template.name, "_output_dir": ".", "_repo_dir": template.name, "_checkout": None})
    original = {key: raw for key, raw in template.context.items() if not key.startswith("_")}
    return {"cookiecutter": variables, "_cookiecutter": original}


def _render_sandboxed(
    template: CookiecutterTemplate, given: Mapping[str, Any], now: datetime | None
) -> RenderedProject:
    from scaffold.packs.cookiecutter_sandbox import rendering

    budget = template.budget
    env = _sandbox(template, time.monotonic() + budget.seconds, now)
    context = resolve_with(template, given, _sandbox_renderer(env))
    variables = template_context(template, context)

    def render_path(path: str) -> str:
        with rendering(f"file name '{shown(path)}'"):
            return str(env.from_string(path).render(variables))

    if not render_path(template.project_folder).strip():
        raise UnsafePackError(f"cookiecutter template: project folder '{shown(template.project_folder)}' renders empty")
    patterns = context.get("_copy_without_render", [])
    newline = context.get("_new_lines")
    files: dict[str, str] = {}
    sources: dict[str, str] = {}
    skipped = list(template.project.skipped)
    executables: set[str] = set()
    total = 0
    for source in sorted([*template.project.texts, *template.project.binaries]):
        env.tick()
        raw_folder = _copied_folder(source, patterns)
        rendered = render_path(raw_folder) + source[len(raw_folder) :] if raw_folder else render_path(source)
        path = output_path(rendered, source)
        if path is None:
            continue
        if path in sources:
            raise UnsafePackError(
                f"cookiecutter template: '{shown(sources[path])}' and '{shown(source)}' both render to '{shown(path)}'"
            )
        sources[path] = source
        if source not in template.project.texts:
            skipped.append(Skipped(path, "a binary file; a kit holds text only"))
            continue
        text = template.project.texts[source]
        if not raw_folder and not _matches(source, patterns):
            text = _with_newlines(_render_file(env, source, variables), newline or _first_newline(text))
        size = len(text.encode("utf-8", "surrogatepass"))
        total += size
        if size > budget.max_file_bytes or total > budget.max_total_bytes:
            raise UnsafePackError(f"template file '{shown(source)}': renders more than the size budget allows")
        files[path] = text
        if source in template.project.executables:
            executables.add(path)
    return RenderedProject(dict(sorted(files.items())), public_answers(context), tuple(skipped), frozenset(executables))


def _render_file(env: Any, source: str, variables: Mapping[str, Any]) -> str:
    from scaffold.packs.cookiecutter_sandbox import rendering

    with rendering(f"template file '{shown(source)}'"):
        chunks: list[str] = []
        size = 0
        for chunk in env.get_template(source).generate(variables):
            env.tick()
            size += len(chunk)
            env.refuse_size(size, "the file")
            chunks.append(chunk)
        return "".join(chunks)


def _matches(path: str, patterns: list[str]) -> bool:
    """Cookiecutter's ``_copy_without_render`` test: shell-style patterns against the unrendered path relative to
    the project folder (``*`` also matches ``/``)."""
    return any(fnmatch.fnmatchcase(path, pattern) for pattern in patterns)


def _copied_folder(path: str, patterns: list[str]) -> str:
    """The outermost folder above ``path`` that is copied without rendering, or ''. Cookiecutter copies such a
    folder whole, rendering only its own path."""
    parts = path.split("/")[:-1]
    for depth in range(1, len(parts) + 1):
        folder = "/".join(parts[:depth])
        if _matches(folder, patterns):
            return folder
    return ""


def output_path(rendered: str, source: str) -> str | None:
    """A rendered path as a plain relative path inside the project, or None when its file name renders empty
    (cookiecutter then writes nothing). Anything that could leave the project or reach ``.git`` is refused."""
    parts = rendered.split("/")
    if not rendered or parts[-1] in ("", "."):
        return None
    problem = ""
    if rendered.startswith("/"):
        problem = "is absolute"
    elif "\\" in rendered or not rendered.isprintable():
        problem = "holds a backslash or a control character"
    elif ".." in parts:
        problem = "climbs out with '..'"
    elif any(is_git_name(part) for part in parts):
        problem = "is inside .git"
    elif "/".join(part for part in parts if part not in ("", ".")).casefold() == RECORD_FILE:
        problem = "is scaffold's own record"
    elif len(rendered) > MAX_PATH_CHARS:
        problem = f"is longer than {MAX_PATH_CHARS} characters"
    if problem:
        raise UnsafePackError(f"template file '{shown(source)}' renders to '{shown(rendered)}', which {problem}")
    return "/".join(part for part in parts if part not in ("", "."))


def _first_newline(text: str) -> str | None:
    """The line ending of the template file's first line, which cookiecutter writes the rendered file with."""
    line_feed, carriage_return = text.find("\n"), text.find("\r")
    if carriage_return != -1 and (line_feed == -1 or carriage_return < line_feed):
        return "\r\n" if line_feed == carriage_return + 1 else "\r"
    return "\n" if line_feed != -1 else None


def _with_newlines(text: str, newline: str | None) -> str:
    return text.replace("\n", newline) if newline in ("\r\n", "\r") else text
