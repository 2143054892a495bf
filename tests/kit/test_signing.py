"""Signing identities: the subject patterns accept exactly this repository's release pipeline on the default
branch or a version tag, on the platform's own issuer."""

from __future__ import annotations

import re

import pytest

from scaffold.kit import signing
from scaffold.kit.answers import validate

DATA = validate(
    {"name": "api", "platforms": ["github", "gitlab", "jenkins"], "source_repo": "acme/api.v2", "registry": "harbor"}
).model_dump()
BY_PLATFORM = {signer.platform: signer for signer in signing.signers(DATA)}


@pytest.mark.parametrize(
    "identity",
    [
        "https://github.com/acme/api.v2/.github/workflows/release.yml@refs/heads/main",
        "https://github.com/acme/api.v2/.github/workflows/release.yml@refs/tags/v1.2.3",
    ],
)
def test_github_subject_matches_the_release_workflow(identity: str) -> None:
    signer = BY_PLATFORM["github"]
    assert signer.issuer == "https://token.actions.githubusercontent.com"
    assert signer.subject_pattern is not None
    assert re.fullmatch(signer.subject_pattern, identity)


@pytest.mark.parametrize(
    "identity",
    [
        "https://github.com/acme/apixv2/.github/workflows/release.yml@refs/heads/main",  # '.' is literal
        "https://github.com/acme/api.v2/.github/workflows/ci.yml@refs/heads/main",
        "https://github.com/acme/api.v2/.github/workflows/release.yml@refs/heads/feature",
        "https://github.com/acme/api.v2/.github/workflows/release.yml@refs/tags/nightly",
        "https://github.com/evil/api.v2/.github/workflows/release.yml@refs/heads/main",
        "https://github.com/acme/api.v2/.github/workflows/release.yml@refs/heads/main\nx",
    ],
)
def test_github_subject_rejects_other_workflows_refs_and_repositories(identity: str) -> None:
    pattern = BY_PLATFORM["github"].subject_pattern
    assert pattern is not None
    assert re.search(pattern, identity) is None


def test_gitlab_subject_uses_the_instance_as_issuer() -> None:
    data = validate(
        {
            "name": "api",
            "platforms": ["gitlab"],
            "source_repo": "my-org/api",
            "gitlab_url": "https://gitlab.acme.example/",
        }
    )
    (signer,) = signing.signers(data.model_dump())

    assert signer.issuer == "https://gitlab.acme.example"
    assert signer.subject_pattern is not None
    identity = "https://gitlab.acme.example/my-org/api//.gitlab-ci.yml@refs/heads/main"
    assert re.fullmatch(signer.subject_pattern, identity)
    assert re.search(signer.subject_pattern, identity.replace("gitlab.acme", "gitlab-acme")) is None


def test_jenkins_signs_with_the_committed_public_key() -> None:
    signer = BY_PLATFORM["jenkins"]
    assert (signer.issuer, signer.subject_pattern, signer.public_key_path) == (None, None, "deploy/cosign.pub")
