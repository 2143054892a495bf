"""A team pack from end to end, through the command line and real git: a pack repository served by a ``git daemon``
on 127.0.0.1, tagged v1.0.0 and v2.0.0 (signed with an ssh-keygen key); ``pack test``; ``new --pack URL@v1``;
``upgrade --pack URL@v2`` with the user's edits kept; ``diff`` green after it; ``audit`` enforcing the pack's
policy; the lock and the signature refused where they must be."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

from scaffold import api
from scaffold.cli import main
from scaffold.kit.record import read_record
from tests.packs.gitserver import (
    PackRepo,
    allowed_signers,
    commit_all,
    git,
    git_daemon,
    git_in,
    isolated_git,
    ssh_key,
)
from tests.packs.team_packs import write_pack

pytestmark = pytest.mark.usefixtures(isolated_git.__name__)

_USES = re.compile(r"uses:\s*([A-Za-z0-9_.-]+)/")


def _kit_owners() -> list[str]:
    """Every action owner the built-in GitHub kit uses, as a team's allow list would name them."""
    files = api.render_kit(answers=api.resolve_answers(api.collect_layers(output=Path("svc"))))
    owners = {match.group(1) for text in files.values() for match in _USES.finditer(text)}
    return sorted(f"{owner}/*" for owner in owners)


def _pack_files(folder: Path, version: str, greeting: str) -> dict[str, str]:
    change: dict[str, Any] = {
        "name": "acme",
        "version": version,
        "locked": {"registry": "harbor", "block_severity": "high"},
        "policy": {"controls": ["pinned-dependencies", "timeouts"], "allowed_actions": _kit_owners(), "fail_on": "low"},
    }
    write_pack(folder, change)
    service = (folder / "templates/SERVICE.md.j2").read_text()
    (folder / "templates/SERVICE.md.j2").write_text(service.replace("Owned by", greeting))
    return {
        path.relative_to(folder).as_posix(): path.read_text() for path in sorted(folder.rglob("*")) if path.is_file()
    }


@dataclass(frozen=True)
class Published:
    """The pack on a running git daemon: its URL, the allowed-signers file, a scratch folder, the repository and
    the key that signs its tags."""

    url: str
    signers: Path
    scratch: Path
    repo: PackRepo
    key: Path


@pytest.fixture(name="published")
def published_fixture(tmp_path: Path) -> Iterator[Published]:
    """The pack's URL on a running git daemon (v1.0.0 and v2.0.0, both signed), the allowed-signers file, and
    a scratch folder."""
    served = tmp_path / "served"
    repo = PackRepo.create(served / "acme.git")
    key = ssh_key(tmp_path / "keys", "platform")
    signers = allowed_signers(tmp_path / "allowed_signers", {"platform@acme.example": key})
    repo.commit(_pack_files(tmp_path / "v1", "1.0.0", "Owned by"))
    repo.tag("v1.0.0", key=key)
    repo.commit(_pack_files(tmp_path / "v2", "2.0.0", "Run by"))
    repo.tag("v2.0.0", key=key)
    with git_daemon(served) as daemon:
        yield Published(daemon.url("acme.git"), signers, tmp_path, repo, key)


def test_a_team_pack_from_pack_test_to_upgrade_diff_and_audit(
    published: Published, capsys: pytest.CaptureFixture[str]
) -> None:
    url, signers, scratch = published.url, published.signers, published.scratch
    assert main(["pack", "test", str(scratch / "v1")]) == 0, capsys.readouterr().out
    assert "2 passed, 0 failed" in capsys.readouterr().out

    service = scratch / "svc"
    signed = ["--require-signed", "--allowed-signers", str(signers)]
    code = main(["new", "--pack", f"{url}@v1.0.0", *signed, "--defaults", "--set", "team=payments", "-o", str(service)])
    assert code == 0, capsys.readouterr().err
    record = read_record(service)
    assert (record.pack_name, record.pack_version, record.pack_source) == ("acme", "1.0.0", url)
    assert record.pack_commit is not None and len(record.pack_commit) == 40
    assert record.answers["registry"] == "harbor" and record.answers["team"] == "payments"
    assert record.policy is not None and record.policy["controls"]
    assert not (service / "runtime").exists()
    assert "Owned by `payments`" in (service / "docs/SERVICE.md").read_text()

    git_in(service, "init", "-q", "-b", "main")
    commit_all(service, "kit")
    with (service / "docs/SERVICE.md").open("a") as notes:
        notes.write("\nOn call: #payments-oncall\n")
    readme = service / "deploy/deploy.sh"
    readme.write_text(readme.read_text() + "# our own note\n")
    commit_all(service, "our edits")

    capsys.readouterr()
    assert main(["upgrade", str(service), "--pack", f"{url}@v2.0.0", *signed]) == 0, capsys.readouterr().out
    text = (service / "docs/SERVICE.md").read_text()
    assert "Run by `payments`" in text and "On call: #payments-oncall" in text
    assert readme.read_text().endswith("# our own note\n")
    assert read_record(service).pack_version == "2.0.0"
    commit_all(service, "upgrade to acme 2.0.0")

    capsys.readouterr()
    assert main(["diff", str(service)]) == 0, capsys.readouterr().out
    assert main(["diff", str(service), *signed]) == 0, capsys.readouterr().out  # through the signed tag

    repo, key = published.repo, published.key  # the tag moves to other code, signed by the same key
    moved = repo.commit(_pack_files(scratch / "v2-moved", "2.0.0", "Handed to"), message="moved")
    git(repo.bare, "tag", "-d", "v2.0.0")
    repo.tag("v2.0.0", moved, key=key)
    capsys.readouterr()
    assert main(["diff", str(service), *signed]) == 4
    assert "a moved tag is refused" in capsys.readouterr().err

    assert main(["audit", str(service)]) == 0, capsys.readouterr().out
    sha = "0123456789abcdef0123456789abcdef01234567"
    workflow = service / ".github/workflows/extra.yml"
    workflow.write_text(
        "name: extra\non: push\npermissions: {}\njobs:\n  x:\n    runs-on: ubuntu-24.04\n    timeout-minutes: 5\n"
        f"    steps:\n      - uses: evil-corp/exfiltrate@{sha}  # scaffold: ignore[policy-action-not-allowed]\n"
    )
    capsys.readouterr()
    assert main(["audit", str(service)]) == 1
    assert "policy-action-not-allowed" in capsys.readouterr().out


def test_a_locked_answer_and_an_unsigned_pack_are_refused(
    published: Published, capsys: pytest.CaptureFixture[str]
) -> None:
    url, scratch = published.url, published.scratch
    out = scratch / "svc"
    assert main(["new", "--pack", f"{url}@v1.0.0", "--defaults", "--set", "registry=ghcr", "-o", str(out)]) == 2
    assert "registry: is locked to harbor by pack acme 1.0.0" in capsys.readouterr().err
    other = ssh_key(scratch / "keys", "stranger")
    strangers = allowed_signers(scratch / "strangers", {"x@example.com": other})
    code = main(
        [
            "new",
            "--pack",
            f"{url}@v1.0.0",
            "--require-signed",
            "--allowed-signers",
            str(strangers),
            "--defaults",
            "-o",
            str(out),
        ]
    )
    assert code == 4
    assert not out.exists()
    capsys.readouterr()
    assert main(["new", "--pack", url, "--defaults", "-o", str(out)]) == 0  # the newest tag: v2.0.0
    assert read_record(out).pack_version == "2.0.0"
    assert yaml.safe_load((out / ".scaffold.yml").read_text())["pack"]["source"] == url
