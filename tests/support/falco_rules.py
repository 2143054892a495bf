"""A structural validator for Falco rules files, for CI, where Falco itself cannot run (it needs a kernel driver).

``validate(text)`` returns a list of problems; an empty list means the file passed. It checks what Falco's rules
loader checks before it looks at any event, following Falco's documented rules syntax (falco.org, "Falco Rules",
"Condition Syntax", "Supported Fields", "Overriding Rules", "Exceptions"):

- the document is a YAML list whose items are each exactly one of ``rule``, ``macro``, ``list``,
  ``required_engine_version`` or ``required_plugin_versions``, with only the keys Falco documents for that kind;
- a rule has ``desc``, ``condition``, ``output`` and ``priority`` (unless it appends to or overrides an earlier
  one); the priority is one of Falco's eight, in any case; tags are strings; ``enabled`` is a boolean;
- macro and list names are Falco identifiers, list items are scalars;
- every condition parses: balanced parentheses and quotes, a field or a macro where a predicate belongs, a known
  operator after a field, a parenthesised list after ``in``, ``intersects`` and ``pmatch``;
- every ``class.field`` in a condition, an exception or an output is a field Falco documents (deprecated fields
  such as ``evt.dir`` are refused), every bare identifier is a macro, and every snake_case word inside a value
  list is a list. Unlike Falco, which lets a macro use a list defined later, everything must be defined before
  it is used, so a file reads top to bottom;
- each rule's condition, with its macros expanded, restricts ``evt.type`` (Falco warns otherwise).

``rule_references(text)`` gives, for each rule, the fields, macros and lists its condition uses once its macros
are expanded, so tests can assert what each rule looks at.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import yaml

PRIORITIES = frozenset(
    {"emergency", "alert", "critical", "error", "warning", "notice", "informational", "debug"}
)  # Falco accepts them in any case.

KINDS = ("rule", "macro", "list", "required_engine_version", "required_plugin_versions")
_OVERRIDABLE = {
    "rule": frozenset({"desc", "condition", "output", "priority", "tags", "enabled", "exceptions"}),
    "macro": frozenset({"condition"}),
    "list": frozenset({"items"}),
}
_ALLOWED_KEYS = {
    "rule": frozenset(
        {
            "rule",
            "desc",
            "condition",
            "output",
            "priority",
            "tags",
            "enabled",
            "exceptions",
            "source",
            "warn_evttypes",
            "skip-if-unknown-filter",
            "append",
            "override",
        }
    ),
    "macro": frozenset({"macro", "condition", "append", "override"}),
    "list": frozenset({"list", "items", "append", "override"}),
    "required_engine_version": frozenset({"required_engine_version"}),
    "required_plugin_versions": frozenset({"required_plugin_versions"}),
}
_RULE_REQUIRED = ("desc", "condition", "output", "priority")

IDENTIFIER = re.compile(r"[a-zA-Z]+[a-zA-Z0-9_]*")  # Falco's grammar for macro and list names
_SEMVER = re.compile(r"[0-9]+\.[0-9]+\.[0-9]+")
_SNAKE = re.compile(r"[a-z][a-z0-9]*(?:_[a-z0-9]+)+")

# Fields from Falco's "Supported Fields for Conditions and Outputs" (syscall source) for the classes these rules
# use: evt, process (proc., thread.), user, group, fd, fs.path, container and k8s (container plugin).
_FIELDS_TEXT = """
evt.num evt.time evt.time.s evt.time.iso8601 evt.datetime evt.datetime.s evt.rawtime evt.rawtime.s evt.rawtime.ns
evt.reltime evt.reltime.s evt.reltime.ns evt.pluginname evt.plugininfo evt.source evt.is_async evt.asynctype
evt.hostname evt.deltatime evt.deltatime.s evt.deltatime.ns evt.type evt.type.is syscall.type evt.category
evt.cpu evt.args evt.arg evt.rawarg evt.info evt.buffer evt.buflen evt.res evt.rawres evt.failed evt.is_io
evt.is_io_read evt.is_io_write evt.io_dir evt.is_wait evt.is_syslog evt.count evt.count.error
evt.count.error.file evt.count.error.net evt.count.error.memory evt.count.error.other evt.count.exit evt.around
evt.abspath evt.is_open_read evt.is_open_write evt.is_open_exec evt.is_open_create
proc.exe proc.pexe proc.aexe proc.exepath proc.pexepath proc.aexepath proc.name proc.pname proc.aname proc.args
proc.aargs proc.cmdline proc.pcmdline proc.acmdline proc.cmdnargs proc.cmdlenargs proc.exeline proc.env
proc.aenv proc.cwd proc.loginshellid proc.tty proc.pid proc.ppid proc.apid proc.vpid proc.pvpid proc.sid
proc.sname proc.sid.exe proc.sid.exepath proc.vpgid proc.vpgid.name proc.vpgid.exe proc.vpgid.exepath
proc.pgid proc.pgid.name proc.pgid.exe proc.pgid.exepath proc.duration proc.ppid.duration proc.pid.ts
proc.ppid.ts proc.is_exe_writable proc.is_exe_upper_layer proc.is_exe_lower_layer proc.is_exe_from_memfd
proc.is_sid_leader proc.is_vpgid_leader proc.is_pgid_leader proc.exe_ino proc.exe_ino.ctime proc.exe_ino.mtime
proc.exe_ino.ctime_duration_proc_start proc.exe_ino.ctime_duration_pidns_start proc.pidns_init_start_ts
thread.cap_permitted thread.cap_inheritable thread.cap_effective proc.fdopencount proc.fdlimit proc.fdusage
proc.vmsize proc.vmrss proc.vmswap thread.pfmajor thread.pfminor thread.tid thread.ismain thread.vtid
thread.exectime thread.totexectime thread.cgroups thread.cgroup proc.nthreads proc.nchilds thread.cpu
thread.cpu.user thread.cpu.system thread.vmsize thread.vmrss proc.stdin.type proc.stdout.type proc.stderr.type
proc.stdin.name proc.stdout.name proc.stderr.name
user.uid user.name user.homedir user.shell user.loginuid user.loginname group.gid group.name
fd.num fd.type fd.typechar fd.name fd.directory fd.filename fd.ip fd.cip fd.sip fd.lip fd.rip fd.port fd.cport
fd.sport fd.lport fd.rport fd.l4proto fd.sockfamily fd.is_server fd.uid fd.containername fd.containerdirectory
fd.proto fd.cproto fd.sproto fd.lproto fd.rproto fd.net fd.cnet fd.snet fd.lnet fd.rnet fd.connected
fd.name_changed fd.cip.name fd.sip.name fd.lip.name fd.rip.name fd.dev fd.dev.major fd.dev.minor fd.ino
fd.nameraw fd.types fd.is_upper_layer fd.is_lower_layer
fs.path.name fs.path.nameraw fs.path.source fs.path.sourceraw fs.path.target fs.path.targetraw
container.id container.full_id container.name container.image container.image.id container.type
container.privileged container.mounts container.mount container.mount.source container.mount.dest
container.mount.mode container.mount.rdwr container.mount.propagation container.image.repository
container.image.tag container.image.digest container.start_ts container.duration container.ip
container.cni.json container.host_pid container.host_network container.host_ipc container.label
container.labels
k8s.pod.name k8s.ns.name k8s.pod.id k8s.pod.uid k8s.pod.sandbox_id k8s.pod.full_sandbox_id k8s.pod.label
k8s.pod.labels k8s.pod.ip k8s.pod.cni.json
"""
KNOWN_FIELDS = frozenset(_FIELDS_TEXT.split())

# Fields that take an argument, in brackets (proc.aname[2], k8s.pod.label[app]) or after a dot (evt.arg.flags).
_ARGUMENT_FIELDS_TEXT = """
    evt.arg evt.rawarg evt.type.is evt.around evt.abspath proc.aexe proc.aexepath proc.aname proc.aargs
    proc.acmdline proc.apid proc.env proc.aenv thread.cgroup fd.types container.mount container.mount.source
    container.mount.dest container.mount.mode container.mount.rdwr container.mount.propagation container.label
    k8s.pod.label
