"""Opening the pull request for a pushed branch: the forge's own CLI (``gh`` for GitHub, ``glab`` for GitLab), as a
command printed in the report, or run when ``--open-prs`` asks and the CLI is installed. scaffold holds no forge
token: the CLI uses its own login."""

from __future__ import annotations

import os
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

    @property
    def shown(self) -> str | None:
        """The command as one shell line to copy, run in the repository's folder."""
        if self.command is None:
            return None
        return f"cd {shlex.quote(str(self.folder))} && {shlex.join(self.command)}"


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
    forge = forge_of(remote_url) if remote_url else None
    if forge == "github":
        command = ["gh", "pr", "create", "--head", branch, "--base", base, "--title", title]
        return PullRequest([*command, "--body-file", str(body_file)], folder)
    if forge == "gitlab":
        command = ["glab", "mr", "create", "--source-branch", branch, "--target-branch", base, "--title", title]
        description = _read_small(body_file)
        return PullRequest([*command, "--description", description, "--yes"], folder)
    return PullRequest(None, folder)


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
