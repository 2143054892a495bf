"""What a new kit still needs from its team, read from the files just rendered: the deploy hook to write, what the
repository must provide, the one-time forge settings, and the secrets the workflows read. ``scaffold new`` prints
them last, so the first push is not a surprise."""

from __future__ import annotations

import re
from collections.abc import Mapping

DEPLOY_HOOK = "deploy/deploy.sh"
SECURITY_DOC = "docs/ci-security.md"
_SECRET = re.compile(r"\$\{\{\s*secrets\.([A-Za-z_][A-Za-z0-9_]*)\s*\}\}")
_HEADING = re.compile(r"^## (One-time .+|What your repository must provide)\s*$", re.MULTILINE)
_PROVIDED_BY_GITHUB = frozenset({"GITHUB_TOKEN"})


def next_steps(files: Mapping[str, str]) -> list[str]:
    """The steps, in the order a team takes them; none for a kit that needs nothing more."""
    steps = []
    doc = files.get(SECURITY_DOC, "")
    headings = _HEADING.findall(doc)
    if "What your repository must provide" in headings:
        steps.append(f"provide what the pipelines build and test: {SECURITY_DOC}, 'What your repository must provide'")
    if DEPLOY_HOOK in files:
        steps.append(f"write your deployment in {DEPLOY_HOOK}: until you do, the deploy jobs fail on purpose")
    settings = [heading for heading in headings if heading.startswith("One-time")]
    if settings:
        steps.append(f"make the one-time settings in {SECURITY_DOC}: " + "; ".join(f"'{h}'" for h in settings))
    secrets = sorted(
        {
            name
            for path, text in files.items()
            if path.startswith(".github/workflows/")
            for name in _SECRET.findall(text)
            if name not in _PROVIDED_BY_GITHUB
        }
    )
    if secrets:
        steps.append("create the GitHub Actions secrets the workflows read: " + ", ".join(secrets))
    return steps
