"""The process's cache of compiled templates (scaffold/kit/render/compiled.py)."""

from __future__ import annotations

import pytest

from scaffold.errors import UnsafePackError
from scaffold.kit.answers import validate
from scaffold.kit.packs import Delimiters, Pack, PackFile, PackManifest, load_pack
from scaffold.kit.render import compiled, precompiled, render


@pytest.fixture
def generations(generations: list[str | None], monkeypatch: pytest.MonkeyPatch) -> list[str | None]:
    """The names Jinja's code generator compiles from here on (the shared fixture), with no shipped templates."""
    monkeypatch.setattr(precompiled, "_SOURCES", {})
    return generations


def _pack(templates: dict[str, str], delimiters: Delimiters | None = None) -> Pack:
    entries = [PackFile(template=name, path=name.removesuffix(".j2")) for name in templates]
    manifest = PackManifest(name="test", version="1.0.0", files=entries, delimiters=delimiters or Delimiters())
    return Pack("test", "1.0.0", manifest, templates, {})


def test_a_second_render_compiles_nothing(generations: list[str | None]) -> None:
    pack = load_pack()
    first = render(pack, validate({"name": "orders"}))
    assert "github/ci.yml.j2" in generations
    generations.clear()
    second = render(pack, validate({"name": "billing", "port": 9090}))
    assert generations == []
    assert second != first and second == render(pack, validate({"name": "billing", "port": 9090}))


def test_a_template_that_fails_to_compile_fails_the_same_way_again(generations: list[str | None]) -> None:
    pack = _pack({"bad.txt.j2": "line one\n[% if %]\n"})
    messages = []
    for _ in range(2):
        with pytest.raises(UnsafePackError) as raised:
            render(pack, validate({}))
        messages.append(str(raised.value))
    assert messages[0] == messages[1] and messages[0].startswith("template bad.txt.j2:2:")
    assert "bad.txt.j2" not in generations  # the parser refused it both times, before any code was generated


def test_the_same_text_under_other_delimiters_is_compiled_for_them(generations: list[str | None]) -> None:
    text = "[[ 'square' ]] {{ 'curly' }}\n"
    square = render(_pack({"a.txt.j2": text}), validate({}))
    curly = render(_pack({"a.txt.j2": text}, Delimiters(variable=("{{", "}}"))), validate({}))
    assert square == {"a.txt": "square {{ 'curly' }}\n"}
    assert curly == {"a.txt": "[[ 'square' ]] curly\n"}
    assert generations.count("a.txt.j2") == 2


def test_the_cache_starts_over_past_its_size(monkeypatch: pytest.MonkeyPatch) -> None:
    compiled.forget()
    monkeypatch.setattr(compiled, "MAX_SOURCE_CHARS", 10)
    code = compile("pass", "<template>", "exec")
    compiled.keep("a", code, 6)
    compiled.keep("b", code, 3)
    assert compiled.cached("a") is code and compiled.cached("b") is code
    compiled.keep("c", code, 6)  # 15 characters in all: the cache starts over with this one
    assert compiled.cached("a") is None and compiled.cached("b") is None and compiled.cached("c") is code
    compiled.keep("huge", code, 11)  # larger than the whole cache: never kept
    assert compiled.cached("huge") is None and compiled.cached("c") is code
    compiled.forget()
