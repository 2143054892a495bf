"""Red team: a hostile repository against `harden`'s pin fixes and the live resolution behind them.

The repository names whatever it likes in its files: option-like refs, local paths, ``ext::`` transports, ssh URLs,
a registry or a git server on this machine or at a cloud metadata address. These tests check, with real loopback
listeners that record every connection, that harden reaches the network only when the user asked for it, only the
hosts the user could expect, and never runs git with what a file wrote. A test marked ``xfail(strict=True)`` shows
a finding still open: the reason says what is wrong, and the mark comes off with the fix.
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from scaffold import cli
from scaffold.harden.engine import FileResult, harden_document
from scaffold.resolve.live import LiveSource
from scaffold.resolve.model import Settings
from scaffold.resolve.oci import forget
from scaffold.resolve.source import using
from scaffold.rules.catalog import REGISTRY
from scaffold.rules.document import Document
from scaffold.rules.fixes.model import Safety
from scaffold.rules.kinds import classify
from tests.packs.gitserver import isolated_git
from tests.support.hang_guard import hang_guard
from tests.support.oci_registry import raw_server

__all__ = ["isolated_git"]

NO_ADVISORIES: dict[str, str] = {}
METADATA = "169.254.169.254"


@dataclass
class Listener:
    """A TCP port on 127.0.0.1 that closes every connection at once and counts them."""

    port: int
    received: list[bytes]

    @property
    def contacted(self) -> bool:
        return bool(self.received)


def _close_at_once(connection: socket.socket, done: threading.Event) -> None:
    return


@pytest.fixture
def listener() -> Iterator[Listener]:
    with raw_server(_close_at_once) as server:
        yield Listener(server.port, server.received)


@pytest.fixture(autouse=True)
def _fresh(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[None]:
    """No answer remembered from another test, no live resolution switched on by the tester's environment, and a
    cache folder of this test's own."""
    forget()
    monkeypatch.delenv("SCAFFOLD_ONLINE", raising=False)
    monkeypatch.setenv("SCAFFOLD_CACHE_DIR", str(tmp_path / "cache"))
    yield
    forget()


def _rule(rule_id: str) -> list[object]:
    return [next(rule for rule in REGISTRY if rule.id == rule_id)]


def _harden(text: str, path: str, rule_id: str, source: LiveSource) -> FileResult:
    kind = classify(path)
    assert kind is not None
    with using(source):
        return harden_document(Document(path, kind, text), Safety.UNSAFE, None, _rule(rule_id))  # type: ignore[arg-type]


def _live(tmp_path: Path, forge: str, *, timeout: float = 5) -> LiveSource:
    settings = Settings(online=True, action_forge=forge, gitlab_url=forge, cache_dir=tmp_path / "cache")
    return LiveSource(settings, advisories=NO_ADVISORIES, timeout=timeout)


def _files(port: int) -> dict[str, str]:
    """One file of each kind whose pins name a server on this machine, at ``port``."""
    return {
        "Dockerfile": f"FROM 127.0.0.1:{port}/team/base:1.0\n",
        ".pre-commit-config.yaml": (
            f"repos:\n  - repo: http://127.0.0.1:{port}/hooks\n    rev: v1.0.0\n    hooks: [{{id: lint}}]\n"
        ),
        ".gitlab-ci.yml": f"test:\n  image: 127.0.0.1:{port}/team/ci:1.0\n  script: [make]\n",
        "Jenkinsfile": (
            f"library identifier: 'tools@main', retriever: modernSCM(\n"
            f"  [$class: 'GitSCMSource', remote: 'git://127.0.0.1:{port}/tools.git'])\n"
            "pipeline { agent any\n  options { timeout(time: 1, unit: 'HOURS') }\n"
            "  stages { stage('b') { steps { sh 'make' } } } }\n"
        ),
        ".github/workflows/ci.yml": (
            "on: push\npermissions: {}\njobs:\n  build:\n    runs-on: ubuntu-24.04\n    timeout-minutes: 5\n"
            f"    steps:\n      - uses: docker://127.0.0.1:{port}/team/tool:1.0\n"
        ),
    }


