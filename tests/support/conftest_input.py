"""What ``conftest test`` hands a policy as ``input`` for each of a kit's files, so that tests can evaluate the
kit's conftest policies (templates/policy/conftest) on the real shapes without the conftest binary.

Read from open-policy-agent/conftest at commit 6a3fd606993c1003de444a0ea93c7e916b845d4c (2026-08-22):
- parser/parser.go ``NewFromPath``: which parser reads a path (Dockerfile by name, ``.yml``/``.yaml``, ``.json``,
  ``.dockerignore``/``.gitignore``, ``Jenkinsfile`` as Groovy, ...); a directory walk skips every other file.
- parser/docker/docker.go (last changed in 155cd3c95342d627d3160888d804df3d228352c9): one document, a list of
  ``{"Cmd", "SubCmd", "JSON", "Flags", "Value", "Stage"}``, one per instruction, with a ``"comment"`` entry for
  each comment before an instruction; Cmd is lower-cased; Stage counts FROMs from 0. It wraps the list in another
  list. The per-instruction splitting is moby/buildkit's frontend/dockerfile/parser (v0.32.2, the version in
  conftest's go.mod: parser.go, split_command.go, line_parsers.go, directives.go).
- parser/ignore/ignore.go (same commit): one document, the entries of github.com/shteou/go-ignore v0.3.1
  (ignore.go): ``{"Kind": Path|NegatedPath|Comment|Empty, "Value", "Original"}``, one per ``\\n``-separated line.
- parser/yaml/yaml.go: the text is split on ``\\n---\\n`` into documents; each is read by sigs.k8s.io/yaml v1.6.0,
  i.e. YAML 1.1 through go.yaml.in/yaml/v2 and then JSON, so the bare key ``on`` becomes ``"true"``.
- policy/engine.go ``Check``: a parsed value that is a list is evaluated element by element (that is why the
  docker and ignore parsers wrap their list); ``addFileInfo`` sets ``data.conftest.file = {name, dir}``.

This module is our own reimplementation of those shapes in Python, for tests only.
"""

from __future__ import annotations

import datetime
import json
import posixpath
import re
from collections.abc import Iterable
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from tests.support import rego


class NotReadError(Exception):
    """conftest has no parser for this path, so a directory run never evaluates it."""


class UnmodelledError(Exception):
    """conftest reads this path with a parser this module does not reproduce (e.g. Groovy for Jenkinsfile)."""


_OTHER_PARSERS = {
    "cue", "cyclonedx", "edn", "hcl1", "hcl2", "hocon", "ini", "jsonc", "jsonnet", "properties", "spdx", "toml",
    "vcl", "xml", "groovy", "nginx", "dotenv", "textproto", "textpb",
}  # fmt: skip


def parser_name(path: str) -> str:
    """The parser conftest picks for ``path`` (parser.go ``NewFromPath``); NotReadError when it has none."""
    name = posixpath.basename(path).lower()
    ext = posixpath.splitext(path)[1][1:].lower() if "." in name else ""
    if name.startswith(".") and name.count(".") == 1:
        ext = name[1:]  # Go's filepath.Ext(".dockerignore") is ".dockerignore"
    if name == "dockerfile" or name.startswith("dockerfile.") or ext == "dockerfile":
        return "dockerfile"
    if ext in ("yml", "yaml"):
        return "yaml"
    if ext in ("hcl", "tf", "tfvars"):
        return "hcl2"
    if ext in ("gitignore", "dockerignore"):
        return "ignore"
    if name == ".env" or name.startswith(".env.") or ext == "env":
        return "dotenv"
    if name == "nginx.conf":
        return "nginx"
    if name == "jenkinsfile" or name.startswith("jenkinsfile."):
        return "groovy"
    if ext == "json" or ext in _OTHER_PARSERS:
        return ext
    raise NotReadError(path)


def parse(path: str, text: str) -> Any:
    """The value conftest's parser for ``path`` produces (JSON-compatible)."""
    kind = parser_name(path)
    if kind == "dockerfile":
        return [dockerfile_commands(text)]
    if kind == "ignore":
        return [ignore_entries(text)]
    if kind == "yaml":
        return yaml_value(text)
    if kind == "json":
        return json.loads(text)
    raise UnmodelledError(f"{path}: conftest reads it with its {kind} parser, which this module does not reproduce")


def inputs(path: str, text: str) -> list[Any]:
    """Each ``input`` conftest evaluates the policies against for this file (engine.go ``Check``)."""
    parsed = parse(path, text)
    return list(parsed) if isinstance(parsed, list) else [parsed]


