"""A team pack's questions as answer fields: the built-in ``Answers`` model, extended.

Each question becomes a field of a subclass of ``Answers``, so the same validation, ``--set`` parsing, answers
files, prompts and ``.scaffold.yml`` serve the built-in answers and the pack's alike. A text answer must match the
question's pattern (or, without one, a plain word-like default); the pattern comes from the pack, so it is matched by
the ``regex`` module with a time limit: a pattern that backtracks without end refuses the answer instead of hanging.
A ``when`` condition is an expression over the answers so far, evaluated in the render sandbox.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Annotated, Any, Literal

import regex
from jinja2 import TemplateError
from pydantic import AfterValidator, Field, create_model

from scaffold.errors import UnsafePackError
from scaffold.kit.answers import Answers, check_one
from scaffold.kit.packs import Delimiters
from scaffold.kit.render.environment import make_environment
from scaffold.packs.manifest import Question, TeamManifest
from scaffold.untrusted.text import shown

MAX_ANSWER_CHARS = 200
MAX_LIST_ITEMS = 20
PATTERN_SECONDS = 0.2
DEFAULT_PATTERN = r"[A-Za-z0-9][A-Za-z0-9 ._:/@+-]*"
MAX_REPETITIONS = 100_000
_QUOTED = re.compile(r"\\[pPNx]\{[^}]*\}|\\.|\[\^?\]?(?:\\.|[^\]\\])*\]", re.DOTALL)
"""An escape (``\\p{L}``, ``\\x{41}``, ``\\.``) or a character class: no repetition counts inside either."""
_COUNTED = re.compile(r"\{([0-9]*)(?:,([0-9]*))?\}")
DEFAULT_RULE = "letters, digits, spaces and . _ : / @ + -, starting with a letter or digit"


class PackPattern:
    """A text answer's rule: printable, at most ``MAX_ANSWER_CHARS`` long, and matching the whole pattern in time."""

    def __init__(self, pattern: str | None, question: str) -> None:
        source = pattern or DEFAULT_PATTERN
        if _repetitions(source) > MAX_REPETITIONS:
            raise UnsafePackError(
                f"pack.yml: questions.{question}.pattern: its counted repetitions ({{n}}, {{m,n}}) multiply to more "
                f"than {MAX_REPETITIONS}, which would take too long to compile; simplify it"
            )
        try:
            self.compiled = regex.compile(source, regex.ASCII | regex.VERSION0)
        except (regex.error, OverflowError, RecursionError) as error:
            raise UnsafePackError(
                f"pack.yml: questions.{question}.pattern: is not a regular expression ({shown(str(error), 80)})"
            ) from None
        self.rule = f"match {shown(source, 80)}" if pattern else DEFAULT_RULE

    def __call__(self, value: str) -> str:
        if len(value) > MAX_ANSWER_CHARS:
            raise ValueError(f"must be at most {MAX_ANSWER_CHARS} characters")
        if not value.isprintable():
            raise ValueError("must not contain control characters or line breaks")
        try:
            matched = self.compiled.fullmatch(value, timeout=PATTERN_SECONDS)
        except TimeoutError:
            raise ValueError("the pack's pattern takes too long on this value; choose another value") from None
        if matched is None:
            raise ValueError(f"must {self.rule}")
        return value


def _repetitions(pattern: str) -> int:
    """The product of the largest number of every counted repetition in ``pattern`` (1 without any). The ``regex``
    module unrolls ``{n}`` when it compiles, nested ones multiplied, with no time limit: ``(((a{1000}){1000}){1000})``
    would hang. Escapes (``\\p{L}`` included) and character classes are skipped; the product over-counts repetitions
    side by side, which is harmless for the short patterns answers need."""
    product = 1
    for match in _COUNTED.finditer(_QUOTED.sub("", pattern)):
        numbers = [int(number.lstrip("0")[:9] or "0") for number in match.groups() if number]
        product *= max([1, *numbers])
        if product > MAX_REPETITIONS:
            break
    return product


