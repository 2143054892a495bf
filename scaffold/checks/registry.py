"""The shape of a check and the decorator each platform module uses to register its checks."""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping

Files = Mapping[str, str]
Check = Callable[[Files], list[str]]


def registrar(
    checks: dict[str, Check], unreadable: tuple[type[Exception], ...] = ()
) -> Callable[[str], Callable[[Check], Check]]:
    """``@control("timeouts")`` adds the decorated function to ``checks`` under that control id. A file that
    raises one of ``unreadable`` while being parsed is a problem for every check, never a silent pass."""

    def control(control_id: str) -> Callable[[Check], Check]:
        def register(check: Check) -> Check:
            if control_id in checks:
                raise ValueError(f"two checks for control {control_id!r}")

            @functools.wraps(check)
            def guarded(files: Files) -> list[str]:
                try:
                    return check(files)
                except unreadable as error:
                    return [f"cannot read the file: {error}"]

            checks[control_id] = guarded
            return check

        return register

    return control


def register_script_rules(
    control: Callable[[str], Callable[[Check], Check]],
    scripts_of: Callable[[Files], list[tuple[str, str]]],
    rules: Mapping[str, Callable[[list[tuple[str, str]]], list[str]]],
) -> None:
    """Register each ``rules`` entry as the check for its control: the rule applied to ``scripts_of(files)``."""
    for control_id, rule in rules.items():

        def check(files: Files, rule: Callable[[list[tuple[str, str]]], list[str]] = rule) -> list[str]:
            return rule(scripts_of(files))

        control(control_id)(check)
