"""Registry stages: the repository each promotion stage stores images in, and the one identity that may push there.

CI pushes every build to the ``dev`` stage, which is the answered ``image``. Each deployment environment then has
its own repository, and an image reaches it only by promotion: a copy by digest made by that environment's own
push identity. Nothing else may write there. The registry policies under ``registry/`` and the admission policies
under ``policy/`` are rendered from this one list, so they always agree on names.

How a stage's repository is named depends on where a registry draws its permission boundary:

- Harbor projects, Artifactory repositories and Artifact Registry repositories hold the permissions, so the stage
  suffix goes on that path component: ``harbor.example.com/shop-staging/api``.
- ECR, ACR, ghcr and Docker Hub grant per repository, so the suffix goes on the last component:
  ``123456789012.dkr.ecr.eu-west-1.amazonaws.com/shop/api-staging``.
- A GitLab project owns every repository below its path, so a stage is a sub-repository:
  ``registry.gitlab.com/acme/api/staging``.

``check()`` validates every derived name against the vendor's own grammar, so an answer that would produce an
invalid project, repository or role name stops with exit 2 before anything is rendered.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import Any

from scaffold.errors import UsageError

DEV = "dev"

# Registry -> index of the path component (after the host) that carries the stage suffix; None for the last one.
_NAMESPACE_INDEX: dict[str, int | None] = {
    "harbor": 0,
    "artifactory": 0,
    "gar": 1,
    "ecr": None,
    "acr": None,
    "ghcr": None,
    "dockerhub": None,
    "gitlab": None,  # handled in _suffixed: stages are sub-repositories of the project
}

_ECR_REPOSITORY = re.compile(r"(?:[a-z0-9]+(?:[._-][a-z0-9]+)*/)*[a-z0-9]+(?:[._-][a-z0-9]+)*")
_HARBOR_PROJECT = re.compile(r"[a-z0-9]+(?:[._-][a-z0-9]+)*")
_ARTIFACTORY_KEY = re.compile(r"[a-z0-9][a-z0-9._-]*")
_GAR_REPOSITORY = re.compile(r"[a-z](?:[a-z0-9-]*[a-z0-9])?")
_GCP_PROJECT = re.compile(r"[a-z][a-z0-9-]{4,28}[a-z0-9]")
_GCP_ACCOUNT_ID = re.compile(r"[a-z][a-z0-9-]{4,28}[a-z0-9]")
_IAM_ROLE_NAME = re.compile(r"[A-Za-z0-9+=,.@_-]{1,64}")
_ACR_TOKEN = re.compile(r"[A-Za-z0-9-]{5,50}")


@dataclass(frozen=True)
class Stage:
    """One promotion stage's repository and the identity allowed to push to it."""

    name: str
    """``dev`` for CI builds, else the deployment environment."""
    image: str
    """The full repository path, host included, without tag or digest."""
    host: str
    namespace: str
    """The component that holds permissions: Harbor project, Artifactory repository key, GAR repository id, or
    for per-repository registries everything before the last component (may be empty)."""
    repository: str
    """The path after the host (an ECR or ACR repository name)."""
    pusher: str
    """Who may push: an IAM role ARN (ECR), a service account email (GAR), a robot or token name otherwise."""
    promoted_from: str | None
    """The stage images are copied from; None for dev."""


def stage_names(environments: list[str]) -> list[str]:
    """``dev`` followed by the deployment environments, in promotion order, without repeating ``dev``."""
    return list(dict.fromkeys([DEV, *environments]))


def _suffixed(registry: str, image: str, stage: str) -> tuple[str, str]:
    """The stage's image path and its namespace component."""
    host, *parts = image.split("/")
    if registry == "gitlab":  # a GitLab project's images live below its own path: keep every stage inside it
        return "/".join([host, *parts] + ([] if stage == DEV else [stage])), "/".join(parts)
    index = _NAMESPACE_INDEX[registry]
    position = len(parts) - 1 if index is None else index
    if stage != DEV:
        parts[position] = f"{parts[position]}-{stage}"
    namespace = "/".join(parts[:-1]) if index is None else parts[index]
    return "/".join([host, *parts]), namespace