def file_data(path: str) -> dict[str, Any]:
    """``data.conftest`` as conftest sets it while checking ``path``."""
    absolute = posixpath.join("/repo", path)
    return {"conftest": {"file": {"name": posixpath.basename(absolute), "dir": posixpath.dirname(absolute)}}}


# --- YAML (parser/yaml/yaml.go with sigs.k8s.io/yaml) ---


def _documents(text: str) -> list[str]:
    linebreak = "\r\n" if "\r\n" in text else "\n"
    separator = f"{linebreak}---{linebreak}"
    parts = text.split(separator)
    if text.startswith("%"):
        if len(parts) <= 2:
            return [text]
        return [parts[0] + separator + parts[1], *parts[2:]]
    return parts


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {_key(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_jsonable(v) for v in value]
    if isinstance(value, (datetime.date, datetime.datetime)):
        return value.isoformat()
    return value


def _key(key: Any) -> str:
    if isinstance(key, bool):
        return "true" if key else "false"
    if isinstance(key, (str, int, float)):
        return str(key)
    raise ValueError(f"unsupported map key {key!r}")


def yaml_value(text: str) -> Any:
    documents = _documents(text)
    if len(documents) == 1:
        return _jsonable(yaml.safe_load(text))
    return [_jsonable(yaml.safe_load(document)) for document in documents]


# --- ignore files (go-ignore v0.3.1) ---


def _trim_right_space(line: str) -> str:
    stop = len(line.rstrip(" "))
    if stop > 0 and line[stop - 1] == "\\" and stop < len(line):
        stop += 1
    return line[:stop]


def _unescape(value: str) -> str:
    out, i = [], 0
    while i < len(value):
        if value[i] != "\\":
            out.append(value[i])
        elif i < len(value) - 1 and value[i + 1] == "\\":
            out.append("\\")
            i += 1
        i += 1
    return "".join(out)


def ignore_entries(text: str) -> list[dict[str, str]]:
    entries = []
    for line in text.split("\n"):
        stripped = _trim_right_space(line)
        if stripped == "":
            entries.append({"Kind": "Empty", "Value": line, "Original": line})
        elif line.startswith("#"):
            entries.append({"Kind": "Comment", "Value": stripped[1:].strip(), "Original": line})
        elif line.startswith("!"):
            entries.append({"Kind": "NegatedPath", "Value": _unescape(stripped[1:]), "Original": line})
        else:
            entries.append({"Kind": "Path", "Value": _unescape(stripped), "Original": line})
    return entries


# --- Dockerfile (conftest parser/docker over buildkit's parser) ---

_WHITESPACE = re.compile(r"[\t\v\f\r ]+")
_DIRECTIVE = re.compile(r"^([a-zA-Z][a-zA-Z0-9]*)\s*=\s*(.+?)\s*$")
_HEREDOC = re.compile(r"^(\d*)<<(-?)\s*([^<]*)$")


class _Node:
    """A buildkit AST node reduced to what conftest reads: the values of the ``Next`` chain and the json flag."""

    def __init__(self, values: list[str] | None, is_json: bool = False, sub: tuple[str, _Node] | None = None):
        self.values = values
        self.is_json = is_json
        self.sub = sub


def _is_comment(line: str) -> bool:
    stripped = line.lstrip()
    return stripped.startswith("#")


def _extract_flags(line: str, escape: str) -> tuple[str, list[str]]:
    """split_command.go ``extractBuilderFlags``: leading ``--flag`` words, and the rest of the line."""
    words: list[str] = []
    pos, word, quote, blank_ok, phase = 0, [], "", False, "spaces"
    while pos <= len(line):
        ch = line[pos] if pos < len(line) else ""
        if phase == "spaces":
            if pos == len(line):
                break
            if ch.isspace():
                pos += 1
                continue
            if ch != "-" or pos + 1 == len(line) or line[pos + 1] != "-":
                return line[pos:], words
            phase = "word"
        if pos == len(line):
            text = "".join(word)
            if text != "--" and (blank_ok or text):
                words.append(text)
            break
        if phase == "word":
            if ch.isspace():
                text = "".join(word)
                phase = "spaces"
                if text == "--":
                    return line[pos:], words
                if blank_ok or text:
                    words.append(text)
                word, blank_ok = [], False
            elif ch in "'\"":
                quote, blank_ok, phase = ch, True, "quote"
            else:
                if ch == escape:
                    if pos + 1 == len(line):
                        pos += 1
                        continue
                    pos += 1
                    ch = line[pos]
                word.append(ch)
            pos += 1
            continue
        # inside quotes
        if ch == quote:
            phase = "word"
        else:
            if ch == escape:
                if pos + 1 == len(line):
                    phase = "word"
                    pos += 1
                    continue
                pos += 1
                ch = line[pos]
            word.append(ch)
        pos += 1
    return "", words


def _words(rest: str, escape: str) -> list[str]:
    """line_parsers.go ``parseWords``: space-separated words, quotes and escapes kept."""
    words: list[str] = []
    word: list[str] = []
    phase, quote, blank_ok, pos = "spaces", "", False, 0
    while pos <= len(rest):
        ch = rest[pos] if pos < len(rest) else ""
        if phase == "spaces":
            if pos == len(rest):
                break
            if ch.isspace():
                pos += 1
                continue
            phase = "word"
        if pos == len(rest):
            if blank_ok or word:
                words.append("".join(word))
            break
        if phase == "word":
            if ch.isspace():
                phase = "spaces"
                if blank_ok or word:
                    words.append("".join(word))
                word, blank_ok = [], False
                pos += 1
                continue
            if ch in "'\"":
                quote, blank_ok, phase = ch, True, "quote"
            if ch == escape:
                if pos + 1 == len(rest):
                    pos += 1
                    continue
                word.append(ch)
                pos += 1
                ch = rest[pos]
            word.append(ch)
            pos += 1
            continue
        if ch == quote:
            phase = "word"
        if ch == escape and quote != "'":
            if pos + 1 == len(rest):
                phase = "word"
                pos += 1
                continue
            word.append(ch)
            pos += 1
            ch = rest[pos]
        word.append(ch)
        pos += 1
    return words


class _NotStringsError(ValueError):
    pass


def _json_list(rest: str) -> _Node | None:
    rest = rest.lstrip()
    if not rest.startswith("["):
        return None
    try:
        loaded = json.loads(rest)
    except ValueError:
        return None
    if not isinstance(loaded, list):
        return None
    if not all(isinstance(item, str) for item in loaded):
        raise _NotStringsError("when using JSON array syntax, arrays must be comprised of strings only")
    return _Node(list(loaded) or None, is_json=True)


def _whitespace_list(rest: str) -> _Node:
    return _Node(_WHITESPACE.split(rest) if rest else None)


def _maybe_json(rest: str) -> _Node:
    if rest == "":
        return _Node(None)
    return _json_list(rest) or _Node([rest])


def _name_values(rest: str, escape: str, key: str) -> _Node:
    words = _words(rest, escape)
    if not words:
        return _Node(None)
    if "=" not in words[0]:
        parts = _WHITESPACE.split(rest, maxsplit=1)
        if len(parts) < 2:
            raise ValueError(f"{key} must have two arguments")
        return _Node([parts[0], parts[1], ""])
    values: list[str] = []
    for word in words:
        if "=" not in word:
            raise ValueError(f"Syntax error - can't find = in {word!r}. Must be of the form: name=value")
        name, value = word.split("=", 1)
        values += [name, value, "="]
    return _Node(values)


def _health(rest: str) -> _Node:
    sep = next((i for i, ch in enumerate(rest) if ch.isspace()), len(rest))
    if sep == 0:
        return _Node(None)
    after = len(rest) - len(rest[sep:].lstrip())
    command = _maybe_json(rest[after:])
    return _Node([rest[:sep], *(command.values or [])], command.is_json)


def _dispatch(keyword: str, rest: str, escape: str) -> _Node:
    if keyword in ("add", "copy", "volume"):
        return _json_list(rest) or _whitespace_list(rest)
    if keyword in ("cmd", "entrypoint", "run", "shell"):
        return _maybe_json(rest)
    if keyword in ("expose", "from"):
        return _whitespace_list(rest)
    if keyword in ("maintainer", "stopsignal", "user", "workdir"):
        return _Node([rest] if rest else None)
    if keyword in ("env", "label"):
        return _name_values(rest, escape, keyword.upper())
    if keyword == "arg":
        return _Node(_words(rest, escape) or None)
    if keyword == "healthcheck":
        return _health(rest)
    if keyword == "onbuild":
        if rest == "":
            return _Node(None)
        sub_cmd, _, sub = _instruction(rest, escape)
        return _Node(sub.values, sub.is_json, (sub_cmd, sub))
    raise ValueError(f"unknown instruction: {keyword}")  # instructions.ParseInstruction refuses it


def _instruction(line: str, escape: str) -> tuple[str, list[str] | None, _Node]:
    parts = _WHITESPACE.split(line.strip(), maxsplit=1)
    flags: list[str] | None = None
    rest = ""
    if len(parts) == 2:
        rest, flags = _extract_flags(parts[1], escape)
    node = _dispatch(parts[0].lower(), rest.strip(), escape)
    return parts[0], flags, node


def _continuation(escape: str) -> re.Pattern[str]:
    e = re.escape(escape)
    return re.compile(rf"([^{e}]){e}[ \t]*$|^{e}[ \t]*$")


def _heredoc_names(line: str) -> list[tuple[str, bool]]:
    names = []
    for word in line.split():
        match = _HEREDOC.match(word)
        if match and match.group(3):
            names.append((match.group(3).strip("'\""), match.group(2) == "-"))
    return names


def dockerfile_commands(text: str) -> list[dict[str, Any]]:
    """The list of instruction entries conftest's docker parser gives for this Dockerfile."""
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    escape = "\\"
    continuation = _continuation(escape)
    directives_done, seen = False, set()
    comments: list[str] = []
    commands: list[dict[str, Any]] = []
    stage = -1
    i = 0
    while i < len(lines):
        raw = lines[i].removeprefix("\ufeff") if i == 0 else lines[i]
        i += 1
        if _is_comment(raw):
            comment = raw[1:].strip()
            comments = [] if comment == "" else [*comments, comment]
        line = raw.rstrip("\r\n").lstrip()
        if not directives_done:
            match = _DIRECTIVE.match(line[1:].lstrip()) if line.startswith("#") else None
            name = match.group(1).lower() if match else ""
            if name in ("syntax", "escape", "check"):
                if name in seen:
                    raise ValueError(f"only one {name} parser directive can be used")
                seen.add(name)
                comments = comments[:-1]
                if name == "escape":
                    escape = match.group(2) if match else escape
                    if escape not in ("\\", "`"):
                        raise ValueError(f"invalid escape token {escape!r}")
                    continuation = _continuation(escape)
            else:
                directives_done = True
        if _is_comment(line):
            line = ""
        line, end = (continuation.sub(r"\1", line), False) if continuation.search(line) else (line, True)
        if end and line == "":
            continue
        buffer = line
        while not end and i < len(lines):
            more = lines[i].rstrip("\r\n")
            i += 1
            if _is_comment(more) or more.strip() == "":
                continue
            more, end = (continuation.sub(r"\1", more), False) if continuation.search(more) else (more, True)
            buffer += more
        cmd, flags, node = _instruction(buffer, escape)
        keyword = cmd.lower()
        if keyword == "from":
            if node.values is None or len(node.values) not in (1, 3):
                raise ValueError("FROM requires either one or three arguments")
            stage += 1
        current = max(stage, 0)
        for comment in comments:
            commands.append(
                {"Cmd": "comment", "SubCmd": "", "JSON": False, "Flags": None, "Value": [comment], "Stage": current}
            )
        comments = []
        if keyword in ("user", "workdir", "from") and node.values is None:
            raise ValueError(f"{cmd} requires an argument")
        sub_cmd = node.sub[0] if node.sub else ""
        target = node.sub[0].lower() if node.sub else keyword
        if target in ("run", "copy", "add") and not node.is_json:
            for name, chomp in _heredoc_names(buffer):
                while i < len(lines):
                    body = lines[i].rstrip("\r\n")
                    i += 1
                    if (body.lstrip("\t") if chomp else body) == name:
                        break
                else:
                    raise ValueError("unterminated heredoc")
        commands.append(
            {
                "Cmd": keyword,
                "SubCmd": sub_cmd,
                "JSON": node.is_json,
                "Flags": flags,
                "Value": node.values,
                "Stage": current,
            }
        )
    if not commands or all(c["Cmd"] == "comment" for c in commands):
        raise ValueError("file with no instructions")
    return commands


# --- evaluating the kit's conftest policies ---


@cache
def _engine(policies: tuple[Path, ...]) -> Any:
    return rego.engine(policies)


def denials(policies: Iterable[Path], path: str, text: str) -> list[str]:
    """Every ``deny`` message the policies give for this file, over each of its inputs, as conftest would."""
    engine = _engine(tuple(sorted(policies)))
    messages: list[str] = []
    for document in inputs(path, text):
        engine.clear_data()
        engine.add_data_json(json.dumps(file_data(path)))
        engine.set_input_json(json.dumps(document))
        messages += sorted(engine.eval_rule("data.main.deny") or [])
    return messages
