"""The shipped data files parse with libyaml's C loader to exactly what PyYAML's own safe loader gives, and a file
over the size cap is refused."""

from __future__ import annotations

from importlib import resources

import pytest
import yaml

from scaffold.kit import shipped

PACKAGE = resources.files("scaffold")
SHIPPED = [
    "pins.yml",
    *sorted(f"data/{item.name}" for item in PACKAGE.joinpath("data").iterdir() if item.name.endswith(".yml")),
]


def test_every_data_file_of_the_package_is_listed() -> None:
    assert {"pins.yml", "data/permissions.yml", "data/action-refs.yml", "data/advisories.yml"} <= set(SHIPPED)


@pytest.mark.parametrize("name", SHIPPED)
def test_the_fast_loader_gives_what_the_pure_python_loader_gives(name: str) -> None:
    text = PACKAGE.joinpath(name).read_text(encoding="utf-8")
    assert shipped.shipped_yaml(name) == yaml.load(text, Loader=yaml.SafeLoader)


def test_libyaml_is_used_when_pyyaml_has_it() -> None:
    assert shipped.LOADER is (yaml.CSafeLoader if yaml.__with_libyaml__ else yaml.SafeLoader)


def test_a_file_over_the_cap_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    size = len(PACKAGE.joinpath("data/advisories.yml").read_bytes())
    monkeypatch.setattr(shipped, "MAX_BYTES", size - 1)
    with pytest.raises(ValueError, match="larger than"):
        shipped.shipped_yaml("data/advisories.yml")
    monkeypatch.setattr(shipped, "MAX_BYTES", size)
    assert shipped.shipped_yaml("data/advisories.yml")["advisories"]
