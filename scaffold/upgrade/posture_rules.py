"""The precise rules of the posture ratchet: each reads one CI or container file and names the problems it finds
with their line. ``scaffold.upgrade.posture`` runs them on the kit render and on the merged file and keeps the
problems only the merged file has."""

from __future__ import annotations

import bisect
import difflib
import functools
import posixpath
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import yaml

from scaffold.checks import container
from scaffold.checks.github import pinned_ref
from scaffold.checks.gitlab import RESERVED_KEYS
from scaffold.checks.jenkins import leaf_stages, sh_text, stage_name
from scaffold.checks.workflow_triggers import DANGEROUS_TRIGGERS
from scaffold.parsers.jenkinsfile import JenkinsfileSyntaxError, Node, parse
from scaffold.untrusted import yaml_load as bounded

GITLAB = ".gitlab-ci.yml"
JENKINS = "Jenkinsfile"
_DIGEST = re.compile(r"@sha256:[0-9a-f]{64}$")
_MARKER = re.compile(r"^(?:<{7}|>{7})(?: |$)|^={7}$", re.MULTILINE)
_RANK = {"none": 0, "read": 1, "write": 2}

# A job, step or stage that runs one of these scans or gates; removing the last one weakens the control.
SCANS: dict[str, re.Pattern[str]] = {
    control: re.compile(pattern)
    for control, pattern in {
        "secret-scan": r"\bgitleaks\b",
        "sast": r"codeql-action/analyze|\bsemgrep\s+(?:scan|ci)\b",
        "dependency-scan": r"scan-type:\s*[\"']?fs\b|\btrivy\s+fs\b",
        "image-scan": r"\bimage-ref:|\btrivy\s+image\s+--scanners\b",
        "sbom": r"anchore/sbom-action|--format\s+cyclonedx\b",
        "signing": r"\bcosign\s+sign\b",
        "provenance": r"\bactions/attest\b|RUNNER_GENERATE_ARTIFACTS_METADATA",
        "coverage-gate": r"COVERAGE_MIN",
        "dast": r"zaproxy/action-|\bzap-[\w-]+\.py\b",
    }.items()
}


@dataclass(frozen=True)
class Found:
    """A problem in one file. ``subject`` (a ref, a trigger, ``job NAME``) is what the generic check's message for
    the same problem mentions; an empty subject covers every message of the control."""

    line: int
    control: str
    message: str
    subject: str


@dataclass(frozen=True)
class Unit:
    """A job, step or stage: where it is, what identifies it, and its text."""

    path: str
    line: int
    key: str
    text: str


@dataclass(frozen=True)
class Pair:
    """One file as the kit renders it (``None`` when the user added it) and as merged. Build it with ``pair()``: the
    line alignment is computed once per pair of texts and run, and every line look-up is then logarithmic or
    constant, so reporting many weakenings in one large file stays linear."""

    theirs: str | None
    merged: str

    def first_difference(self, start: int = 1) -> int:
        """The first merged line from ``start`` on that differs from the kit's file (or where kit lines were)."""
        ends, changes = self._changes
        index = bisect.bisect_left(ends, start)
        if index < len(changes):
            _, _, _, j1, _ = changes[index]
            return self._clamp(self._filled(max(j1 + 1, start)))
        return self._clamp(start)

    def mapped(self, theirs_line: int) -> int:
        """Where a line of the kit's file is (or was, when the user removed it) in the merged file."""
        theirs = self._theirs_lines
        opcodes = self._opcodes
        # The kit ranges of the opcodes cover its lines in order, so the one holding the line is the last to start
        # at or before it (if any does).
        index = bisect.bisect_right(self._starts, theirs_line - 1) - 1
        for tag, i1, i2, j1, _ in opcodes[index : index + 1] if index >= 0 else ():
            if not i1 <= theirs_line - 1 < i2:
                continue
            if tag == "equal":
                return self._clamp(j1 + theirs_line - i1)
            # A removed block that starts and ends with the same lines (closing braces, blank lines) can be matched
            # at several offsets; slide it to start at the line asked about, as far as the lines allow.
            slide = 0
            while tag == "delete" and i1 + slide < theirs_line - 1 and i2 + slide < len(theirs):
                if theirs[i1 + slide] != theirs[i2 + slide]:
                    break
                slide += 1
            return self._clamp(self._filled(j1 + slide + 1))
        return self._clamp(theirs_line)

    def _filled(self, line: int) -> int:
        """``line`` if it is not blank, else the nearest line before it that is not, else the one after it."""
        count = len(self._merged_lines)
        before, after = self._nonblank
        if line >= 1 and count:
            found = before[min(line, count)]
            if found:
                return found
        if line < count:
            found = after[max(line, 0)]
            if found:
                return found
        return line

    def _clamp(self, line: int) -> int:
        return max(1, min(line, len(self._merged_lines)))

    @functools.cached_property
    def _merged_lines(self) -> list[str]:
        return self.merged.splitlines()

    @functools.cached_property
    def _theirs_lines(self) -> list[str]:
        return (self.theirs or "").splitlines()

    @functools.cached_property
    def _nonblank(self) -> tuple[list[int], list[int]]:
        """For each line number n: the last non-blank line at or before n, and the first after n (0: none)."""
        lines = self._merged_lines
        before = [0] * (len(lines) + 1)
        for number, text in enumerate(lines, 1):
            before[number] = number if text.strip() else before[number - 1]
        after = [0] * (len(lines) + 2)
        for number in range(len(lines), 0, -1):
            after[number - 1] = number if lines[number - 1].strip() else after[number]
        return before, after

    @functools.cached_property
    def _opcodes(self) -> Sequence[tuple[str, int, int, int, int]]:
        matcher = difflib.SequenceMatcher(None, self._theirs_lines, self._merged_lines, False)
        return matcher.get_opcodes()

    @functools.cached_property
    def _starts(self) -> list[int]:
        return [i1 for _, i1, _, _, _ in self._opcodes]

    @functools.cached_property
    def _changes(self) -> tuple[list[int], list[tuple[str, int, int, int, int]]]:
        """The opcodes that are not ``equal``, with the last merged line each reaches (non-decreasing)."""
        changes = [opcode for opcode in self._opcodes if opcode[0] != "equal"]
        return [max(j1 + 1, j2) for _, _, _, j1, j2 in changes], changes


