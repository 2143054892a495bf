"""Checks for the container build files: the Dockerfile (non-root final user, digest-pinned bases) and the
.dockerignore (credentials kept out of the build context). Each takes the kit's files and returns problems; an
empty list means the control is intact. The kit's conftest policies (templates/policy/conftest) enforce the same
rules in a platform team's CI; a test holds both to the same verdicts."""

from __future__ import annotations

import posixpath
import re
from dataclasses import dataclass

from scaffold.audit.lines import Model, split_lines
from scaffold.checks.registry import Check, Files, registrar

__all__ = ["CHECKS", "DOCKERIGNORE_REQUIRED", "Instruction", "instructions"]

CHECKS: dict[str, Check] = {}
control = registrar(CHECKS, (ValueError,))

_DIGEST = re.compile(r"@sha256:[0-9a-f]{64}$")
_CONTINUATION = re.compile(r"(^|[^\\])\\[ \t]*$")
_HEREDOC = re.compile(r"<<-?\s*[\"']?([A-Za-z_][A-Za-z0-9_]*)[\"']?")

# Credentials and history that must never reach an image layer; the kit's .dockerignore lists each of them.
DOCKERIGNORE_REQUIRED = (
    ".git",
    ".env",
    ".env.*",
    "*.pem",
    "*.key",
    "*.p12",
    "*.pfx",
    "id_rsa*",
    "id_dsa*",
    "id_ecdsa*",
    "id_ed25519*",
    ".aws",
    ".azure",
    ".config/gcloud",
    ".docker",
    ".npmrc",
    ".pypirc",
    ".netrc",
)


@dataclass(frozen=True)
class Instruction:
    keyword: str  # lower case
    args: str  # the arguments after any leading --flags
    stage: int  # 0 for the first FROM and anything before it


def _dockerfiles(files: Files) -> dict[str, str]:
    found = {}
    for path, text in files.items():
        name = posixpath.basename(path).lower()
        if name == "dockerfile" or name.startswith("dockerfile.") or name.endswith(".dockerfile"):
            found[path] = text
    return found


def _dockerignores(files: Files) -> dict[str, str]:
    return {path: text for path, text in files.items() if posixpath.basename(path).endswith(".dockerignore")}


def _logical_lines(text: str) -> list[str]:
    """Instruction lines with continuations joined, comments and blank lines dropped, heredoc bodies skipped.

    Lines break where BuildKit breaks them (``scaffold.audit.lines``): at ``\\n`` only."""
    lines = split_lines(text, Model.BUILDKIT)
    joined: list[str] = []
    i = 0
    while i < len(lines):
        line = lines[i].strip()
        i += 1
        if not line or line.startswith("#"):
            continue
        parts = []
        while _CONTINUATION.search(line):
            parts.append(_CONTINUATION.sub(r"\1", line))
            # Comments and blank lines inside a continued instruction are skipped.
            while i < len(lines) and (not lines[i].strip() or lines[i].strip().startswith("#")):
                i += 1
            if i == len(lines):
                line = ""
                break
            line = lines[i].rstrip()
            i += 1
        line = "".join([*parts, line])
        keyword, _, rest = line.partition(" ")
        if keyword.lower() in ("run", "copy", "add") and not rest.lstrip().startswith("["):
            for name in _HEREDOC.findall(line):
                while i < len(lines) and lines[i].rstrip().lstrip("\t") != name:
                    i += 1
                i += 1
        joined.append(line)
    return joined


def instructions(text: str) -> list[Instruction]:
    """The Dockerfile's instructions with their stage; a parser directive line counts as a comment."""
    found = []
    stage = -1
    for line in _logical_lines(text):
        keyword, *rest = line.split(None, 1)
        words = rest[0].split() if rest else []
        while words and words[0].startswith("--"):
            words.pop(0)
        keyword = keyword.lower()
        if keyword == "from":
            stage += 1
        found.append(Instruction(keyword, " ".join(words), max(stage, 0)))
    if not any(instruction.keyword == "from" for instruction in found):
        raise ValueError("the Dockerfile has no FROM")
    return found


def is_root_user(user: str) -> bool:
    name = user.split(":", 1)[0]
    return name == "root" or bool(re.fullmatch(r"0+", name))


@control("image-non-root-user")
def non_root_user(files: Files) -> list[str]:
    dockerfiles = _dockerfiles(files)
    if not dockerfiles:
        return ["no Dockerfile"]
    problems = []
    for path, text in dockerfiles.items():
        parsed = instructions(text)
        final = max(instruction.stage for instruction in parsed)
        users = [i.args for i in parsed if i.keyword == "user" and i.stage == final]
        if not users:
            problems.append(f"{path}: the final stage sets no USER, so the container runs as root")
        elif is_root_user(users[-1]):
            problems.append(f"{path}: the final stage runs as root (USER {users[-1]})")
    return problems


@control("image-pinned-bases")
def pinned_bases(files: Files) -> list[str]:
    dockerfiles = _dockerfiles(files)
    if not dockerfiles:
        return ["no Dockerfile"]
    problems = []
    for path, text in dockerfiles.items():
        aliases: set[str] = set()
        for instruction in instructions(text):
            if instruction.keyword != "from":
                continue
            words = instruction.args.split()
            ref = words[0] if words else ""
            allowed = ref.lower() == "scratch" or ref.lower() in aliases or ("$" not in ref and _DIGEST.search(ref))
            if not allowed:
                problems.append(f"{path}: FROM {ref} is not pinned by @sha256 digest")
            if len(words) == 3 and words[1].lower() == "as":
                aliases.add(words[2].lower())
    return problems


def ignore_pattern(value: str) -> str:
    """A .dockerignore pattern as Docker reads it: blanks, one leading ``/`` or ``**/`` and a trailing ``/`` dropped."""
    return value.strip().removeprefix("/").removeprefix("**/").removesuffix("/")


def ignore_covers(pattern: str, required: str) -> bool:
    return pattern == required or (pattern.endswith("*") and required.startswith(pattern[:-1]))


def ignore_unescape(value: str) -> str:
    return re.sub(r"\\(.)", r"\1", value)


@control("dockerignore-secrets")
def dockerignore_secrets(files: Files) -> list[str]:
    ignores = _dockerignores(files)
    if not ignores:
        return ["no .dockerignore: the whole folder, credentials included, is sent as the build context"]
    problems = []
    for path, text in ignores.items():
        excluded, included = [], []
        for line in split_lines(text, Model.BUILDKIT):
            if line.startswith("#") or not line.strip():
                continue
            if line.startswith("!"):
                included.append((line, ignore_pattern(ignore_unescape(line[1:]))))
            else:
                excluded.append(ignore_pattern(ignore_unescape(line)))
        for required in DOCKERIGNORE_REQUIRED:
            if not any(ignore_covers(pattern, required) for pattern in excluded):
                problems.append(f"{path}: {required} is not excluded from the build context")
            problems += [f"{path}: {line} re-includes {required}" for line, p in included if ignore_covers(p, required)]
    return problems
