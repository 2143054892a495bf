"""Rules for Dockerfiles and ``.dockerignore``."""

from types import ModuleType

from scaffold.rules.docker import (
    docker_add_url,
    docker_curl_pipe_shell,
    docker_latest_tag,
    docker_missing_healthcheck,
    docker_root_user,
    docker_secret_in_env,
    docker_sudo,
    docker_unpinned_base,
    dockerignore_secrets,
)

RULES: tuple[ModuleType, ...] = (
    docker_unpinned_base,
    docker_latest_tag,
    docker_root_user,
    docker_add_url,
    docker_secret_in_env,
    docker_curl_pipe_shell,
    docker_sudo,
    docker_missing_healthcheck,
    dockerignore_secrets,
)