def _pusher(data: Mapping[str, Any], stage: str) -> str:
    registry, name = data["registry"], data["name"]
    if registry == "ecr":
        if stage == DEV:
            return str(data["aws_role_arn"])
        prefix = str(data["aws_role_arn"]).split(":role/", 1)[0]
        return f"{prefix}:role/{name}-promote-{stage}"
    if registry == "gar":
        if stage == DEV:
            return str(data["gcp_service_account"])
        project = str(data["image"]).split("/")[1]
        return f"{name}-promote-{stage}@{project}.iam.gserviceaccount.com"
    return f"{name}-{stage}-push"


def stages(data: Mapping[str, Any]) -> list[Stage]:
    """Every stage's repository for finished answers (``container`` true)."""
    registry, image = str(data["registry"]), str(data["image"])
    names = stage_names(list(data["environments"]))
    result: list[Stage] = []
    for index, name in enumerate(names):
        path, namespace = _suffixed(registry, image, name)
        host, repository = path.split("/", 1)
        result.append(
            Stage(
                name=name,
                image=path,
                host=host,
                namespace=namespace,
                repository=repository,
                pusher=_pusher(data, name),
                promoted_from=names[index - 1] if index else None,
            )
        )
    return result


def _fail(field: str, value: str, rule: str) -> UsageError:
    return UsageError(f"{field}: the registry stage name '{value}' derived from it must be {rule}")


def _check_stage(registry: str, stage: Stage) -> None:
    """Raise UsageError when a derived name breaks the vendor's grammar."""
    if registry == "ecr":
        if not (2 <= len(stage.repository) <= 256 and _ECR_REPOSITORY.fullmatch(stage.repository)):
            raise _fail(
                "image",
                stage.repository,
                "an ECR repository name of at most 256 characters: lowercase "
                "letters and digits separated by single '.', '_', '-' or '/'",
            )
        role = stage.pusher.split(":role/", 1)[1].rsplit("/", 1)[-1]
        if not _IAM_ROLE_NAME.fullmatch(role):
            raise _fail("name", role, "an IAM role name of at most 64 characters")
    elif registry == "harbor":
        if not (len(stage.namespace) <= 255 and _HARBOR_PROJECT.fullmatch(stage.namespace)):
            raise _fail(
                "image",
                stage.namespace,
                "a Harbor project name: lowercase letters and digits separated by single '.', '_' or '-'",
            )
    elif registry == "artifactory":
        if not (len(stage.namespace) <= 64 and _ARTIFACTORY_KEY.fullmatch(stage.namespace)):
            raise _fail("image", stage.namespace, "an Artifactory repository key of at most 64 characters")
    elif registry == "gar":
        parts = stage.repository.split("/")
        if len(parts) < 3 or not _GCP_PROJECT.fullmatch(parts[0]):
            raise UsageError(
                "image: must be an Artifact Registry path like "
                "europe-docker.pkg.dev/PROJECT/REPOSITORY/IMAGE with a valid project id"
            )
        if not (len(stage.namespace) <= 63 and _GAR_REPOSITORY.fullmatch(stage.namespace)):
            raise _fail(
                "image",
                stage.namespace,
                "an Artifact Registry repository id of at most 63 characters: "
                "lowercase letters, digits and '-', starting with a letter",
            )
        account = stage.pusher.split("@", 1)[0]
        if stage.name != DEV and not _GCP_ACCOUNT_ID.fullmatch(account):
            raise _fail("name", account, "a service account id of 6 to 30 characters")
    elif registry == "acr" and not _ACR_TOKEN.fullmatch(stage.pusher):
        raise _fail("name", stage.pusher, "an ACR token name of 5 to 50 letters, digits and '-'")


def check(data: Mapping[str, Any]) -> None:
    """Validate every stage's derived names for finished answers; raises UsageError naming the answer to change."""
    registry = str(data["registry"])
    for stage in stages(data):
        _check_stage(registry, stage)


def context(data: Mapping[str, Any]) -> dict[str, Any]:
    """What templates see as ``registry``: the registry kind and its stages (plain data; the renderer taints it)."""
    if not data["container"]:
        return {"kind": None, "stages": [], "dev": None}
    all_stages = [asdict(stage) for stage in stages(data)]
    return {"kind": data["registry"], "stages": all_stages, "dev": all_stages[0]}
