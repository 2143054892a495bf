"""A pack's own pins file (``pins:`` in ``pack.yml``), laid over the built-in pins when the pack renders."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from scaffold.errors import UnsafePackError
from scaffold.kit.pins import load_pins
from scaffold.packs.team import load_team_pack
from tests.packs.team_packs import write_pack
from tests.packs.test_team import _answers

# actions/checkout v5.1.0: a real commit, listed in scaffold/data/action-refs.yml (resolved in an upstream mirror).
_CHECKOUT_V5 = {
    "repo": "actions/checkout",
    "version": "v5.1.0",
    "sha": "fbc6f3992d24b796d5a048ff273f7fcc4a7b6c09",
    "verified": "git rev-parse v5.1.0^{commit} in a mirror of github.com/actions/checkout",
}


def _pack_with_pins(folder: Path, pins: object) -> Path:
    return write_pack(folder, {"pins": "pins.yml"}, extra={"pins.yml": yaml.safe_dump(pins)})


def test_a_pack_pin_replaces_the_built_in_pin_of_the_same_name_in_every_template(tmp_path: Path) -> None:
    folder = _pack_with_pins(tmp_path / "pack", {"actions": {"checkout": _CHECKOUT_V5}})
    pack, answers = _answers(folder, tmp_path / "svc")
    files = pack.render(answers)
    built_in = load_pins().action("checkout")
    workflows = "".join(text for path, text in files.items() if path.startswith(".github/workflows/"))
    assert f"actions/checkout@{_CHECKOUT_V5['sha']} # v5.1.0" in workflows
    assert built_in.sha not in workflows
    assert load_team_pack(folder).pack.pins is not None


def test_a_pack_without_pins_renders_with_the_built_in_ones(tmp_path: Path) -> None:
    pack, answers = _answers(write_pack(tmp_path / "pack"), tmp_path / "svc")
    workflows = "".join(text for path, text in pack.render(answers).items() if path.startswith(".github/"))
    assert load_pins().action("checkout").sha in workflows


@pytest.mark.parametrize(
    ("pins", "message"),
    [
        ({"actions": {"checkout": {**_CHECKOUT_V5, "sha": "v5"}}}, r"actions\.checkout\.sha is missing or malformed"),
        ({"images": {"python": {"image": "python", "tag": "3", "digest": "sha256:1", "verified": "x"}}}, "digest"),
        ({"actions": {"checkout": {**_CHECKOUT_V5, "verified": ""}}}, r"actions\.checkout\.verified"),
        ({"actions": ["checkout"]}, "every section must map names to entries"),
        (["not", "a", "mapping"], "must be a mapping"),
    ],
)
def test_a_bad_pins_file_is_refused_naming_the_field(tmp_path: Path, pins: object, message: str) -> None:
    folder = _pack_with_pins(tmp_path / "pack", pins)
    with pytest.raises(UnsafePackError, match=message) as caught:
        load_team_pack(folder)
    assert "\n" not in str(caught.value)
    assert "pins file 'pins.yml'" in str(caught.value)


def test_a_pins_path_that_leaves_the_pack_is_refused(tmp_path: Path) -> None:
    (tmp_path / "outside.yml").write_text(yaml.safe_dump({"actions": {"checkout": _CHECKOUT_V5}}))
    folder = write_pack(tmp_path / "pack", {"pins": "../outside.yml"})
    with pytest.raises(UnsafePackError, match="must be a relative path inside the pack"):
        load_team_pack(folder)
