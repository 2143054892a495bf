"""Who signs the kit's images, per CI platform: the identity admission policies and ``cosign verify`` trust.

GitHub Actions and GitLab CI sign keyless, so an image is trusted when its Fulcio certificate names the expected
OIDC issuer and the release pipeline of this repository on the default branch or a version tag. Jenkins has no
OIDC identity of its own and signs with a cosign key pair; its public half is the trust anchor.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import Any

GITHUB_ISSUER = "https://token.actions.githubusercontent.com"


@dataclass(frozen=True)
class Signer:
    """One platform's signing identity."""

    platform: str
    issuer: str | None
    """The OIDC issuer of keyless signatures; None for key-based signing."""
    subject_pattern: str | None
    """An anchored regular expression over the certificate identity (the signing pipeline's ref)."""
    public_key_path: str | None
    """For key-based signing: where the kit keeps the public key."""


def _literal(text: str) -> str:
    """A regular-expression literal for an answer. Answers are validated to letters, digits, '_', '-', '/', ':',
    '~' and '.', of which only '.' is special in RE2 and Python alike."""
    return text.replace(".", "\\.")


def _ref_pattern(branch: str) -> str:
    return f"refs/(heads/{_literal(branch)}|tags/v[0-9][0-9A-Za-z.+-]*)"


def signers(data: Mapping[str, Any]) -> list[Signer]:
    """The signing identities of every chosen platform, in platform order."""
    repo, branch = str(data["source_repo"]), str(data["default_branch"])
    result: list[Signer] = []
    for platform in data["platforms"]:
        if platform == "github":
            subject = (
                f"^https://github\\.com/{_literal(repo)}/\\.github/workflows/release\\.yml@{_ref_pattern(branch)}$"
            )
            result.append(Signer("github", GITHUB_ISSUER, subject, None))
        elif platform == "gitlab":
            base = str(data["gitlab_url"])
            subject = f"^{_literal(base)}/{_literal(repo)}//\\.gitlab-ci\\.yml@{_ref_pattern(branch)}$"
            result.append(Signer("gitlab", base, subject, None))
        elif platform == "jenkins":
            result.append(Signer("jenkins", None, None, "deploy/cosign.pub"))
    return result


def context(data: Mapping[str, Any]) -> list[dict[str, Any]]:
    """What templates see as ``signers`` (plain data; the renderer taints it)."""
    return [asdict(signer) for signer in signers(data)]
