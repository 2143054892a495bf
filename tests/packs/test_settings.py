"""The user's scaffold settings file, and trust prefixes compared on normalised sources."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from scaffold.errors import UsageError
from scaffold.packs.settings import UserSettings, config_path, is_trusted, load_settings
from tests.support.hang_guard import hang_guard


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh home folder, with no SCAFFOLD_CONFIG and no XDG_CONFIG_HOME."""
    folder = tmp_path / "home"
    folder.mkdir()
    monkeypatch.setenv("HOME", str(folder))
    monkeypatch.delenv("SCAFFOLD_CONFIG", raising=False)
    monkeypatch.delenv("XDG_CONFIG_HOME", raising=False)
    return folder


def _write(home: Path, text: str) -> Path:
    path = home / ".config" / "scaffold" / "config.yml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


# Where the file is -------------------------------------------------------------------------------------------------


def test_the_file_is_found_by_scaffold_config_then_xdg_then_home(home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert config_path() == home / ".config" / "scaffold" / "config.yml"
    monkeypatch.setenv("XDG_CONFIG_HOME", "relative/ignored")
    assert config_path() == home / ".config" / "scaffold" / "config.yml"
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / "xdg"))
    assert config_path() == home / "xdg" / "scaffold" / "config.yml"
    monkeypatch.setenv("SCAFFOLD_CONFIG", "~/mine.yml")
    assert config_path() == home / "mine.yml"


def test_no_file_means_the_defaults(home: Path) -> None:
    assert load_settings() == UserSettings()


