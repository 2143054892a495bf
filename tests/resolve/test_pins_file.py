"""``scaffold pins update`` around ``update_text``: which paths it takes, what its last line says, and which hosts a
pins file may send it to (a registry on loopback only with ``--allow-host``), against a real HTTP registry fake on
loopback."""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

import pytest

from scaffold import cli
from scaffold.errors import UsageError
from scaffold.resolve import pins_file
from scaffold.resolve.model import Origin, Pinned, Refused, Resolution, Settings
from scaffold.resolve.oci import forget
from tests.support.hang_guard import hang_guard
from tests.support.oci_registry import Reply, Request, fake_registry

OLD_SHA = "a" * 40
OLD_DIGEST = "sha256:" + "1" * 64
OCI_INDEX = "application/vnd.oci.image.index.v1+json"
INDEX = json.dumps({"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": []}).encode()
INDEX_DIGEST = "sha256:" + hashlib.sha256(INDEX).hexdigest()


def _pins(image: str = "docker.io/library/python") -> str:
    return (
        f"actions:\n  checkout:\n    repo: actions/checkout\n    version: v7.0.1\n    sha: {OLD_SHA}\n"
        "    verified: by hand\n"
        f"images:\n  app:\n    image: {image}\n    tag: v1\n    digest: {OLD_DIGEST}\n    verified: by hand\n"
    )


class Answers:
    """A live source that gives each lookup a fixed answer: stands in for the network, not for the update."""

    def __init__(self, release: Resolution, image: Resolution) -> None:
        self.release, self.answer = release, image

    def newest_release(self, url: str, prefix: str) -> Resolution:
        return self.release

    def image(self, reference: str) -> Resolution:
        return self.answer


@pytest.fixture(autouse=True)
def _isolated(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    forget()
    monkeypatch.setenv("SCAFFOLD_CACHE_DIR", str(tmp_path / "cache"))


def test_when_every_entry_is_refused_the_last_line_says_how_many_could_not_be_checked(tmp_path: Path) -> None:
    pins = tmp_path / "pins.yml"
    pins.write_text(_pins())
    source = Answers(Refused("the forge is down"), Refused("the registry is down"))
    outcome = pins_file.update(pins, Settings(cache_dir=tmp_path), write=True, source=source)
    lines = outcome.report.splitlines()
    assert outcome.exit_code == 1
    assert lines[-1] == f"{pins}: nothing changed: 0 of 2 pin(s) checked and current; 2 of 2 could not be checked"
    assert "every pin checked is current" not in outcome.report


def test_a_partial_refusal_is_counted_beside_the_changes(tmp_path: Path) -> None:
    pins = tmp_path / "pins.yml"
    pins.write_text(_pins())
    moved = Pinned("b" * 40, "v7.1.0", Origin.LIVE, "git ls-remote test")
    outcome = pins_file.update(
        pins, Settings(cache_dir=tmp_path), write=True, source=Answers(moved, Refused("the registry is down"))
    )
    assert outcome.report.splitlines()[-1] == f"{pins}: 1 pin(s) updated; 1 of 2 could not be checked"
    assert "b" * 40 in pins.read_text()


def test_a_current_file_still_says_every_pin_checked_is_current(tmp_path: Path) -> None:
    pins = tmp_path / "pins.yml"
    pins.write_text(_pins())
    same = Answers(
        Pinned(OLD_SHA, "v7.0.1", Origin.LIVE, "git ls-remote test"), Pinned(OLD_DIGEST, "v1", Origin.LIVE, "HEAD")
    )
    outcome = pins_file.update(pins, Settings(cache_dir=tmp_path), write=True, source=same)
    assert (outcome.report, outcome.exit_code) == (f"{pins}: every pin checked is current\n", 0)


@pytest.mark.parametrize("kind", ["fifo", "device"])
def test_a_path_that_is_not_a_regular_file_says_so(tmp_path: Path, kind: str) -> None:
    target = tmp_path / "pins.yml"
    if kind == "fifo":
        os.mkfifo(target)
    else:
        target = Path(os.devnull)
    with hang_guard(30), pytest.raises(UsageError, match=r": is not a regular file \(name a pins file or a pack"):
        pins_file.locate(target)


def test_a_missing_path_or_a_dangling_link_is_no_such_file(tmp_path: Path) -> None:
    (tmp_path / "link.yml").symlink_to(tmp_path / "gone.yml")
    for target in (tmp_path / "absent.yml", tmp_path / "link.yml"):
        with pytest.raises(UsageError, match="no such pins file or pack folder"):
            pins_file.locate(target)


# Hosts --------------------------------------------------------------------------------------------------------------


def _registry(request: Request) -> Reply:
    return Reply(200, {"Content-Type": OCI_INDEX, "Docker-Content-Digest": INDEX_DIGEST})


def test_a_pins_file_naming_a_loopback_registry_is_looked_up_only_with_allow_host(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    pins = tmp_path / "pins.yml"
    with fake_registry(_registry) as fake, hang_guard():
        text = _pins(f"{fake.host}/team/app").replace("repo: actions/checkout", "repo: https://forge.invalid/a/b")
        pins.write_text(text)
        refused = cli.main(["pins", "update", str(pins)])
        refused_out = capsys.readouterr().out
        assert fake.requests == [] and pins.read_text() == text
        forget()
        allowed = cli.main(["pins", "update", str(pins), "--allow-host", fake.host])
        allowed_out = capsys.readouterr().out
    assert refused == 1
    assert (
        f"images.app: not checked: {fake.host}/team/app:v1: the registry 127.0.0.1 is a loopback address (this "
        f"machine); scaffold reaches such a host only when you name it (--allow-host {fake.host})"
    ) in refused_out.splitlines()
    assert allowed == 1  # the action's forge does not resolve: that entry is still not checked
    assert [request.method for request in fake.requests] == ["HEAD"]
    assert f"images.app: v1 {OLD_DIGEST[:19]} -> v1 {INDEX_DIGEST[:19]}" in allowed_out.splitlines()
    assert INDEX_DIGEST in pins.read_text()


@pytest.mark.parametrize(
    ("value", "rule"),
    [
        ("a b", "--allow-host: 'a b' is not HOST or HOST:PORT (a host name or an IP address)"),
        ("127.0.0.1:0", "--allow-host: '127.0.0.1:0': the port is not a number from 1 to 65535"),
        ("[::1", "--allow-host: '[::1' is not [IPv6] or [IPv6]:PORT"),
    ],
)
@pytest.mark.parametrize("command", ["harden", "pins"])
def test_a_bad_allow_host_is_one_line_and_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], value: str, rule: str, command: str
) -> None:
    pins = tmp_path / "pins.yml"
    pins.write_text("actions: {}\n")
    argv = ["harden", str(tmp_path)] if command == "harden" else ["pins", "update", str(pins)]
    code = cli.main([*argv, "--allow-host", value])
    err = capsys.readouterr().err
    assert code == 2
    assert err == f"scaffold: error: {rule}\n"
