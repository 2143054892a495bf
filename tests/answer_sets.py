"""The answer sets every snapshot and validator test runs over. Together they cover every language, registry,
cloud and toggle. Names are stable: they key the snapshots."""

from __future__ import annotations

from typing import Any

AWS = {"cloud": "aws", "aws_role_arn": "arn:aws:iam::123456789012:role/ci-deploy", "aws_region": "eu-west-1"}
GCP = {
    "cloud": "gcp",
    "gcp_workload_identity_provider": (
        "projects/123456789/locations/global/workloadIdentityPools/github-pool/providers/github"
    ),
    "gcp_service_account": "deployer@acme-prod.iam.gserviceaccount.com",
}
AZURE = {
    "cloud": "azure",
    "azure_client_id": "11111111-2222-3333-4444-555555555555",
    "azure_tenant_id": "66666666-7777-8888-9999-000000000000",
    "azure_subscription_id": "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee",
}

ANSWER_SETS: dict[str, dict[str, Any]] = {
    "python-ghcr-defaults": {"name": "orders"},
    "python-gitlab-defaults": {"name": "inventory", "platforms": ["gitlab"]},
    "node-jenkins-harbor-azure": {
        "name": "notifier",
        "language": "node",
        "platforms": ["jenkins"],
        "registry": "harbor",
        "image": "harbor.acme.example/notify/notifier",
        **AZURE,
    },
    "node-ecr-aws": {
        "name": "storefront",
        "platforms": ["github", "gitlab", "jenkins"],
        "language": "node",
        "registry": "ecr",
        "image": "123456789012.dkr.ecr.eu-west-1.amazonaws.com/shop/storefront",
        **AWS,
    },
    "go-gar-gcp": {
        "name": "payments",
        "platforms": ["github", "gitlab"],
        "language": "go",
        "registry": "gar",
        "image": "europe-west1-docker.pkg.dev/acme-prod/images/payments",
        **GCP,
    },
    "java-acr-azure": {
        "name": "ledger",
        "platforms": ["github", "jenkins"],
        "language": "java",
        "registry": "acr",
        "image": "acmeprod.azurecr.io/finance/ledger",
        **AZURE,
    },
    "python-harbor-dast": {
        "name": "catalog",
        "platforms": ["github", "gitlab", "jenkins"],
        "registry": "harbor",
        "image": "harbor.acme.example/catalog/api",
        "dast": True,
        "dast_target_url": "https://catalog.staging.acme.example",
    },
    "node-artifactory-dast-openapi": {
        "name": "gateway",
        "platforms": ["gitlab", "jenkins"],
        "language": "node",
        "registry": "artifactory",
        "image": "acme.jfrog.io/docker-local/gateway",
        "dast": True,
        "dast_target_url": "https://gateway.staging.acme.example/",
        "openapi_path": "docs/openapi.yaml",
    },
    "go-dockerhub": {
        "name": "worker",
        "platforms": ["jenkins"],
        "language": "go",
        "registry": "dockerhub",
        "image": "docker.io/acme/worker",
    },
    "java-gitlab-registry": {
        "name": "billing",
        "platforms": ["gitlab"],
        "language": "java",
        "registry": "gitlab",
        "image": "registry.gitlab.com/acme/billing",
        "health_path": "/actuator/health",
        "port": 8081,
    },
    "python-no-container": {"name": "cli-tool", "container": False, "platforms": ["github", "gitlab", "jenkins"]},
    "go-no-container-aws": {
        "name": "lambda-fn",
        "language": "go",
        "container": False,
        "platforms": ["gitlab", "jenkins"],
        **AWS,
    },
    "node-one-environment": {
        "name": "docs-site",
        "platforms": ["gitlab", "jenkins"],
        "language": "node",
        "environments": ["prod"],
        "coverage_min": 95,
        "default_branch": "trunk",
        "code_owners": ["@acme/web", "@octocat"],
    },
    "java-no-container-gcp-many-envs": {
        "name": "batch",
        "platforms": ["github", "gitlab", "jenkins"],
        "language": "java",
        "container": False,
        "environments": ["dev", "qa", "staging", "prod"],
        "coverage_min": 0,
        **GCP,
    },
    "python-ghcr-aws-public": {"name": "orders-api", "visibility": "public", **AWS},
    "node-no-container-public": {"name": "docs-cli", "language": "node", "container": False, "visibility": "public"},
    "python-ecr-aws-dast-openapi": {
        "name": "search",
        "platforms": ["github", "gitlab", "jenkins"],
        "registry": "ecr",
        "image": "123456789012.dkr.ecr.us-east-1.amazonaws.com/search",
        **AWS,
        "dast": True,
        "dast_target_url": "https://search.staging.acme.example/api",
        "openapi_path": "openapi.json",
        "trusted_registries": ["docker.io", "123456789012.dkr.ecr.us-east-1.amazonaws.com"],
    },
}
