"""Rules for Dockerfiles and ``.dockerignore``."""

from types import ModuleType

from scaffold.rules.docker import (
    docker_add_url,
    docker_apt_hygiene,
    docker_curl_pipe_shell,
    docker_expose_ssh,
    docker_latest_tag,
    docker_missing_healthcheck,
    docker_pipe_without_pipefail,
    docker_relative_workdir,
    docker_root_user,
    docker_secret_in_env,
    docker_shell_form_entrypoint,
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
    docker_apt_hygiene,
    docker_expose_ssh,
    docker_shell_form_entrypoint,
    docker_relative_workdir,
    docker_pipe_without_pipefail,
)
