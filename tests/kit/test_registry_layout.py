"""Registry stages: names derived per vendor, one push identity per stage, and derived names that break a vendor's
grammar refused with exit 2 before anything renders."""

from __future__ import annotations

from typing import Any

import pytest

from scaffold.errors import UsageError
from scaffold.kit import registry_layout
from scaffold.kit.answers import validate
from tests.answer_sets import AWS, GCP

ECR = {"registry": "ecr", "image": "123456789012.dkr.ecr.eu-west-1.amazonaws.com/shop/storefront", **AWS}


def stages(**answers: Any) -> list[registry_layout.Stage]:
    return registry_layout.stages(validate({"name": "storefront", **answers}).model_dump())


def test_dev_is_the_answered_image_and_each_environment_follows_in_promotion_order() -> None:
    result = stages(**ECR, environments=["staging", "production"])

    assert [stage.name for stage in result] == ["dev", "staging", "production"]
    assert result[0].image == ECR["image"]
    assert [stage.promoted_from for stage in result] == [None, "dev", "staging"]


def test_an_environment_called_dev_is_the_build_stage_itself() -> None:
    assert [stage.name for stage in stages(environments=["dev", "prod"])] == ["dev", "prod"]


@pytest.mark.parametrize(
    ("answers", "images"),
    [
        (
            ECR,
            [
                "123456789012.dkr.ecr.eu-west-1.amazonaws.com/shop/storefront",
                "123456789012.dkr.ecr.eu-west-1.amazonaws.com/shop/storefront-staging",
            ],
        ),
        (
            {"registry": "harbor", "image": "harbor.acme.example/shop/storefront"},
            ["harbor.acme.example/shop/storefront", "harbor.acme.example/shop-staging/storefront"],
        ),
        (
            {"registry": "artifactory", "image": "acme.jfrog.io/docker-local/storefront"},
            ["acme.jfrog.io/docker-local/storefront", "acme.jfrog.io/docker-local-staging/storefront"],
        ),
        (
            {"registry": "gar", "image": "europe-docker.pkg.dev/acme-prod/images/storefront", **GCP},
            [
                "europe-docker.pkg.dev/acme-prod/images/storefront",
                "europe-docker.pkg.dev/acme-prod/images-staging/storefront",
            ],
        ),
    ],
)
def test_the_stage_suffix_goes_where_the_vendor_grants_permissions(answers: dict[str, Any], images: list[str]) -> None:
    assert [stage.image for stage in stages(**answers, environments=["staging"])] == images


def test_ecr_pushers_are_the_ci_role_for_dev_and_a_promotion_role_per_environment() -> None:
    result = stages(**ECR, environments=["staging", "production"])

    assert result[0].pusher == AWS["aws_role_arn"]
    assert result[1].pusher == "arn:aws:iam::123456789012:role/storefront-promote-staging"
    assert len({stage.pusher for stage in result}) == len(result)


def test_gar_promotion_accounts_live_in_the_image_project() -> None:
    result = stages(registry="gar", image="europe-docker.pkg.dev/acme-prod/images/storefront", **GCP)

    assert result[0].pusher == GCP["gcp_service_account"]
    assert result[1].pusher == "storefront-promote-staging@acme-prod.iam.gserviceaccount.com"


@pytest.mark.parametrize(
    ("answers", "field", "words"),
    [
        ({**ECR, "image": "123456789012.dkr.ecr.eu-west-1.amazonaws.com/shop__x/api"}, "image", "ECR repository"),
        ({"registry": "harbor", "image": "harbor.acme.example/team__a/api"}, "image", "Harbor project"),
        ({"registry": "artifactory", "image": "acme.jfrog.io/" + "k" * 60 + "/api"}, "image", "Artifactory"),
        ({"registry": "gar", "image": "europe-docker.pkg.dev/acme-prod/9images/api", **GCP}, "image", "repository id"),
        ({"registry": "gar", "image": "europe-docker.pkg.dev/acme-prod/images", **GCP}, "image", "PROJECT/REPOSITORY"),
        ({**ECR, "name": "a" * 50}, "name", "IAM role name"),
        (
            {"registry": "gar", "image": "europe-docker.pkg.dev/acme-prod/images/api", **GCP, "name": "a" * 20},
            "name",
            "service account id",
        ),
    ],
)
def test_a_derived_name_the_vendor_would_refuse_is_a_usage_error(
    answers: dict[str, Any], field: str, words: str
) -> None:
    with pytest.raises(UsageError) as raised:
        validate({"name": "api", "environments": ["staging", "production"], **answers})

    message = str(raised.value)
    assert message.startswith(f"{field}: ")
    assert words in message
    assert "\n" not in message


def test_without_a_container_there_is_no_registry_context() -> None:
    data = validate({"container": False}).model_dump()

    assert registry_layout.context(data) == {"kind": None, "stages": [], "dev": None}


def test_gitlab_stages_stay_inside_the_project_and_the_project_is_the_default_source_repo() -> None:
    answers = validate({"name": "billing", "platforms": ["gitlab"], "registry": "gitlab"})
    result = registry_layout.stages(answers.model_dump())

    assert answers.source_repo == "my-group/billing"
    assert [stage.image for stage in result] == [
        "registry.gitlab.com/my-group/billing",
        "registry.gitlab.com/my-group/billing/staging",
        "registry.gitlab.com/my-group/billing/production",
    ]
    assert {stage.namespace for stage in result} == {"my-group/billing"}
