"""The ``.scaffold.yml`` record written next to a kit.

It holds every answer, the pack name and version, the scaffold version and the sha256 of every generated file, so
that ``scaffold upgrade`` can re-render the previous kit and tell which files the user changed.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import yaml

from scaffold import __version__
from scaffold.errors import UsageError
from scaffold.kit import kit_paths
from scaffold.kit.answers import Answers
from scaffold.kit.packs import PACK_NAME, PACK_VERSION, Pack
from scaffold.untrusted.read import UnreadableInput, read_text
from scaffold.untrusted.yaml_load import BoundedLoader, YAMLLimitError, load

RECORD_PATH = ".scaffold.yml"

_HEADER = (
    "# Written by scaffold. It records the answers, the template pack and a hash of every generated file,\n"
    "# so that 'scaffold upgrade' can tell your edits from ours. Commit it; do not edit the hashes.\n"
)


class _IndentedDumper(yaml.SafeDumper):
    """Indents block sequences under their key, as yamllint's default ``indentation`` rule expects."""

    def increase_indent(self, flow: bool = False, indentless: bool = False) -> None:
        super().increase_indent(flow, False)


def file_hash(text: str) -> str:
    return "sha256:" + hashlib.sha256(text.encode("utf-8")).hexdigest()


def render_record(
    pack: Pack,
    answers: Answers | Mapping[str, Any],
    files: Mapping[str, str],
    audit: Any = None,
    removed: Collection[str] = (),
    *,
    origin: Mapping[str, str] | None = None,
    policy: Mapping[str, Any] | None = None,
) -> str:
    """The text of ``.scaffold.yml`` for a rendered kit. Deterministic: keys, files and removed paths are sorted.

    ``audit`` is the user's own ``audit:`` section (settings for ``scaffold audit``), carried over unchanged;
    ``removed`` the kit paths and folders (ending in ``/``) the user deleted on purpose; ``origin`` where the pack
    came from (``source``, ``commit``, ``format``: see ``PACK_KEYS``); ``policy`` the pack's org policy, which
    ``scaffold audit`` enforces in the repository.
    """
    dumped = answers.model_dump(mode="json", exclude_none=True) if isinstance(answers, Answers) else dict(answers)
    record: dict[str, Any] = {
        "scaffold_version": __version__,
        "pack": {"name": pack.name, "version": pack.version, **{k: v for k, v in (origin or {}).items() if v}},
        "answers": dumped,
    }
    if policy is not None:
        record["policy"] = dict(policy)
    if audit is not None:
        record["audit"] = audit
    if removed:
        record["removed"] = sorted(set(removed))
    record["files"] = {path: file_hash(text) for path, text in sorted(files.items())}
    body = yaml.dump(
        record,
        Dumper=_IndentedDumper,
        sort_keys=False,
        default_flow_style=False,
        allow_unicode=False,
        width=120,
    )
    return _HEADER + "---\n" + body


@dataclass(frozen=True)
class Record:
    """A parsed ``.scaffold.yml``: what the last ``new``, ``adopt`` or ``upgrade`` rendered."""

    scaffold_version: str
    pack_name: str
    pack_version: str
    answers: dict[str, Any]
    files: dict[str, str]
    audit: Any = None  # the user's settings for scaffold audit, kept across upgrades
    removed: tuple[str, ...] = ()  # kit paths, and folders ending in '/', deleted on purpose: sorted, no repeats
    pack_source: str | None = None  # where the pack came from: a folder or a git URL (None: the built-in kit)
    pack_commit: str | None = None  # the pack's commit, for a pack from git
    pack_format: str | None = None  # 'cookiecutter' for a cookiecutter template; None for a scaffold pack
    policy: Any = None  # the pack's org policy as rendered (checked by scaffold.rules.policy where it is used)

    def is_removed(self, path: str) -> bool:
        """True when ``removed:`` lists ``path``, or a folder (an entry ending in ``/``) that holds it."""
        return path in self.removed or any(entry.endswith("/") and path.startswith(entry) for entry in self.removed)


