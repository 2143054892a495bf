"""Rules for Jenkinsfiles (declarative and scripted pipelines)."""

from scaffold.rules.jenkins import (
    jenkins_agent_any,
    jenkins_credentials_around_build,
    jenkins_disabled_scan,
    jenkins_groovy_credential_interpolation,
    jenkins_missing_timeout,
    jenkins_unpinned_agent_image,
    jenkins_unpinned_library,
)

RULES = (
    jenkins_agent_any,
    jenkins_groovy_credential_interpolation,
    jenkins_missing_timeout,
    jenkins_unpinned_library,
    jenkins_unpinned_agent_image,
    jenkins_credentials_around_build,
    jenkins_disabled_scan,
)