"""
ARGUMENT_FIELDS = frozenset(_ARGUMENT_FIELDS_TEXT.split())

# Documented as deprecated: refused, because Falco will stop loading rules that use them.
DEPRECATED_FIELDS = {
    "evt.dir": "deprecated since Falco 0.42 (only exit events are delivered); drop it",
    "container.healthcheck": "deprecated",
    "container.liveness_probe": "deprecated; use the k8smeta plugin",
    "container.readiness_probe": "deprecated; use the k8smeta plugin",
    "proc.is_container_healthcheck": "deprecated",
    "proc.is_container_liveness_probe": "deprecated; use the k8smeta plugin",
    "proc.is_container_readiness_probe": "deprecated; use the k8smeta plugin",
    **{
        f"k8s.{kind}.{attr}": "deprecated; use the k8smeta plugin"
        for kind in ("rc", "svc", "rs", "deployment")
        for attr in ("name", "id", "label", "labels")
    },
    **{f"k8s.ns.{attr}": "deprecated; use the k8smeta plugin" for attr in ("id", "label", "labels")},
}

COMPARISON_OPERATORS = frozenset(
    {
        "=",
        "==",
        "!=",
        "<",
        "<=",
        ">",
        ">=",
        "contains",
        "icontains",
        "bcontains",
        "startswith",
        "bstartswith",
        "endswith",
        "glob",
        "iglob",
        "regex",
    }
)
LIST_OPERATORS = frozenset({"in", "intersects", "pmatch"})
UNARY_OPERATORS = frozenset({"exists"})
TRANSFORMERS = frozenset({"tolower", "toupper", "b64", "basename", "len"})
KEYWORDS = frozenset({"and", "or", "not"})

_FIELD_SHAPE = re.compile(r"[a-zA-Z][a-zA-Z0-9_]*(?:\.[a-zA-Z0-9_]+)+")
_OUTPUT_FIELD = re.compile(
    r"%(?:(?P<transformer>[a-z0-9]+)\()?(?P<field>[a-zA-Z][a-zA-Z0-9_]*(?:\.[a-zA-Z0-9_]+)+)(?P<arg>\[[^\]]*\])?"
)


def field_problem(name: str) -> str | None:
    """None when ``name`` (without a bracket argument) is a documented, non-deprecated field, else the reason."""
    if name in DEPRECATED_FIELDS:
        return f"field '{name}' is {DEPRECATED_FIELDS[name]}"
    if name in KNOWN_FIELDS:
        return None
    parts = name.split(".")
    for end in range(len(parts) - 1, 1, -1):
        if ".".join(parts[:end]) in ARGUMENT_FIELDS:
            return None
    return f"unknown field '{name}' (not in Falco's supported fields)"


# --- condition tokens -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Token:
    kind: str  # "(", ")", ",", "op", "string", "word"
    text: str
    arg: str | None = None  # a field's bracket argument


class ConditionError(ValueError):
    pass


_OPERATOR_CHARS = "=!<>"
_WORD_STOP = set(" \t\r\n(),\"'") | set(_OPERATOR_CHARS)


def tokenize(condition: str) -> list[Token]:
    """Split a condition into tokens; raises ConditionError on an unterminated string or bracket."""
    tokens: list[Token] = []
    i, n = 0, len(condition)
    while i < n:
        char = condition[i]
        if char.isspace():
            i += 1
        elif char in "(),":
            tokens.append(Token(char, char))
            i += 1
        elif char in "\"'":
            end = i + 1
            while end < n and condition[end] != char:
                end += 2 if condition[end] == "\\" else 1
            if end >= n:
                raise ConditionError(f"unterminated {char} string starting at column {i + 1}")
            tokens.append(Token("string", condition[i + 1 : end]))
            i = end + 1
        elif char in _OPERATOR_CHARS:
            two = condition[i : i + 2]
            if two in ("==", "!=", "<=", ">="):
                tokens.append(Token("op", two))
                i += 2
            elif char in "=<>":
                tokens.append(Token("op", char))
                i += 1
            else:
                raise ConditionError(f"stray '{char}' at column {i + 1}")
        else:
            start = i
            arg: str | None = None
            while i < n and condition[i] not in _WORD_STOP:
                if condition[i] == "[":
                    close = condition.find("]", i)
                    if close < 0:
                        raise ConditionError(f"unterminated '[' at column {i + 1}")
                    if arg is None and _FIELD_SHAPE.fullmatch(condition[start:i]):
                        arg = condition[i + 1 : close]
                    i = close + 1
                elif condition[i] == "]":
                    raise ConditionError(f"unbalanced ']' at column {i + 1}")
                else:
                    i += 1
            word = condition[start:i]
            if arg is not None:
                word = word[: word.index("[")]
            tokens.append(Token("word", word, arg))
    return tokens


# --- condition parser -----------------------------------------------------------------------------------------


@dataclass
class References:
    fields: set[str] = field(default_factory=set)
    macros: set[str] = field(default_factory=set)
    lists: set[str] = field(default_factory=set)
    values: set[str] = field(default_factory=set)
    """Literal values compared against (``execve``, ``connect``, ``0``), not list names."""


class _Parser:
    """Recursive descent over Falco's condition grammar: or > and > not > comparison | macro | (expression)."""

    def __init__(self, tokens: list[Token], macros: Iterable[str], lists: Iterable[str]) -> None:
        self.tokens = tokens
        self.pos = 0
        self.macros = set(macros)
        self.lists = set(lists)
        self.refs = References()
        self.problems: list[str] = []

    def peek(self) -> Token | None:
        return self.tokens[self.pos] if self.pos < len(self.tokens) else None

    def take(self) -> Token:
        token = self.peek()
        if token is None:
            raise ConditionError("condition ends too early")
        self.pos += 1
        return token

    def expect(self, kind: str) -> Token:
        token = self.take()
        if token.kind != kind:
            raise ConditionError(f"expected '{kind}', found '{token.text}'")
        return token

    def is_word(self, text: str) -> bool:
        token = self.peek()
        return token is not None and token.kind == "word" and token.text == text

    def parse(self) -> References:
        if not self.tokens:
            raise ConditionError("empty condition")
        self.expression()
        token = self.peek()
        if token is not None:
            raise ConditionError(f"unexpected '{token.text}' after a complete expression")
        return self.refs

    def expression(self) -> None:
        self.conjunction()
        while self.is_word("or"):
            self.take()
            self.conjunction()

    def conjunction(self) -> None:
        self.negation()
        while self.is_word("and"):
            self.take()
            self.negation()

    def negation(self) -> None:
        if self.is_word("not"):
            self.take()
            self.negation()
        else:
            self.atom()

    def atom(self) -> None:
        token = self.take()
        if token.kind == "(":
            self.expression()
            self.expect(")")
            return
        if token.kind != "word" or token.text in KEYWORDS:
            raise ConditionError(f"expected a field, a macro or '(', found '{token.text}'")
        nxt = self.peek()
        if token.text in TRANSFORMERS and nxt is not None and nxt.kind == "(":
            self.transformed_field()
            self.comparison()
        elif _FIELD_SHAPE.fullmatch(token.text):
            self.use_field(token.text)
            self.comparison()
        elif IDENTIFIER.fullmatch(token.text):
            if token.text in self.macros:
                self.refs.macros.add(token.text)
            elif token.text in self.lists:
                self.problems.append(f"list '{token.text}' is used as a condition; use it after in/pmatch")
            else:
                self.problems.append(f"'{token.text}' is not a field and not a macro defined before this point")
        else:
            raise ConditionError(f"'{token.text}' is neither a field nor a macro name")

    def transformed_field(self) -> None:
        self.expect("(")
        inner = self.take()
        if inner.kind == "word" and inner.text in TRANSFORMERS:
            self.transformed_field()
        elif inner.kind == "word" and _FIELD_SHAPE.fullmatch(inner.text):
            self.use_field(inner.text)
        else:
            raise ConditionError(f"a transformer takes a field, found '{inner.text}'")
        self.expect(")")

    def use_field(self, name: str) -> None:
        problem = field_problem(name)
        if problem:
            self.problems.append(problem)
        self.refs.fields.add(name)

    def comparison(self) -> None:
        operator = self.take()
        text = operator.text
        if operator.kind == "op" or (operator.kind == "word" and text in COMPARISON_OPERATORS):
            if text not in COMPARISON_OPERATORS:
                raise ConditionError(f"unknown operator '{text}'")
            self.value()
        elif operator.kind == "word" and text in LIST_OPERATORS:
            self.value_list()
        elif operator.kind == "word" and text in UNARY_OPERATORS:
            return
        else:
            raise ConditionError(f"expected an operator after a field, found '{text}'")

    def value(self) -> None:
        token = self.take()
        if token.kind == "string" or (token.kind == "op" and token.text in ("<", ">")):  # evt.dir = < is a value
            self.refs.values.add(token.text)
            return
        if token.kind != "word" or token.text in KEYWORDS:
            raise ConditionError(f"expected a value, found '{token.text}'")
        nxt = self.peek()
        if (token.text == "val" or token.text in TRANSFORMERS) and nxt is not None and nxt.kind == "(":
            self.transformed_field()
        else:
            self.refs.values.add(token.text)

    def value_list(self) -> None:
        self.expect("(")
        first = self.peek()
        if first is not None and first.kind == ")":
            self.take()
            return
        while True:
            token = self.take()
            if token.kind == "word" and token.text in self.lists:
                self.refs.lists.add(token.text)
            elif token.kind == "word" and _SNAKE.fullmatch(token.text):
                self.problems.append(
                    f"'{token.text}' looks like a list name but no list of that name is defined before this point"
                    " (Falco would compare against the literal word)"
                )
            elif token.kind not in ("word", "string"):
                raise ConditionError(f"expected a list item, found '{token.text}'")
            else:
                self.refs.values.add(token.text)
            separator = self.take()
            if separator.kind == ")":
                return
            if separator.kind != ",":
                raise ConditionError(f"expected ',' or ')' in a list, found '{separator.text}'")


