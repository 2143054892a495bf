"""What ``GITHUB_TOKEN`` scopes a job needs, from ``scaffold/data/permissions.yml``: the scopes of each known
action (some depending on its inputs, on its environment, or on which token it is given) and of the commands known
to use the token in ``run:`` steps. A step whose needs are not known is listed in ``JobNeeds.unknown``, which makes
the permissions fix for its job unsafe; a step that touches neither the token nor the git remote needs nothing."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from scaffold.kit.shipped import shipped_yaml
from scaffold.rules.yaml_view import YNode

_TOKEN = re.compile(r"github\.token|secrets\.GITHUB_TOKEN", re.IGNORECASE)
# A value that names a token other than the job's GITHUB_TOKEN: a secret of another name or a step's output.
_OTHER_TOKEN = re.compile(
    r"\$\{\{\s*(?:secrets\.(?!GITHUB_TOKEN\b)[A-Za-z_][A-Za-z0-9_]*|steps\.[\w-]+\.outputs\.[\w-]+)\s*\}\}",
    re.IGNORECASE,
)
_RANK = {"read": 1, "write": 2}
# Scopes a step gets from the runner's OIDC request token, whichever token it is handed for the API.
_OIDC = frozenset({"id-token"})
# The variables gh reads its token from, in the order it reads them.
_GH_TOKEN_VARS = ("GH_TOKEN", "GITHUB_TOKEN")
# Commands that use neither the job's token nor the git remote, whatever the environment holds. A run step that
# holds the token and runs anything else on a line no pattern of the table explains is unknown.
_INERT_WORDS = (
    "echo printf cd pushd popd ls mkdir cp mv rm rmdir cat test [ [[ if then else elif fi for while until do done "
    "case esac export set unset true false exit return sleep grep egrep fgrep sed awk cut tr sort uniq head tail wc "
    "jq yq tee touch chmod chown ln pwd date basename dirname find tar zip unzip gzip gunzip sha256sum sha512sum "
    "shasum md5sum diff cmp realpath readlink stat du df which command type local shift read wait source . "
    "{ } ( ) ! : # fi; done; esac;"
)
_INERT = frozenset(_INERT_WORDS.split())
# git subcommands that use the remote (through the credentials actions/checkout persisted); the others stay local.
_GIT_REMOTE = re.compile(
    r"\bgit\b(?:\s+-[Cc]\s+\S+|\s+--?[\w-]+(?:=\S+)?)*\s+(?:push|fetch|pull|clone|ls-remote|remote)\b"
)


@dataclass
class JobNeeds:
    """The scopes a job needs, what needs each one, and the steps whose needs are unknown."""

    scopes: dict[str, str] = field(default_factory=dict)
    reasons: dict[str, str] = field(default_factory=dict)
    unknown: list[str] = field(default_factory=list)

    def grant(self, scopes: dict[str, str], reason: str) -> None:
        for scope, level in scopes.items():
            if _RANK[level] > _RANK.get(self.scopes.get(scope, ""), 0):
                self.scopes[scope] = level
                self.reasons[scope] = reason

    def lines(self) -> list[str]:
        """The ``permissions:`` entry as block YAML lines, each scope with what needs it in a comment."""
        if not self.scopes:
            return ["permissions: {}"]
        return ["permissions:"] + [
            f"  {scope}: {self.scopes[scope]} # {self.reasons[scope]}" for scope in sorted(self.scopes)
        ]

    def flow(self) -> str:
        """The same scopes as a one-line flow mapping, to replace a scalar such as ``write-all``."""
        return "{" + ", ".join(f"{scope}: {self.scopes[scope]}" for scope in sorted(self.scopes)) + "}"


@dataclass(frozen=True)
class _Job:
    """What every step of a job shares: the env mappings around it and how its git remote is authenticated."""

    envs: tuple[YNode, ...]  # the job's env, then the workflow's
    checkout_token_is_other: bool  # every actions/checkout of the job persisted a token other than GITHUB_TOKEN


def job_needs(job: YNode, root: YNode | None = None) -> JobNeeds:
    needs = JobNeeds()
    envs: list[YNode] = []
    for owner, where in ((job, "the job's"), (root, "the workflow's")):
        env = owner.get("env") if owner is not None and owner.is_mapping else None
        if env is not None and env.is_mapping:
            envs.append(env)
            if _mentions_token(env):
                needs.unknown.append(f"{where} env: hands the token to every step")
    called = job.get("uses")
    if called is not None:
        needs.grant({"contents": "read"}, "reusable workflow")
        needs.unknown.append(f"the called workflow {called.text}, whose steps scaffold does not read")
        return needs
    section = job.get("steps")
    steps = section.elements() if section is not None else []
    context = _Job(tuple(envs), _checkouts_use_another_token(steps))
    for number, step in enumerate(steps, start=1):
        uses, script = step.get("uses"), step.get("run")
        if uses is not None and uses.text is not None:
            _action(uses.text, step, number, context, needs)
        elif script is not None and script.text is not None:
            _script(script.text, step, number, context, needs)
    return needs


# actions ------------------------------------------------------------------------------------------------------------


def _action(uses: str, step: YNode, number: int, job: _Job, needs: JobNeeds) -> None:
    name = uses.split("@", 1)[0]
    if name.startswith("docker://"):
        if _mentions_token(step):
            needs.unknown.append(f"step {number} runs the container {name} and gives it the token")
        return
    entry = _lookup(name)
    if name.startswith("./") or entry is None:
        needs.unknown.append(f"step {number} uses {uses}, which scaffold's permissions base does not know")
        return
    if "unknown" in entry:
        needs.unknown.append(f"step {number} uses {uses}: {entry['unknown']}")
        return
    inputs = step.get("with")
    stray = _token_outside(entry, step)
    if stray:
        needs.unknown.append(f"step {number} gives {name} the token in {stray}, which scaffold's base does not cover")
    applies = _token_applies(entry, step, job)
    own = dict(entry.get("permissions") or {})
    needs.grant(own if applies else _only_oidc(own), name)
    if entry.get("pushes") and not job.checkout_token_is_other:
        needs.grant({"contents": "write"}, f"{name} pushes with git")
    for condition in entry.get("when") or []:
        value = _value(condition, step, job)
        if _holds(condition, value):
            key = condition.get("input") or condition.get("env")
            given = "without" if "absent" in condition else "with"
            add = dict(condition["add"])
            needs.grant(add if applies else _only_oidc(add), f"{name} {given} {key}")
    script_input = entry.get("script_input")
    script = inputs.get(script_input) if inputs is not None and script_input else None
    if script is not None and script.text is not None:
        _script(script.text, step, number, job, needs)


def _only_oidc(scopes: dict[str, str]) -> dict[str, str]:
    return {scope: level for scope, level in scopes.items() if scope in _OIDC}


def _value(condition: dict[str, Any], step: YNode, job: _Job) -> str | None:
    if "input" in condition:
        inputs = step.get("with")
        found = inputs.get(str(condition["input"])) if inputs is not None else None
        return found.text if found is not None else None
    return _env_value(str(condition["env"]), step, job)


def _env_value(name: str, step: YNode, job: _Job) -> str | None:
    """The value of an environment variable as a step sees it: its own env, then the job's, then the workflow's."""
    own = step.get("env")
    for env in ((own,) if own is not None and own.is_mapping else ()) + job.envs:
        found = env.get(name)
        if found is not None:
            return found.text if found.text is not None else ""
    return None


def _holds(condition: dict[str, Any], value: str | None) -> bool:
    if "absent" in condition:
        return value is None
    if "present" in condition:
        return value is not None
    if value is None:
        return False
    if "contains" in condition:
        return str(condition["contains"]) in value
    return value.strip().lower() == str(condition["equals"]).lower()


def _token_applies(entry: dict[str, Any], step: YNode, job: _Job) -> bool:
    """Whether the action works with the job's GITHUB_TOKEN rather than another token it was given.

    Without a ``token`` statement the entry's scopes always apply. With one, they apply unless the token input
    (or variable) holds another token for certain; an input with no default that is not given means no token."""
    statement = entry.get("token")
    if not statement:
        return True
    if "env" in statement:
        value = _env_value(str(statement["env"]), step, job)
        default = False
    else:
        inputs = step.get("with")
        found = inputs.get(str(statement["input"])) if inputs is not None else None
        value = found.text if found is not None else None
        default = bool(statement.get("default", True))
    if value is None:
        return default
    return not _is_other_token(value)


def _is_other_token(value: str) -> bool:
    return _TOKEN.search(value) is None and _OTHER_TOKEN.fullmatch(value.strip()) is not None


def _token_outside(entry: dict[str, Any], step: YNode) -> str:
    """The place (``with: x`` or ``env: X``) where a step hands a known action the token that its entry does not
    describe, or ``""``. An entry covers its ``token`` statement, the inputs its ``when`` conditions read (so a
    login's password) and, for a ``script_input``, that input (read as a script)."""
    statement = entry.get("token") or {}
    covered_inputs = {str(statement.get("input", ""))} | {str(c.get("input", "")) for c in entry.get("when") or []}
    covered_inputs |= {str(name) for name in entry.get("token_inputs") or []}
    covered_env = {str(statement.get("env", ""))} | {str(name) for name in entry.get("token_env") or []}
    for section, covered, label in (("with", covered_inputs, "with: "), ("env", covered_env, "env: ")):
        mapping = step.get(section)
        if mapping is None or not mapping.is_mapping:
            continue
        for key, value in mapping.items():
            if key in covered or key == entry.get("script_input"):
                continue
            if any(node.text is not None and _TOKEN.search(node.text) for node in value.walk()):
                return label + key
    return ""


def _checkouts_use_another_token(steps: Iterable[YNode]) -> bool:
    """True when the job checks out at least once and every checkout persisted a token other than GITHUB_TOKEN, so
    that a later ``git push`` goes out with that token."""
    checkouts = [step for step in steps if _is_checkout(step)]
    if not checkouts:
        return False
    for step in checkouts:
        inputs = step.get("with")
        token = inputs.get("token") if inputs is not None else None
        if token is None or token.text is None or not _is_other_token(token.text):
            return False
    return True


def _is_checkout(step: YNode) -> bool:
    uses = step.get("uses")
    return uses is not None and (uses.text or "").split("@", 1)[0].lower() == "actions/checkout"


# run: steps ---------------------------------------------------------------------------------------------------------


def _script(text: str, step: YNode, number: int, job: _Job, needs: JobNeeds) -> None:
    own_env = step.get("env")
    token_vars = {
        key for key, value in (own_env.items() if own_env is not None and own_env.is_mapping else []) if _has(value)
    }
    holds = bool(token_vars) or _TOKEN.search(text) is not None
    step_text = "\n".join(node.text for node in step.walk() if node.text is not None)
    gh_other = _gh_token_is_other(step, job)
    lines = _logical_lines(text)
    explained: set[int] = set()
    for pattern in _knowledge()["runs"]:
        if pattern.get("needs_token") and not holds:
            continue
        if pattern.get("unless") and re.search(pattern["unless"], step_text):
            continue
        found = re.search(pattern["pattern"], text)
        if found is None:
            continue
        explained |= {_line_of(lines, found.start())}
        tool = pattern.get("tool")
        if (tool == "gh" and gh_other) or (tool == "git" and job.checkout_token_is_other):
            continue
        command = " ".join(found.group(0).split())[:60]
        if "unknown" in pattern:
            needs.unknown.append(f"step {number} runs `{command}`: {pattern['unknown']}")
        else:
            needs.grant(dict(pattern["add"]), f"run: {command}")
    if not holds:
        return
    for index, (_, line) in enumerate(lines):
        if index in explained:
            continue
        if _uses_token(line, token_vars) or (token_vars and not _inert(line)):
            command = " ".join(line.split())[:60]
            needs.unknown.append(f"step {number} runs `{command}` with the token, which scaffold's base does not know")
            return


def _has(value: YNode) -> bool:
    return any(node.text is not None and _TOKEN.search(node.text) for node in value.walk())


def _gh_token_is_other(step: YNode, job: _Job) -> bool:
    for name in _GH_TOKEN_VARS:
        value = _env_value(name, step, job)
        if value is not None:
            return _is_other_token(value)
    return False


def _logical_lines(text: str) -> list[tuple[int, str]]:
    """(offset, text) of each line, a backslash-continued line joined to the next."""
    result: list[tuple[int, str]] = []
    offset = 0
    start, parts = 0, list[str]()
    for raw in text.splitlines(keepends=True):
        if not parts:
            start = offset
        offset += len(raw)
        stripped = raw.rstrip("\r\n")
        if stripped.endswith("\\"):
            parts.append(stripped[:-1])
            continue
        parts.append(stripped)
        result.append((start, " ".join(parts)))
        parts = []
    if parts:
        result.append((start, " ".join(parts)))
    return result


def _line_of(lines: list[tuple[int, str]], position: int) -> int:
    index = 0
    for number, (start, _) in enumerate(lines):
        if start <= position:
            index = number
    return index


def _uses_token(line: str, token_vars: set[str]) -> bool:
    if _TOKEN.search(line):
        return True
    return any(
        re.search(rf"\$\{{?{re.escape(name)}\b|\$env:{re.escape(name)}\b|%{re.escape(name)}%", line)
        for name in token_vars
    )


def _inert(line: str) -> bool:
    """Whether every command on the line is one that cannot use the token or the remote."""
    for command in re.split(r"&&|\|\||[;|&]", line):
        words = command.split()
        while words and re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*=\S*", words[0]):
            words = words[1:]  # VAR=value before a command, or an assignment on its own
        if not words or words[0].startswith("#"):
            continue
        head = words[0]
        if head == "git" and not _GIT_REMOTE.search(command):
            continue
        if head not in _INERT:
            return False
    return True


def _mentions_token(node: YNode) -> bool:
    return any(item.text is not None and _TOKEN.search(item.text) for item in node.walk())


# the table ----------------------------------------------------------------------------------------------------------


def _lookup(name: str) -> dict[str, Any] | None:
    """The entry of an action, or of the repository holding it (``owner/repo/path`` falls back to ``owner/repo``)."""
    lowered = _actions()
    parts = name.lower().split("/")
    for size in range(len(parts), 1, -1):
        found = lowered.get("/".join(parts[:size]))
        if found is not None:
            if size < len(parts) and found.get("exact"):
                return None  # the entry speaks for that action only, not for others kept in its repository
            return found
    return None


@cache
def _actions() -> dict[str, dict[str, Any]]:
    return {key.lower(): value for key, value in _knowledge()["actions"].items()}


@cache
def _knowledge() -> dict[str, Any]:
    data: dict[str, Any] = shipped_yaml("data/permissions.yml")
    return data


def known(uses: str) -> bool:
    """Whether scaffold's permissions table describes this action (and so whether it drives git)."""
    entry = _lookup(uses.split("@", 1)[0])
    return entry is not None and "unknown" not in entry


def pushes(uses: str) -> bool:
    """Whether the table says this action pushes with the git credentials a checkout stored."""
    entry = _lookup(uses.split("@", 1)[0])
    return bool(entry and entry.get("pushes"))