@functools.lru_cache(maxsize=256)
def pair(theirs: str | None, merged: str) -> Pair:
    """The one ``Pair`` of these texts in this run (``clear_caches`` ends the run)."""
    return Pair(theirs, merged)


def clear_caches() -> None:
    """Forget the pairs and parsed texts of a run."""
    pair.cache_clear()
    _compose_text.cache_clear()


# File kinds


def is_workflow(path: str) -> bool:
    return path.startswith(".github/workflows/") and path.endswith((".yml", ".yaml"))


def is_dockerfile(path: str) -> bool:
    name = posixpath.basename(path).lower()
    return name == "dockerfile" or name.startswith("dockerfile.") or name.endswith(".dockerfile")


def readable(path: str, text: str) -> bool:
    """Whether a file can be checked: it has no conflict markers and, if it is a CI or container file, it parses."""
    if _MARKER.search(text):
        return False
    try:
        if is_workflow(path) or path == GITLAB:
            _compose(text)
            bounded.load(text)
        elif path == JENKINS:
            parse(text)
        elif is_dockerfile(path):
            container.instructions(text)
    except (yaml.YAMLError, JenkinsfileSyntaxError, ValueError):
        return False
    return True


# YAML nodes


def _compose(text: str | None) -> yaml.Node | None:
    """The composed document; the rules only read nodes, so one text is composed once per run."""
    return None if text is None else _compose_text(text)


@functools.lru_cache(maxsize=64)
def _compose_text(text: str) -> yaml.Node | None:
    return bounded.compose(text)


def _items(node: yaml.Node | None) -> dict[str, tuple[yaml.Node, yaml.Node]]:
    if not isinstance(node, yaml.MappingNode):
        return {}
    return {str(key.value): (key, value) for key, value in node.value if isinstance(key, yaml.ScalarNode)}


def _value(node: yaml.Node | None, key: str) -> yaml.Node | None:
    found = _items(node).get(key)
    return None if found is None else found[1]


def _scalar(node: yaml.Node | None) -> str | None:
    return str(node.value) if isinstance(node, yaml.ScalarNode) else None


def _sequence(node: yaml.Node | None) -> list[yaml.Node]:
    return list(node.value) if isinstance(node, yaml.SequenceNode) else []


def _line(node: yaml.Node) -> int:
    return int(node.start_mark.line) + 1


def _text(source: str, node: yaml.Node) -> str:
    return source[node.start_mark.index : node.end_mark.index]


def _show(node: yaml.Node) -> str:
    if isinstance(node, yaml.MappingNode):
        return "{" + ", ".join(f"{key}: {_scalar(value)}" for key, (_, value) in _items(node).items()) + "}"
    return _scalar(node) or "empty"


def _empty(node: yaml.Node) -> bool:
    return isinstance(node, yaml.MappingNode) and not node.value