def _annotation(name: str, question: Question) -> Any:
    if question.type == "bool":
        return bool
    if question.type == "int":
        return Annotated[int, Field(ge=question.min, le=question.max)]
    if question.type == "choice":
        if not question.choices:
            raise UnsafePackError(f"pack.yml: questions.{name}.choices: a choice question needs choices")
        return Literal[tuple(question.choices)]
    text = Annotated[str, AfterValidator(PackPattern(question.pattern, name))]
    if question.type == "list":
        return list[text]
    return text


def _field(name: str, question: Question) -> tuple[Any, Any]:
    annotation = _annotation(name, question)
    default = question.default
    if question.type == "list":
        items = list(default) if isinstance(default, list) else []
        info = Field(
            default_factory=lambda: list(items),
            max_length=MAX_LIST_ITEMS,
            min_length=1 if question.required else 0,
            description=question.help,
            json_schema_extra={"prompt": question.prompt or name},
        )
        return annotation, info
    if default is None and question.type == "bool":
        default = False
    if default is None and not question.required:
        annotation = annotation | None
    extra: dict[str, Any] = {"prompt": question.prompt or name}
    if default is None and question.required:
        return annotation, Field(description=question.help, json_schema_extra=extra)
    return annotation, Field(default=default, description=question.help, json_schema_extra=extra)


def _condition(name: str, expression: str) -> Callable[[Mapping[str, Any]], bool]:
    where = f"pack.yml: questions.{name}.when"
    _compiled(expression, where)  # a syntax error is the pack's, found when it loads

    def applies(so_far: Mapping[str, Any]) -> bool:
        compiled = _compiled(expression, where)  # a fresh budget each time: prompts may take longer than one render
        try:
            return bool(compiled({"answers": dict(so_far)}))
        except UnsafePackError as error:
            raise UnsafePackError(f"{where}: {error}") from None
        except TemplateError as error:
            raise UnsafePackError(f"{where}: {shown(error.message or type(error).__name__)}") from None
        except Exception as error:  # the pack's expression may raise anything (1/0, a range too big): its fault
            raise UnsafePackError(f"{where}: {type(error).__name__}: {shown(str(error), 200)}") from None

    return applies


def _compiled(expression: str, where: str) -> Callable[..., Any]:
    env = make_environment({}, Delimiters())
    try:
        return env.compile_expression(expression)
    except TemplateError as error:
        raise UnsafePackError(f"{where}: {shown(error.message or 'syntax error')}") from None
    except Exception as error:  # the parser's own limits (nesting too deep)
        raise UnsafePackError(f"{where}: {type(error).__name__}: {shown(str(error), 200)}") from None


def answers_model(manifest: TeamManifest) -> type[Answers]:
    """``Answers`` with the pack's questions as more fields; their defaults, locks and defaults checked."""
    fields: dict[str, Any] = {}
    conditions: dict[str, Callable[[Mapping[str, Any]], bool]] = {}
    for name, question in manifest.questions.items():
        if name in Answers.model_fields:
            raise UnsafePackError(f"pack.yml: questions.{name}: is a built-in answer; a question needs its own name")
        if name.startswith("model_") or hasattr(Answers, name):
            raise UnsafePackError(
                f"pack.yml: questions.{name}: is a name the answers model uses itself (model_*, copy, dict, json, "
                "schema, conditions...); a question needs another name"
            )
        fields[name] = _field(name, question)
        if question.when is not None:
            conditions[name] = _condition(name, question.when)
    model: type[Answers] = create_model(
        f"Answers_{manifest.name.replace('-', '_').replace('.', '_')}", __base__=Answers, **fields
    )
    model.conditions = conditions
    for name, question in manifest.questions.items():
        if question.default is not None:
            _check_value(model, name, question.default, f"questions.{name}.default")
    for section, values in (("locked", manifest.locked), ("defaults", manifest.defaults)):
        for key, value in values.items():
            if key not in model.model_fields:
                raise UnsafePackError(f"pack.yml: {section}.{shown(key)}: is not an answer key")
            _check_value(model, key, value, f"{section}.{key}")
    return model


def _check_value(model: type[Answers], key: str, value: Any, where: str) -> None:
    problem = check_one(key, value, model)
    if problem is not None:
        raise UnsafePackError(f"pack.yml: {where}: {problem}")
