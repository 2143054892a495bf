"""A render's budget: endless work ends at the time budget, oversized values are refused before they are built,
and Python errors of a template are one-line refusals naming it. Every hostile render runs under the hang guard,
and the size cases also under tracemalloc, so a check that only caught the value after building it would fail."""

from __future__ import annotations

import re
import tracemalloc

import pytest

from scaffold.errors import UnsafePackError
from scaffold.kit.answers import validate
from scaffold.kit.packs import Pack, PackFile, PackManifest, load_pack
from scaffold.kit.render import budget, render
from scaffold.kit.render.budget import Budget, RenderBudgetError
from tests.answer_sets import ANSWER_SETS
from tests.support.hang_guard import hang_guard

SMALL = Budget(seconds=1, file_chars=100_000, total_chars=1_000_000, files=10)
"""A budget far below the defaults, so a test reaches it fast; the defaults are 60 s, 2M, 50M and 5000."""
ROOMY_CLOCK = Budget(seconds=600, file_chars=100_000, total_chars=1_000_000, files=10)
"""For the size cases: a clock the hang guard trips first, so a size check that regressed shows as a hang."""
PEAK_BYTES = 32_000_000
"""Far below what any oversized case would allocate once built (at least 36 MB), far above the render's needs."""
BIG = "[% set a = 'x' * 90000 %]"
REFS = "[" + ", ".join(["a"] * 400) + "]"
"""A list of 400 references to one 90,000-character string: small in memory, 36 MB as text."""


def _pack(source: str, *, path: str = "out.txt", each: str | None = None) -> Pack:
    manifest = PackManifest(name="test", version="1.0.0", files=[PackFile(template="t.j2", path=path, each=each)])
    return Pack("test", "1.0.0", manifest, {"t.j2": source}, {})


def _refusal(source: str, limits: Budget, **entry: str) -> str:
    with hang_guard(), pytest.raises(UnsafePackError) as caught:
        render(_pack(source, **entry), validate({}), budget=limits)
    message = str(caught.value)
    assert "\n" not in message
    return message


def test_the_built_in_kit_is_far_inside_the_default_budget() -> None:
    pack = load_pack()
    for answers in ANSWER_SETS.values():
        files = render(pack, validate(answers))
        assert max(len(text) for text in files.values()) * 20 < budget.MAX_FILE_CHARS
        assert sum(len(text) for text in files.values()) * 20 < budget.MAX_TOTAL_CHARS
        assert len(files) * 20 < budget.MAX_FILES


@pytest.mark.parametrize(
    "source",
    [
        pytest.param("[% for a in range(100000) %][% for b in range(100000) %][% endfor %][% endfor %]", id="ranges"),
        pytest.param(
            "[% set l = range(100000) | list %][% for a in l %][% for b in l %][% endfor %][% endfor %]", id="lists"
        ),
        pytest.param(
            "[% macro m(n) %][% if n %][[ m(n - 1) ]][[ m(n - 1) ]][% endif %][% endmacro %][[ m(60) ]]",
            id="exponential-macro",
        ),
        pytest.param(
            "[% for a in range(100000) %][[ range(100000) | map('string') | list | length ]][% endfor %]",
            id="filters-in-a-loop",
        ),
        pytest.param("[% for a in range(100000) %][[ (range(100000) | list) | sort | length ]][% endfor %]", id="sort"),
    ],
)
def test_endless_work_ends_at_the_time_budget_naming_the_template(source: str) -> None:
    message = _refusal(source, SMALL)
    assert message == "template t.j2: exceeds the render budget of 1 s"


def test_an_each_list_renders_at_most_the_file_budget() -> None:
    message = _refusal("x", SMALL, path="[[ item ]].txt", each="range(100000) | list")
    assert message == "template t.j2: the kit exceeds the render budget of 10 files"


def test_a_manifest_expression_is_budgeted_and_named() -> None:
    message = _refusal("x", SMALL, each="(range(100000) | list) * 100000")
    assert message.startswith("pack.yml: each '(range(100000) | list) * 100000': builds text longer than")


