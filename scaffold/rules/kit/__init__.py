"""Kit rules: one rule per control of ``scaffold.kit.controls``, over the whole repository.

A kit rule runs only when the repository must keep its control (``scaffold.rules.requirements``: the kit record's
answers, or an org policy). For each platform it asks that platform's judge (``github.JUDGES``, ``gitlab.JUDGES``,
``jenkins.JUDGES``) where the control is missing or switched off. A control that file rules already judge on a
platform (they name it in their ``CONTROLS``) needs no judge there; ``scaffold.rules.guards`` says which rules guard
each control on each platform.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

from scaffold.kit.controls import CONTROLS, Control, NotApplicable
from scaffold.rules.kit import github, gitlab, jenkins
from scaffold.rules.kit.judge import Judge
from scaffold.rules.model import Confidence, Kind, Severity
from scaffold.rules.registry import Rule
from scaffold.rules.requirements import KIND_PLATFORMS, PLATFORM_KINDS
from scaffold.rules.tree import Located, Tree

JUDGES: dict[Kind, dict[str, Judge]] = {
    PLATFORM_KINDS["github"]: github.JUDGES,
    PLATFORM_KINDS["gitlab"]: gitlab.JUDGES,
    PLATFORM_KINDS["jenkins"]: jenkins.JUDGES,
}
_NAMES = {"github": "GitHub Actions", "gitlab": "GitLab CI", "jenkins": "Jenkins"}


def rule_id(control: str) -> str:
    return f"kit-{control}"


def _check_tree(control: str) -> Callable[[Tree], Iterator[Located]]:
    def check_tree(tree: Tree) -> Iterator[Located]:
        for kind, judges in JUDGES.items():
            if control in judges and tree.required.wants(kind, control):
                yield from judges[control].check(tree.of(kind))

    return check_tree


def _doc(control: Control, kinds: list[Kind]) -> str:
    how = "\n".join(
        f"- {_NAMES[KIND_PLATFORMS[kind]]}: {text}"
        for kind in kinds
        if not isinstance(text := control.how[KIND_PLATFORMS[kind]], NotApplicable)
    )
    example = JUDGES[kinds[0]][control.id]
    language = "groovy" if kinds[0] is Kind.JENKINSFILE else "yaml"
    return (
        f"## What it does\nChecks that a repository which must keep the control *{control.title}* (its kit record "
        f"or its org policy says so) still has it, and that it can still fail the build. It runs only when the "
        f"control is required. The kit meets it this way:\n{how}\n\n"
        f"## Why is this bad?\n{control.why[0].upper()}{control.why[1:]}. Without the control that protection is "
        f"gone, and a pipeline that still looks green hides it.\n\n"
        f"## Example\n```{language}\n{example.bad.rstrip()}\n```\n\n"
        f"## Use instead\n```{language}\n{example.good.rstrip()}\n```\n\n"
        f"## References\n- `docs/ci-security.md` of a generated kit, control `{control.id}`\n"
        f"- `scaffold upgrade` blocks an edit that loses it (exit 3); `scaffold diff` reports it as weaker"
    )


def _rule(control: Control) -> Rule | None:
    kinds = [kind for kind, judges in JUDGES.items() if control.id in judges]
    if not kinds:
        return None
    return Rule(
        id=rule_id(control.id),
        severity=Severity.HIGH,
        confidence=Confidence.HIGH,
        kinds=frozenset(kinds),
        check=lambda document: (),
        doc=_doc(control, kinds),
        controls=frozenset({control.id}),
        check_tree=_check_tree(control.id),
    )


RULES: tuple[Rule, ...] = tuple(rule for control in CONTROLS if (rule := _rule(control)) is not None)