def parse_condition(condition: str, *, macros: Iterable[str] = (), lists: Iterable[str] = ()) -> References:
    """Parse a condition; raises ConditionError with every problem found (syntax, fields, undefined names)."""
    parser = _Parser(tokenize(condition), macros, lists)
    refs = parser.parse()
    if parser.problems:
        raise ConditionError("; ".join(parser.problems))
    return refs


# --- the rules file -------------------------------------------------------------------------------------------


@dataclass
class _State:
    macros: dict[str, References] = field(default_factory=dict)
    lists: dict[str, list[Any]] = field(default_factory=dict)
    rules: dict[str, References] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)


def _kind(item: Mapping[str, Any]) -> list[str]:
    return [key for key in KINDS if key in item]


def _scalar(value: Any) -> bool:
    return isinstance(value, str | int | float) and not isinstance(value, bool)


def _check_override(where: str, kind: str, item: Mapping[str, Any], defined: bool, state: _State) -> bool:
    """Check append/override keys; True when the item modifies an earlier definition."""
    has_append = "append" in item
    has_override = "override" in item
    if has_append and has_override:
        state.problems.append(f"{where}: 'append' and 'override' cannot be used together")
    if has_append and not isinstance(item["append"], bool):
        state.problems.append(f"{where}: 'append' must be true or false")
    if has_override:
        override = item["override"]
        if not isinstance(override, dict) or not override:
            state.problems.append(f"{where}: 'override' must map keys to append or replace")
        else:
            for key, how in override.items():
                if key not in _OVERRIDABLE[kind]:
                    state.problems.append(f"{where}: '{key}' cannot be overridden in a {kind}")
                if how not in ("append", "replace"):
                    state.problems.append(f"{where}: override of '{key}' must be append or replace, not {how!r}")
                if key not in item:
                    state.problems.append(f"{where}: override names '{key}' but the item has no '{key}'")
    modifies = (has_append and item.get("append") is True) or has_override
    if modifies and not defined:
        state.problems.append(f"{where}: appends to or overrides a {kind} that is not defined earlier")
    return bool(modifies)