def test_a_file_named_by_scaffold_config_must_exist(home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SCAFFOLD_CONFIG", str(home / "missing.yml"))
    with pytest.raises(UsageError, match=r"missing\.yml \(from SCAFFOLD_CONFIG\) does not exist") as error:
        load_settings()
    assert error.value.exit_code == 2


def test_the_settings_are_read(home: Path) -> None:
    path = _write(
        home,
        "require_signed: true\nallowed_signers: signers\ntrust:\n  - https://git.acme.com/platform/\n  - ~/packs/\n",
    )
    settings = load_settings()
    assert settings == UserSettings(
        require_signed=True,
        allowed_signers=path.parent / "signers",
        trust=("https://git.acme.com/platform/", "~/packs/"),
        path=path,
    )
    _write(home, "allowed_signers: ~/.ssh/allowed_signers\n")
    assert load_settings().allowed_signers == home / ".ssh" / "allowed_signers"


def test_an_empty_file_means_the_defaults(home: Path) -> None:
    path = _write(home, "# nothing yet\n")
    assert load_settings() == UserSettings(path=path)


@pytest.mark.parametrize(
    ("text", "rule"),
    [
        ("- a\n- b\n", "must be a mapping of settings"),
        ("require_signd: true\n", "unknown setting require_signd"),
        ("require_signed: 'yes'\n", "require_signed: must be true or false"),
        ("require_signed: 1\n", "require_signed: must be true or false"),
        ("allowed_signers: [a]\n", "allowed_signers: must be the path"),
        ("allowed_signers: ''\n", "allowed_signers: must be the path"),
        ("trust: https://git.acme.com/\n", "trust: must be a list"),
        ("trust: [42]\n", r"trust\[0\]: must be a folder or a git URL"),
        ("trust: ['https://git.acme.com/platform@v1']\n", r"trust\[0\]: .* names a ref"),
        ("trust: ['https://git.acme.com/plat%66orm/']\n", r"trust\[0\]: .* percent-encoded"),
        ("trust: ['https://git.acme.com/platform%2f']\n", r"trust\[0\]: .* percent-encode"),
        ("trust: ['packs/']\n", r"trust\[0\]: .* relative folder"),
        ("trust: ['ext::sh -c x']\n", r"trust\[0\]: .* transport"),
        ("trust: ['https://git.acme.com/a/../b']\n", r"trust\[0\]: .* '.' or '..' path parts"),
        ("trust: ['ftp://git.acme.com/']\n", r"trust\[0\]: .*scheme 'ftp://' is not allowed"),
        ("trust: [ok, [\n", "not valid YAML"),
        ("x: !!python/object/apply:os.system ['touch pwned']\n", "not valid YAML"),
    ],
)
def test_bad_content_names_the_file_the_setting_and_the_rule(home: Path, text: str, rule: str) -> None:
    _write(home, text)
    with pytest.raises(UsageError, match=rule) as error:
        load_settings()
    message = str(error.value)
    assert message.startswith(str(home / ".config" / "scaffold" / "config.yml"))
    assert "\n" not in message
    assert not (home / "pwned").exists() and not Path("pwned").exists()


def test_a_fifo_in_place_of_the_file_is_refused_without_waiting(home: Path) -> None:
    path = home / ".config" / "scaffold" / "config.yml"
    path.parent.mkdir(parents=True)
    os.mkfifo(path)
    with hang_guard(), pytest.raises(UsageError, match="is not a regular file"):
        load_settings()


# Trust prefixes ----------------------------------------------------------------------------------------------------

PLATFORM = "https://git.acme.com/platform/"


@pytest.mark.parametrize(
    "source",
    [
        "https://git.acme.com/platform/pack",
        "https://git.acme.com/platform/pack@v1.2.0",
        "https://git.acme.com/platform/team/pack.git",
        "https://GIT.ACME.COM/platform/pack",
        "https://git.acme.com:443/platform/pack",
        "https://git.acme.com/platform//pack",
        "https://git.acme.com/platform",
    ],
)
def test_sources_under_a_trusted_prefix_are_trusted(source: str) -> None:
    assert is_trusted(source, [PLATFORM])


@pytest.mark.parametrize(
    "source",
    [
        "https://git.acme.com/platform-evil/pack",
        "https://git.acme.com/platformx",
        "https://git.acme.com/platform/../evil/pack",
        "https://git.acme.com/platform/%2e%2e/evil/pack",
        "https://git.acme.com/platform%2f..%2fevil/pack",
        "https://git.acme.com/platform/p%61ck",
        "https://git.acme.com/Platform/pack",
        "http://git.acme.com/platform/pack",
        "ssh://git.acme.com/platform/pack",
        "https://git.acme.com:8443/platform/pack",
        "https://me@git.acme.com/platform/pack",
        "https://git.acme.com.evil.example/platform/pack",
        "https://git.acme.com@evil.example/platform/pack",
        "https://evil.example/https://git.acme.com/platform/pack",
        "https://git.acme.com\\@evil.example/platform/pack",
        "git@git.acme.com:platform/pack",
        "ext::sh -c https://git.acme.com/platform/pack",
        "-uhttps://git.acme.com/platform/pack",
        "https://git.acme.com/",
        "",
    ],
)
def test_sources_outside_a_trusted_prefix_are_not(source: str) -> None:
    assert not is_trusted(source, [PLATFORM])


def test_prefixes_of_every_kind_match_on_whole_parts(tmp_path: Path) -> None:
    packs = tmp_path / "packs"
    (packs / "acme").mkdir(parents=True)
    (tmp_path / "packs-evil").mkdir()
    assert is_trusted(str(packs / "acme"), [f"{packs}/"])
    assert is_trusted(f"{packs}/acme@v1.0.0", [str(packs)])
    assert is_trusted((packs / "acme").as_uri(), [str(packs)])
    assert not is_trusted(str(tmp_path / "packs-evil"), [str(packs)])
    assert not is_trusted(f"{packs}/../packs-evil", [str(packs)])
    assert is_trusted("git@git.acme.com:platform/pack", ["git@git.acme.com:platform"])
    assert not is_trusted("git@git.acme.com:/platform/pack", ["git@git.acme.com:platform"])
    assert not is_trusted("git@git.acme.com:platform-evil/pack", ["git@git.acme.com:platform"])
    assert is_trusted("git://git.acme.com:9418/platform/pack", ["git://git.acme.com/platform"])
    assert not is_trusted("https://git.acme.com/platform/pack", ["https://git.acme.com/platform/pack@v1"])
    assert not is_trusted("https://git.acme.com/platform/pack", ["https://git.acme.com/plat%66orm"])
    assert not is_trusted("https://git.acme.com/platform/pack", [])