def _write(folder: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_text(text)


# No network unless the user asked ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("options", "environment"),
    [
        ([], {}),
        (["--offline"], {"SCAFFOLD_ONLINE": "1"}),  # --offline wins over the environment
        ([], {"SCAFFOLD_ONLINE": "no"}),
    ],
    ids=["default", "offline-beats-env", "env-not-yes"],
)
def test_without_online_nothing_a_file_names_is_contacted(
    listener: Listener,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    isolated_git: None,
    options: list[str],
    environment: dict[str, str],
) -> None:
    repo = tmp_path / "repo"
    _write(repo, _files(listener.port))
    for key, value in environment.items():
        monkeypatch.setenv(key, value)
    with hang_guard():
        code = cli.main(["harden", str(repo), "--fix=all", "--color", "never", *options])
    out = capsys.readouterr().out
    assert code == 1  # findings left to do: nothing could be pinned offline
    assert not listener.contacted
    assert out.count("--online resolves it live") >= 3  # the notes say how to go further
    assert not (tmp_path / "cache" / "git").exists()


def test_a_repository_setting_cannot_turn_live_resolution_on(
    listener: Listener, tmp_path: Path, capsys: pytest.CaptureFixture[str], isolated_git: None
) -> None:
    """``.scaffold.yml`` is the repository's, so it is hostile: it may not switch the network on or move the forge."""
    repo = tmp_path / "repo"
    _write(repo, _files(listener.port))
    (repo / ".scaffold.yml").write_text(
        f"online: true\naction_forge: git://127.0.0.1:{listener.port}\naudit:\n  online: true\n"
    )
    with hang_guard():
        code = cli.main(["harden", str(repo), "--color", "never"])
    captured = capsys.readouterr()
    assert code in (1, 2)
    assert not listener.contacted
    assert "Traceback" not in captured.err and len(captured.err.splitlines()) <= 1


# What --online may reach ------------------------------------------------------------------------------------------


def test_with_online_every_file_kind_naming_a_bad_server_ends_in_one_line_notes(
    listener: Listener, tmp_path: Path, capsys: pytest.CaptureFixture[str], isolated_git: None
) -> None:
    """Each pin a file names on a server that closes every connection ends as a note, the run ends, and nothing
    pinned (whether the server is contacted at all is the next test's question)."""
    repo = tmp_path / "repo"
    files = _files(listener.port)
    _write(repo, files)
    with hang_guard():
        code = cli.main(["harden", str(repo), "--online", "--fix=all", "--write", "--color", "never"])
    captured = capsys.readouterr()
    assert code == 1 and captured.err == ""
    assert "Traceback" not in captured.out
    for name, text in files.items():
        after = (repo / name).read_text()
        assert f"127.0.0.1:{listener.port}" in after and "sha256:" not in after and after.count("@") == text.count("@")


def test_with_online_a_loopback_server_named_by_a_file_is_not_contacted(
    listener: Listener, tmp_path: Path, capsys: pytest.CaptureFixture[str], isolated_git: None
) -> None:
    repo = tmp_path / "repo"
    _write(repo, _files(listener.port))
    with hang_guard():
        cli.main(["harden", str(repo), "--online", "--color", "never"])
    capsys.readouterr()
    assert not listener.contacted