def _check_list(where: str, item: Mapping[str, Any], state: _State) -> None:
    name = item["list"]
    if not isinstance(name, str) or not IDENTIFIER.fullmatch(name):
        state.problems.append(f"{where}: list name {name!r} is not a Falco identifier ([a-zA-Z]+[a-zA-Z0-9_]*)")
        return
    modifies = _check_override(where, "list", item, name in state.lists, state)
    if name in state.lists and not modifies:
        state.problems.append(f"{where}: list '{name}' is defined twice")
    items = item.get("items")
    if not isinstance(items, list):
        state.problems.append(f"{where}: list '{name}' needs 'items', a YAML list")
        return
    for value in items:
        if not _scalar(value):
            state.problems.append(f"{where}: list '{name}' item {value!r} is not a scalar")
    state.lists[name] = list(items)


def _check_macro(where: str, item: Mapping[str, Any], state: _State) -> None:
    name = item["macro"]
    if not isinstance(name, str) or not IDENTIFIER.fullmatch(name):
        state.problems.append(f"{where}: macro name {name!r} is not a Falco identifier ([a-zA-Z]+[a-zA-Z0-9_]*)")
        return
    modifies = _check_override(where, "macro", item, name in state.macros, state)
    if name in state.macros and not modifies:
        state.problems.append(f"{where}: macro '{name}' is defined twice")
    condition = item.get("condition")
    if not isinstance(condition, str) or not condition.strip():
        state.problems.append(f"{where}: macro '{name}' needs a 'condition' string")
        return
    try:
        refs = parse_condition(condition, macros=state.macros, lists=state.lists)
    except ConditionError as error:
        state.problems.append(f"{where}: macro '{name}' condition: {error}")
        refs = References()
    state.macros[name] = refs