def _image(node: yaml.Node | None) -> yaml.Node | None:
    """The node holding an image reference: the scalar itself, or the ``name:``/``image:`` of a mapping."""
    if isinstance(node, yaml.MappingNode):
        return _value(node, "name") or _value(node, "image")
    return node if isinstance(node, yaml.ScalarNode) else None


# GitHub Actions


def github(pair: Pair) -> list[Found]:
    theirs, merged = _compose(pair.theirs), _compose(pair.merged)
    return _permissions(pair, theirs, merged) + _github_pins(merged) + _triggers(merged)


def _permissions(pair: Pair, theirs: yaml.Node | None, merged: yaml.Node | None) -> list[Found]:
    found: list[Found] = []

    def add(line: int, message: str, subject: str) -> None:
        found.append(Found(line, "least-privilege-token", message, subject))

    top = _items(merged).get("permissions")
    closed = top is not None and _empty(top[1])
    their_top = _items(theirs).get("permissions")
    if (theirs is None or (their_top is not None and _empty(their_top[1]))) and not closed:
        if top is not None:
            add(_line(top[0]), f"top-level permissions are {_show(top[1])}, not {{}}", "top-level")
        else:
            line = pair.mapped(_line(their_top[0])) if their_top is not None else 1
            add(line, "top-level permissions: {} was removed, so jobs get the default scopes", "top-level")
    their_jobs = _items(_value(theirs, "jobs"))
    for name, (key, job) in _items(_value(merged, "jobs")).items():
        their_job = their_jobs.get(name)
        their_permissions = None if their_job is None else _value(their_job[1], "permissions")
        permissions = _value(job, "permissions")
        if permissions is None:
            if not closed and (their_job is None or their_permissions is not None):
                add(_line(key), f"job {name} has no permissions, so it gets the top-level ones", f"job {name}")
            continue
        if _scalar(permissions) in ("write-all", "read-all"):
            add(_line(permissions), f"job {name} uses {_scalar(permissions)}", f"job {name}")
        before = {scope: _scalar(level) for scope, (_, level) in _items(their_permissions).items()}
        for scope, (scope_key, level_node) in _items(permissions).items():
            level, was = _scalar(level_node) or "none", before.get(scope)
            if their_job is None and level == "write":
                add(_line(scope_key), f"new job {name} asks for {scope}: write", f"job {name}")
            elif their_job is not None and _RANK.get(level, 0) > _RANK.get(was or "none", 0):
                change = f"{level} added" if was is None else f"raised from {was} to {level}"
                add(_line(scope_key), f"job {name}: {scope}: {change}", f"job {name}")
    return found


def _github_pins(merged: yaml.Node | None) -> list[Found]:
    found = []
    for name, (_, job) in _items(_value(merged, "jobs")).items():
        uses = [(_value(job, "uses"), "calls")] + [(_value(step, "uses"), "step uses") for step in _steps(job)]
        for node, verb in uses:
            ref = _scalar(node)
            if node is not None and ref is not None and not pinned_ref(ref):
                message = f"job {name}: {verb} {ref}, not pinned to a commit SHA"
                found.append(Found(_line(node), "pinned-dependencies", message, ref))
        images = [_image(_value(job, "container"))]
        images += [_image(service) for _, (_, service) in _items(_value(job, "services")).items()]
        for image in images:
            ref = _scalar(image)
            if image is not None and ref and "@sha256:" not in ref:
                message = f"job {name}: image {ref} is not pinned by digest"
                found.append(Found(_line(image), "pinned-dependencies", message, ref))
    return found


def _steps(job: yaml.Node) -> list[yaml.Node]:
    return [step for step in _sequence(_value(job, "steps")) if isinstance(step, yaml.MappingNode)]


def _triggers(merged: yaml.Node | None) -> list[Found]:
    # YAML 1.1 reads a bare `on` key as true; the node keeps the text as written.
    on = _value(merged, "on") or _value(merged, "true")
    names: list[yaml.Node] = []
    if isinstance(on, yaml.ScalarNode):
        names = [on]
    elif isinstance(on, yaml.SequenceNode):
        names = _sequence(on)
    elif isinstance(on, yaml.MappingNode):
        names = [key for key, _ in on.value]
    return [
        Found(_line(node), "no-dangerous-triggers", f"the workflow runs on {node.value}", str(node.value))
        for node in names
        if _scalar(node) in DANGEROUS_TRIGGERS
    ]


# GitLab CI


