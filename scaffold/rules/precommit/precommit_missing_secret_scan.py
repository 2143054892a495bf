"""## What it does
Finds `.pre-commit-config.yaml` files with no hook that scans for secrets, and the `gitleaks-docker` hook. The
scanners counted are `gitleaks` and `gitleaks-system` (github.com/gitleaks/gitleaks), `detect-private-key`
(github.com/pre-commit/pre-commit-hooks), `detect-secrets`, `trufflehog` and `ggshield`, also as `repo: local`
hooks whose `entry` runs one of these tools. `gitleaks-docker` is reported because it runs the untagged
`zricethezav/gitleaks` image.

## Why is this bad?
A secret that reaches a commit is in the repository's history for good: every clone, fork and CI cache has it, and
it must be rotated, not just deleted. A scan at commit time stops most of them before they leave the developer's
machine. It does not replace the same scan in CI (`git commit --no-verify` skips hooks), but it is the cheapest
place to catch them.

`gitleaks-docker` pulls `zricethezav/gitleaks` without a tag, that is whatever `latest` is when the hook first runs:
unpinned code, from an account the project has since moved away from, running over the whole working tree.

## Example
```yaml
repos:
  - repo: https://github.com/gitleaks/gitleaks
    rev: 83d9cd684c87d95d656c1458ef04895a7f1cbd8e  # frozen: v8.30.1
    hooks:
      - id: gitleaks-docker
```

## Use instead
```yaml
repos:
  - repo: https://github.com/gitleaks/gitleaks
    rev: 83d9cd684c87d95d656c1458ef04895a7f1cbd8e  # frozen: v8.30.1
    hooks:
      - id: gitleaks
  - repo: https://github.com/pre-commit/pre-commit-hooks
    rev: 3e8a8703264a2f4a69428a0aa4dcb512790b2c8c  # frozen: v6.0.0
    hooks:
      - id: detect-private-key
```
Run the same scanners in CI (`pre-commit run --all-files`), since local hooks can be skipped.

## References
- OWASP Top 10 CI/CD Security Risks, CICD-SEC-6 "Insufficient Credential Hygiene"
- gitleaks documentation, "Pre-Commit" (the `gitleaks` and `gitleaks-docker` hooks)
"""

from __future__ import annotations

from collections.abc import Iterator

from scaffold.rules.document import Document
from scaffold.rules.model import Confidence, Hit, Kind, Severity
from scaffold.rules.yaml_view import YNode

ID = "precommit-missing-secret-scan"
SEVERITY = Severity.LOW
CONFIDENCE = Confidence.MEDIUM
KINDS = (Kind.PRE_COMMIT,)

SCANNER_HOOKS = frozenset(
    {"gitleaks", "gitleaks-system", "detect-private-key", "detect-secrets", "trufflehog", "ggshield"}
)
SCANNER_PROGRAMS = frozenset({"gitleaks", "trufflehog", "detect-secrets", "detect-secrets-hook", "ggshield"})
UNTAGGED_IMAGE_HOOK = "gitleaks-docker"


def _hooks(section: YNode) -> Iterator[tuple[str, YNode, YNode]]:
    """Each hook: the URL of its repository, its ``id`` node, and the hook entry."""
    for entry in section.elements():
        url = entry.get("repo")
        hooks = entry.get("hooks")
        for hook in hooks.elements() if hooks is not None else []:
            hook_id = hook.get("id")
            if hook_id is not None and hook_id.text is not None:
                yield (url.text or "").strip() if url is not None else "", hook_id, hook


def _entry_program(hook: YNode) -> str:
    entry = hook.get("entry")
    words = (entry.text or "").split() if entry is not None else []
    return words[0].rsplit("/", 1)[-1] if words else ""


def check(document: Document) -> Iterator[Hit]:
    root = document.yaml
    if root is None or not root.is_mapping:
        return
    section = root.get("repos")
    scanned = False
    for url, hook_id, hook in _hooks(section) if section is not None else iter(()):
        name = (hook_id.text or "").strip()
        if name == UNTAGGED_IMAGE_HOOK:
            scanned = True
            yield Hit(
                hook_id.line,
                hook_id.column,
                f"repo {url}: hook {name} runs the untagged zricethezav/gitleaks image; use the gitleaks hook",
            )
        elif name in SCANNER_HOOKS or (url == "local" and _entry_program(hook) in SCANNER_PROGRAMS):
            scanned = True
    if not scanned:
        key = root.key("repos")
        line, column = (key.line, key.column) if key is not None else (1, 1)
        yield Hit(line, column, "no hook scans commits for secrets (gitleaks, detect-private-key, detect-secrets)")