def _check_exceptions(where: str, exceptions: Any, state: _State) -> None:
    if not isinstance(exceptions, list):
        state.problems.append(f"{where}: 'exceptions' must be a list")
        return
    for exception in exceptions:
        if not isinstance(exception, dict) or not isinstance(exception.get("name"), str):
            state.problems.append(f"{where}: each exception needs a 'name'")
            continue
        unknown = set(exception) - {"name", "fields", "comps", "values"}
        if unknown:
            state.problems.append(f"{where}: exception '{exception['name']}' has unknown keys {sorted(unknown)}")
        fields = exception.get("fields")
        names = [fields] if isinstance(fields, str) else fields if isinstance(fields, list) else []
        for name in names:
            problem = field_problem(str(name))
            if problem:
                state.problems.append(f"{where}: exception '{exception['name']}': {problem}")
        comps = exception.get("comps")
        comp_list = [comps] if isinstance(comps, str) else comps if isinstance(comps, list) else []
        for comp in comp_list:
            if comp not in COMPARISON_OPERATORS | LIST_OPERATORS:
                state.problems.append(f"{where}: exception '{exception['name']}': unknown comparison {comp!r}")
        if isinstance(fields, list) and isinstance(comps, list) and len(comps) != len(fields):
            state.problems.append(f"{where}: exception '{exception['name']}': fields and comps differ in length")
        values = exception.get("values", [])
        if not isinstance(values, list):
            state.problems.append(f"{where}: exception '{exception['name']}': values must be a list")
        elif isinstance(fields, list):
            for row in values:
                if not isinstance(row, list) or len(row) != len(fields):
                    state.problems.append(
                        f"{where}: exception '{exception['name']}': each value must be a list as long as fields"
                    )


