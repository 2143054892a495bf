"""Write the rule index from the rule modules: ``python -m scaffold.rules.indexer > scaffold/rules/index.py``.

This imports every rule, in the catalogue's order: the file rules of each kind (the ``RULES`` each kind's package
lists), the kit rules (``scaffold.rules.kit``) and the policy rules (``scaffold.rules.policy_rules``). The audit
itself reads only the index it writes, and imports a rule when it runs it. tests/rules/test_index.py checks that the
committed index is what this writes.
"""

from __future__ import annotations

import importlib
import sys

from scaffold.rules.registry import Entry, Rule, rule_from_module

KINDS = ("github", "gitlab", "jenkins", "docker", "precommit", "dependabot", "common")

_HEADER = '''\
"""The rule index: every rule's metadata, so the registry is built without importing a rule (a rule's module is
imported when it runs, or when its documentation is read).

Generated from the rule modules, in the catalogue's order; do not edit by hand. Regenerate with:
    python -m scaffold.rules.indexer > scaffold/rules/index.py
"""

from scaffold.rules.model import Confidence, Kind, Severity
from scaffold.rules.registry import Entry

ENTRIES: tuple[Entry, ...] = (
'''


def entries() -> list[Entry]:
    """Every rule's index row, from its module."""
    from scaffold.rules import kit, policy_rules

    found: list[Entry] = []
    for kind in KINDS:
        package = importlib.import_module(f"scaffold.rules.{kind}")
        found.extend(_entry(rule_from_module(module), module.__name__) for module in package.RULES)
    found.extend(_entry(rule, kit.__name__) for rule in kit.RULES)
    for name, reads in policy_rules.READS.items():
        module = importlib.import_module(name)
        found.append(_entry(rule_from_module(module), module.__name__, reads))
    return found


def _entry(rule: Rule, module: str, reads: str = "") -> Entry:
    return Entry(
        id=rule.id,
        module=module,
        severity=rule.severity,
        confidence=rule.confidence,
        kinds=tuple(sorted(rule.kinds, key=lambda kind: kind.value)),
        controls=tuple(sorted(rule.controls)),
        fix_safety=rule.fix_safety,
        has_fix=rule.fix is not None,
        tree=rule.check_tree is not None,
        reads=reads,
    )


def render(rows: list[Entry]) -> str:
    """The index module's text, formatted as ``ruff format`` leaves it."""
    return _HEADER + "".join(_row(row) for row in rows) + ")\n"


def _row(row: Entry) -> str:
    fields = [
        _field("id", _text(row.id)),
        _field("module", _text(row.module)),
        f"        severity=Severity.{row.severity.name},\n",
        f"        confidence=Confidence.{row.confidence.name},\n",
        _field("kinds", [f"Kind.{kind.name}" for kind in row.kinds]),
    ]
    if row.controls:
        fields.append(_field("controls", [_text(control) for control in row.controls]))
    if row.fix_safety:
        fields.append(_field("fix_safety", _text(row.fix_safety)))
    if row.has_fix:
        fields.append("        has_fix=True,\n")
    if row.tree:
        fields.append("        tree=True,\n")
    if row.reads:
        fields.append(_field("reads", _text(row.reads)))
    return "    Entry(\n" + "".join(fields) + "    ),\n"


_WIDTH = 120
_INDENT = " " * 8


def _field(name: str, value: str | list[str]) -> str:
    """``name=value,`` as one line of the call, or split the way ``ruff format`` splits what does not fit."""
    if isinstance(value, list):
        one_line = f"({value[0]},)" if len(value) == 1 else f"({', '.join(value)})"
        if len(f"{_INDENT}{name}={one_line},") <= _WIDTH:
            return f"{_INDENT}{name}={one_line},\n"
        return f"{_INDENT}{name}=(\n" + "".join(f"{_INDENT}    {item},\n" for item in value) + f"{_INDENT}),\n"
    if len(f"{_INDENT}{name}={value},") <= _WIDTH:
        return f"{_INDENT}{name}={value},\n"
    return f"{_INDENT}{name}=(\n" + "".join(f"{_INDENT}    {part}\n" for part in _pieces(value)) + f"{_INDENT}),\n"


def _pieces(literal: str) -> list[str]:
    """A long string literal as implicitly concatenated literals that each fit the line, split after a space."""
    quote, text = literal[0], literal[1:-1]
    room = _WIDTH - len(_INDENT) - 4 - 2
    pieces = []
    while len(text) > room:
        cut = text.rindex(" ", 0, room) + 1
        pieces.append(quote + text[:cut] + quote)
        text = text[cut:]
    return [*pieces, quote + text + quote]


def _text(value: str) -> str:
    """A string literal as ``ruff format`` writes it: double quotes unless the text holds one."""
    return f'"{value}"' if '"' not in value and "\\" not in value else repr(value)


def main() -> None:
    sys.stdout.write(render(entries()))


if __name__ == "__main__":
    main()