def gitlab(pair: Pair) -> list[Found]:
    pipeline = _compose(pair.merged)
    holders = [("top level", pipeline)]
    holders += [
        (name if name == "default" else f"job {name}", job)
        for name, (_, job) in _items(pipeline).items()
        if (name == "default" or name not in RESERVED_KEYS) and isinstance(job, yaml.MappingNode)
    ]
    found = []
    for where, holder in holders:
        images = [_image(_value(holder, "image"))] + [_image(s) for s in _sequence(_value(holder, "services"))]
        for image in images:
            ref = _scalar(image)
            if image is not None and ref is not None and ("$" in ref or not _DIGEST.search(ref)):
                message = f"{where}: image {ref} is not pinned by @sha256 digest"
                found.append(Found(_line(image), "pinned-dependencies", message, ref))
    return found


# Jenkins


def jenkins(pair: Pair) -> list[Found]:
    return [
        Found(image.line, "pinned-dependencies", f"{where}: agent image {ref} is not pinned by @sha256 digest", ref)
        for where, image in _agent_images(parse(pair.merged), "pipeline")
        if "$" in (ref := sh_text(image)) or not _DIGEST.search(ref)
    ]


def _agent_images(node: Node, where: str) -> Iterator[tuple[str, Node]]:
    for child in node.children:
        inner = f"stage {stage_name(child)}" if child.name == "stage" else where
        if child.name == "docker":
            yield from ((where, image) for image in child.find("image"))
        yield from _agent_images(child, inner)


# Dockerfile


def dockerfile(pair: Pair) -> list[Found]:
    parsed = container.instructions(pair.merged)
    lines = _keyword_lines(pair.merged)
    found = []
    aliases: set[str] = set()
    froms = [i for i in parsed if i.keyword == "from"]
    for index, instruction in enumerate(froms):
        words = instruction.args.split()
        ref = words[0] if words else ""
        if not (ref.lower() in ("scratch", *aliases) or ("$" not in ref and _DIGEST.search(ref))):
            line = _nth(lines["from"], index, pair)
            found.append(Found(line, "image-pinned-bases", f"FROM {ref} is not pinned by @sha256 digest", ref))
        if len(words) == 3 and words[1].lower() == "as":
            aliases.add(words[2].lower())
    final = max(i.stage for i in parsed)
    users = [i.args for i in parsed if i.keyword == "user"]
    final_users = [i.args for i in parsed if i.keyword == "user" and i.stage == final]
    if final_users and container.is_root_user(final_users[-1]):
        line = _nth(lines["user"], len(users) - 1, pair)
        found.append(Found(line, "image-non-root-user", f"the final stage runs as root (USER {final_users[-1]})", ""))
    elif not final_users:
        their_users = _keyword_lines(pair.theirs or "")["user"]
        line = pair.mapped(their_users[-1]) if pair.theirs and their_users else _nth(lines["from"], -1, pair)
        found.append(Found(line, "image-non-root-user", "the final stage sets no USER, so it runs as root", ""))
    return found


def _keyword_lines(text: str) -> dict[str, list[int]]:
    found: dict[str, list[int]] = {"from": [], "user": []}
    for number, line in enumerate(text.splitlines(), 1):
        keyword = line.strip().split(" ", 1)[0].lower()
        if keyword in found:
            found[keyword].append(number)
    return found


def _nth(lines: list[int], index: int, pair: Pair) -> int:
    try:
        return lines[index]
    except IndexError:
        return pair.first_difference()


# Scan units


def units(platform: str, path: str, text: str) -> list[Unit]:
    """The steps (GitHub), jobs (GitLab) or leaf stages (Jenkins) of one file."""
    if platform == "jenkins":
        pipeline = parse(text)
        return [
            Unit(path, stage.line, f"stage {stage_name(stage)}", "\n".join(n.head for n in stage.walk()))
            for stage in leaf_stages(pipeline)
        ]
    document = _compose(text)
    if platform == "gitlab":
        return [
            Unit(path, _line(key), f"job {name}", _text(text, job))
            for name, (key, job) in _items(document).items()
            if name not in RESERVED_KEYS and isinstance(job, yaml.MappingNode)
        ]
    return [
        Unit(path, _line(step), f"job {name}, step {_step_name(step)}", _text(text, step))
        for name, (_, job) in _items(_value(document, "jobs")).items()
        for step in _steps(job)
    ]


def _step_name(step: yaml.Node) -> str:
    for key in ("name", "id", "uses", "run"):
        value = _scalar(_value(step, key))
        if value:
            return repr(value.split("@")[0] if key == "uses" else value.splitlines()[0])
    return "(unnamed)"