def _expanded(refs: References, state: _State, seen: frozenset[str] = frozenset()) -> References:
    total = References(set(refs.fields), set(refs.macros), set(refs.lists), set(refs.values))
    for macro in refs.macros - seen:
        inner = _expanded(state.macros.get(macro, References()), state, seen | {macro})
        total.fields |= inner.fields
        total.macros |= inner.macros
        total.lists |= inner.lists
        total.values |= inner.values
    for name in list(total.lists):
        total.lists |= _nested_lists(name, state)
    return total


def _nested_lists(name: str, state: _State) -> set[str]:
    return {str(item) for item in state.lists.get(name, []) if isinstance(item, str) and item in state.lists}


def _check_rule(where: str, item: Mapping[str, Any], state: _State) -> None:
    name = item["rule"]
    if not isinstance(name, str) or not name.strip():
        state.problems.append(f"{where}: a rule needs a non-empty name")
        return
    modifies = _check_override(where, "rule", item, name in state.rules, state)
    if name in state.rules and not modifies:
        state.problems.append(f"{where}: rule '{name}' is defined twice")
    if not modifies:
        for key in _RULE_REQUIRED:
            if key not in item:
                state.problems.append(f"{where}: rule '{name}' has no '{key}'")
    for key in ("desc", "output"):
        if key in item and (not isinstance(item[key], str) or not item[key].strip()):
            state.problems.append(f"{where}: rule '{name}' '{key}' must be a non-empty string")
    if "priority" in item and str(item["priority"]).lower() not in PRIORITIES:
        state.problems.append(f"{where}: rule '{name}' priority {item['priority']!r} is not one of Falco's")
    if "tags" in item and (not isinstance(item["tags"], list) or not all(isinstance(tag, str) for tag in item["tags"])):
        state.problems.append(f"{where}: rule '{name}' tags must be a list of strings")
    for key in ("enabled", "warn_evttypes", "skip-if-unknown-filter"):
        if key in item and not isinstance(item[key], bool):
            state.problems.append(f"{where}: rule '{name}' '{key}' must be true or false")
    if "exceptions" in item:
        _check_exceptions(where, item["exceptions"], state)
    source = item.get("source", "syscall")
    if not isinstance(source, str):
        state.problems.append(f"{where}: rule '{name}' source must be a string")
    if isinstance(item.get("output"), str) and source == "syscall":
        for match in _OUTPUT_FIELD.finditer(item["output"]):
            transformer = match.group("transformer")
            if transformer is not None and transformer not in TRANSFORMERS:
                state.problems.append(f"{where}: rule '{name}' output uses unknown transformer '{transformer}'")
            problem = field_problem(match.group("field"))
            if problem:
                state.problems.append(f"{where}: rule '{name}' output: {problem}")
    condition = item.get("condition")
    refs = state.rules.get(name, References())
    if condition is not None:
        if not isinstance(condition, str) or not condition.strip():
            state.problems.append(f"{where}: rule '{name}' condition must be a non-empty string")
        elif source == "syscall":
            try:
                refs = parse_condition(condition, macros=state.macros, lists=state.lists)
            except ConditionError as error:
                state.problems.append(f"{where}: rule '{name}' condition: {error}")
            else:
                if not modifies and "evt.type" not in _expanded(refs, state).fields:
                    state.problems.append(
                        f"{where}: rule '{name}' does not restrict evt.type (Falco warns: it runs for every event)"
                    )
    state.rules[name] = refs