@pytest.mark.parametrize(
    ("path", "text", "rule_id"),
    [
        ("Dockerfile", f"FROM {METADATA}/latest/meta-data:1\n", "docker-unpinned-base"),
        (
            "Jenkinsfile",
            "library identifier: 'tools@main', retriever: modernSCM(\n"
            f"  [$class: 'GitSCMSource', remote: 'https://{METADATA}/tools.git'])\n",
            "jenkins-unpinned-library",
        ),
        (
            ".pre-commit-config.yaml",
            f"repos:\n  - repo: https://{METADATA}/hooks\n    rev: v1.0.0\n    hooks: [{{id: lint}}]\n",
            "precommit-mutable-rev",
        ),
    ],
    ids=["image", "jenkins-library", "pre-commit-hook"],
)
def test_with_online_a_link_local_host_named_by_a_file_is_refused_without_a_connection(
    tmp_path: Path, isolated_git: None, path: str, text: str, rule_id: str
) -> None:
    with hang_guard():
        result = _harden(text, path, rule_id, _live(tmp_path, "https://forge.invalid", timeout=2))
    assert result.after == text
    assert len(result.notes) == 1
    message = result.notes[0].message
    assert "could not" not in message and ("link-local" in message or "metadata" in message)


# Values that must never reach git ---------------------------------------------------------------------------------


HOSTILE_HOOK_REPOS = [
    "ext::sh -c touch% {marker}",
    "file:///etc",
    "/tmp/x",
    "-oProxyCommand=touch {marker}",
    "--upload-pack=touch {marker}",
    "ssh://git@127.0.0.1:{port}/x",
    "git@127.0.0.1:x/y.git",
    "https://127.0.0.1:{port}/x?--upload-pack=touch%20{marker}",
    "https://user:secret@127.0.0.1:{port}/x",
]


@pytest.mark.parametrize("url", HOSTILE_HOOK_REPOS)
def test_a_hostile_hook_repository_never_runs_git_or_connects(
    listener: Listener, tmp_path: Path, isolated_git: None, url: str
) -> None:
    marker = tmp_path / "pwned"
    named = url.format(marker=marker, port=listener.port)
    text = f"repos:\n  - repo: '{named}'\n    rev: v1.0.0\n    hooks: [{{id: lint}}]\n"
    with hang_guard():
        result = _harden(
            text,
            ".pre-commit-config.yaml",
            "precommit-mutable-rev",
            _live(tmp_path, f"git://127.0.0.1:{listener.port}"),
        )
    assert result.after == text and result.applied == []
    assert len(result.notes) == 1 and "\n" not in result.notes[0].message
    assert not marker.exists()
    assert not listener.contacted
    assert not (tmp_path / "cache" / "git").exists()


@pytest.mark.parametrize(
    "remote",
    [
        "ext::sh -c touch% {marker}",
        "file:///etc",
        "/srv/tools.git",
        "-oProxyCommand=touch {marker}",
        "ssh://127.0.0.1:{port}/x",
    ],
)
def test_a_hostile_jenkins_library_remote_never_runs_git_or_connects(
    listener: Listener, tmp_path: Path, isolated_git: None, remote: str
) -> None:
    marker = tmp_path / "pwned"
    named = remote.format(marker=marker, port=listener.port)
    text = (
        f"library identifier: 'tools@main', retriever: modernSCM(\n  [$class: 'GitSCMSource', remote: '{named}'])\n"
        "pipeline { agent any\n  stages { stage('b') { steps { sh 'make' } } } }\n"
    )
    with hang_guard():
        result = _harden(
            text, "Jenkinsfile", "jenkins-unpinned-library", _live(tmp_path, f"git://127.0.0.1:{listener.port}")
        )
    assert result.after == text and result.applied == []
    assert result.notes and all("\n" not in note.message for note in result.notes)
    assert not marker.exists() and not listener.contacted


@pytest.mark.parametrize(
    ("project", "ref"),
    [
        ("../../x", "v1.0.0"),
        ("group/../../etc", "v1.0.0"),
        ("group//x", "v1.0.0"),
        ("group/x", "--upload-pack=touch /tmp/x"),
        ("group/x", "v1..v2"),
        ("group/x", "v1@{-1}"),
        ("group/x", "v1^{tree}"),
        ("group/x", "v1:path"),
        ("-group/x", "v1.0.0"),
        ("group/x%2f..", "v1.0.0"),
    ],
)
def test_a_hostile_gitlab_include_never_reaches_the_server(
    listener: Listener, tmp_path: Path, isolated_git: None, project: str, ref: str
) -> None:
    text = f"include:\n  - project: '{project}'\n    ref: '{ref}'\n    file: /a.yml\ntest:\n  script: [make]\n"
    with hang_guard():
        result = _harden(
            text, ".gitlab-ci.yml", "gitlab-unpinned-include", _live(tmp_path, f"git://127.0.0.1:{listener.port}")
        )
    assert result.after == text and result.applied == []
    assert not listener.contacted