@pytest.mark.parametrize(
    "source",
    [
        "[[ 'x' * 10**9 ]]",
        "[[ ['x'] * 10**9 ]]",
        "[[ ('x' * 60000) + ('x' * 60000) ]]",
        "[[ 2 ** 100000000 ]]",
        "[% set n = namespace(v=3) %][% for i in range(64) %][% set n.v = n.v * n.v %][% endfor %]",
        "[[ '%0999999999d' % 1 ]]",
        "[[ '%*d' % (999999999, 1) ]]",
        "[[ '{:>999999999}'.format('x') ]]",
        "[[ '{:{w}}'.format('x', w=999999999) ]]",
        BIG + "[[ '%s' | format(" + REFS + ") ]]",
        "[[ 'x' | center(999999999) ]]",
        "[[ 'x'.zfill(999999999) ]]",
        "[[ ('\\t' * 50000).expandtabs(1000) ]]",
        "[[ ('\\n' * 50000) | indent(1000) ]]",
        "[[ ('x' * 50000).replace('', 'yy') ]]",
        "[[ ('x' * 90000).translate({120: 'y' * 90000}) ]]",
        BIG + "[[ " + REFS + " | join ]]",
        BIG + "[[ ''.join(" + REFS + ") ]]",
        BIG + "[[ " + REFS + " | string ]]",
        BIG + "[[ " + REFS + " ~ '' ]]",
        BIG + "[[ '%s' % (" + REFS + ",) ]]",
        BIG + "[[ " + REFS + " | tojson ]]",
        BIG + "[% set b %]" + "[[ a ]]" * 400 + "[% endset %]",
        BIG + "[% for i in range(1000) %][[ a ]][% endfor %]",
        "[% for i in range(100000) %]" + "y" * 1000 + "[% endfor %]",
        "[% set n = namespace(s='x') %][% for i in range(64) %][% set n.s = n.s ~ n.s %][% endfor %]",
        "[% set n = namespace(s='x') %][% for i in range(64) %][% set n.s = n.s + n.s %][% endfor %]",
        "[[ [1] | batch(999999999, 0) | list | length ]]",
        "[[ [1] | slice(999999999) | list | length ]]",
        "[[ (['a'] * 10000) | map('replace', 'a', 'b' * 90000) | list | length ]]",
    ],
)
def test_an_oversized_value_is_refused_before_it_is_built(source: str) -> None:
    tracemalloc.start()
    try:
        refusal = _refusal(source, ROOMY_CLOCK)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert re.fullmatch(
        r"template t\.j2: .*(render budget of 1000?000 characters|integer of more than 100000 bits)", refusal
    )
    assert peak < PEAK_BYTES


def test_adding_up_lists_is_refused_it_takes_quadratic_time() -> None:
    message = _refusal("[[ ([[1]] * 1000) | sum(start=[]) | length ]]", ROOMY_CLOCK)
    assert message == "template t.j2: filter 'sum' adds numbers only (lists added up take quadratic time)"
    assert render(_pack("[[ [1, 2, 3] | sum ]]"), validate({}), budget=SMALL) == {"out.txt": "6"}


@pytest.mark.parametrize(
    "source",
    [
        "[% macro m(n) %][[ m(n + 1) ]][% endmacro %][[ m(0) ]]",
        "[% include 't.j2' %]",
        "[% import 't.j2' as again %]",
        "[% for x in [1] recursive %][[ loop([1]) ]][% endfor %]",
    ],
)
def test_a_template_that_calls_itself_is_refused_naming_it(source: str) -> None:
    message = _refusal(source, SMALL)
    assert message == "template t.j2: recurses too deeply (a macro, include or loop that calls itself?)"


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ("[[ 1 / 0 ]]", "template t.j2: ZeroDivisionError: division by zero"),
        ("[[ '{0}{1}'.format_map({}) ]]", "template t.j2: IndexError: "),
        ("[[ 'abc'.split('') ]]", "template t.j2: ValueError: empty separator"),
        ("[[ 1.5 ** 100000 ]]", "template t.j2: OverflowError: "),
        ("[[ 10 ** 5000 ]]", "template t.j2: ValueError: Exceeds the limit"),
        ("[% include 'x\\n\\x1b[2J' %]", "template t.j2: x\\x0a\\x1b[2J"),
    ],
)
def test_a_python_error_of_a_template_is_a_one_line_refusal(source: str, message: str) -> None:
    refusal = _refusal(source, SMALL)
    assert refusal.startswith(message)
    assert "\x1b" not in refusal


def test_the_total_and_the_number_of_files_have_budgets() -> None:
    many = Budget(seconds=60, file_chars=100_000, total_chars=1_000_000, files=100)
    message = _refusal("[[ 'x' * 90000 ]]", many, path="[[ item ]].txt", each="range(20) | map('string') | list")
    assert message == "template t.j2: the kit exceeds the render budget of 1000000 characters in all"
    assert len(render(_pack("x", path="[[ item ]].txt", each="['a', 'b']"), validate({}), budget=SMALL)) == 2


def test_without_a_budget_the_render_uses_the_module_constants(monkeypatch: pytest.MonkeyPatch) -> None:
    pack = _pack("[[ 'x' * 20 ]]")
    assert render(pack, validate({})) == {"out.txt": "x" * 20}
    monkeypatch.setattr(budget, "MAX_FILE_CHARS", 10)
    with pytest.raises(RenderBudgetError, match="render budget of 10 characters"):
        render(pack, validate({}))
