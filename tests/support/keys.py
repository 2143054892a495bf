"""Answer-key lists the tests expect, written out by hand so that a change in the model shows up as a failure."""

from __future__ import annotations

# The questions asked when every default is accepted (container yes, cloud none, dast no), in order.
DEFAULT_QUESTIONS = (
    "name",
    "language",
    "default_branch",
    "platforms",
    "starter",
    "container",
    "registry",
    "image",
    "environments",
    "cloud",
    "coverage_min",
    "port",
    "health_path",
    "dast",
    "code_owners",
    "source_repo",
    "visibility",
    "keep_images",
    "block_severity",
    "trusted_registries",
)

# Cloud identities that have no default: required once their cloud is chosen.
CLOUD_IDENTITY_KEYS = (
    "aws_role_arn",
    "gcp_workload_identity_provider",
    "gcp_service_account",
    "azure_client_id",
    "azure_tenant_id",
    "azure_subscription_id",
)
