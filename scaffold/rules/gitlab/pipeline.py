"""Shared reading of GitLab CI pipelines for the rules: jobs and templates, ``extends:``, YAML merge keys,
``!reference`` tags, scripts and ``variables:`` blocks.

Nothing here raises on odd shapes: a key that holds the wrong kind of node reads as absent. Anchors may be
recursive in YAML, so every walk is bounded.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from scaffold.rules.document import Document
from scaffold.rules.yaml_view import YNode

# Top-level keys that are not jobs (``types`` is the old name of ``stages``).
RESERVED_KEYS = frozenset(
    {"default", "include", "stages", "types", "variables", "workflow", "image", "services", "cache", "spec"}
    | {"before_script", "after_script"}
)
SHA = re.compile(r"[0-9a-fA-F]{40}")
_MERGE = "<<"
_MAX_DEPTH = 12  # GitLab allows 11 levels of extends and 10 of !reference
_SCRIPT_KEYS = ("before_script", "script", "after_script")


@dataclass(frozen=True)
class Job:
    """A job or a hidden job (a template whose name starts with ``.``)."""

    name: str
    key: YNode
    node: YNode

    @property
    def hidden(self) -> bool:
        return self.name.startswith(".")

    @property
    def label(self) -> str:
        return f"template {self.name}" if self.hidden else f"job {self.name}"


def root(document: Document) -> YNode | None:
    node = document.yaml
    return node if node is not None and node.is_mapping else None


def get(node: YNode | None, key: str) -> YNode | None:
    """A mapping's value for ``key``, also through YAML merge keys (``<<: *anchor``); own keys win."""
    found = key_of(node, key)
    return found[1] if found is not None else None


def key_of(node: YNode | None, key: str, depth: int = 0) -> tuple[YNode, YNode] | None:
    """(key node, value node) of a mapping's ``key``, also through YAML merge keys; own keys win."""
    if node is None or not node.is_mapping or depth > _MAX_DEPTH:
        return None
    own_key, own_value = node.key(key), node.get(key)
    if own_key is not None and own_value is not None:
        return own_key, own_value
    merged = node.get(_MERGE)
    if merged is None:
        return None
    for source in [merged] if merged.is_mapping else merged.elements():
        found = key_of(source, key, depth + 1)
        if found is not None:
            return found
    return None


def text(node: YNode | None) -> str | None:
    return node.text if node is not None else None


def jobs(document: Document) -> list[Job]:
    """Every job and template, in file order (read once per document: every GitLab rule asks)."""
    cached: list[Job] | None = document.__dict__.get(_JOBS)
    if cached is None:
        top = root(document)
        cached = [
            Job(name, key, value)
            for key, value in (top.entries() if top is not None else [])
            if (name := key.text) is not None and name not in RESERVED_KEYS and name != _MERGE and value.is_mapping
        ]
        document.__dict__[_JOBS] = cached
    return list(cached)


_JOBS = "_scaffold_gitlab_jobs"


def holders(document: Document) -> list[tuple[str, YNode]]:
    """(label, mapping) for the top level, ``default:`` and every job and template: where image and scripts live."""
    top = root(document)
    if top is None:
        return []
    found = [("top level", top)]
    default = top.get("default")
    if default is not None and default.is_mapping:
        found.append(("default", default))
    return found + [(job.label, job.node) for job in jobs(document)]


def resolve(top: YNode | None, node: YNode | None, depth: int = 0) -> YNode | None:
    """What a ``!reference [job, key, ...]`` points to in this file (None when it is elsewhere); other nodes as is."""
    if node is None or node.node.tag != "!reference":
        return node
    path = [item.text for item in node.elements()]
    if top is None or not path or depth > _MAX_DEPTH:
        return None
    current: YNode | None = top
    for part in path:
        current = get(current, part) if part is not None else None
    return resolve(top, current, depth + 1)


def is_reference(node: YNode) -> bool:
    return node.node.tag == "!reference"


def scalars(top: YNode | None, node: YNode | None, depth: int = 0) -> Iterator[YNode]:
    """The scalar items of a script-like value: a scalar, or a list with nested lists and ``!reference`` items."""
    node = resolve(top, node)
    if node is None or depth > _MAX_DEPTH:
        return
    if node.text is not None:
        yield node
    for item in node.elements():
        yield from scalars(top, item, depth + 1)


def script_lines(top: YNode | None, holder: YNode) -> Iterator[YNode]:
    """The script items of a job, template, ``default:`` or the top level, with ``hooks:pre_get_sources_script``."""
    for key in _SCRIPT_KEYS:
        yield from scalars(top, get(holder, key))
    yield from scalars(top, get(get(holder, "hooks"), "pre_get_sources_script"))


def extends_names(job: Job) -> list[str]:
    extends = get(job.node, "extends")
    if extends is None:
        return []
    if extends.text is not None:
        return [extends.text]
    return [name for item in extends.elements() if (name := item.text) is not None]


