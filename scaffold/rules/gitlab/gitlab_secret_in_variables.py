"""## What it does
Finds secrets written into `variables:` blocks (top level, jobs, templates and `rules:` entries).

That is a variable whose name says it is a secret (`PASSWORD`, `SECRET`, `TOKEN`, `PRIVATE_KEY`, `API_KEY`,
`CREDENTIAL`) with a literal value, or any value that looks like a key or token (a private key block, an AWS access
key ID, a GitLab, GitHub or Slack token, a Google API key).

A value that is empty, a boolean, or that contains a `$VARIABLE` reference is taken as a setting or as composed from
CI/CD variables. Names ending in `_FILE`, `_PATH`, `_DIR`, `_URL`, `_URI`, `_HOST`, `_NAME`, `_USER`, `_USERNAME`,
`_ENDPOINT`, `_HEADER`, `_ENABLED` or `_DISABLED`, and GitLab's `SECRET_DETECTION_*` settings, are not secrets.

## Why is this bad?
`.gitlab-ci.yml` is read by everyone who can read the repository, is kept forever in its history and in every fork,
and its variables reach every job, including jobs of merge requests that run untrusted code. A password for a
throwaway test database is harmless; the same habit with a real credential is a leak.

## Example
```yaml
variables:
  REGISTRY_PASSWORD: hunter2
deploy:
  variables:
    API_TOKEN: "4f6b3a..."
```

## Use instead
```yaml
variables:
  REGISTRY_PASSWORD: $CI_REGISTRY_PASSWORD
```
Store secrets as masked, hidden and protected CI/CD variables, or fetch them at run time with `secrets:` from Vault
or a cloud secret manager.

## References
- GitLab documentation, "Pipeline security" and "CI/CD variables: mask and protect a variable"
- OWASP Top 10 CI/CD Security Risks: CICD-SEC-6 (insufficient credential hygiene); gitleaks
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from scaffold.rules.document import Document
from scaffold.rules.gitlab.pipeline import variable_blocks, variables
from scaffold.rules.model import Confidence, Hit, Kind, Severity

ID = "gitlab-secret-in-variables"
SEVERITY = Severity.HIGH
CONFIDENCE = Confidence.MEDIUM
KINDS = (Kind.GITLAB_CI,)
CONTROLS = ("scoped-secrets",)

SECRET_NAME = re.compile(r"PASSWORD|SECRET|TOKEN|PRIVATE_KEY|API_KEY|CREDENTIAL", re.IGNORECASE)
_NOT_SECRET_NAME = re.compile(
    r"SECRET_DETECTION_\w*|\w*_(?:FILE|PATH|DIR|URL|URI|HOST|NAME|USER|USERNAME|ENDPOINT|HEADER|ENABLED|DISABLED)",
    re.IGNORECASE,
)
_REFERENCE = re.compile(r"\$\{?[A-Za-z_][A-Za-z0-9_]*\}?")
_SETTING = re.compile(r"true|false|yes|no|on|off", re.IGNORECASE)
KEY_LIKE = (
    ("a private key", re.compile(r"-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY-----")),
    ("an AWS access key ID", re.compile(r"(?<![A-Z0-9])(?:AKIA|ASIA)[0-9A-Z]{16}(?![A-Z0-9])")),
    ("a GitLab token", re.compile(r"\bgl(?:pat|ptt|dt|rt|cbt|oas)-[0-9A-Za-z_-]{20,}")),
    ("a GitHub token", re.compile(r"\b(?:gh[pousr]_[0-9A-Za-z]{36,}|github_pat_[0-9A-Za-z_]{22,})")),
    ("a Slack token", re.compile(r"\bxox[abposr]-[0-9A-Za-z-]{10,}")),
    ("a Google API key", re.compile(r"\bAIza[0-9A-Za-z_-]{35}")),
)


def check(document: Document) -> Iterator[Hit]:
    seen: set[tuple[int, int]] = set()
    for where, block in variable_blocks(document):
        for name, _, value in variables(block):
            literal = (value.text or "").strip()
            if not literal or (value.line, value.column) in seen:
                continue
            problem = _problem(name, literal)
            if problem is not None:
                seen.add((value.line, value.column))
                yield Hit(value.line, value.column, f"{where}: {name} {problem}")


def _problem(name: str, value: str) -> str | None:
    for what, pattern in KEY_LIKE:
        if pattern.search(value):
            return f"holds what looks like {what}; use a masked, protected CI/CD variable"
    if (
        SECRET_NAME.search(name)
        and not _NOT_SECRET_NAME.fullmatch(name)
        and not _REFERENCE.search(value)
        and not _SETTING.fullmatch(value)
    ):
        return "is set to a literal value; use a masked, protected CI/CD variable"
    return None
