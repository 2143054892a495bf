"""What a new kit still needs from its team, read from the files just rendered: the deploy hook to write, what the
repository must provide, the one-time forge settings, and the secrets the workflows read. ``scaffold new`` prints
them last, so the first push is not a surprise."""

from __future__ import annotations

import re
from collections.abc import Mapping

from scaffold.new.starter import StarterPlan

DEPLOY_HOOK = "deploy/deploy.sh"
SECURITY_DOC = "docs/ci-security.md"
_SETTINGS = "settings/"
_SECRET = re.compile(r"\$\{\{\s*secrets\.([A-Za-z_][A-Za-z0-9_]*)\s*\}\}")
_HEADING = re.compile(r"^## (One-time .+|What your repository must provide)\s*$", re.MULTILINE)
_PROVIDED_BY_GITHUB = frozenset({"GITHUB_TOKEN"})
_SECTION = "## What your repository must provide"
_MAX_ITEMS = 12


def next_steps(files: Mapping[str, str], starter: StarterPlan | None = None) -> list[str]:
    """The steps, in the order a team takes them; none for a kit that needs nothing more. With a ``starter``
    written, the first step is to commit it; without one, what the repository must provide, item by item."""
    steps = []
    doc = files.get(SECURITY_DOC, "")
    headings = _HEADING.findall(doc)
    if starter is not None and starter.files:
        steps.append(
            f"commit the starter service with the kit ({len(starter.files)} file(s), not recorded in .scaffold.yml): "
            "it passes the pipelines' lint, test and build steps; grow it into your service"
        )
    elif "What your repository must provide" in headings:
        why = f" ({starter.skipped}, so no starter was written)" if starter is not None and starter.skipped else ""
        steps.append(
            f"provide what the pipelines build and test{why}: {SECURITY_DOC}, 'What your repository must provide'"
            + "".join(f"\n     - {item}" for item in _provided(doc))
        )
    if DEPLOY_HOOK in files:
        steps.append(f"write your deployment in {DEPLOY_HOOK}: until you do, the deploy jobs fail on purpose")
    settings = [heading for heading in headings if heading.startswith("One-time")]
    if settings:
        bodies = sorted({"/".join(path.split("/")[:2]) + "/" for path in files if path.startswith(_SETTINGS)})
        sent = f" (its gh api / glab api commands send the request bodies in {', '.join(bodies)})" if bodies else ""
        steps.append(f"make the one-time settings in {SECURITY_DOC}{sent}: " + "; ".join(f"'{h}'" for h in settings))
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


def _provided(doc: str) -> list[str]:
    """The items of the doc's 'What your repository must provide' list, each on one line, without Markdown code
    marks; the deploy hook is left out (it is a step of its own)."""
    _, found, rest = doc.partition(_SECTION + "\n")
    if not found:
        return []
    section = rest.split("\n## ", 1)[0]
    items: list[str] = []
    for line in section.splitlines():
        if line.startswith("- "):
            items.append(line[2:].strip())
        elif line.startswith("  ") and items:
            items[-1] += " " + line.strip()
    cleaned = [item.replace("`", "") for item in items if DEPLOY_HOOK not in item]
    return cleaned[:_MAX_ITEMS]
