"""Opening the pull request for a pushed branch: the forge's own CLI (``gh`` for GitHub, ``glab`` for GitLab), as a
command printed in the report, or run when ``--open-prs`` asks and the CLI is installed. scaffold holds no forge
token: the CLI uses its own login."""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from scaffold.packs.source import source_kind
from scaffold.untrusted.text import printable

OPEN_TIMEOUT_SECONDS = 120


@dataclass(frozen=True)
class PullRequest:
    """The command that opens the pull request (None when the forge is unknown), and its URL once opened."""

    command: list[str] | None
    folder: Path
    body_file: Path | None = None
    """For glab, which takes the description as text: the file the shown line reads it from."""

    @property
    def shown(self) -> str | None:
        """The command as one shell line to copy; it names the repository, so it runs from anywhere."""
        if self.command is None:
            return None
        if self.body_file is None:
            return shlex.join(self.command)
        words = self.command[: self.command.index("--description") + 1]
        rest = self.command[len(words) + 1 :]
        return f'{shlex.join(words)} "$(cat {shlex.quote(str(self.body_file))})" {shlex.join(rest)}'


def forge_of(remote_url: str) -> str | None:
    """``github`` or ``gitlab`` from the host of a remote URL, else None."""
    if source_kind(remote_url) == "scp":
        host = remote_url.split(":", 1)[0].rpartition("@")[2]
    else:
        try:
            host = urlsplit(remote_url).hostname or ""
        except ValueError:
            return None
    host = host.lower()
    if host == "github.com" or host.startswith("github."):
        return "github"
    if host == "gitlab.com" or host.startswith("gitlab."):
        return "gitlab"
    return None


def pull_request(
    folder: Path, remote_url: str | None, *, branch: str, base: str, title: str, body_file: Path
) -> PullRequest:
    """The command that opens the pull request, run in ``folder`` (scaffold's own, never the repository: gh and
    glab run git where they start, and a hostile repository's configuration would run with it), naming the
    repository by its remote (``--repo``)."""
    forge = forge_of(remote_url) if remote_url else None
    where = _repository(remote_url) if remote_url else None
    if forge == "github" and where is not None:
        host, path = where
        command = ["gh", "pr", "create", "--repo", f"{host}/{path}", "--head", branch, "--base", base]
        return PullRequest([*command, "--title", title, "--body-file", str(body_file)], folder)
    if forge == "gitlab" and where is not None:
        host, path = where
        command = ["glab", "mr", "create", "--repo", f"https://{host}/{path}", "--source-branch", branch]
        command += ["--target-branch", base, "--title", title]
        return PullRequest([*command, "--description", _read_small(body_file), "--yes"], folder, body_file)
    return PullRequest(None, folder)


def _repository(remote_url: str) -> tuple[str, str] | None:
    """The host and the repository's path on it (``acme/payments``), from an https, ssh or scp-like remote."""
    if source_kind(remote_url) == "scp":
        authority, _colon, path = remote_url.partition(":")
        host = authority.rpartition("@")[2]
    else:
        try:
            parts = urlsplit(remote_url)
            host, path = parts.hostname or "", parts.path
        except ValueError:
            return None
    path = path.strip("/").removesuffix(".git")
    if not host or not path or not all(_SAFE_PART.match(part) for part in [host, *path.split("/")]):
        return None
    return host.lower(), path


_SAFE_PART = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$")


def open_pull_request(request: PullRequest) -> tuple[str | None, str | None]:
    """Run the forge's CLI: (the URL it printed, None) or (None, why it was not opened)."""
    if request.command is None:
        return None, "the remote is on no forge scaffold knows (GitHub, GitLab): open the pull request by hand"
    tool = shutil.which(request.command[0])
    if tool is None:
        return None, f"{request.command[0]} is not installed: run the printed command where it is"
    try:
        done = subprocess.run(
            [tool, *request.command[1:]],
            cwd=request.folder,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            timeout=OPEN_TIMEOUT_SECONDS,
            check=False,
            env={**os.environ, "GH_PROMPT_DISABLED": "1", "NO_COLOR": "1"},
        )
    except (OSError, subprocess.TimeoutExpired) as error:
        return None, f"{request.command[0]} failed: {printable(str(error), 200)}"
    output = done.stdout.decode("utf-8", "replace").split()
    url = next((word for word in reversed(output) if word.startswith("https://")), None)
    if done.returncode != 0 or url is None:
        why = " ".join(done.stderr.decode("utf-8", "replace").split())
        return None, f"{request.command[0]} exit {done.returncode}: {printable(why, 300)}"
    return printable(url, 2000), None


def _read_small(path: Path) -> str:
    return path.read_text(encoding="utf-8")[:60_000]
