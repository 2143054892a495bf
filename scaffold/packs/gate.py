"""The gate every render passes before anything is written: scaffold's own audit of the kit, under the pack's
policy. ``scaffold new`` and ``adopt`` refuse a render it finds problems in; ``scaffold pack test`` reports them."""

from __future__ import annotations

from scaffold.packs.chosen import BUILTIN, AnswerSet, ChosenPack
from scaffold.rules.requirements import NONE


def _keeps_the_kit(pack: ChosenPack) -> bool:
    """Whether the render must keep the built-in kit's controls: the built-in kit and a team pack that extends it
    do; a whole pack of its own (a fork) answers only to the file rules, as before packs could extend the kit."""
    return pack.name == BUILTIN or pack.extends == BUILTIN


def render_problems(files: dict[str, str], pack: ChosenPack, answers: AnswerSet) -> list[str]:
    """What scaffold's audit finds in a render: every file rule, the kit rule of every control the pack's policy
    (or, without one, the answers) require, and the policy's allow lists. A cookiecutter template's render is not
    a kit: none."""
    from scaffold.rules.runner import audit_tree

    if pack.cookiecutter is not None:
        return []
    dumped = answers.model_dump()
    config = pack.policy.audit_config(dumped) if pack.policy is not None else None
    report = audit_tree(files, config, required=pack.required(dumped) if _keeps_the_kit(pack) else NONE)
    problems = [f"{item.path}:{item.line}: {item.rule}: {item.message}" for item in report.findings]
    return problems + [f"{error.path}: {error.message}" for error in report.errors]