def _check_versions(where: str, kind: str, value: Any, state: _State) -> None:
    if kind == "required_engine_version":
        if isinstance(value, bool) or not (
            (isinstance(value, int) and value >= 0) or (isinstance(value, str) and _SEMVER.fullmatch(value))
        ):
            state.problems.append(f"{where}: required_engine_version must be an integer or a x.y.z version")
        return
    if not isinstance(value, list) or not value:
        state.problems.append(f"{where}: required_plugin_versions must be a non-empty list")
        return
    for plugin in value:
        if not isinstance(plugin, dict) or set(plugin) - {"name", "version", "alternatives"}:
            state.problems.append(f"{where}: each required plugin has only name, version and alternatives")
            continue
        for entry in [plugin, *plugin.get("alternatives", [])]:
            if not isinstance(entry, dict) or not isinstance(entry.get("name"), str):
                state.problems.append(f"{where}: a required plugin needs a name")
            elif not isinstance(entry.get("version"), str) or not _SEMVER.fullmatch(entry["version"]):
                state.problems.append(f"{where}: required plugin '{entry['name']}' needs an x.y.z version")


class _Loader(yaml.SafeLoader):
    """YAML as Falco (yaml-cpp) reads it: a bare ``=`` (an exception comparison) is a string, not a value tag."""


_Loader.add_constructor("tag:yaml.org,2002:value", lambda loader, node: loader.construct_scalar(node))  # type: ignore[arg-type]


def _walk(text: str) -> _State:
    state = _State()
    try:
        document = yaml.load(text, Loader=_Loader)  # noqa: S506 - a SafeLoader subclass
    except yaml.YAMLError as error:
        state.problems.append(f"not YAML: {error}")
        return state
    if not isinstance(document, list):
        state.problems.append("a Falco rules file is a YAML list of items")
        return state
    for index, item in enumerate(document):
        where = f"item {index + 1}"
        if not isinstance(item, dict):
            state.problems.append(f"{where}: not a mapping")
            continue
        kinds = _kind(item)
        if len(kinds) != 1:
            state.problems.append(f"{where}: must have exactly one of {', '.join(KINDS)}; has {kinds or 'none'}")
            continue
        kind = kinds[0]
        unknown = set(item) - _ALLOWED_KEYS[kind]
        if unknown:
            state.problems.append(f"{where}: keys {sorted(unknown)} are not allowed in a {kind}")
        if kind == "list":
            _check_list(where, item, state)
        elif kind == "macro":
            _check_macro(where, item, state)
        elif kind == "rule":
            _check_rule(where, item, state)
        else:
            _check_versions(where, kind, item[kind], state)
    return state


def validate(text: str) -> list[str]:
    """Every problem found in a Falco rules file; empty when it passes."""
    return _walk(text).problems


def rule_references(text: str) -> dict[str, References]:
    """For each rule, the fields, macros and lists its condition uses with its macros expanded."""
    state = _walk(text)
    if state.problems:
        raise ValueError("invalid Falco rules file: " + "; ".join(state.problems))
    return {name: _expanded(refs, state) for name, refs in state.rules.items()}


def list_items(text: str) -> dict[str, list[Any]]:
    """The items of every list in the file, by name."""
    return dict(_walk(text).lists)


def macro_and_list_names(text: str) -> set[str]:
    """The names of every macro and list the file defines."""
    state = _walk(text)
    return set(state.macros) | set(state.lists)
