"""A small ``opa test`` for the real Rego engine this machine has: regorus (pip ``gordon-to-regorus``).

``run_tests(files)`` loads every policy and test file into one engine, finds each rule whose name starts with
``test_`` from the engine's own syntax tree, and evaluates it. Like ``opa test``, a test passes only when it is
``true``; ``false`` or undefined is a failure, and an evaluation error is an error. ``evaluate(files, query,
input)`` evaluates a query (``data.main.deny``) against an input, for running policies over real files.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import regorus


@dataclass(frozen=True)
class RegoTest:
    file: str
    package: str
    name: str
    outcome: Literal["pass", "fail", "error"]
    detail: str = ""


def engine(files: Iterable[Path]) -> regorus.Engine:
    """A fresh engine with every file loaded (Rego v1 syntax)."""
    loaded = regorus.Engine()
    for path in sorted(files):
        loaded.add_policy(str(path), path.read_text(encoding="utf-8"))
    return loaded


def _dotted(refr: dict[str, Any]) -> str:
    """``a.b.c`` from a package or rule reference in regorus' AST."""
    if "Var" in refr:
        return str(refr["Var"]["value"])
    if "RefDot" in refr:
        return f"{_dotted(refr['RefDot']['refr'])}.{refr['RefDot']['field'][1]}"
    raise ValueError(f"unexpected reference in the syntax tree: {list(refr)}")


def discover(loaded: regorus.Engine) -> Iterator[tuple[str, str, str]]:
    """(file, package, rule) for every ``test_`` rule in the engine, in file order, each once."""
    seen: set[tuple[str, str]] = set()
    for module in json.loads(loaded.get_ast_as_json()):
        package = _dotted(module["ast"]["package"]["refr"])
        for rule in module["ast"]["rules"]:
            spec = rule.get("Spec")
            if spec is None:
                continue
            (head,) = spec["head"].values()
            name = _dotted(head["refr"])
            if name.startswith("test_") and (package, name) not in seen:
                seen.add((package, name))
                yield module["source"]["file"], package, name


def run_tests(files: Iterable[Path]) -> list[RegoTest]:
    """Run every ``test_`` rule in these files; one result per test."""
    loaded = engine(files)
    results: list[RegoTest] = []
    for file, package, name in discover(loaded):
        try:
            value = loaded.eval_rule(f"data.{package}.{name}")
        except Exception as error:  # regorus raises plain exceptions for evaluation errors
            results.append(RegoTest(file, package, name, "error", str(error)))
            continue
        outcome: Literal["pass", "fail"] = "pass" if value is True else "fail"
        results.append(RegoTest(file, package, name, outcome, "" if value is True else f"evaluated to {value!r}"))
    return results


def evaluate(files: Iterable[Path], query: str, data_input: Any) -> Any:
    """The value of ``query`` (a rule path like ``data.main.deny``) for this input, through JSON: a Rego set
    comes back as a list (sets of objects, like Gatekeeper's ``violation``, have no Python set form)."""
    loaded = engine(files)
    loaded.set_input_json(json.dumps(data_input))
    return json.loads(loaded.eval_rule_as_json(query))