WORKFLOW = "on: push\njobs:\n  build:\n    runs-on: ubuntu-24.04\n    steps:\n      - uses: {uses}\n"


@pytest.mark.parametrize(
    "uses",
    [
        "../x@v1",
        "acme/../../x@v1",
        "https://evil.example/x@v1",
        "127.0.0.1/x@v1",
        "acme/tool@--upload-pack=touch /tmp/x",
        "acme/tool@-v1",
        "acme/tool@v1..v2",
        "acme/tool@@{-1}",
        "acme/tool@v1^{commit}",
        "acme/tool@v1~1",
        "acme/tool@:/fix",
        "acme/tool@refs/tags/v1.lock",
        '"acme/tool@v1\\u001b[2J"',
        '"acme/tool@v1\\u0000"',
        "acme/tool@" + "v" * 300,
        "-acme/tool@v1",
    ],
)
def test_a_hostile_uses_never_reaches_the_forge(
    listener: Listener, tmp_path: Path, isolated_git: None, uses: str
) -> None:
    text = WORKFLOW.format(uses=uses)
    with hang_guard():
        result = _harden(
            text, ".github/workflows/ci.yml", "unpinned-uses", _live(tmp_path, f"git://127.0.0.1:{listener.port}")
        )
    assert result.after == text and result.applied == []
    assert all("\n" not in note.message and "\x1b" not in note.message for note in result.notes)
    assert not listener.contacted


def test_ten_thousand_distinct_refs_to_a_server_that_never_answers_end_within_the_time_limit(
    tmp_path: Path, isolated_git: None
) -> None:
    """A file may name one repository at thousands of refs: the remote is listed once per run, so one silent
    server costs one time limit, not one per ref."""
    steps = "".join(f"      - uses: acme/tool@r{number}\n" for number in range(10_000))
    text = "on: push\njobs:\n  build:\n    runs-on: ubuntu-24.04\n    steps:\n" + steps
    from tests.packs.gitserver import silent_server

    with silent_server() as port, hang_guard():
        result = _harden(
            text, ".github/workflows/ci.yml", "unpinned-uses", _live(tmp_path, f"git://127.0.0.1:{port}", timeout=2)
        )
    assert result.after == text
    assert len(result.notes) == 10_000
    assert {note.message.split(": ", 1)[1] for note in result.notes} == {
        f"could not reach git://127.0.0.1:{port}/acme/tool: git did not finish within 2 s; the repository was not "
        "read; pin it by hand"
    }


def test_a_refusal_from_a_hostile_server_is_one_printable_line(tmp_path: Path, isolated_git: None) -> None:
    """A git server's error text ends up in harden's notes: it is cut to one line without control characters."""

    def error_line(connection: socket.socket, done: threading.Event) -> None:
        message = b"ERR \x1b[31mpinned ok\x1b[0m\rline two\nline three" + b"x" * 2000
        connection.sendall(b"%04x" % (len(message) + 4) + message)

    with raw_server(error_line) as server, hang_guard():
        text = WORKFLOW.format(uses="acme/tool@v1")
        result = _harden(
            text, ".github/workflows/ci.yml", "unpinned-uses", _live(tmp_path, f"git://127.0.0.1:{server.port}")
        )
    assert result.after == text and len(result.notes) == 1
    message = result.notes[0].message
    assert "\n" not in message and "\r" not in message and "\x1b" not in message
    assert len(message) < 600
