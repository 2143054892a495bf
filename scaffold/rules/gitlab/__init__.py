"""Rules for GitLab CI (``.gitlab-ci.yml``)."""

from scaffold.rules.gitlab import (
    gitlab_curl_pipe_shell,
    gitlab_debug_trace,
    gitlab_disabled_scan,
    gitlab_duplicate_pipelines,
    gitlab_include_template,
    gitlab_input_expand_vars,
    gitlab_job_hygiene,
    gitlab_secret_in_variables,
    gitlab_unneeded_id_token,
    gitlab_unpinned_image,
    gitlab_unpinned_include,
    gitlab_unprotected_deploy,
)

RULES = (
    gitlab_unpinned_image,
    gitlab_unpinned_include,
    gitlab_include_template,
    gitlab_unprotected_deploy,
    gitlab_unneeded_id_token,
    gitlab_debug_trace,
    gitlab_curl_pipe_shell,
    gitlab_secret_in_variables,
    gitlab_input_expand_vars,
    gitlab_duplicate_pipelines,
    gitlab_job_hygiene,
    gitlab_disabled_scan,
)