_HASH = re.compile(r"sha256:[0-9a-f]{64}")
_VERSION = re.compile(PACK_VERSION)
_PACK_NAME = re.compile(PACK_NAME)
_RULE_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,99}")
_SEVERITIES = ("low", "medium", "high")
_KEYS = ("scaffold_version", "pack", "answers", "policy", "audit", "removed", "files")
PACK_KEYS = ("name", "version", "source", "commit", "format")
_COMMIT = re.compile(r"[0-9a-f]{40}")
_FORMATS = ("cookiecutter",)
MAX_SOURCE = 2000
_MAX_RECORD_BYTES = 5_000_000
MAX_FILES = 10_000


class _RecordLoader(BoundedLoader):
    """The bounded loader, refusing a mapping that repeats a key (YAML would silently keep the last one)."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: set[object] = set()
        for key_node, _ in node.value:
            if isinstance(key_node, yaml.ScalarNode):
                key = (key_node.tag, key_node.value)
                if key in seen:
                    raise YAMLLimitError(f"duplicate key {str(key_node.value)[:40]!r}", key_node.start_mark)
                seen.add(key)
        return super().construct_mapping(node, deep)


def read_record(root: Path) -> Record:
    """Load and check ``root/.scaffold.yml``; any problem is a UsageError naming the field and the rule."""
    path = root / RECORD_PATH
    try:
        if path.is_symlink():
            raise UsageError(f"{path}: is a symlink; scaffold reads and writes its record only as a regular file")
        exists = path.exists()
    except OSError as error:
        raise UsageError(f"{path}: cannot be read: {error.strerror or error}") from None
    if not exists:
        raise UsageError(
            f"{path}: not found; this directory was not generated by scaffold (run 'scaffold adopt' to take it on)"
        )
    try:
        text = read_text(path, limit=_MAX_RECORD_BYTES)
    except UnreadableInput as error:
        raise UsageError(f"{path}: {error}") from None
    return parse_record(text, path)


def parse_record(text: str, path: Path) -> Record:
    """Check the text of a record; ``path`` names it in errors."""
    try:
        data = load(text, _RecordLoader)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark is not None else ""
        problem = getattr(error, "problem", None)
        reason = f" ({' '.join(str(problem).split())[:80]})" if isinstance(error, YAMLLimitError) and problem else ""
        raise UsageError(f"{path}: is not valid YAML{where}{reason}; restore it from git") from None
    if not isinstance(data, dict):
        raise UsageError(f"{path}: must be a mapping with scaffold_version, pack, answers and files")
    unknown = [key for key in data if key not in _KEYS]
    if unknown:
        raise UsageError(f"{path}: {_shown(unknown[0])} is not a field of the record ({', '.join(_KEYS)})")
    pack = _field(data, "pack", dict, path)
    unknown = [key for key in pack if key not in PACK_KEYS]
    if unknown:
        raise UsageError(f"{path}: pack.{_shown(unknown[0])} is not a field of pack ({', '.join(PACK_KEYS)})")
    source, commit, kind = pack.get("source"), pack.get("commit"), pack.get("format")
    if source is not None and (
        not isinstance(source, str) or not source or len(source) > MAX_SOURCE or not source.isprintable()
    ):
        raise UsageError(f"{path}: pack.source must be a folder or git URL of at most {MAX_SOURCE} characters")
    if commit is not None and (not isinstance(commit, str) or not _COMMIT.fullmatch(commit)):
        raise UsageError(f"{path}: pack.commit must be a commit id of 40 lowercase hex digits")
    if kind is not None and kind not in _FORMATS:
        raise UsageError(f"{path}: pack.format must be {', '.join(_FORMATS)} or absent")
    policy = data.get("policy")
    if policy is not None and not isinstance(policy, dict):
        raise UsageError(f"{path}: policy must be a mapping")
    answers = _field(data, "answers", dict, path)
    bad = next((key for key in answers if not isinstance(key, str)), None)
    if bad is not None:
        raise UsageError(f"{path}: answers: the key {_shown(bad)} must be text")
    return Record(
        scaffold_version=_field(data, "scaffold_version", str, path, _VERSION, "a version like 1.2.3"),
        pack_name=_field(pack, "name", str, path, _PACK_NAME, "a pack name", prefix="pack."),
        pack_version=_field(pack, "version", str, path, _VERSION, "a version like 1.2.3", prefix="pack."),
        answers=answers,
        files=_files(_field(data, "files", dict, path), path),
        audit=_audit(data.get("audit"), path),
        removed=_removed(data.get("removed"), path),
        pack_source=source,
        pack_commit=commit,
        pack_format=kind,
        policy=policy,
    )


_V = TypeVar("_V")


def _shown(value: object) -> str:
    return repr(" ".join(str(value).split())[:60])


def _field(
    data: dict[Any, Any],
    key: str,
    kind: type[_V],
    path: Path,
    pattern: re.Pattern[str] | None = None,
    rule: str = "",
    prefix: str = "",
) -> _V:
    value = data.get(key)
    if not isinstance(value, kind) or isinstance(value, bool) is not (kind is bool):
        state = "is missing" if value is None else f"must be a {kind.__name__}, not a {type(value).__name__}"
        raise UsageError(f"{path}: {prefix}{key} {state}")
    if pattern is not None and not pattern.fullmatch(str(value)):
        raise UsageError(f"{path}: {prefix}{key} must be {rule}, not {_shown(value)}")
    return value


def _files(files: dict[Any, Any], path: Path) -> dict[str, str]:
    if len(files) > MAX_FILES:
        raise UsageError(f"{path}: files must list at most {MAX_FILES} files")
    for name, digest in files.items():
        reason = kit_paths.problem(name)
        if reason is not None:
            raise UsageError(f"{path}: files: {_shown(name)}: a kit path {reason}")
        if name == RECORD_PATH:
            raise UsageError(f"{path}: files: {RECORD_PATH} must not list itself")
        if not isinstance(digest, str) or not _HASH.fullmatch(digest):
            raise UsageError(f"{path}: files.{name} must be 'sha256:' and 64 lowercase hex digits")
    return dict(files)


def _removed(entries: Any, path: Path) -> tuple[str, ...]:
    """The ``removed:`` list: plain relative paths, a folder ending in ``/``; untrusted, so checked like ``files``."""
    if entries is None:
        return ()
    if not isinstance(entries, list):
        raise UsageError(f"{path}: removed must be a list of relative paths, not a {type(entries).__name__}")
    if len(entries) > MAX_FILES:
        raise UsageError(f"{path}: removed must list at most {MAX_FILES} paths")
    for entry in entries:
        reason = kit_paths.problem(entry[:-1] if isinstance(entry, str) and entry.endswith("/") else entry)
        if reason is None and entry == RECORD_PATH:
            reason = f"must not be {RECORD_PATH} itself"
        if reason is not None:
            raise UsageError(f"{path}: removed: {_shown(entry)}: a path {reason}")
    return tuple(sorted(set(entries)))


def _audit(section: Any, path: Path) -> Any:
    """The ``audit:`` section's shape (its rule ids are checked by ``scaffold audit``)."""
    if section is None:
        return None
    if not isinstance(section, dict):
        raise UsageError(f"{path}: audit must be a mapping with disable and min_severity")
    for key in section:
        if key not in ("disable", "min_severity", "exceptions"):  # exceptions: checked by scaffold.rules.exemptions
            raise UsageError(f"{path}: audit.{_shown(key)} is not a setting (disable, min_severity, exceptions)")
    disabled = section.get("disable", [])
    if disabled is not None and (
        not isinstance(disabled, list)
        or len(disabled) > 1000
        or not all(isinstance(rule, str) and _RULE_ID.fullmatch(rule) for rule in disabled)
    ):
        raise UsageError(f"{path}: audit.disable must be a list of rule ids")
    level = section.get("min_severity", "low")
    if not isinstance(level, str) or level.lower() not in _SEVERITIES:
        raise UsageError(f"{path}: audit.min_severity must be low, medium or high")
    return section


def version_key(version: str) -> tuple[int, int, int]:
    """The numeric part of a version, for ordering (pre-release and build suffixes are ignored)."""
    major, minor, patch = re.split(r"[-+]", version, maxsplit=1)[0].split(".")
    return int(major), int(minor), int(patch)
