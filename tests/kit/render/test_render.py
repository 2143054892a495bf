from __future__ import annotations

from pathlib import Path

import pytest

from scaffold.errors import UnsafePackError
from scaffold.kit.answers import validate
from scaffold.kit.packs import Pack, PackFile, PackManifest, load_pack
from scaffold.kit.pins import load_pins
from scaffold.kit.render import render


def _pack(files: dict[str, str], entries: list[PackFile]) -> Pack:
    manifest = PackManifest(name="test", version="1.0.0", files=entries)
    return Pack("test", "1.0.0", manifest, files, {})


def test_render_reads_nothing_from_disk_after_the_pack_is_loaded(monkeypatch: pytest.MonkeyPatch) -> None:
    pack = load_pack()
    pins = load_pins()

    def forbidden(*args: object, **kwargs: object) -> None:
        raise AssertionError("render touched the disk")

    monkeypatch.setattr(Path, "read_text", forbidden)
    monkeypatch.setattr(Path, "write_text", forbidden)
    monkeypatch.setattr("builtins.open", forbidden)
    files = render(pack, validate({}), pins)
    assert ".github/workflows/ci.yml" in files


def test_unquoted_answer_is_refused() -> None:
    pack = _pack({"t.j2": "name: [[ answers.name ]]\n"}, [PackFile(template="t.j2", path="out.yml")])
    with pytest.raises(UnsafePackError, match="without a quoting filter"):
        render(pack, validate({}))


def test_quoted_answer_is_rendered() -> None:
    pack = _pack({"t.j2": "name: [[ answers.name | yaml ]]\n"}, [PackFile(template="t.j2", path="out.yml")])
    assert render(pack, validate({"name": "orders"})) == {"out.yml": 'name: "orders"\n'}


def test_undefined_variable_is_an_error() -> None:
    pack = _pack({"t.j2": "[[ nothing_here ]]"}, [PackFile(template="t.j2", path="out.yml")])
    with pytest.raises(UnsafePackError, match="undefined"):
        render(pack, validate({}))


def test_sandbox_blocks_attribute_escapes() -> None:
    source = "[[ ''.__class__.__mro__[1].__subclasses__() ]]"
    pack = _pack({"t.j2": source}, [PackFile(template="t.j2", path="out.yml")])
    with pytest.raises(UnsafePackError):
        render(pack, validate({}))


@pytest.mark.parametrize("path", ["../escape.yml", "/etc/passwd", "a/../../b", ".", ""])
def test_output_path_that_escapes_is_refused(path: str) -> None:
    pack = _pack({"t.j2": "x\n"}, [PackFile(template="t.j2", path=path)])
    with pytest.raises(UnsafePackError):
        render(pack, validate({}))


def test_output_path_may_use_a_checked_answer_segment() -> None:
    pack = _pack({"t.j2": "x\n"}, [PackFile(template="t.j2", path="svc/[[ answers.name | path ]].txt")])
    assert list(render(pack, validate({"name": "orders"}))) == ["svc/orders.txt"]


def test_when_condition_selects_files() -> None:
    pack = _pack(
        {"t.j2": "x\n"},
        [PackFile(template="t.j2", path="docker.txt", when="answers.container")],
    )
    assert render(pack, validate({"container": False})) == {}
    assert list(render(pack, validate({}))) == ["docker.txt"]


def test_unknown_pin_is_a_pack_error() -> None:
    pack = _pack({"t.j2": "[[ uses('no-such-action') ]]"}, [PackFile(template="t.j2", path="out.yml")])
    with pytest.raises(UnsafePackError, match="unknown action pin 'no-such-action'"):
        render(pack, validate({}))


def test_each_renders_one_file_per_item_with_the_item_bound() -> None:
    pack = _pack(
        {"t.j2": "[[ item.name | yaml ]] <- [[ item.image | yaml ]]\n"},
        [PackFile(template="t.j2", path="stages/[[ item.name | path ]].txt", each="registry.stages")],
    )
    files = render(pack, validate({"environments": ["staging", "production"]}))

    assert list(files) == ["stages/dev.txt", "stages/production.txt", "stages/staging.txt"]
    assert files["stages/staging.txt"] == '"staging" <- "ghcr.io/my-org/service-staging"\n'


def test_each_items_that_render_to_one_path_are_refused() -> None:
    pack = _pack({"t.j2": "x\n"}, [PackFile(template="t.j2", path="same.txt", each="registry.stages")])
    with pytest.raises(UnsafePackError, match=r"two templates render to the same path 'same\.txt'"):
        render(pack, validate({}))


def test_each_must_give_a_list() -> None:
    pack = _pack({"t.j2": "x\n"}, [PackFile(template="t.j2", path="[[ item ]].txt", each="answers.port")])
    with pytest.raises(UnsafePackError, match="must give a list"):
        render(pack, validate({}))


def test_stage_values_are_tainted_like_answers() -> None:
    pack = _pack({"t.j2": "[[ registry.dev.image ]]\n"}, [PackFile(template="t.j2", path="out.txt")])
    with pytest.raises(UnsafePackError, match="quoting filter"):
        render(pack, validate({}))