class Pipeline:
    """The jobs of a document by name, to follow ``extends:``."""

    def __init__(self, document: Document) -> None:
        self.top = root(document)
        self.jobs = jobs(document)
        self.by_name = {job.name: job for job in self.jobs}

    def lookup(self, job: Job, key: str, depth: int = 0) -> tuple[YNode | None, bool]:
        """The job's value for ``key``, its own or inherited through ``extends:`` (later entries win), and whether
        every template that could have set it is in this file."""
        own = get(job.node, key)
        if own is not None:
            return own, True
        if depth > _MAX_DEPTH:
            return None, False
        known = True
        for name in reversed(extends_names(job)):
            parent = self.by_name.get(name)
            if parent is None:
                known = False
                continue
            value, parent_known = self.lookup(parent, key, depth + 1)
            if value is not None:
                return value, known
            known = known and parent_known
        return None, known

    def lookup_key(self, job: Job, key: str, depth: int = 0) -> tuple[YNode, YNode] | None:
        """(key node, value node) of the job's ``key``, its own or from the template it inherits it from, as
        ``lookup`` finds it: the key's line is where a finding about the setting belongs."""
        own = key_of(job.node, key)
        if own is not None or depth > _MAX_DEPTH:
            return own
        for name in reversed(extends_names(job)):
            parent = self.by_name.get(name)
            found = self.lookup_key(parent, key, depth + 1) if parent is not None else None
            if found is not None:
                return found
        return None

    def lineage(self, job: Job) -> tuple[list[Job], bool]:
        """The job and every template it extends, and whether all of them are in this file."""
        found: list[Job] = []
        known = True
        pending = [job]
        while pending:
            current = pending.pop()
            if any(current is seen for seen in found) or len(found) > _MAX_DEPTH * 4:
                continue
            found.append(current)
            for name in extends_names(current):
                parent = self.by_name.get(name)
                if parent is None:
                    known = False
                else:
                    pending.append(parent)
        return found, known

    def extended(self) -> set[str]:
        """Names of templates that some job or template extends or merges with ``<<:``."""
        names = {name for job in self.jobs for name in extends_names(job)}
        merged_nodes: set[int] = set()
        for job in self.jobs:
            merged = job.node.get(_MERGE)
            if merged is not None:
                merged_nodes |= {id(item.node) for item in ([merged] if merged.is_mapping else merged.elements())}
        return names | {job.name for job in self.jobs if id(job.node.node) in merged_nodes}


def variable_blocks(document: Document) -> Iterator[tuple[str, YNode]]:
    """(label, mapping) for every ``variables:`` block: top level, ``workflow:rules``, jobs, templates and their
    ``rules``."""
    top = root(document)
    if top is None:
        return
    owners: list[tuple[str, YNode]] = [("top level", top)]
    owners += [(job.label, job.node) for job in jobs(document)]
    for label, owner in owners:
        variables_block = get(owner, "variables")
        if variables_block is not None and variables_block.is_mapping:
            yield label, variables_block
    rule_owners: list[tuple[str, YNode | None]] = [("workflow", get(top, "workflow"))]
    rule_owners += [(job.label, job.node) for job in jobs(document)]
    for label, rules_owner in rule_owners:
        rules = get(rules_owner, "rules")
        for rule in rules.elements() if rules is not None else []:
            block = get(rule, "variables")
            if block is not None and block.is_mapping:
                yield f"{label} rule", block


def variables(block: YNode) -> Iterator[tuple[str, YNode, YNode]]:
    """(name, key node, value node) of a ``variables:`` mapping; ``NAME: {value: ...}`` gives the ``value`` node."""
    for key, value in block.entries():
        name = key.text
        if name is None or name == _MERGE:
            continue
        if value.is_mapping:
            inner = value.get("value")
            if inner is not None and inner.text is not None:
                yield name, key, inner
        elif value.text is not None:
            yield name, key, value


def walk(top: YNode | None, node: YNode, skip: str | None = None) -> Iterator[YNode]:
    """Every node below ``node``, following ``!reference`` tags in this file, without the value of key ``skip``."""
    seen: set[int] = set()
    pending = [node]
    while pending:
        current = resolve(top, pending.pop())
        if current is None or id(current.node) in seen or len(seen) > 100_000:
            continue
        seen.add(id(current.node))
        yield current
        for key, value in current.entries():
            if skip is None or key.text != skip:
                pending += [key, value]
        pending += current.elements()


def locate(document: Document, start: YNode, snippet: str) -> tuple[int, int]:
    """The line and column of ``snippet`` on the node's own lines; the node's own place when the text is not there
    literally (escapes in a quoted scalar, a line continued with a backslash). The search stops at the node's last
    line: a finding never lands in another job, and a file of many such nodes is read once, not once per node."""
    snippet = snippet.strip()
    if snippet:
        end = start.node.end_mark
        last = end.line if end.column > 0 else end.line - 1  # 0-based; a block scalar ends at column 0 after it
        for number in range(start.line, min(max(last + 1, start.line), len(document.lines)) + 1):
            column = document.lines[number - 1].find(snippet)
            if column >= 0:
                return number, column + 1
    return start.line, start.column


def only_refs(node: YNode | None) -> list[str] | None:
    """The refs of an ``only:``/``except:`` value, without ``@project`` suffixes; None when it names none."""
    if node is None:
        return None
    if node.is_mapping:
        node = node.get("refs")
        if node is None:
            return None
    if node.text is not None:
        return [node.text.split("@", 1)[0]]
    return [item.text.split("@", 1)[0] for item in node.elements() if item.text is not None]
