"""The shipped compiled templates (scaffold/kit/render/precompiled.json): current, used, and only where they fit."""

from __future__ import annotations

from dataclasses import replace

import pytest

from scaffold.kit.answers import validate
from scaffold.kit.packs import load_pack
from scaffold.kit.render import Budget, compiled, precompiled, precompiler, render
from scaffold.kit.render.budget import default_budget
from scaffold.new import starter
from tests.answer_sets import ANSWER_SETS


def test_the_committed_store_is_what_the_precompiler_writes() -> None:
    assert precompiled.STORE.read_text(encoding="utf-8") == precompiler.dumps(precompiler.generated()), (
        "run: python -m scaffold.kit.render.precompiler"
    )


def test_the_precompiler_reads_the_starter_pack_the_new_flow_renders() -> None:
    assert precompiler.STARTER_FOLDER == starter.STARTER_FOLDER


@pytest.mark.parametrize("name", sorted(ANSWER_SETS))
def test_a_render_from_the_store_is_the_render_jinja_compiles(
    name: str, generations: list[str | None], monkeypatch: pytest.MonkeyPatch
) -> None:
    pack, answers = load_pack(), validate(ANSWER_SETS[name])
    from_store = render(pack, answers)
    assert generations == []  # every template, path and expression of the kit came from the store

    compiled.forget()
    monkeypatch.setattr(precompiled, "_SOURCES", {})
    assert render(pack, answers) == from_store
    assert generations  # this time Jinja compiled them


def test_the_starter_pack_renders_from_the_store(generations: list[str | None]) -> None:
    files = render(starter.starter_pack(), validate({"name": "orders"}))
    assert "tests/test_server.py" in files
    assert generations == []


def test_a_template_a_pack_changed_is_compiled_from_its_own_text(generations: list[str | None]) -> None:
    pack = load_pack()
    changed = {**pack.templates, "github/CODEOWNERS.j2": "# owned by the platform team\n"}
    files = render(replace(pack, templates=changed), validate({}))
    assert files[".github/CODEOWNERS"] == "# owned by the platform team\n"
    assert generations == ["github/CODEOWNERS.j2"]


def test_another_budget_is_compiled_anew_and_renders_the_same(generations: list[str | None]) -> None:
    pack, answers = load_pack(), validate({})
    budget = default_budget()
    other = Budget(budget.seconds + 1, budget.file_chars, budget.total_chars, budget.files)
    assert render(pack, answers, budget=other) == render(pack, answers)
    assert "github/ci.yml.j2" in generations
    assert precompiled.fingerprint(("a",)) != precompiled.fingerprint(("b",))
