"""A team pack's ``pack.yml``: what it adds to the built-in kit it extends.

```yaml
name: acme-platform              # the pack's name, recorded in every repository that uses it
version: 1.2.0                   # its version; a published pack's tag must say the same (v1.2.0)
description: ACME's service kit
extends:
  pack: scaffold-default         # the built-in kit
  version: ">=1.0.0,<2.0.0"      # the built-in versions it was written for
questions:                       # more answers, asked after the built-in ones
  team: {type: str, help: Owning team, default: payments, pattern: "[a-z][a-z0-9-]{1,30}"}
locked:                          # org decisions: --set, --answers and prompts cannot change them
  registry: harbor
defaults:                        # other defaults for built-in answers
  platforms: [github, gitlab]
files:                           # more files, from the pack's own templates
  - {template: templates/SERVICE.md.j2, path: docs/SERVICE.md}
override: [common/ci-security.md.j2]   # built-in templates the pack's template of the same path replaces
remove: [runtime/]               # built-in output files, or folders ending in '/', the pack drops
policy: {...}                    # the org policy (scaffold.rules.policy)
```

The manifest is untrusted input: safe-loaded, every field typed and bounded, unknown keys refused.
"""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from scaffold.errors import UnsafePackError
from scaffold.kit import kit_paths
from scaffold.kit.packs import MAX_PATH_CHARS, PACK_NAME, PACK_VERSION, PackFile
from scaffold.kit.record import RECORD_PATH, version_key
from scaffold.untrusted.text import shown

BUILTIN_PACK = "scaffold-default"
QUESTION_NAME = r"^[a-z][a-z0-9_]{0,39}$"
MAX_QUESTIONS = 50
MAX_CHOICES = 50
MAX_TEXT = 2000
MAX_PATTERN = 200

_VERSION = r"[0-9]{1,9}\.[0-9]{1,9}\.[0-9]{1,9}"
_COMPARISON = re.compile(rf"(>=|<=|==|!=|>|<)\s*({_VERSION})")


class Extends(BaseModel):
    """The kit a team pack builds on, and the versions of it the pack accepts."""

    model_config = ConfigDict(extra="forbid")

    pack: Literal["scaffold-default"] = "scaffold-default"
    version: str = Field(default=">=1.0.0", max_length=200)

    @field_validator("version")
    @classmethod
    def _range(cls, value: str) -> str:
        parts = [part.strip() for part in value.split(",")]
        if not parts or not all(_COMPARISON.fullmatch(part) for part in parts):
            raise ValueError("must be comparisons like '>=1.0.0,<2.0.0' (>=, >, <=, <, == or != and X.Y.Z)")
        return value


def accepts(version_range: str, version: str) -> bool:
    """Whether ``version`` (X.Y.Z, any suffix ignored) satisfies every comparison of ``version_range``."""
    have = version_key(version)
    for part in version_range.split(","):
        match = _COMPARISON.fullmatch(part.strip())
        if match is None:
            return False
        operator, wanted = match.group(1), version_key(match.group(2))
        ok = {
            ">=": have >= wanted,
            "<=": have <= wanted,
            "==": have == wanted,
            "!=": have != wanted,
            ">": have > wanted,
            "<": have < wanted,
        }[operator]
        if not ok:
            return False
    return True


Scalar = str | int | bool
_Default = Scalar | list[str] | None


class Question(BaseModel):
    """One more answer: its type, help, default, choices, validation pattern and when it is asked."""

    model_config = ConfigDict(extra="forbid")

    type: Literal["str", "int", "bool", "choice", "list"] = "str"
    help: str = Field(min_length=1, max_length=MAX_TEXT)
    prompt: str | None = Field(default=None, max_length=200)
    default: _Default = None
    choices: list[Annotated[str, Field(min_length=1, max_length=100)]] | None = Field(
        default=None, max_length=MAX_CHOICES
    )
    pattern: str | None = Field(default=None, min_length=1, max_length=MAX_PATTERN)
    min: int | None = Field(default=None, ge=-(10**9), le=10**9)
    max: int | None = Field(default=None, ge=-(10**9), le=10**9)
    when: str | None = Field(default=None, max_length=MAX_TEXT)
    required: bool = False


class TeamFile(PackFile):
    """One more output file, from a template of the team pack."""


class TeamManifest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(max_length=64, pattern=rf"^{PACK_NAME}$")
    version: str = Field(max_length=64, pattern=rf"^{PACK_VERSION}$")
    description: str = Field(default="", max_length=MAX_TEXT)
    extends: Extends
    questions: dict[Annotated[str, Field(pattern=QUESTION_NAME)], Question] = Field(
        default_factory=dict, max_length=MAX_QUESTIONS
    )
    locked: dict[Annotated[str, Field(max_length=64)], Any] = Field(default_factory=dict, max_length=100)
    defaults: dict[Annotated[str, Field(max_length=64)], Any] = Field(default_factory=dict, max_length=100)
    data: list[Annotated[str, Field(max_length=MAX_PATH_CHARS)]] = Field(default_factory=list, max_length=100)
    files: list[TeamFile] = Field(default_factory=list, max_length=500)
    override: list[Annotated[str, Field(max_length=MAX_PATH_CHARS)]] = Field(default_factory=list, max_length=500)
    remove: list[Annotated[str, Field(max_length=MAX_PATH_CHARS)]] = Field(default_factory=list, max_length=500)
    pins: Annotated[str, Field(max_length=MAX_PATH_CHARS)] | None = None
    """The team's own pins file, laid over the built-in pins (an entry of the same name replaces the built-in one)."""
    policy: Any = None

    @field_validator("remove")
    @classmethod
    def _plain_paths(cls, entries: list[str]) -> list[str]:
        for entry in entries:
            reason = kit_paths.problem(entry[:-1] if entry.endswith("/") else entry)
            if reason is not None:
                raise ValueError(f"'{shown(entry)}': a path {reason}")
            if entry.casefold() == RECORD_PATH:
                raise ValueError(f"'{shown(entry)}': is scaffold's own record, which every kit has")
        return entries

    @field_validator("files")
    @classmethod
    def _not_the_record(cls, entries: list[TeamFile]) -> list[TeamFile]:
        for entry in entries:
            if entry.path.strip("/").removeprefix("./").casefold() == RECORD_PATH:
                raise ValueError(f"'{shown(entry.path)}': is scaffold's own record; a pack cannot write it")
        return entries


def is_team_manifest(raw: object) -> bool:
    """A ``pack.yml`` that extends the built-in kit (a pack without ``extends`` is a whole pack of its own)."""
    return isinstance(raw, dict) and "extends" in raw


def parse_manifest(raw: object) -> TeamManifest:
    if not isinstance(raw, dict):
        raise UnsafePackError("pack.yml: must be a mapping")
    try:
        return TeamManifest.model_validate(raw)
    except ValidationError as error:
        first = error.errors(include_url=False)[0]
        where = shown(".".join(str(part) for part in first["loc"]))
        message = str(first["ctx"]["error"]) if first["type"] == "value_error" and "ctx" in first else first["msg"]
        raise UnsafePackError(f"pack.yml: {where}: {message}") from None
